"""Facts about TypeScript/JavaScript and Go files, read with ast-grep (tree-sitter).

Best effort, like an editor's outline: top-level declarations, class methods, exports,
imports (ES modules, `require`, dynamic `import()`, re-exports; Go import specs). The
tree is dropped as soon as the facts are out.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from typing import Any

from ast_grep_py import SgNode, SgRoot

from swath.analyzers.nameuses import count_attributes, count_names
from swath.analyzers.sourcetext import (
    first_sentence,
    is_boilerplate,
    is_section_label,
    line_count,
    split_lines,
)

DECLARATIONS = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "class_declaration": "class",
    "abstract_class_declaration": "class",
    "interface_declaration": "interface",
    "type_alias_declaration": "type",
    "enum_declaration": "enum",
}
FUNCTION_VALUES = ("arrow_function", "function_expression", "function", "generator_function")
SCRIPT_BRANCHES = (
    "if_statement",
    "for_statement",
    "for_in_statement",
    "while_statement",
    "do_statement",
    "catch_clause",
    "ternary_expression",
    "switch_case",
    "conditional_expression",
)
GO_BRANCHES = (
    "if_statement",
    "for_statement",
    "expression_case",
    "type_case",
    "communication_case",
)
GO_MOD_LINE = re.compile(r"^\s*module\s+(\S+)", re.M)


def find_kind(node: SgNode, kind: str) -> list[SgNode]:
    """`find_all(kind=…)`, empty when the language's grammar has no such kind (ast-grep raises)."""
    try:
        return node.find_all(kind=kind)
    except BaseException as exc:  # pyo3 raises a plain Exception subclass; never let it escape
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return []


def _string_value(node: SgNode | None) -> str | None:
    if node is None:
        return None
    text = node.text()
    if len(text) >= 2 and text[0] in "\"'`" and text[-1] == text[0]:
        return text[1:-1]
    return None


# Comments that talk to a tool, not to a reader: a purpose is never one of these.
_DIRECTIVE = re.compile(
    r"^\s*(?:eslint|oxlint|biome-ignore|prettier-ignore|istanbul\s|c8\s|v8\s|jshint|jscs:|"
    r"global\s|tslint:|deno-(?:lint|fmt)|@ts-|ts-(?:check|nocheck|ignore|expect-error)|"
    r"#?(?:end)?region\b|noinspection|nolint|lint:|go:|\+build|NOSONAR|webpack[A-Z]|"
    r"@vite-ignore|@jsx|@flow\b|@refresh|TODO\b|FIXME\b|XXX\b|HACK\b)",
)
# A line of only rules and punctuation (`// -----`, ` * ======`) frames a comment.
_DECORATION = re.compile(r"^[\W_]+$")
_LABEL_MAX = 160  # characters: a section label is a few words between rules
# A label between rules on one line: `---- helpers ----`, `=== TYPES ===`.
_FRAMED = re.compile(r"^[-=#*~_+<>|/\\ ]{3,}\s*([^\n]*?\w[^\n]*?)\s*[-=#*~_+<>|/\\ ]{3,}$")
# TSDoc/TypeDoc: a file's opening comment that sits right on top of a declaration is
# that declaration's documentation unless a tag says it speaks for the file.
_FILE_TAGS = re.compile(r"@(?:file|fileoverview|overview|module|packageDocumentation)\b")
_SCRIPT_DECLARATIONS = {
    "export_statement",
    "function_declaration",
    "generator_function_declaration",
    "class_declaration",
    "abstract_class_declaration",
    "lexical_declaration",
    "variable_declaration",
    "interface_declaration",
    "type_alias_declaration",
    "enum_declaration",
    "ambient_declaration",
}


