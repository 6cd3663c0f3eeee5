"""Swath's own Python rules, where ruff has no equivalent: work that grows with a loop
(a string grown with `+=`, a database query per iteration).

The loop around an added line matters, and it is inside the same top-level statement; so
only the top-level statements holding added lines are parsed (most of a file's cost is the
interpreter's parse and walk of code nobody changed). A region is cut at lines that start a
statement at column 0, outside any triple-quoted string; a cut that was wrong (a bracket
left open, `try:` without its `except`) does not parse, and the region widens, then the
whole file is parsed. The interpreter's `ast` only knows its own Python version: a file it
cannot parse is left to ruff's parser (which knows every version) and these two rules skip
it.
"""

from __future__ import annotations

import ast
import bisect
import re

from swath.analyzers.review_rules import Hit, Rule, rule
from swath.analyzers.sourcetext import char_col, parse_python
from swath.findings.model import Severity

STRING_CONCAT_IN_LOOP = rule(
    "performance",
    "string-concat-in-loop",
    Severity.information,
    "A string grown with += inside a loop is quadratic; collect the parts and join them.",
)
QUERY_IN_LOOP = rule(
    "performance", "query-in-loop", Severity.information, "A database query inside a loop (N+1)."
)

SQL_EXEC = {"execute", "executemany", "raw", "read_sql", "read_sql_query", "fetch", "fetchrow"}
DB_RECEIVER = re.compile(r"(?i)(?:^|_)(?:cur|cursor|conn|connection|db|session|engine|tx|txn)$")
SQL_TEXT = re.compile(
    r"(?is)\b(?:select\s.+?\sfrom|insert\s+into|update\s+[\w.\"`\[\]]+\s+set|delete\s+from)\b"
)


# A line that may start a top-level statement: not indented, not a comment or a closing
# bracket, not a clause continuing a compound statement.
TOP_START = re.compile(r"(?!(?:else|elif|except|finally)\b)[^\s#)\]}]")
_NEVER_STARTS = frozenset(("", " ", "\t", "#", ")", "]", "}"))  # first characters TOP_START refuses
_LINE_START = re.compile(r"\n[^ \t#)\]}\n]")  # a line break, then a line that may start one
# A module-level name bound to a string outside the parsed regions (the `+=` rule's seed).
TOP_STR_ASSIGN = re.compile(r"([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*[rRbBuUfF]{0,2}['\"]")
TRIPLE_DQ, TRIPLE_SQ = '"' * 3, "'" * 3
_quote_rx = {q: re.compile(re.escape(q)) for q in (TRIPLE_DQ, TRIPLE_SQ)}
WIDEN = 3  # widenings of a region that does not parse before the whole file is parsed


def _starts(lines: list[str]) -> list[int]:
    """Lines where a top-level statement may start (outside triple-quoted strings).

    A line is judged by the triple quotes on the lines before it (an odd count: inside
    such a string). Most lines are indented: their first character rules them out before
    any regular expression runs, and the few lines with triple quotes are found in the
    joined text, not by testing every line.
    """
    text = "\n".join(lines)
    quotes: dict[int, list[int]] = {}  # line -> triple quotes of each kind on it
    for kind, quote in enumerate((TRIPLE_DQ, TRIPLE_SQ)):
        line, pos = 0, 0
        for m in _quote_rx[quote].finditer(text):
            line += text.count("\n", pos, m.start())
            pos = m.start()
            quotes.setdefault(line, [0, 0])[kind] += 1
    marks = sorted(quotes)
    out = []
    dq = sq = 0  # triple quotes on the lines before the candidate
    k = 0
    for n in _unindented(text, lines):
        if not TOP_START.match(lines[n]):
            continue
        while k < len(marks) and marks[k] < n:
            dq += quotes[marks[k]][0]
            sq += quotes[marks[k]][1]
            k += 1
        if not (dq % 2 or sq % 2):
            out.append(n)
    return out


def _unindented(text: str, lines: list[str]) -> list[int]:
    """The lines whose first character may start a statement (a superset of TOP_START's)."""
    found = [0] if lines and lines[0][:1] not in _NEVER_STARTS else []
    line, pos = 0, 0
    for m in _LINE_START.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        found.append(line + 1)
    return found


def _parse_region(lines: list[str], a: int, b: int, path: str) -> ast.Module | None:
    # Blank lines before the region number it as in the file: cheaper for the tokenizer
    # than ast.increment_lineno's walk over every node afterwards.
    try:
        return parse_python("\n" * a + "\n".join(lines[a:b]) + "\n", path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def regions(
    lines: list[str], added: set[int], path: str, starts: list[int]
) -> list[tuple[int, int, ast.Module]]:
    """The parsed top-level regions [a, b) holding the added lines; [] when a region would
    not parse even widened (the caller parses the whole file then). `starts`: `_starts`."""
    starts = list(starts)
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    bounds = [*starts, len(lines)]
    spans: list[tuple[int, int]] = []  # indexes into `starts`, [lo, hi), one per added run
    for n in sorted(n for n in added if n < len(lines)):
        k = bisect.bisect_right(starts, n) - 1
        if spans and spans[-1][1] > k:
            continue
        if spans and spans[-1][1] == k:
            spans[-1] = (spans[-1][0], k + 1)
        else:
            spans.append((k, k + 1))
    out: list[tuple[int, int, ast.Module]] = []
    for lo, hi in spans:
        for _ in range(WIDEN + 1):
            if out and bounds[lo] < out[-1][1]:  # widened into the previous region: one region
                lo = starts.index(out.pop()[0])
            tree = _parse_region(lines, bounds[lo], bounds[hi], path)
            if tree is not None:
                out.append((bounds[lo], bounds[hi], tree))
                break
            lo, hi = max(lo - 1, 0), min(hi + 1, len(starts))
        else:
            return []
    return out


class _LoopRules(ast.NodeVisitor):
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.hits: list[Hit] = []
        self.loops = [0]  # loop depth per function scope
        self.str_names: list[set[str]] = [set()]

    def _hit(self, rule: Rule, node: ast.AST, message: str) -> None:
        line = node.lineno - 1  # type: ignore[attr-defined]
        text = self.lines[line] if line < len(self.lines) else ""
        start = char_col(text, node.col_offset)  # type: ignore[attr-defined]
        same = getattr(node, "end_lineno", None) == node.lineno  # type: ignore[attr-defined]
        end = char_col(text, node.end_col_offset) if same else len(text)  # type: ignore[attr-defined]
        self.hits.append(Hit(rule.id, line, start, max(end, start), message))

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
                STRING_CONCAT_IN_LOOP,
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
                    QUERY_IN_LOOP,
                    func,
                    f"{func.attr}() inside a loop runs one query per iteration; fetch or write "
                    "in one batch (executemany, IN (...), a join).",
                )
        self.generic_visit(node)


