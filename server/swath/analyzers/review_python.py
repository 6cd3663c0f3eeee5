"""diff-review's Python rules, on the `ast` of the whole working-tree file.

The whole file is parsed (context matters: a loop, an `async def`, an import alias), and
every hit carries the line of the exact token that is wrong, so the caller can keep the
hits on added lines only. Names are resolved through the file's imports (`from pickle
import loads as l` makes `l(...)` a `pickle.loads` call).
"""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath
from typing import Any

from swath.analyzers.review_rules import Hit
from swath.analyzers.review_text import secret_hit, secret_like, secret_name
from swath.analyzers.sourcetext import char_col, parse_python
from swath.findings.model import Severity

SUBPROCESS_FUNCS = {
    "run",
    "call",
    "check_call",
    "check_output",
    "Popen",
    "getoutput",
    "getstatusoutput",
}
SHELL_FUNCS = {
    "os.system",
    "os.popen",
    "commands.getoutput",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
}
PICKLE_CALLS = {
    f"{m}.{f}"
    for m in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle")
    for f in ("load", "loads", "Unpickler")
} | {"marshal.load", "marshal.loads", "shelve.open", "pandas.read_pickle", "joblib.load"}
YAML_LOADS = {"yaml.load", "yaml.load_all"}
SAFE_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")
BLOCKING_IN_ASYNC = {
    "time.sleep": "time.sleep() blocks the event loop; use `await asyncio.sleep()`",
    "urllib.request.urlopen": "urlopen() blocks the event loop; use an async HTTP client",
    **{
        f"requests.{m}": f"requests.{m}() blocks the event loop; use an async HTTP client (httpx.AsyncClient, aiohttp)"
        for m in ("get", "post", "put", "patch", "delete", "head", "options", "request")
    },
    **{
        f"subprocess.{m}": f"subprocess.{m}() blocks the event loop; use asyncio.create_subprocess_exec()"
        for m in ("run", "call", "check_call", "check_output")
    },
    "os.system": "os.system() blocks the event loop; use asyncio.create_subprocess_shell()",
}
SQL_EXEC = {
    "execute",
    "executemany",
    "executescript",
    "raw",
    "read_sql",
    "read_sql_query",
    "exec_driver_sql",
    "mogrify",
    "fetch",
    "fetchrow",
    "fetchval",
}
DB_RECEIVER = re.compile(r"(?i)(?:^|_)(?:cur|cursor|conn|connection|db|session|engine|tx|txn)$")
SQL_TEXT = re.compile(
    r"(?is)\b(?:select\s.+?\sfrom|insert\s+into|update\s+[\w.\"`\[\]]+\s+set|delete\s+from|"
    r"create\s+(?:table|index|view)|drop\s+(?:table|index|view)|alter\s+table|replace\s+into|merge\s+into)\b"
)
DEBUGGER_MODULES = {"pdb", "ipdb", "pudb", "pydevd", "debugpy"}
PRINT_OK_PARTS = {"cli", "scripts", "script", "bin", "examples", "example", "tools", "demo", "docs"}


def print_allowed(path: str) -> bool:
    """Where print() is the point: command-line entry points, scripts, examples."""
    p = PurePosixPath(path)
    return (
        p.name in ("__main__.py", "setup.py", "manage.py", "conftest.py")
        or p.stem.startswith("cli")
        or any(part in PRINT_OK_PARTS for part in p.parts[:-1])
    )


class _Scope:
    def __init__(self, is_async: bool) -> None:
        self.is_async = is_async
        self.loop = 0
        self.str_names: set[str] = set()