def _leading_comment(root: SgNode) -> tuple[str, bool]:
    """The first sentence of the comment block that opens the file.

    Tool directives (`// eslint-disable…`) and rules of dashes are not read; a block
    of only those is passed over for the next. A block that ends in a `/** … */` right
    on top of a declaration (no blank line between) documents that declaration, not
    the file (TypeDoc's rule), unless it carries `@file`/`@fileoverview`/`@module`/`@packageDocumentation`.
    """
    node = next((c for c in root.children() if c.kind() != "hash_bang_line"), None)
    while node is not None and node.kind() == "comment":
        raw: list[str] = []
        while True:
            raw.append(node.text())
            after = node.next()
            if after is None or after.range().start.line > node.range().end.line + 1:
                break
            if after.kind() != "comment":
                if (
                    after.kind() in _SCRIPT_DECLARATIONS
                    and raw[-1].startswith("/**")
                    and not _FILE_TAGS.search("\n".join(raw))
                ):
                    return _purpose_of(raw[-1:]), True
                break
            node = after
        text = _purpose_of(raw)
        if text:
            return text, False
        node = node.next()
    return "", False


def _purpose_of(raw: list[str], over_declaration: bool = False) -> str:
    """The first sentence of a block of comments, unless the block is a licence or
    copyright header (the description may follow it: viper.go, x/tools' godoc/static/*.js)
    or a section label (tanstack's `// TYPES` atop notifyManager.ts; over a declaration,
    a heading over a rule too: preact's `// Preact render` + `// -----` is no doc of
    `ContainerNode`, while a title between rules opening a file is its purpose: tRPC's
    types.ts "Useful utility types…")."""
    body = "\n".join(_comment_text(t) for t in raw)
    text = first_sentence(body)
    if not text or is_boilerplate(text) or _is_label(raw, body, over_declaration):
        return ""
    return text


def _is_label(raw: list[str], body: str, over_declaration: bool) -> bool:
    lines = [ln for t in raw for ln in re.sub(r"^/\*+|\*+/$", "", t.strip()).splitlines()]
    stripped = [re.sub(r"^\s*(\*|//+)\s?", "", ln).strip() for ln in lines]
    ruled = any(_DECORATION.match(ln) for ln in stripped if ln)
    label = body.strip()
    if len(label) > _LABEL_MAX or "\n" in label:  # no label; and the pattern stays linear
        return False
    framed = _FRAMED.match(label)
    if framed is not None:  # `// ---- helpers ----`, `/* ==== TYPES ==== */`
        label, ruled = framed.group(1), True
    if is_section_label(label):  # in capitals: TYPES, PUBLIC API
        return True
    # a heading with rules: a section's over a declaration; a lone word's anywhere
    return (
        ruled
        and is_section_label(label, ruled=True)
        and (over_declaration or len(label.split()) == 1)
    )


def _stem_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _namesake_doc(path: str, doc: str, symbols: list[dict[str, Any]], exports: list[str]) -> str:
    """The opening declaration's doc speaks for the file when that declaration is what the
    file is about: named like the file (tanstack's subscribable.ts, `Subscribable`) or its
    only export (tRPC's pathSeparator.ts); not tRPC's utils.ts, whose first of many
    exports is `UnsetMarker`."""
    if not doc or not symbols:
        return ""
    first = min(symbols, key=lambda s: s["start"])
    stem = posixpath.basename(path).split(".")[0]
    if _stem_key(first["name"]) == _stem_key(stem) or set(exports) == {first["name"]}:
        return doc
    return ""


def _comment_text(text: str) -> str:
    body = re.sub(r"^/\*+|\*+/$", "", text.strip())
    lines = [re.sub(r"^\s*(\*|//+)\s?", "", ln).rstrip() for ln in body.splitlines()]
    return "\n".join(
        ln
        for ln in lines
        if not ln.lstrip().startswith("@")
        and not _DIRECTIVE.match(ln)
        and not _DECORATION.match(ln.strip())
    )


def _comments_above(node: SgNode) -> list[SgNode]:
    """The run of comments right above `node` (no blank line between), nearest first."""
    run: list[SgNode] = []
    below = node.range().start.line
    prev = node.prev()
    while prev is not None and prev.kind() == "comment" and prev.range().end.line >= below - 1:
        run.append(prev)
        below = prev.range().start.line
        prev = prev.prev()
    return run