def python_hits(
    path: str,
    text: str,
    lines: list[str],
    added: set[int] | None = None,
    spans: list[tuple[int, int, ast.Module]] | None = None,
) -> list[Hit] | None:
    """The hits (all of the file's with `added` None, else those of the regions holding the
    added lines, at least), or None when the interpreter's parser does not know the syntax.
    `spans`, when given, receives the regions [a, b) parsed and their trees (none: the whole
    file was), for the tests pass to read the definitions off them."""
    rules = _LoopRules(lines)
    starts = _starts(lines) if added else []
    found = regions(lines, added, path, starts) if added else []
    if spans is not None:
        spans.extend(found)
    if found:
        # Module-level string names bound outside the regions still make `+=` quadratic.
        for n in starts:
            m = TOP_STR_ASSIGN.match(lines[n])
            if m and not any(a <= n < b for a, b, _ in found):
                rules.str_names[0].add(m.group(1))
        trees = [t for _, _, t in found]
    else:
        try:
            trees = [parse_python(text, path)]
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    parsed = "\n".join(line for a, b, _ in found for line in lines[a:b]) if found else text
    if not _may_hit(parsed):
        return []  # it parses, but nothing the rules look for is there: no walk needed
    try:
        for tree in trees:
            rules.visit(tree)
    except RecursionError:
        return None
    finally:
        del trees, found
    return rules.hits


def _may_hit(source: str) -> bool:
    """Whether the source parsed holds a `+=` or a name of SQL_EXEC: every hit of the rules
    is on one or the other, so without them the walk over the trees would find nothing."""
    return "+=" in source or any(name in source for name in SQL_EXEC)


# What a function may do with a mutable default without the shared-default bug: read it.
_READ_METHODS = {"get", "copy", "items", "keys", "values", "count", "index", "__contains__"}
_READ_CALLS = {
    "len", "bool", "dict", "list", "set", "tuple", "frozenset", "sorted", "iter",
    "any", "all", "str", "repr", "isinstance", "enumerate", "zip", "reversed", "min", "max",
}  # fmt: skip


def default_only_read(path: str, lines: list[str], line: int) -> bool:
    """Whether every mutable default (`= []`, `= {}`) on `line` of a function's signature is
    used and only read in its body: looked up, iterated, copied, measured. Then the shared default cannot
    leak state from one call into the next (ruff's B006 cannot see that); a default that is
    mutated, stored, returned or handed to another call may."""
    found = regions(lines, {line}, path, _starts(lines))
    if not found:
        return False
    for node in ast.walk(found[0][2]):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        a = node.args
        positional = a.posonlyargs + a.args  # the defaults are those of the last ones
        pairs = list(zip(positional[len(positional) - len(a.defaults) :], a.defaults, strict=True))
        pairs += [(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is not None]
        mutable = [
            arg.arg
            for arg, d in pairs
            if d.lineno - 1 == line and isinstance(d, (ast.List, ast.Dict, ast.Set))
        ]
        if mutable:
            return all(_only_read(node, name) for name in mutable)
    return False


def _only_read(func: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    parents: dict[ast.AST, ast.AST] = {}
    for p in ast.walk(func):
        for c in ast.iter_child_nodes(p):
            parents[c] = p
    reads = 0
    for node in ast.walk(func):
        if not (isinstance(node, ast.Name) and node.id == name):
            continue
        reads += 1
        if not isinstance(node.ctx, ast.Load):
            return False  # rebound or deleted: not worth following
        up = parents.get(node)
        if isinstance(up, ast.Attribute):
            call = parents.get(up)
            if not (isinstance(call, ast.Call) and call.func is up and up.attr in _READ_METHODS):
                return False
        elif isinstance(up, ast.Subscript):
            if not isinstance(up.ctx, ast.Load):
                return False  # `d[k] = v`, `del d[k]`
        elif isinstance(up, ast.Call):
            if not (isinstance(up.func, ast.Name) and up.func.id in _READ_CALLS):
                return False  # handed to a call that may change it
        elif isinstance(up, ast.keyword | ast.Return | ast.Yield | ast.Assign | ast.AugAssign):
            return False  # stored, returned or passed on: it may change elsewhere
        elif isinstance(up, ast.arguments):
            return False  # a nested function's default: shared again
    # A default the body never uses says nothing yet about how it will be used: B006 stays.
    return reads > 0
