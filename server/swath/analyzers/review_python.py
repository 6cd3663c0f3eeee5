"""Swath's own Python rules, where ruff has no equivalent: work that grows with a loop.

- `review/performance/string-concat-in-loop`: a string grown with `+=` inside a loop;
- `review/performance/query-in-loop`: a database query inside a loop (N+1 queries).

They read the `ast` of the whole file (the loop around an added line matters). The
interpreter's `ast` only knows its own Python version: a file it cannot parse is left to
ruff's parser (which knows every version) and these two rules skip it.
"""

from __future__ import annotations

import ast
import re

from swath.analyzers.review_rules import Hit
from swath.analyzers.sourcetext import char_col, parse_python

SQL_EXEC = {"execute", "executemany", "raw", "read_sql", "read_sql_query", "fetch", "fetchrow"}
DB_RECEIVER = re.compile(r"(?i)(?:^|_)(?:cur|cursor|conn|connection|db|session|engine|tx|txn)$")
SQL_TEXT = re.compile(
    r"(?is)\b(?:select\s.+?\sfrom|insert\s+into|update\s+[\w.\"`\[\]]+\s+set|delete\s+from)\b"
)


class _LoopRules(ast.NodeVisitor):
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.hits: list[Hit] = []
        self.loops = [0]  # loop depth per function scope
        self.str_names: list[set[str]] = [set()]

    def _hit(self, rule: str, node: ast.AST, message: str) -> None:
        line = node.lineno - 1  # type: ignore[attr-defined]
        text = self.lines[line] if line < len(self.lines) else ""
        start = char_col(text, node.col_offset)  # type: ignore[attr-defined]
        same = getattr(node, "end_lineno", None) == node.lineno  # type: ignore[attr-defined]
        end = char_col(text, node.end_col_offset) if same else len(text)  # type: ignore[attr-defined]
        self.hits.append(Hit(rule, line, start, max(end, start), message))

    def _scope(self, node: ast.AST) -> None:
        self.loops.append(0)
        self.str_names.append(set())
        self.generic_visit(node)
        self.loops.pop()
        self.str_names.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _scope

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While) -> None:
        if isinstance(node, ast.While):
            self.visit(node.test)
        else:
            self.visit(node.target)
            self.visit(node.iter)
        self.loops[-1] += 1
        for stmt in node.body:
            self.visit(stmt)
        self.loops[-1] -= 1
        for stmt in node.orelse:
            self.visit(stmt)

    visit_For = visit_AsyncFor = visit_While = _loop

    def _stringish(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.JoinedStr):
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            return self._stringish(node.left)
        return isinstance(node, ast.Name) and node.id in self.str_names[-1]

    def visit_Assign(self, node: ast.Assign) -> None:
        if self._stringish(node.value) and not self.loops[-1]:
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self.str_names[-1].add(t.id)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if (
            self.loops[-1]
            and isinstance(node.op, ast.Add)
            and isinstance(node.target, ast.Name)
            and node.target.id in self.str_names[-1]
        ):
            self._hit(
                "review/performance/string-concat-in-loop",
                node,
                f"`{node.target.id}` grows by string concatenation inside a loop (quadratic); "
                "append the parts to a list and ''.join() them once.",
            )
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if self.loops[-1] and isinstance(func, ast.Attribute) and func.attr in SQL_EXEC:
            recv = func.value
            name = recv.attr if isinstance(recv, ast.Attribute) else getattr(recv, "id", "")
            first = node.args[0] if node.args else None
            sql = isinstance(first, ast.Constant) and isinstance(first.value, str)
            if DB_RECEIVER.search(name or "") or (sql and SQL_TEXT.search(first.value)):  # type: ignore[union-attr]
                self._hit(
                    "review/performance/query-in-loop",
                    func,
                    f"{func.attr}() inside a loop runs one query per iteration; fetch or write "
                    "in one batch (executemany, IN (...), a join).",
                )
        self.generic_visit(node)


def python_hits(path: str, text: str, lines: list[str]) -> list[Hit] | None:
    """The hits, or None when the interpreter's parser does not know the file's syntax."""
    try:
        tree = parse_python(text, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    rules = _LoopRules(lines)
    try:
        rules.visit(tree)
    except RecursionError:
        return None
    finally:
        del tree
    return rules.hits