def _doc_before(node: SgNode) -> str:
    """The first sentence of the documentation right above a declaration.

    A `/** … */` block in the run above wins (the one TypeScript's hover shows, even
    with an `// eslint-disable-next-line` between it and the declaration); else the
    run's comment lines (Go's `//` doc comment, a JS `//` description), joined, so a
    doc comment that wraps gives its first sentence, not its last line. Directives,
    TODOs and rules of dashes are no documentation.
    """
    run = _comments_above(node)
    jsdoc = next((c for c in run if c.text().startswith("/**")), None)
    if jsdoc is not None:
        return _purpose_of([jsdoc.text()], over_declaration=True)
    return _purpose_of([c.text() for c in reversed(run)], over_declaration=True)


def _go_purpose(package: SgNode) -> tuple[str, bool]:
    """A Go file's purpose, and whether it is *not* its package comment.

    The package comment is what go doc reads: the comment right above `package`, with no
    blank line between (ast.File.Doc), unless it opens with "Copyright", "All rights" or
    "Author" (go/doc.Synopsis gives none for those). viper.go's description sits above a
    blank line, so go doc shows no package comment for viper; the file's first
    paragraph of comment above `package` that is no licence header, directive or section
    label is then its purpose, a weaker one (`doc_detached`), which a package takes only
    when none of its files has a package comment.
    """
    attached = _comments_above(package)
    doc = _purpose_of([c.text() for c in reversed(attached)])
    if doc:
        return _package_purpose(doc), False
    before: list[SgNode] = []
    prev = package.prev()
    while prev is not None and prev.kind() == "comment":
        before.append(prev)
        prev = prev.prev()
    seen = {c.range().start.line for c in attached}
    block: list[str] = []
    last = -2
    for c in reversed(before):
        if c.range().start.line in seen:
            break
        if block and c.range().start.line > last + 1:
            text = _detached_purpose(block)
            if text:
                return _package_purpose(text), True
            block = []
        block.append(c.text())
        last = c.range().end.line
    text = _detached_purpose(block) if block else ""
    return (_package_purpose(text), True) if text else ("", False)


_TODO_LINE = re.compile(r"^\s*//+\s*(?:TODO|FIXME|XXX|HACK)\b")


def _detached_purpose(block: list[str]) -> str:
    # a run of TODOs is no description, even its wrapped lines (x/tools' apidiff.go)
    if any(_TODO_LINE.match(t) for t in block):
        return ""
    return _purpose_of(block)


def _package_purpose(doc: str) -> str:
    """`Package cart adds things up.` reads "Adds things up." in a table of packages."""
    rest = re.sub(r"^Package \S+\s+(?:(?:is|are)\s+)?", "", doc)
    return (rest[:1].upper() + rest[1:]) if rest else doc


def _count(root: SgNode, kinds: tuple[str, ...]) -> int:
    return sum(len(find_kind(root, k)) for k in kinds)


def _sym(
    node: SgNode,
    name_node: SgNode | None,
    kind: str,
    qualname: str | None,
    exported: bool,
    branches: tuple[str, ...],
    doc_node: SgNode | None = None,
) -> dict[str, Any]:
    r = node.range()
    name = name_node.text() if name_node is not None else (qualname or "default")
    at = name_node.range().start if name_node is not None else r.start
    return {
        "name": name,
        "qualname": qualname or name,
        "kind": kind,
        "line": at.line,
        "column": at.column,
        "start": r.start.line,
        "end": r.end.line,
        "lines": r.end.line - r.start.line + 1,
        "doc": _doc_before(doc_node or node),
        "public": exported,
        "branches": _count(node, branches),
    }


