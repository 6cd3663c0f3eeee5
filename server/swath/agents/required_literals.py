"""Literals a regular expression cannot match without: a cheap prefilter for the redactor.

Python's `re` tries a pattern at every position of the text; a union of the secret
detectors' patterns (lookbehinds, optional brackets and quotes before a keyword) scans at
about 1.5 MB/s. Almost every match of those patterns must contain some literal — `AKIA`,
`hooks.slack.com`, `cloudant` — and `str.find` looks for a literal at memory speed. So
the redactor looks for the literals first and runs a pattern only on the lines that hold
one of its literals.

`required_literals(pattern)` returns a set of strings of which every match contains at
least one, or None when no such set is known (the caller then runs the pattern
on everything, as before). It reads the parse tree of `re`'s own parser, which is internal
to the standard library: anything it does not recognise makes the answer None, so a change
there costs speed, never a missed secret.
"""

from __future__ import annotations

import importlib
import re
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

_p: Any
_c: Any
try:  # Python 3.11+: the parser `re` itself uses (not in typeshed: it is internal)
    _p = importlib.import_module("re._parser")
    _c = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - a Python without it gets no prefilter
    _p = _c = None

# A literal shorter than this is on nearly every line: requiring it would filter nothing.
MIN_USEFUL = 2
_MAX_SET = 64  # more alternatives than this and the finds cost more than the pattern

_NEWLINE = re.compile("\n")
Need = frozenset[str] | None  # None: no literal is required
Fold = Callable[[str], str]


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    if _p is None:
        return None
    try:
        tree = _p.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - an unparsable pattern only loses its prefilter
        return None
    fold = str.casefold if folds(pattern) else str
    try:
        need = _sequence(list(tree), fold)
    except _Unknown:
        return None
    if need is None or min(len(s) for s in need) < MIN_USEFUL or any("\n" in s for s in need):
        return None
    return need


def folds(pattern: re.Pattern[str]) -> bool:
    """Whether the pattern's literals are case-folded (look for them in `text.casefold()`)."""
    return bool(pattern.flags & re.IGNORECASE)


class _Unknown(Exception):
    """A node this module does not model."""


def _better(a: Need, b: Need) -> Need:
    """The more selective of two requirements (both hold, so either may be used)."""
    if a is None:
        return b
    if b is None:
        return a
    return a if (min(map(len, a)), -len(a)) >= (min(map(len, b)), -len(b)) else b


def _sequence(nodes: list[tuple[Any, Any]], fold: Fold) -> Need:
    """What a concatenation requires: its longest run of literal characters, or the most
    selective requirement of any one element."""
    best: Need = None
    run: list[str] = []
    for op, arg in nodes:
        if op is _c.LITERAL:
            run.append(fold(chr(arg)))
            continue
        if op is _c.IN and (one := _one_char(arg, fold)) is not None:  # `[Kk]` when folding
            run.append(one)
            continue
        if run:
            best = _better(best, frozenset({"".join(run)}))
            run = []
        best = _better(best, _node(op, arg, fold))
    if run:
        best = _better(best, frozenset({"".join(run)}))
    return best


def _one_char(items: list[tuple[Any, Any]], fold: Fold) -> str | None:
    """The one character a class stands for, if it stands for one (after folding)."""
    if not items or any(o is not _c.LITERAL for o, _ in items):
        return None
    chars = {fold(chr(a)) for _, a in items}
    return chars.pop() if len(chars) == 1 else None


def _node(op: Any, arg: Any, fold: Fold) -> Need:  # noqa: C901 - one branch per opcode of the parse tree
    if op is _c.SUBPATTERN:
        return _sequence(list(arg[-1]), fold)
    if op is _c.ATOMIC_GROUP:
        return _sequence(list(arg), fold)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, _high, body = arg
        return _sequence(list(body), fold) if low >= 1 else None
    if op is _c.BRANCH:
        out: set[str] = set()
        for alternative in arg[1]:
            need = _sequence(list(alternative), fold)
            if need is None:  # one alternative needs nothing, so the whole needs nothing
                return None
            out |= need
        return frozenset(out) if len(out) <= _MAX_SET else None
    if op in (_c.IN, _c.ANY, _c.NOT_LITERAL, _c.AT, _c.CATEGORY, _c.GROUPREF):
        return None
    if op in (_c.ASSERT, _c.ASSERT_NOT):  # a lookaround consumes nothing of the match
        return None
    raise _Unknown(op)


class Lines:
    """A text's line starts, found once, for any number of literal look-ups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def holding(self, literals: frozenset[str]) -> set[int]:
        """Zero-based numbers of the lines that contain one of `literals` (for a pattern
        that `folds`, build Lines of `text.casefold()`: folding never adds or removes a
        newline, so the line numbers are the text's)."""
        text, starts = self.text, self.starts
        found: set[int] = set()
        for literal in literals:
            at = text.find(literal)
            while at != -1:
                line = bisect_right(starts, at) - 1
                found.add(line)
                # Go on from the next line: one hit per line is all the caller needs.
                nxt = starts[line + 1] if line + 1 < len(starts) else len(text)
                at = text.find(literal, max(nxt, at + 1))
        return found
