"""What a flag removal leaves unused in a TypeScript/JavaScript module, deleted with
ast-grep: import specifiers (the whole import statement once none is left) and the
module's own helpers and constants (top-level, not exported).

Only what the edits made unused goes: a name read before the removal and no longer after
it. A name read nowhere is one with no identifier of that name outside its own
declaration (a JSX tag `<X />`, a type annotation and a shorthand property `{ x }` all
read it). Exported declarations stay: other modules may import them. Deleting a helper can
leave another unused, so the pass repeats until nothing more goes.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import cast

from ast_grep_py import Config, SgNode, SgRoot

from swath.analyzers.flags.remove_defs import delete_spans

MAX_ROUNDS = 8
NAME_KINDS = ("identifier", "type_identifier", "shorthand_property_identifier")
# JavaScript's grammar has no type names, and ast-grep answers a kind its grammar lacks with
# an error, not with nothing (which failed the whole plan of a JavaScript tree's removals).
TYPED = ("typescript", "tsx")
DECLARATIONS = ("function_declaration", "class_declaration", "lexical_declaration")


def prune(before: str, after: str, lang: str) -> str:
    before_root = SgRoot(before, lang).root()
    read_before: dict[str, int] = {}
    text = after
    for _ in range(MAX_ROUNDS):
        root = SgRoot(text, lang).root()
        bindings = _bindings(root)
        names = {n for _, bound in bindings for n in bound}
        if names - read_before.keys():
            read_before |= _reads(before_root, lang, names - read_before.keys())
        reads = _reads(root, lang, names)
        units: dict[tuple[int, int], tuple[int, int]] = {}
        for node, names_bound in bindings:
            gone = [n for n in names_bound if read_before[n] and not reads[n]]
            if not gone:
                continue
            if len(gone) == len(names_bound) or node.kind() in DECLARATIONS:
                unit = node
                if unit.kind() in DECLARATIONS and len(gone) < len(names_bound):
                    continue  # `const a = 1, b = 2` with only one unused: leave it
            else:
                # Some specifiers of an import: just those.
                for spec in node.find_all(kind="import_specifier"):
                    if _spec_name(spec) in gone:
                        r = spec.range()
                        units[(r.start.index, r.end.index)] = (r.start.line, r.end.line)
                continue
            r = unit.range()
            units[(r.start.index, r.end.index)] = (r.start.line, r.end.line)
        if not units:
            break
        result = delete_spans(text, lang, units)
        if result.error or result.new_text == text:
            break
        text = result.new_text
    return text


def _reads(root: SgNode, lang: str, names: Collection[str]) -> dict[str, int]:
    """How often each of `names` is read: its identifiers outside import statements and
    outside the names their declarations bind. Only identifiers spelling one of `names` are
    visited (ast-grep's `regex` picks them): walking every identifier of a module, each
    asked whether it sits in an import, was most of a JavaScript tree's pruning."""
    out = dict.fromkeys(names, 0)
    if not out:
        return out
    binders = {
        (n.range().start.index, n.range().end.index)
        for decl, _ in _bindings(root)
        for n in _binding_nodes(decl)
    }
    spelled = "^(?:" + "|".join(re.escape(n) for n in sorted(out)) + ")$"
    for kind in NAME_KINDS if lang in TYPED else [k for k in NAME_KINDS if k != "type_identifier"]:
        for n in root.find_all(cast(Config, {"rule": {"kind": kind, "regex": spelled}})):
            r = n.range()
            if (r.start.index, r.end.index) in binders or n.inside(kind="import_statement"):
                continue
            out[n.text()] += 1
    return out


def _bindings(root: SgNode) -> list[tuple[SgNode, list[str]]]:
    """(statement, names it binds) for every import and top-level unexported declaration."""
    out: list[tuple[SgNode, list[str]]] = []
    for stmt in root.children():
        if stmt.kind() == "import_statement":
            names = [n.text() for n in _binding_nodes(stmt)]
            if names:
                out.append((stmt, names))
        elif stmt.kind() in DECLARATIONS:
            names = [n.text() for n in _binding_nodes(stmt)]
            if names:
                out.append((stmt, names))
    return out


def _binding_nodes(stmt: SgNode) -> list[SgNode]:
    if stmt.kind() == "import_statement":
        clause = next((c for c in stmt.children() if c.kind() == "import_clause"), None)
        if clause is None:
            return []  # `import "./side-effect"` binds nothing
        found = [c for c in clause.children() if c.kind() == "identifier"]
        for c in clause.children():
            if c.kind() == "namespace_import":
                found += [i for i in c.children() if i.kind() == "identifier"]
            elif c.kind() == "named_imports":
                for spec in c.children():
                    if spec.kind() == "import_specifier":
                        ids = [i for i in spec.children() if i.kind() == "identifier"]
                        if ids:
                            found.append(ids[-1])  # `b as c` binds c
        return found
    if stmt.kind() in ("function_declaration", "class_declaration"):
        name = stmt.field("name")
        return [name] if name is not None else []
    if stmt.kind() == "lexical_declaration":
        out = []
        for d in stmt.children():
            if d.kind() != "variable_declarator":
                continue
            name, value = d.field("name"), d.field("value")
            # A constant or a function held in one; a call could have side effects.
            if (
                name is not None
                and name.kind() == "identifier"
                and value is not None
                and value.kind()
                in ("string", "number", "true", "false", "arrow_function", "function_expression")
            ):
                out.append(name)
            else:
                return []
        return out
    return []


def _spec_name(spec: SgNode) -> str:
    ids = [i for i in spec.children() if i.kind() == "identifier"]
    return ids[-1].text() if ids else ""