def script_facts(path: str, text: str, language: str) -> dict[str, Any]:  # noqa: C901 - one pass over the syntax tree for every fact: parsing twice costs more
    lines = split_lines(text)
    facts: dict[str, Any] = {
        "language": language,
        "module": path,
        "lines": line_count(lines),
        "code_lines": sum(
            1 for ln in lines if ln.strip() and not ln.lstrip().startswith(("//", "*", "/*"))
        ),
        "docstring": "",
        "symbols": [],
        "imports": [],
        "exports": [],
        "all_declared": False,
        "entry": bool(lines and lines[0].startswith("#!")),
        "branches": 0,
        "error": None,
    }
    root = SgRoot(text, language).root()
    try:
        purpose, of_first_declaration = _leading_comment(root)
        facts["docstring"] = purpose
        facts["branches"] = _count(root, SCRIPT_BRANCHES)
        symbols: list[dict[str, Any]] = []
        exports: list[str] = []
        imports: list[dict[str, Any]] = []

        def add_import(node: SgNode, spec: str | None, kind: str) -> None:
            if not spec:
                return
            line = node.range().start.line
            names, aliases, namespace = _imported_names(node, kind)
            imports.append(
                {
                    "line": line,
                    "text": lines[line].strip() if line < len(lines) else "",
                    "kind": kind,
                    "module": spec,
                    "names": names,
                    **({"aliases": aliases} if aliases else {}),
                    **({"namespace": namespace} if namespace else {}),
                    "level": 0,
                    "resolved": True,
                    "deferred": kind == "dynamic",
                    "type_checking": node.text().startswith("import type"),
                    "optional": False,
                }
            )

        for top in root.children():
            node, exported = top, False
            if top.kind() == "import_statement":
                add_import(top, _string_value(top.field("source")), "import")
                continue
            if top.kind() == "export_statement":
                exported = True
                src = top.field("source")
                if src is not None:
                    add_import(top, _string_value(src), "reexport")
                decl = top.field("declaration")
                if decl is None:
                    for spec in find_kind(top, "export_specifier"):
                        alias = spec.field("alias") or spec.field("name")
                        if alias is not None:
                            exports.append(alias.text())
                    if "default" in [c.text() for c in top.children()]:
                        exports.append("default")
                    continue
                node = decl
            kind = node.kind()
            if kind in DECLARATIONS:
                name_node = node.field("name")
                sym = _sym(
                    node, name_node, DECLARATIONS[kind], None, exported, SCRIPT_BRANCHES, top
                )
                symbols.append(sym)
                if exported:
                    exports.append(sym["name"])
                if DECLARATIONS[kind] == "class":
                    for m in find_kind(node, "method_definition"):
                        mname = m.field("name")
                        if mname is None:
                            continue
                        symbols.append(
                            _sym(
                                m,
                                mname,
                                "method",
                                f"{sym['name']}.{mname.text()}",
                                exported and not mname.text().startswith("#"),
                                SCRIPT_BRANCHES,
                            )
                        )
            elif kind in ("lexical_declaration", "variable_declaration"):
                for decl in find_kind(node, "variable_declarator"):
                    if decl.parent() is None or decl.parent() != node:
                        continue
                    name_node = decl.field("name")
                    value = decl.field("value")
                    if name_node is None or name_node.kind() != "identifier":
                        continue
                    is_fn = value is not None and value.kind() in FUNCTION_VALUES
                    if is_fn or exported:
                        symbols.append(
                            _sym(
                                decl,
                                name_node,
                                "function" if is_fn else "constant",
                                None,
                                exported,
                                SCRIPT_BRANCHES,
                                top,
                            )
                        )
                    if exported:
                        exports.append(name_node.text())
        for call in find_kind(root, "call_expression"):
            fn = call.field("function")
            if (
                fn is None
                or fn.kind() not in ("identifier", "import")
                or fn.text() not in ("require", "import")
            ):
                continue
            args = call.field("arguments")
            first = (
                next((c for c in args.children() if c.is_named()), None)
                if args is not None
                else None
            )
            add_import(
                call, _string_value(first), "require" if fn.text() == "require" else "dynamic"
            )
        _script_uses(text, imports)
        # A default-exported symbol is also known by its own name.
        names = {s["name"] for s in symbols}
        for s in symbols:
            if s["name"] in exports:
                s["public"] = True
        facts.update(
            symbols=symbols,
            imports=imports,
            exports=list(dict.fromkeys(e for e in exports if e in names or e == "default" or e)),
        )
        if of_first_declaration:
            facts["docstring"] = _namesake_doc(path, purpose, symbols, facts["exports"])
        if not facts["entry"] and re.search(r"\brequire\.main\s*===?\s*module\b", text):
            facts["entry"] = True
    finally:
        del root
    return facts


