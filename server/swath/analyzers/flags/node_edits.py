"""Text edits at ast-grep nodes, for the rewriters that fold checks (Go, Ruby).

ast-grep ranges index the characters of the text it parsed; each edit returns the
new text, and the caller parses it again before the next one (positions move).
"""

from __future__ import annotations

from ast_grep_py import SgNode

from swath.findings.model import Position, Range


def same(a: SgNode | None, b: SgNode) -> bool:
    """The same node of the same parse (ast-grep hands out fresh objects)."""
    if a is None:
        return False
    ra, rb = a.range(), b.range()
    return (ra.start.index, ra.end.index) == (rb.start.index, rb.end.index)


def line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def indent_of(text: str, n: SgNode) -> str:
    """The whitespace before the node on its line (or all of what precedes it there)."""
    start = line_start(text, n.range().start.index)
    line = text[start : n.range().start.index]
    return line if not line.strip() else line[: len(line) - len(line.lstrip())]


def replace(text: str, n: SgNode, new: str) -> str:
    r = n.range()
    return text[: r.start.index] + new + text[r.end.index :]


def replace_lines(text: str, stmt: SgNode, new: str | None) -> str:
    """Replace the statement's whole lines (it starts its line and ends it) with `new`
    (None: delete them)."""
    r = stmt.range()
    start = line_start(text, r.start.index)
    end = text.find("\n", r.end.index)
    end = len(text) if end < 0 else end + 1
    if new is None:
        return text[:start] + text[end:]
    tail = "\n" if end <= len(text) and text[end - 1 : end] == "\n" else ""
    return text[:start] + new.rstrip("\n") + tail + text[end:]


def node_range(n: SgNode) -> Range:
    r = n.range()
    return Range(
        start=Position(line=r.start.line, character=r.start.column),
        end=Position(line=r.end.line, character=r.end.column),
    )
