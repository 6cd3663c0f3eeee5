"""Facts about one Python file: symbols, imports, public API, complexity.

Most files are read by the lexer pass (`pyscan`), which gives these facts without a
parse. A file that pass is unsure of is read here with tree-sitter: one parse, and the
nodes the map needs (the imports, the definitions, the branch points) reached without
visiting the whole tree (`pynodes`), the rest read from the few nodes found.
tree-sitter, not `ast`: it parses a large package about twice as fast, builds no Python
object per node, and has no recursion limit (a valid file of deeply nested expressions
that CPython's own `ast` module refuses is mapped like any other). A tree with error
nodes is confirmed with `compile()`, which gives CPython's message and position; a file
CPython accepts is mapped from the tree as it is.
"""

from __future__ import annotations

import re
import sys
import warnings
from bisect import bisect_left
from collections import Counter
from pathlib import PurePosixPath
from typing import Any

import tree_sitter as ts
import tree_sitter_python

from swath.analyzers.nameuses import count_names
from swath.analyzers.pynodes import definition_nodes, keyword_nodes
from swath.analyzers.pyscan import scan
from swath.analyzers.sourcetext import char_col, first_sentence, line_count, split_lines

LANGUAGE = ts.Language(tree_sitter_python.language())
_PARSER = ts.Parser(LANGUAGE)
SIGNATURE_MAX = 160
# "pkg.module" or "pkg.module:attr" in a string: one pattern per opening quote: a pattern that opens with one literal
# character is searched for in C at memchr speed, one opening with a set of two is tried
# at every character (sympy: 0.17 -> 0.04 s).
_REF = r"""([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?::[A-Za-z_][\w.]*)?["']"""
_REF_DQ = re.compile('"' + _REF)
_REF_SQ = re.compile("'" + _REF)
# A blank or comment-only line, at the line break before it.
_NONCODE = re.compile(r"\n[ \t\r\x0b\x0c\x1c-\x1f]*+(?=#|\n|\Z)")
MAX_REFS = 100
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))
_PATTERNS = ("pattern_list", "tuple_pattern", "list_pattern", "parenthesized_expression")
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def module_name(path: str, exists: Any, root_name: str = "") -> tuple[str, list[str]]:
    """Dotted module name of `path`, the way Python would import it.

    The module's top is the highest folder holding an `__init__.py`; folders between it
    and the file that have none are namespace portions inside the package (PEP 420), as
    Python finds them. `exists(rel)` answers for a workspace-relative path; the
    `__init__.py` paths asked about are returned too (they join the cache key: adding one
    changes the name). When the workspace root itself holds an `__init__.py`, `root_name`
    (its folder's name) is the top package.
    """
    p = PurePosixPath(path)
    folders = [f for f in p.parents if str(f) not in ("", ".")]  # nearest first
    asked = [(f / "__init__.py").as_posix() for f in folders] + ["__init__.py"]
    top = -1
    for n, init in enumerate(asked[:-1]):
        if exists(init):
            top = n
    parts = [] if p.stem == "__init__" else [p.stem]
    if top >= 0:
        parts = [f.name for f in reversed(folders[: top + 1])] + parts
        if top == len(folders) - 1 and root_name and exists("__init__.py"):
            parts.insert(0, root_name)
    elif root_name and exists("__init__.py") and not folders:
        parts.insert(0, root_name)
    if not parts:  # a top-level __init__.py outside any package
        parts = [p.parent.name or p.stem]
    return ".".join(parts), asked


def importable(module: str) -> bool:
    """Whether every part of a dotted name is an identifier (`my-tools.x` is not importable)."""
    return all(part.isidentifier() for part in module.split("."))


def is_stdlib(module: str) -> bool:
    return module.split(".")[0] in STDLIB


