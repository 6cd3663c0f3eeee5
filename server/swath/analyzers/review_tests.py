"""The tests pass's own check: public behaviour changed while no test changed.

A public function or method (Python: no leading `_`; Go: capitalised; TS/JS: exported or a
class method) with an added line in its body, in a diff that changes no test file at all,
gets one information finding on its definition line. Definitions come from the ast-grep
tree, which parses every Python version (the interpreter's `ast` does not); in a Python
region the loop rules have parsed already, they are read off that `ast` tree instead, as the
ast-grep tree would give them (see `_python_definitions`).
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import replace

from ast_grep_py import SgNode, SgRoot

from swath.analyzers.review_rules import Hit, rule
from swath.analyzers.sgfacts import find_kind
from swath.findings.model import Severity

UNTESTED_CHANGE = rule(
    "tests",
    "untested-change",
    Severity.information,
    "A public function changed in a diff that changes no test.",
)
KINDS = {
    "python": ("function_definition",),
    "go": ("function_declaration", "method_declaration"),
    "typescript": ("function_declaration", "method_definition"),
    "tsx": ("function_declaration", "method_definition"),
    "javascript": ("function_declaration", "method_definition"),
}
NESTED_IN = {
    "function_definition",
    "function_declaration",
    "method_definition",
    "arrow_function",
    "function_expression",
}


def _public(node: SgNode, language: str, name: str) -> bool:
    if language == "python":
        if name.startswith("_"):
            return False
    elif language == "go":
        return name[:1].isupper()
    else:
        if name.startswith(("_", "#")):
            return False
        if node.kind() == "function_declaration":
            parent = node.parent()
            if parent is None or parent.kind() != "export_statement":
                return False
    p = node.parent()
    while p is not None:  # a function inside a function is an implementation detail
        if p.kind() in NESTED_IN:
            return False
        p = p.parent()
    return True


def untested_hits(
    text: str,
    language: str,
    added: set[int],
    lines: list[str] | None = None,
    spans: list[tuple[int, int, ast.Module]] | None = None,
) -> list[Hit]:
    """`spans`: the top-level regions [a, b) of `lines` holding the added lines and their
    `ast` trees (the loop rules' regions, which parsed): only they are looked at then, not
    the whole file."""
    if spans and lines is not None and language == "python":
        hits: list[Hit] = []
        ordered = sorted(added)
        for a, b, tree in spans:
            defs = _python_definitions(tree, lines, b)
            if defs is not None:
                for name, line, start, end, first, last in defs:
                    k = bisect.bisect_left(ordered, first)  # the first added line from `first` on
                    if k < len(ordered) and ordered[k] <= last:
                        hits.append(_untested(name, line, start, end))
                continue
            part = untested_hits("\n".join(lines[a:b]) + "\n", language, {n - a for n in added})
            hits += [replace(h, line=h.line + a) for h in part]
        return hits
    kinds = KINDS.get(language)
    if not kinds or not added:
        return []
    root = SgRoot(text, language).root()
    hits = []
    try:
        for kind in kinds:
            for node in find_kind(root, kind):
                name_node = node.field("name")
                if name_node is None:
                    continue
                name = name_node.text()
                r = node.range()
                if not any(r.start.line <= n <= r.end.line for n in added):
                    continue
                if not _public(node, language, name):
                    continue
                nr = name_node.range()
                hits.append(_untested(name, nr.start.line, nr.start.column, nr.end.column))
    finally:
        del root
    return hits


def _untested(name: str, line: int, start: int, end: int) -> Hit:
    return Hit(
        UNTESTED_CHANGE.id,
        line,
        start,
        end,
        f"`{name}` changed and no test in this diff did: add or update a test "
        "that pins the new behaviour.",
        anywhere=True,
        data={"symbol": name},
    )


_HOLDS_STATEMENTS = (ast.stmt, ast.excepthandler, ast.match_case)
_DEF = re.compile(r"[ \t]*(?:async[ \t]+)?def[ \t]+")


def _python_definitions(
    tree: ast.Module, lines: list[str], end: int
) -> list[tuple[str, int, int, int, int, int]] | None:
    """(name, line, start and end column of the name, first and last line) of every public
    function of a parsed region ending before line `end`, in the order of the file: what
    ast-grep's `function_definition` nodes give (a `def` nested in a function is not public).

    tree-sitter counts the comments after a function's last statement in the function while
    they are indented at least as its body (`_last_line`); `ast` ends it at that statement.
    None when the two trees may disagree, for ast-grep to decide: a name not right after its
    `def`, a line of a body indented less than the body (in brackets or a string: tree-sitter
    can end the function there), tabs in the indentation of such comments, a one-line body
    followed by comments. Compared on the ~205,000 functions of the standard library and of
    site-packages, the rest agree (tests/analyzers/test_review_python.py compares a sample).
    """
    out: list[tuple[str, int, int, int, int, int]] = []
    todo: list[tuple[ast.AST, bool]] = [(tree, False)]
    stop = min(end, len(lines))
    while todo:
        node, nested = todo.pop()
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # A `def` is a statement: expressions (most of the nodes) hold none.
                if isinstance(child, _HOLDS_STATEMENTS):
                    todo.append((child, nested))
                continue
            first = child.lineno - 1
            m = _DEF.match(lines[first]) if first < len(lines) else None
            if m is None or not lines[first].startswith(child.name, m.end()):
                return None
            last = _last_line(child, lines, stop)
            if last is None:
                return None
            if not nested and not child.name.startswith("_"):
                out.append((child.name, first, m.end(), m.end() + len(child.name), first, last))
            todo.append((child, True))
    return sorted(out, key=lambda d: (d[1], d[2]))


def _last_line(
    func: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str], stop: int
) -> int | None:
    """The function's last line as tree-sitter has it: its last statement's, or the last of
    the comments right after it that are indented at least as its body (blank lines between
    them aside); the first comment indented less closes the function. None: cannot tell."""
    last = (func.end_lineno or func.lineno) - 1
    body = func.body[0].lineno - 1
    indent = func.body[0].col_offset
    if body > func.lineno - 1 and any(
        text.strip() and len(text) - len(text.lstrip()) < indent
        for text in lines[body + 1 : last + 1]
    ):
        # A line of the body indented less than the body (inside brackets, or a string's):
        # tree-sitter's indentation can end the function there (`(a.\nb)` dedented).
        return None
    comments = []
    n = last + 1
    while n < stop:
        text = lines[n].strip()
        if text and not text.startswith("#"):
            break
        if text:
            comments.append(n)
        n += 1
    if not comments:
        return last
    if lines[body][:indent].strip(" ") or not lines[body][:indent].isspace():
        return None  # a body on the line of the signature, or indented with tabs
    for n in comments:
        lead = lines[n][: len(lines[n]) - len(lines[n].lstrip())]
        if lead.strip(" "):
            return None  # tabs or form feeds: tree-sitter's columns are not the text's
        if len(lead) < indent:
            break
        last = n
    return last
