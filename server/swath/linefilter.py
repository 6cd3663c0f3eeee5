"""Which of several regular expressions could match which lines, found in one linear pass.

Python's `re` tries a pattern at every position of a text; a union of the secret detectors'
patterns (lookbehinds, optional quotes before a keyword) scans at about 1.5 MB/s, and running
each detector on each line costs more still. Here each filter (a named set of patterns) is
translated once to RE2 — an automaton, linear in the text — and all of them run together
over the lines joined; a caller then runs its real, Python, patterns only on the lines their
filter matched. Both secret scanners use it: the review's detect-secrets plugins
(`analyzers/review_secret_lines.py`) and the redactor in front of every model request
(`agents/redaction.py`).

The filter never hides a line the real pattern would match on that line alone:

- each pattern is made *wider*, never narrower: its lookarounds are dropped (a
  lookaround only ever rules matches out), `^`/`$` become line anchors as they are on a
  line alone, `\\A`/`\\Z` become `^`/`$`;
- a match on the joined text touches every line that has a match alone (a match of the
  line either starts a match of the scan or lies inside one that covers it);
- only lines of printable ASCII (and tabs) are filtered, where Python's and RE2's `\\w`,
  `\\s`, `\\d` and case folding agree; any other line goes to every filter;
- a pattern that does not translate (backreferences, verbose layout, syntax RE2 lacks) or
  that can match the empty string leaves its filter None: run on every line.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from itertools import accumulate

import re2

LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
QUANTIFIER = "*+?{"
BOUNDS = re.compile(r"\{(\d+),(\d*)\}")
RE2_MAX_REPEAT = 1000  # RE2 refuses a counted repeat above it
# Lines the filter may judge: printable ASCII and tabs (see the module's docstring).
ODD_CHAR = re.compile(r"[^\t\n\x20-\x7e]")  # the newlines are those that join the lines
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # an untranslatable pattern is expected, not worth a log line
_OPTIONS.never_capture = True


def _group_end(p: str, i: int) -> int | None:
    """The index after the `)` closing the group opened at `p[i]`."""
    depth, in_class, n = 0, False, len(p)
    while i < n:
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1
            if p.startswith("^", i):
                i += 1
            if p.startswith("]", i):  # a `]` first in a class is a literal
                i += 1
            continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def widened(pattern: str, flags: int) -> str | None:
    """An RE2 pattern matching at least wherever `pattern` (a Python one) matches on one
    line of printable ASCII; None when there is no such translation here."""
    if flags & re.VERBOSE and (re.search(r"\s|#", pattern)):
        return None
    if flags & re.LOCALE:
        return None
    if re.search(r"\\[1-9]|\(\?P=|\(\?\(|\(\?>|\(\?#", pattern):
        return None  # backreferences, conditionals, atomic groups, comments
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            esc = pattern[i : i + 2]
            out.append({"\\A": "^", "\\Z": "$"}.get(esc, esc) if not in_class else esc)
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            start = i
            i += 1
            if pattern.startswith("^", i):
                i += 1
            if pattern.startswith("]", i):
                i += 1
            out.append(pattern[start:i])
            continue
        if c == "{":
            m = BOUNDS.match(pattern, i)
            if m and m.group(2) and int(m.group(2)) > RE2_MAX_REPEAT:
                if int(m.group(1)) > RE2_MAX_REPEAT:
                    return None
                out.append("{" + m.group(1) + ",}")  # no upper bound: wider still
                i = m.end()
                continue
        if pattern.startswith(LOOKAROUND, i):
            end = _group_end(pattern, i)
            if end is None or (end < n and pattern[end] in QUANTIFIER):
                return None
            i = end  # dropped: without the assertion the pattern only matches more
            continue
        out.append(c)
        i += 1
    prefix = (
        "(?m)" + ("(?i)" if flags & re.IGNORECASE else "") + ("(?s)" if flags & re.DOTALL else "")
    )
    return prefix + "".join(out)


def compile_union(patterns: Sequence[str]) -> str | None:
    """The alternation as one pattern, if RE2 takes it and it cannot match the empty string."""
    joined = "|".join(f"(?:{p})" for p in patterns)
    try:
        rx = re2.compile(joined, _OPTIONS)
    except re2.error:
        return None
    return None if rx.search("") is not None else joined


class LineFilters:
    """Per filter, its automaton (None: it passes every line), and all of them as one RE2
    set, which says in one pass over a text which automata match anywhere at all.
    `names`: what each filter stands for (a detector, a family of patterns), in order."""

    def __init__(self, names: Sequence[str], patterns: Sequence[str | None]) -> None:
        self.names = list(names)
        self.patterns = list(patterns)
        self.size = len(patterns)
        self.regexes = [re2.compile(p, _OPTIONS) if p else None for p in patterns]
        self.unfiltered = [i for i, p in enumerate(patterns) if p is None]
        self._set = re2.Set.SearchSet(_OPTIONS)
        self._set_plugin: list[int] = []
        for i, p in enumerate(patterns):
            if p is not None:
                self._set.Add(p)
                self._set_plugin.append(i)
        self._set.Compile()

    def anywhere(self, text: str) -> list[int]:
        """The filters whose automaton matches somewhere in `text`."""
        return sorted(self._set_plugin[k] for k in self._set.Match(text) or ())


def union_filter(patterns: Sequence[re.Pattern[str]]) -> str | None:
    """One filter for several Python patterns: each widened, joined; None when any of them
    does not translate (then the filter passes every line)."""
    parts = [widened(rx.pattern, rx.flags) for rx in patterns]
    if not parts or not all(parts):
        return None
    return compile_union([p for p in parts if p])


def filters_per_line(filters: LineFilters, lines: Sequence[str]) -> list[tuple[int, ...]]:
    """For each line, the indexes of the filters that may match it (in filter order).

    The automata run over all the lines joined, odd ones too: a match only ever adds lines,
    and an odd line is given every filter anyway (see the module's docstring).
    """
    text = "\n".join(lines)
    starts = [0, *accumulate(len(line) + 1 for line in lines)][:-1] if lines else [0]
    odd = {bisect.bisect_right(starts, m.start()) - 1 for m in ODD_CHAR.finditer(text)}
    found: dict[int, set[int]] = {}
    for i in filters.anywhere(text):
        rx = filters.regexes[i]
        assert rx is not None
        for m in rx.finditer(text):
            first = bisect.bisect_right(starts, m.start()) - 1
            last = bisect.bisect_right(starts, max(m.end() - 1, m.start())) - 1
            for j in range(first, last + 1):
                found.setdefault(j, set()).add(i)
    everyone = tuple(range(filters.size))
    base = tuple(filters.unfiltered)
    out = [base] * len(lines)
    for j, extra in found.items():
        out[j] = tuple(sorted(extra.union(base)))
    for j in odd:
        out[j] = everyone
    return out