def _imported_names(node: SgNode, kind: str) -> tuple[list[str], dict[str, str], str]:
    """(names, {name: local alias}, namespace alias) of an ES import or re-export."""
    names: list[str] = []
    aliases: dict[str, str] = {}
    namespace = ""
    if kind not in ("import", "reexport"):
        return names, aliases, namespace
    spec_kind = "import_specifier" if kind == "import" else "export_specifier"
    for spec in find_kind(node, spec_kind):
        name, alias = spec.field("name"), spec.field("alias")
        if name is None:
            continue
        names.append(name.text())
        if alias is not None and alias.text() != name.text():
            aliases[name.text()] = alias.text()
    clause = next((c for c in node.children() if c.kind() == "import_clause"), None)
    if clause is not None:
        for c in clause.children():
            if c.kind() == "identifier":  # the default import
                names.append("default")
                aliases["default"] = c.text()
            elif c.kind() == "namespace_import":
                ident = next((i for i in c.children() if i.kind() == "identifier"), None)
                namespace = ident.text() if ident is not None else ""
    elif kind == "reexport" and not names:
        names.append("*")
    return names, aliases, namespace


def _script_uses(text: str, imports: list[dict[str, Any]]) -> None:
    """Each import's `uses`: mentions of its names (a namespace import's `ns.X` by X)."""
    local = [
        imp.get("aliases", {}).get(n, n)
        for imp in imports
        if imp["kind"] == "import"
        for n in imp["names"]
    ]
    counts = count_names(text, local, Counter(local)) if local else {}
    for imp in imports:
        if imp.get("namespace"):
            found = count_attributes(text, imp["namespace"])
            imp["names"] = sorted(set(imp["names"]) | set(found))
            counts_ns = found
        else:
            counts_ns = {}
        aliases = imp.get("aliases") or {}
        uses = {a: counts[a] for n in imp["names"] if (a := aliases.get(n, n)) in counts}
        uses.update(counts_ns)
        if uses and imp["kind"] == "import":
            imp["uses"] = uses


def _go_alias(spec: SgNode, path: str) -> str:
    name = spec.field("name")
    if name is not None:
        return name.text()
    parts = [p for p in path.split("/") if p]
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        parts = parts[:-1]  # example.com/mod/v2 is package mod
    last = parts[-1] if parts else ""
    return re.split(r"[.-]", last.removeprefix("go-"))[0] if last else ""