def _text(node: ts.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _docstring(body: ts.Node | None) -> str:
    """The first line of the docstring that opens `body` (a block or the module)."""
    # comments before it are no statements (a licence header, a shebang, a coding line)
    first = next((c for c in body.named_children if c.type != "comment"), None) if body else None
    if first is None:
        return ""
    if first.type != "expression_statement" or not first.named_children:
        return ""
    string = first.named_children[0]
    if string.type != "string":
        return ""
    content = [c for c in string.named_children if c.type == "string_content"]
    return first_sentence(_text(content[0])) if content else ""


def _context(node: ts.Node) -> tuple[bool, bool, bool]:
    """(deferred, type_checking, optional) of an import: where it stands in the tree."""
    deferred = type_checking = optional = False
    child, parent = node, node.parent
    while parent is not None and parent.type != "module":
        kind = parent.type
        if kind in ("function_definition", "lambda"):
            deferred = True
        elif kind == "if_statement" and child == parent.child_by_field_name("consequence"):
            cond = _text(parent.child_by_field_name("condition"))
            if cond in ("TYPE_CHECKING", "typing.TYPE_CHECKING", "t.TYPE_CHECKING"):
                type_checking = True
        elif kind == "try_statement" and child == parent.child_by_field_name("body"):
            for handler in parent.named_children:
                if handler.type != "except_clause":
                    continue
                caught = set(re.findall(r"\w+", _text(handler).split(":", 1)[0])) - {"except"}
                if not caught or caught & _IMPORT_ERRORS:
                    optional = True
        child, parent = parent, parent.parent
    return deferred, type_checking, optional


class _Imports:
    """Every import with where it stands."""

    def __init__(self, lines: list[str], module: str, is_package: bool) -> None:
        self.lines = lines
        self.package = module.split(".") if is_package else module.split(".")[:-1]
        self.out: list[dict[str, Any]] = []

    def _record(self, node: ts.Node, **kw: Any) -> None:
        line = node.start_point.row
        deferred, type_checking, optional = (
            (False, False, False) if node.parent.type == "module" else _context(node)
        )
        self.out.append(
            {
                "line": line,
                "text": self.lines[line].strip() if line < len(self.lines) else "",
                "deferred": deferred,
                "type_checking": type_checking,
                "optional": optional,
                **kw,
            }
        )

    def plain(self, node: ts.Node) -> None:
        for name in node.children_by_field_name("name"):
            if name.type == "aliased_import":
                name = name.child_by_field_name("name")
            module = _text(name)
            self._record(node, kind="import", module=module, names=[], level=0, resolved=True)

    def from_(self, node: ts.Node) -> None:
        source = node.child_by_field_name("module_name")
        names = []
        aliases: dict[str, str] = {}
        for name in node.children_by_field_name("name"):
            if name.type == "aliased_import":
                alias = _text(name.child_by_field_name("alias"))
                name = name.child_by_field_name("name")
                aliases[_text(name)] = alias
            names.append(_text(name))
        extra = {"aliases": aliases} if aliases else {}
        if any(c.type == "wildcard_import" for c in node.children):
            names.append("*")
        if source is not None and source.type == "relative_import":
            prefix = next((c for c in source.children if c.type == "import_prefix"), None)
            level = len(_text(prefix))
            dotted = next((c for c in source.children if c.type == "dotted_name"), None)
            rest = _text(dotted)
            up = level - 1
            if up >= len(self.package):  # beyond the top-level package
                self._record(
                    node,
                    kind="from",
                    module="." * level + rest,
                    names=names,
                    level=level,
                    resolved=False,
                    **extra,
                )
                return
            target = ".".join([*self.package[: len(self.package) - up], *([rest] if rest else [])])
            self._record(
                node,
                kind="from",
                module=target,
                names=names,
                level=level,
                resolved=bool(target),
                **extra,
            )
        else:
            target = _text(source)
            self._record(
                node, kind="from", module=target, names=names, level=0, resolved=True, **extra
            )


def _signature(node: ts.Node) -> str:
    sig = _text(node.child_by_field_name("parameters"))
    returns = node.child_by_field_name("return_type")
    if returns is not None:
        sig += " -> " + _text(returns)
    sig = " ".join(sig.split())
    return sig if len(sig) <= SIGNATURE_MAX else sig[: SIGNATURE_MAX - 1] + "…"


def _symbol(
    node: ts.Node, outer: ts.Node, kind: str, qualname: str, lines: list[str], branches: list[int]
) -> dict[str, Any]:
    name_node = node.child_by_field_name("name")
    name = qualname.rsplit(".", 1)[-1]
    line, byte_col = name_node.start_point if name_node is not None else node.start_point
    text = lines[line] if line < len(lines) else ""
    start, end = outer.start_point.row, node.end_point.row
    sym: dict[str, Any] = {
        "name": name,
        "qualname": qualname,
        "kind": kind,
        "line": line,
        "column": char_col(text, byte_col),
        "start": start,
        "end": end,
        "lines": end - start + 1,
        "doc": _docstring(node.child_by_field_name("body")),
        "public": not name.startswith("_") or (name.startswith("__") and name.endswith("__")),
        "branches": bisect_left(branches, node.end_byte) - bisect_left(branches, node.start_byte),
    }
    if node.type == "function_definition":
        sym["signature"] = _signature(node)
        sym["async"] = bool(node.children) and node.children[0].type == "async"
        if outer is not node:
            sym["decorators"] = [
                _text(d).lstrip("@").split("(")[0].strip()
                for d in outer.named_children
                if d.type == "decorator"
            ]
    else:
        bases = node.child_by_field_name("superclasses")
        sym["bases"] = [_text(b) for b in (bases.named_children if bases is not None else [])][:8]
    return sym


def _definitions(
    defs: list[ts.Node], lines: list[str], branches: list[int]
) -> list[dict[str, Any]]:
    """Top-level classes and functions, the methods and classes of top-level classes."""
    found: list[tuple[int, dict[str, Any]]] = []
    for node in defs:
        outer = node.parent if node.parent.type == "decorated_definition" else node
        holder = outer.parent
        kind = "class" if node.type == "class_definition" else "function"
        name = _text(node.child_by_field_name("name"))
        if holder.type == "module":
            found.append((node.start_byte, _symbol(node, outer, kind, name, lines, branches)))
            continue
        owner = holder.parent if holder.type == "block" else None
        if owner is None or owner.type != "class_definition":
            continue
        owner_outer = owner.parent if owner.parent.type == "decorated_definition" else owner
        if owner_outer.parent.type != "module":
            continue
        qual = f"{_text(owner.child_by_field_name('name'))}.{name}"
        kind = "method" if kind == "function" else kind
        found.append((node.start_byte, _symbol(node, outer, kind, qual, lines, branches)))
    found.sort(key=lambda p: p[0])
    return [s for _, s in found]


def _strings(node: ts.Node | None) -> list[str]:
    if node is None or node.type not in ("list", "tuple"):
        return []
    out = []
    for e in node.named_children:
        if e.type == "string":
            content = [c for c in e.named_children if c.type == "string_content"]
            out.append(_text(content[0]) if content else "")
    return out


def _top_level(root: ts.Node, facts: dict[str, Any]) -> tuple[list[str], list[str] | None]:
    """Names bound at module level, `__all__` when declared, and the `__main__` guard."""
    names: list[str] = []
    declared: list[str] | None = None
    for stmt in root.named_children:
        kind = stmt.type
        if kind == "expression_statement" and stmt.named_children:
            expr = stmt.named_children[0]
            if expr.type not in ("assignment", "augmented_assignment"):
                continue
            left = expr.child_by_field_name("left")
            if left is None:
                continue
            if _text(left) == "__all__":
                found = _strings(expr.child_by_field_name("right"))
                if expr.type == "augmented_assignment":
                    declared = (declared or []) + found
                else:
                    declared = found
                continue
            if expr.type == "assignment":  # `a.b = …` and `a[k] = …` bind no module name
                if left.type == "identifier":
                    names.append(_text(left))
                elif left.type in _PATTERNS:
                    names += [_text(n) for n in left.named_children if n.type == "identifier"]
        elif kind in ("function_definition", "class_definition", "decorated_definition"):
            node = (
                stmt.child_by_field_name("definition") if kind == "decorated_definition" else stmt
            )
            if node is not None:
                names.append(_text(node.child_by_field_name("name")))
        elif kind == "if_statement":
            cond = _text(stmt.child_by_field_name("condition")).replace("'", '"')
            if "__name__" in cond and '"__main__"' in cond:
                facts["entry"] = True
    return names, declared


def _syntax_error(text: str, path: str) -> dict[str, Any] | None:
    """CPython's verdict on a file tree-sitter found errors in: its message, or None if valid."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "\d" in a string warns; -W error would raise
            compile(text, path, "exec", dont_inherit=True, flags=0x400)  # PyCF_ONLY_AST
    except SyntaxError as exc:
        return {
            "message": exc.msg,
            "line": max((exc.lineno or 1) - 1, 0),
            "column": max((exc.offset or 1) - 1, 0),
        }
    except (RecursionError, MemoryError, ValueError):
        return None  # CPython cannot say; the tree-sitter map stands
    return None


def _count_uses(text: str, imports: list[dict[str, Any]]) -> None:
    """Each from-import's `uses`: how often the file mentions each name it imports."""
    local: list[str] = []
    for imp in imports:
        if imp["kind"] == "from":
            aliases = imp.get("aliases") or {}
            local += [aliases.get(n, n) for n in imp["names"] if n != "*"]
    if not local:
        return
    in_imports: Counter[str] = Counter(local)
    counts = count_names(text, local, in_imports)
    for imp in imports:
        if imp["kind"] != "from":
            continue
        aliases = imp.get("aliases") or {}
        uses = {a: counts[a] for n in imp["names"] if (a := aliases.get(n, n)) in counts}
        if uses:
            imp["uses"] = uses


def _code_lines(text: str, lines: list[str]) -> int:
    """Lines that are neither blank nor only a comment."""
    if text.isascii() and "\r" not in text:  # the breaks are \n alone, the blanks ASCII
        return text.count("\n") + 1 - len(_NONCODE.findall("\n" + text))
    return sum(1 for ln in lines if ln.strip() and not ln.lstrip().startswith("#"))


def _tree_facts(
    path: str, text: str, lines: list[str], module: str, is_package: bool
) -> dict[str, Any]:
    """What `pyscan.scan` gives, read from a tree-sitter parse; {"error": …} for a syntax error."""
    data = text.encode("utf-8", "surrogatepass")
    tree = _PARSER.parse(data)
    root = tree.root_node
    if root.has_error:
        err = _syntax_error(text, path)
        if err is not None:
            return {"error": err}
    branches, import_nodes = keyword_nodes(data, root)
    imports = _Imports(lines, module, is_package)
    for node in import_nodes:
        if node.type == "import_statement":
            imports.plain(node)
        else:
            imports.from_(node)
    guard: dict[str, Any] = {}
    top_names, declared = _top_level(root, guard)
    return {
        "docstring": _docstring(root),
        "symbols": _definitions(definition_nodes(root), lines, branches),
        "imports": imports.out,
        "branches": len(branches),
        "top_level": (top_names, declared, bool(guard.get("entry"))),
    }


def python_facts(
    path: str, text: str, module: str, tree: bool = False, lines: list[str] | None = None
) -> dict[str, Any]:
    """The facts of one Python file: from the lexer pass (`pyscan`), from tree-sitter where
    that pass is unsure (or `tree`). `lines`: `split_lines(text)` where the caller has it."""
    if lines is None:
        lines = split_lines(text)
    stem = PurePosixPath(path).stem
    facts: dict[str, Any] = {
        "language": "python",
        "module": module,
        "lines": line_count(lines),
        "code_lines": _code_lines(text, lines),
        "docstring": "",
        "symbols": [],
        "imports": [],
        "exports": [],
        "all_declared": False,
        "entry": False,
        "branches": 0,
        "error": None,
        "string_refs": [],
    }
    found = None if tree else scan(text, lines, module, stem == "__init__")
    if found is None:
        found = _tree_facts(path, text, lines, module, stem == "__init__")
        if "error" in found:
            facts["error"] = found["error"]
            return facts
    top_names, declared, entry = found["top_level"]
    facts["docstring"] = found["docstring"]
    facts["branches"] = found["branches"]
    facts["symbols"] = found["symbols"]
    facts["imports"] = imports = found["imports"]
    facts["entry"] = entry
    _count_uses(text, imports)
    if declared is not None:
        facts["all_declared"] = True
        exports = declared
    else:
        exports = [n for n in top_names if n and not n.startswith("_")]
        if stem == "__init__":  # re-exports of a package
            exports += [
                a
                for imp in imports
                if imp["level"] > 0 and not imp["deferred"]
                for a in imp["names"]
                if a != "*" and not a.startswith("_")
            ]
    facts["exports"] = list(dict.fromkeys(exports))
    refs = {m for m in _REF_DQ.findall(text) + _REF_SQ.findall(text) if len(m) < 200}
    facts["string_refs"] = sorted(refs)[:MAX_REFS]
    if PurePosixPath(path).name == "__main__.py" or (lines and lines[0].startswith("#!")):
        facts["entry"] = True
    return facts
