"""Facts about one Python file, read with `ast`: symbols, imports, public API, complexity.

The tree is walked once and dropped: keeping many trees alive makes `ast.parse` itself
several times slower through garbage collection (see the baselines), so only plain
dicts leave this module.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import PurePosixPath
from typing import Any

from swath.analyzers.sourcetext import char_col, line_count, parse_python, split_lines

BRANCH_NODES = (
    ast.If,
    ast.IfExp,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.ExceptHandler,
    ast.comprehension,
    ast.match_case,
)
SIGNATURE_MAX = 160
# "pkg.module" or "pkg.module:attr" in a string: a module loaded by name (registries, entry points).
MODULE_REF = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_][\w.]*)?$")
MAX_REFS = 100
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))


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


def _first_line(doc: str | None) -> str:
    if not doc:
        return ""
    for line in doc.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    t = node.test
    sides = [t.left, *t.comparators]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    t = handler.type
    names = [t] if not isinstance(t, ast.Tuple) else list(t.elts)
    return t is None or any(
        isinstance(n, (ast.Name, ast.Attribute))
        and getattr(n, "id", getattr(n, "attr", ""))
        in ("ImportError", "ModuleNotFoundError", "Exception")
        for n in names
    )


def _signature(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    try:
        sig = f"({ast.unparse(fn.args)})"
        if fn.returns is not None:
            sig += f" -> {ast.unparse(fn.returns)}"
    except Exception:  # unparse of exotic nodes: the name is enough
        return "(…)"
    return sig if len(sig) <= SIGNATURE_MAX else sig[: SIGNATURE_MAX - 1] + "…"


class _Walker(ast.NodeVisitor):
    """One pass over the tree for everything that needs context: every import with where it
    stands (module level or deferred, TYPE_CHECKING, optional), branch counts per function
    and class, and module names quoted in strings. One walk, not one per symbol: walking the
    tree is what mapping a large package spends its time on."""

    def __init__(self, lines: list[str], module: str, is_package: bool) -> None:
        self.lines = lines
        self.module = module
        self.is_package = is_package
        self.out: list[dict[str, Any]] = []
        self.depth = 0
        self.type_checking = 0
        self.optional = 0
        self.total_branches = 0
        self.branches: dict[int, int] = {}  # id(def node) -> branches inside it
        self.open: list[list[int]] = []
        self.refs: set[str] = set()
        self._methods = {
            ast.Import: self.visit_Import,
            ast.ImportFrom: self.visit_ImportFrom,
            ast.If: self.visit_If,
            ast.Try: self.visit_Try,
            ast.FunctionDef: self._definition,
            ast.AsyncFunctionDef: self._definition,
            ast.ClassDef: self._definition,
            ast.Lambda: self._scoped,
        }
        if hasattr(ast, "TryStar"):
            self._methods[ast.TryStar] = self.visit_Try

    def visit(self, node: ast.AST) -> None:
        t = type(node)
        if t in BRANCH_NODES:
            self._add(1)
        elif t is ast.BoolOp:
            self._add(len(node.values) - 1)  # type: ignore[attr-defined]
        elif t is ast.Constant:
            v = node.value  # type: ignore[attr-defined]
            if type(v) is str and "." in v and len(v) < 200 and MODULE_REF.match(v):
                self.refs.add(v.split(":")[0])
        method = self._methods.get(t)
        if method is None:
            self.generic_visit(node)
        else:
            method(node)

    def _add(self, n: int) -> None:
        self.total_branches += n
        for counter in self.open:
            counter[0] += n

    def _definition(self, node: ast.AST) -> None:
        counter = [0]
        self.open.append(counter)
        deferred = not isinstance(node, ast.ClassDef)
        self.depth += deferred
        self.generic_visit(node)
        self.depth -= deferred
        self.open.pop()
        self.branches[id(node)] = counter[0]

    def _text(self, node: ast.stmt) -> str:
        n = node.lineno - 1
        return self.lines[n].strip() if 0 <= n < len(self.lines) else ""

    def _record(self, node: ast.stmt, **kw: Any) -> None:
        self.out.append(
            {
                "line": node.lineno - 1,
                "text": self._text(node),
                "deferred": self.depth > 0,
                "type_checking": self.type_checking > 0,
                "optional": self.optional > 0,
                **kw,
            }
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._record(node, kind="import", module=alias.name, names=[], level=0, resolved=True)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = [a.name for a in node.names]
        if node.level == 0:
            self._record(
                node, kind="from", module=node.module or "", names=names, level=0, resolved=True
            )
            return
        package = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
        up = node.level - 1
        if up >= len(package):  # beyond the top-level package
            self._record(
                node,
                kind="from",
                module="." * node.level + (node.module or ""),
                names=names,
                level=node.level,
                resolved=False,
            )
            return
        base = package[: len(package) - up]
        target = ".".join([*base, *([node.module] if node.module else [])])
        self._record(
            node, kind="from", module=target, names=names, level=node.level, resolved=bool(target)
        )

    def _scoped(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.type_checking += 1
            for s in node.body:
                self.visit(s)
            self.type_checking -= 1
            for s in node.orelse:
                self.visit(s)
            return
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        optional = any(_catches_import_error(h) for h in node.handlers)
        self.optional += optional
        for s in node.body:
            self.visit(s)
        self.optional -= optional
        for s in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(s)


def _all_names(tree: ast.Module) -> list[str] | None:
    names: list[str] | None = None
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets, value = [node.target], node.value
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) or value is None:
            continue
        if isinstance(value, (ast.List, ast.Tuple)):
            found = [
                e.value
                for e in value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
            names = (names or []) + found if isinstance(node, ast.AugAssign) else found
    return names


def _symbol(
    node: ast.AST, kind: str, qualname: str, lines: list[str], walker: _Walker
) -> dict[str, Any]:
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1  # type: ignore[attr-defined]
    end = (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
    line = node.lineno - 1  # type: ignore[attr-defined]
    name = qualname.rsplit(".", 1)[-1]
    text = lines[line] if line < len(lines) else ""
    col = text.find(name, char_col(text, node.col_offset))  # type: ignore[attr-defined]
    sym: dict[str, Any] = {
        "name": name,
        "qualname": qualname,
        "kind": kind,
        "line": line,
        "column": max(col, 0),
        "start": start,
        "end": end,
        "lines": end - start + 1,
        "doc": _first_line(ast.get_docstring(node)),  # type: ignore[arg-type]
        "public": not name.startswith("_") or (name.startswith("__") and name.endswith("__")),
        "branches": walker.branches.get(id(node), 0),
    }
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        sym["signature"] = _signature(node)
        sym["async"] = isinstance(node, ast.AsyncFunctionDef)
        decorators = [ast.unparse(d).split("(")[0] for d in node.decorator_list]
        if decorators:
            sym["decorators"] = decorators
    elif isinstance(node, ast.ClassDef):
        sym["bases"] = [ast.unparse(b) for b in node.bases][:8]
    return sym


def python_facts(path: str, text: str, module: str) -> dict[str, Any]:
    lines = split_lines(text)
    facts: dict[str, Any] = {
        "language": "python",
        "module": module,
        "lines": line_count(lines),
        "code_lines": sum(1 for ln in lines if ln.strip() and not ln.lstrip().startswith("#")),
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
    try:
        tree = parse_python(text, path)
    except (SyntaxError, ValueError) as exc:
        line = max((getattr(exc, "lineno", None) or 1) - 1, 0)
        facts["error"] = {
            "message": getattr(exc, "msg", str(exc)),
            "line": line,
            "column": max((getattr(exc, "offset", None) or 1) - 1, 0),
        }
        return facts
    try:
        facts["docstring"] = _first_line(ast.get_docstring(tree))
        walker = _Walker(lines, module, PurePosixPath(path).stem == "__init__")
        walker.visit(tree)
        facts["branches"] = walker.total_branches
        symbols: list[dict[str, Any]] = []
        top_names: list[str] = []
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                symbols.append(_symbol(node, "class", node.name, lines, walker))
                top_names.append(node.name)
                for sub in node.body:
                    if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        symbols.append(
                            _symbol(sub, "method", f"{node.name}.{sub.name}", lines, walker)
                        )
                    elif isinstance(sub, ast.ClassDef):
                        symbols.append(
                            _symbol(sub, "class", f"{node.name}.{sub.name}", lines, walker)
                        )
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                symbols.append(_symbol(node, "function", node.name, lines, walker))
                top_names.append(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name) and n.id != "__all__":
                            top_names.append(n.id)
            elif _is_main_guard(node):
                facts["entry"] = True
        facts["symbols"] = symbols
        facts["imports"] = walker.out
        declared = _all_names(tree)
        if declared is not None:
            facts["all_declared"] = True
            exports = declared
        else:
            exports = [n for n in top_names if not n.startswith("_")]
            if PurePosixPath(path).stem == "__init__":  # re-exports of a package
                exports += [
                    a
                    for imp in walker.out
                    if imp["level"] > 0 and not imp["deferred"]
                    for a in imp["names"]
                    if a != "*" and not a.startswith("_")
                ]
        facts["exports"] = list(dict.fromkeys(exports))
        facts["string_refs"] = sorted(walker.refs)[:MAX_REFS]
        if PurePosixPath(path).name == "__main__.py" or (lines and lines[0].startswith("#!")):
            facts["entry"] = True
    finally:
        del tree  # drop the tree now: see the module docstring
    return facts


def is_stdlib(module: str) -> bool:
    return module.split(".")[0] in STDLIB