class PythonReview(ast.NodeVisitor):
    def __init__(self, path: str, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        self.hits: list[Hit] = []
        self.scopes = [_Scope(False)]
        self.aliases: dict[str, str] = {}
        self.sql_seen: set[int] = set()
        self.print_ok = print_allowed(path)

    # -- helpers ----------------------------------------------------------------------------
    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    def _span(self, node: ast.AST) -> tuple[int, int, int]:
        line = node.lineno - 1  # type: ignore[attr-defined]
        text = self.lines[line] if line < len(self.lines) else ""
        start = char_col(text, node.col_offset)  # type: ignore[attr-defined]
        if getattr(node, "end_lineno", None) == node.lineno and node.end_col_offset is not None:  # type: ignore
            end = char_col(text, node.end_col_offset)  # type: ignore[attr-defined]
        else:
            end = len(text)
        return line, start, max(end, start)

    def hit(self, rule: str, node: ast.AST, message: str, severity: Severity | None = None) -> None:
        line, start, end = self._span(node)
        self.hits.append(Hit(rule, line, start, end, message, severity))

    def qualname(self, node: ast.expr) -> str:
        """`a.b.c` with the first name resolved through the file's imports."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return ""
        parts.append(self.aliases.get(node.id, node.id))
        return ".".join(reversed(parts))

    # -- imports --------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if a.asname:
                self.aliases[a.asname] = a.name
            if a.name.split(".")[0] in DEBUGGER_MODULES:
                self.hit(
                    "review/bug/debugger",
                    node,
                    f"`import {a.name}`: a debugger import left in the code.",
                )

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            for a in node.names:
                self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            if node.module.split(".")[0] in DEBUGGER_MODULES:
                self.hit(
                    "review/bug/debugger",
                    node,
                    f"`from {node.module} import …`: a debugger import left in the code.",
                )

    # -- scopes and loops -------------------------------------------------------------------------
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            if self._mutable(default):
                self.hit(
                    "review/bug/mutable-default",
                    default,
                    "Mutable default argument: it is created once and shared by every call; default to None "
                    "and create it inside.",
                )
        for d in getattr(node, "decorator_list", []):
            self.visit(d)
        for d in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(d)
        self.scopes.append(_Scope(isinstance(node, ast.AsyncFunctionDef)))
        body = node.body if isinstance(node.body, list) else [node.body]
        for stmt in body:
            self.visit(stmt)
        self.scopes.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scopes.append(_Scope(False))
        self.generic_visit(node)
        self.scopes.pop()

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While) -> None:
        if isinstance(node, ast.While):
            self.visit(node.test)
        else:
            self.visit(node.target)
            self.visit(node.iter)
        self.scope.loop += 1
        for stmt in node.body:
            self.visit(stmt)
        self.scope.loop -= 1
        for stmt in node.orelse:
            self.visit(stmt)

    visit_For = visit_AsyncFor = visit_While = _loop  # type: ignore[assignment]

    @staticmethod
    def _mutable(node: ast.expr) -> bool:
        if isinstance(node, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)):
            return True
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Name, ast.Attribute))
            and (getattr(node.func, "id", None) or getattr(node.func, "attr", None))
            in (
                "list",
                "dict",
                "set",
                "defaultdict",
                "OrderedDict",
                "deque",
                "Counter",
                "bytearray",
            )
        )

    # -- strings -----------------------------------------------------------------------------------
    def _stringish(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.JoinedStr):
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            return self._stringish(node.left)
        if isinstance(node, ast.Call):
            return (isinstance(node.func, ast.Name) and node.func.id == "str") or (
                isinstance(node.func, ast.Attribute)
                and node.func.attr in ("join", "format")
                and isinstance(node.func.value, ast.Constant)
                and isinstance(node.func.value.value, str)
            )
        return isinstance(node, ast.Name) and node.id in self.scope.str_names

    @staticmethod
    def _literal_text(node: ast.expr) -> tuple[str, bool]:
        """The literal text of a string-building expression and whether any part is not literal."""
        if isinstance(node, ast.Constant):
            return (node.value, False) if isinstance(node.value, str) else ("", True)
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            return text, any(isinstance(v, ast.FormattedValue) for v in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            left, ldyn = PythonReview._literal_text(node.left)
            if isinstance(node.op, ast.Mod):
                return left, True
            right, rdyn = PythonReview._literal_text(node.right)
            return left + " " + right, ldyn or rdyn
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)
            and isinstance(node.func.value.value, str)
        ):
            return node.func.value.value, bool(node.args or node.keywords)
        return "", True

    def _formatted_sql(self, node: ast.expr) -> bool:
        if not isinstance(node, (ast.JoinedStr, ast.BinOp, ast.Call)):
            return False
        text, dynamic = self._literal_text(node)
        return dynamic and bool(text) and bool(SQL_TEXT.search(text))

    def _mark_sql(self, node: ast.AST) -> None:
        for sub in ast.walk(node):
            self.sql_seen.add(id(sub))

    def _sql_expr(self, node: ast.expr) -> None:
        if id(node) in self.sql_seen or not self._formatted_sql(node):
            return
        self._mark_sql(node)
        self.hit(
            "review/security/sql-format",
            node,
            "SQL built by string formatting; pass the values as bound parameters instead.",
        )

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._sql_expr(node)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, (ast.Add, ast.Mod)):
            self._sql_expr(node)
        self.generic_visit(node)

    # -- assignments ---------------------------------------------------------------------------------
    def _secret_assignment(self, name: str, value: ast.expr | None) -> None:
        if not (
            isinstance(value, ast.Constant) and isinstance(value.value, str)
        ) or not secret_name(name):
            return
        if not secret_like(value.value):
            return
        line, start, end = self._span(value)
        text = self.lines[line] if line < len(self.lines) else ""
        if value.end_lineno != value.lineno:
            return
        # Skip the opening quote (and any prefix letters) to point at the value itself.
        inner = text.find(value.value[:8], start)
        inner = inner if inner >= 0 else start
        self.hits.append(
            secret_hit(line, text, inner, inner + len(value.value), "secret", Severity.error, name)
        )

    @staticmethod
    def _target_name(t: ast.expr) -> str | None:
        if isinstance(t, ast.Name):
            return t.id
        if isinstance(t, ast.Attribute):
            return t.attr
        if (
            isinstance(t, ast.Subscript)
            and isinstance(t.slice, ast.Constant)
            and isinstance(t.slice.value, str)
        ):
            return t.slice.value
        return None

    def visit_Assign(self, node: ast.Assign) -> None:
        for t in node.targets:
            name = self._target_name(t)
            if name:
                self._secret_assignment(name, node.value)
            if isinstance(t, ast.Name):
                concat = (
                    isinstance(node.value, ast.BinOp)
                    and isinstance(node.value.op, ast.Add)
                    and isinstance(node.value.left, ast.Name)
                    and node.value.left.id == t.id
                )
                if concat and self.scope.loop and t.id in self.scope.str_names:
                    self._concat_hit(node, t.id)
                if self._stringish(node.value):
                    self.scope.str_names.add(t.id)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        name = self._target_name(node.target)
        if name:
            self._secret_assignment(name, node.value)
        if (
            isinstance(node.target, ast.Name)
            and node.value is not None
            and self._stringish(node.value)
        ):
            self.scope.str_names.add(node.target.id)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if (
            self.scope.loop
            and isinstance(node.op, ast.Add)
            and isinstance(node.target, ast.Name)
            and (node.target.id in self.scope.str_names or self._stringish(node.value))
        ):
            self._concat_hit(node, node.target.id)
        self.generic_visit(node)

    def _concat_hit(self, node: ast.stmt, name: str) -> None:
        self.hit(
            "review/perf/string-concat-in-loop",
            node,
            f"`{name}` grows by string concatenation inside a loop (quadratic); append the parts to a list "
            "and ''.join() them once.",
        )

    def visit_Dict(self, node: ast.Dict) -> None:
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant) and isinstance(k.value, str):
                self._secret_assignment(k.value, v)
        self.generic_visit(node)

    # -- calls ------------------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        q = self.qualname(node.func)
        short = q.rsplit(".", 1)[-1]
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            self._sql_expr(node)
        for kw in node.keywords:
            if kw.arg:
                self._secret_assignment(kw.arg, kw.value)
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in ("eval", "exec")
            and q in ("eval", "exec")
        ):
            literal = bool(node.args) and isinstance(node.args[0], ast.Constant)
            if not literal:
                self.hit(
                    "review/security/eval",
                    node.func,
                    f"{node.func.id}() of a value built at run time runs whatever code it holds; parse the "
                    "data instead (ast.literal_eval, json) or dispatch on known names.",
                )
        elif q == "breakpoint" or short == "set_trace" or q in ("pdb.run", "pdb.post_mortem"):
            self.hit(
                "review/bug/debugger", node.func, f"`{q}()` left in the code: it stops the program."
            )
        elif (
            q == "print" and not self.print_ok and not any(kw.arg == "file" for kw in node.keywords)
        ):
            self.hit(
                "review/bug/leftover-print",
                node.func,
                "print() in library code: use logging, or remove it if it was for debugging.",
            )
        self._shell(node, q, short)
        if q in PICKLE_CALLS:
            self.hit(
                "review/security/pickle",
                node.func,
                f"{q}() runs code embedded in the data; never use it on data that may come from outside.",
            )
        if q in YAML_LOADS or q == "yaml.unsafe_load":
            self._yaml(node, q)
        if short in SQL_EXEC and isinstance(node.func, ast.Attribute) and node.args:
            first = node.args[0]
            if id(first) not in self.sql_seen and self._formatted_sql(first):
                self._mark_sql(first)
                self.hit(
                    "review/security/sql-format",
                    first,
                    f"SQL built by string formatting and passed to {short}(): an injection risk; pass the "
                    "values as bound parameters.",
                    Severity.error,
                )
            if self.scope.loop and self._is_query(node):
                self.hit(
                    "review/perf/query-in-loop",
                    node.func,
                    f"{short}() inside a loop runs one query per iteration; fetch or write in one batch.",
                )
        if self.scope.is_async and q in BLOCKING_IN_ASYNC:
            self.hit("review/perf/blocking-call-in-async", node.func, BLOCKING_IN_ASYNC[q] + ".")
        if q in ("any", "all") and len(node.args) == 1 and isinstance(node.args[0], ast.ListComp):
            self.hit(
                "review/perf/any-all-list",
                node.args[0],
                f"{q}() over a list comprehension builds the whole list; drop the brackets to short-circuit.",
            )
        self.generic_visit(node)

    def _shell(self, node: ast.Call, q: str, short: str) -> None:
        shell_kw = next((kw for kw in node.keywords if kw.arg == "shell"), None)
        shell = shell_kw.value if shell_kw is not None else None
        first = (
            node.args[0]
            if node.args
            else next((kw.value for kw in node.keywords if kw.arg in ("args", "cmd")), None)
        )
        built = first is not None and not isinstance(first, (ast.Constant, ast.List, ast.Tuple))
        interpolated = first is not None and isinstance(first, (ast.JoinedStr, ast.BinOp, ast.Call))
        if (
            isinstance(shell, ast.Constant)
            and shell.value is True
            and short in SUBPROCESS_FUNCS
            and (q.startswith("subprocess.") or q in SUBPROCESS_FUNCS)
        ):
            self.hit(
                "review/security/subprocess-shell",
                shell_kw,  # type: ignore[arg-type]
                "shell=True runs the command through /bin/sh"
                + (
                    "; it is built from variables, so this is a shell injection: pass a list of arguments "
                    "without shell=True"
                    if built
                    else "; pass a list of arguments instead"
                ),
                Severity.error if interpolated else None,
            )
        elif q in SHELL_FUNCS and built:
            self.hit(
                "review/security/subprocess-shell",
                node.func,
                f"{q}() runs a command built at run time through the shell; use subprocess.run([...]) "
                "with a list of arguments.",
                Severity.error if interpolated else None,
            )

    def _yaml(self, node: ast.Call, q: str) -> None:
        loader = next((kw.value for kw in node.keywords if kw.arg == "Loader"), None)
        if loader is None and len(node.args) > 1:
            loader = node.args[1]
        if (
            q != "yaml.unsafe_load"
            and loader is not None
            and self.qualname(loader).endswith(SAFE_LOADERS)
        ):
            return
        why = (
            "without a Loader"
            if loader is None and q != "yaml.unsafe_load"
            else "with an unsafe loader"
        )
        self.hit(
            "review/security/yaml-load",
            node.func,
            f"{q}() {why} can build arbitrary Python objects from the document; use yaml.safe_load().",
        )

    def _is_query(self, node: ast.Call) -> bool:
        recv = node.func.value if isinstance(node.func, ast.Attribute) else None
        name = self.qualname(recv).rsplit(".", 1)[-1] if recv is not None else ""
        if DB_RECEIVER.search(name):
            return True
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return bool(SQL_TEXT.search(first.value))
        return first is not None and self._formatted_sql(first)

    # -- statements ---------------------------------------------------------------------------------------
    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is None:
            line, start, _ = self._span(node)
            self.hits.append(
                Hit(
                    "review/bug/bare-except",
                    line,
                    start,
                    start + len("except"),
                    "Bare `except:` also catches KeyboardInterrupt and SystemExit; catch `Exception` "
                    "(or the errors you expect).",
                )
            )
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        if isinstance(node.test, ast.Tuple) and node.test.elts:
            self.hit(
                "review/bug/assert-tuple",
                node,
                "assert on a tuple is always true; write `assert cond, message` without the parentheses.",
            )
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:]):
            pair = (left, right)
            if isinstance(op, (ast.Eq, ast.NotEq)) and any(
                isinstance(x, ast.Constant) and x.value is None for x in pair
            ):
                word = "is" if isinstance(op, ast.Eq) else "is not"
                self.hit(
                    "review/bug/none-comparison",
                    node,
                    f"Comparison to None with {'==' if word == 'is' else '!='}; use `{word} None` (== can be "
                    "overridden and is slower).",
                )
            if isinstance(op, (ast.Is, ast.IsNot)) and any(
                isinstance(x, ast.Constant)
                and isinstance(x.value, (str, bytes, int, float, complex))
                and not isinstance(x.value, bool)
                for x in pair
            ):
                self.hit(
                    "review/bug/is-literal",
                    node,
                    "`is` compares identity: with a literal it depends on interning; use == / !=.",
                )
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        for stmt in node.finalbody:
            for bad in _escapes(stmt, in_loop=False):
                kind = type(bad).__name__.lower()
                self.hit(
                    "review/bug/return-in-finally",
                    bad,
                    f"`{kind}` in `finally` discards any exception being raised; move it after the try.",
                )
        self.generic_visit(node)

    visit_TryStar = visit_Try  # type: ignore[assignment]


def _escapes(node: ast.AST, in_loop: bool) -> list[ast.stmt]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
        return []
    if isinstance(node, ast.Return) or (
        isinstance(node, (ast.Break, ast.Continue)) and not in_loop
    ):
        return [node]
    loop = in_loop or isinstance(node, (ast.For, ast.AsyncFor, ast.While))
    out: list[ast.stmt] = []
    for child in ast.iter_child_nodes(node):
        out += _escapes(child, loop)
    return out


def python_hits(path: str, text: str, lines: list[str]) -> tuple[list[Hit], dict[str, Any] | None]:
    """Every hit in the file, and the syntax error if it does not parse."""
    try:
        tree = parse_python(text, path)
    except (SyntaxError, ValueError) as exc:
        line = max((getattr(exc, "lineno", None) or 1) - 1, 0)
        return [], {"message": getattr(exc, "msg", str(exc)), "line": line}
    review = PythonReview(path, lines)
    try:
        review.visit(tree)
    finally:
        del tree
    return review.hits, None