def go_facts(path: str, text: str) -> dict[str, Any]:
    lines = split_lines(text)
    facts: dict[str, Any] = {
        "language": "go",
        "module": path,
        "package": "",
        "lines": line_count(lines),
        "code_lines": sum(1 for ln in lines if ln.strip() and not ln.lstrip().startswith("//")),
        "docstring": "",
        "symbols": [],
        "imports": [],
        "exports": [],
        "all_declared": False,
        "entry": False,
        "branches": 0,
        "error": None,
    }
    root = SgRoot(text, "go").root()
    try:
        facts["branches"] = _count(root, GO_BRANCHES)
        symbols: list[dict[str, Any]] = []
        imports: list[dict[str, Any]] = []
        import_names: set[str] = set()
        for top in root.children():
            kind = top.kind()
            if kind == "package_clause":
                ident = next((c for c in top.children() if c.kind() == "package_identifier"), None)
                facts["package"] = ident.text() if ident is not None else ""
                facts["docstring"], detached = _go_purpose(top)
                if detached:
                    facts["doc_detached"] = True
            elif kind == "import_declaration":
                for spec in find_kind(top, "import_spec"):
                    value = _string_value(spec.field("path"))
                    line = spec.range().start.line
                    if value:
                        imports.append(
                            {
                                "line": line,
                                "text": lines[line].strip() if line < len(lines) else "",
                                "kind": "import",
                                "module": value,
                                "names": [],
                                "level": 0,
                                "resolved": True,
                                "deferred": False,
                                "type_checking": False,
                                "optional": False,
                                "uses": count_attributes(text, _go_alias(spec, value)),
                            }
                        )
                        import_names.add(_go_alias(spec, value))
            elif kind == "function_declaration":
                name = top.field("name")
                symbols.append(_sym(top, name, "function", None, _exported_go(name), GO_BRANCHES))
                if name is not None and name.text() == "main" and facts["package"] == "main":
                    facts["entry"] = True
            elif kind == "method_declaration":
                name = top.field("name")
                recv = top.field("receiver")
                rtype = re.sub(r"[^\w]", " ", recv.text() if recv is not None else "").split()
                owner = rtype[-1] if rtype else ""
                qual = f"{owner}.{name.text()}" if name is not None and owner else None
                symbols.append(
                    _sym(
                        top,
                        name,
                        "method",
                        qual,
                        _exported_go(name) and owner[:1].isupper(),
                        GO_BRANCHES,
                    )
                )
            elif kind in ("type_declaration", "const_declaration", "var_declaration"):
                spec_kind = {
                    "type_declaration": "type_spec",
                    "const_declaration": "const_spec",
                    "var_declaration": "var_spec",
                }[kind]
                for spec in find_kind(top, spec_kind):
                    name = spec.field("name")
                    if kind == "type_declaration":
                        symbols.append(
                            _sym(spec, name, "type", None, _exported_go(name), GO_BRANCHES, top)
                        )
                    elif _exported_go(name):
                        symbols.append(_sym(spec, name, "constant", None, True, GO_BRANCHES, top))
        facts.update(
            symbols=symbols,
            imports=imports,
            exports=[s["qualname"] for s in symbols if s["public"]],
            package_uses=_package_uses(root, symbols, import_names),
        )
    finally:
        del root
    return facts


# Go's predeclared names: never a package's own definition.
_GO_PREDECLARED = frozenset(
    "bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune "
    "string uint uint8 uint16 uint32 uint64 uintptr any comparable true false iota nil "
    "append cap clear close complex copy delete imag len make max min new panic print "
    "println real recover _".split()
)


def _package_uses(
    root: SgNode, symbols: list[dict[str, Any]], import_names: set[str]
) -> dict[str, int]:
    """Unqualified names this file mentions and does not define at top level, counted:
    a Go package's files see each other's names without an import, so the map matches
    these against the names its package's other files define (cobra's `Command`, used in
    every file of cobra, had only the 11 users of package doc). `x.Name` is a field
    identifier in the tree and is not counted here (imports count it), nor is `x` of it
    when `x` is an imported package."""
    own = {s["name"] for s in symbols if "." not in s["qualname"]} | import_names
    counts: Counter[str] = Counter()
    for kind in ("identifier", "type_identifier"):
        counts.update(n.text() for n in find_kind(root, kind))
    return {
        name: n
        for name, n in sorted(counts.items())
        if name not in own and name not in _GO_PREDECLARED
    }


def _exported_go(name: SgNode | None) -> bool:
    return name is not None and name.text()[:1].isupper()


def go_module_path(go_mod_text: str) -> str | None:
    m = GO_MOD_LINE.search(go_mod_text)
    return m.group(1) if m else None
