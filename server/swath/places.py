"""Where a finding stands, the way its identity names it: the normalised text of its
line, which copy of that text among the lines above it it is, its column from the line's
first non-blank, and the hash a fingerprint is of those (see `findings/identity.py`).

A module of its own, importing nothing of Swath's: the parse workers draw the places of the
findings a map makes (`analyzers/filefacts.py`) and must not import the findings package
(pydantic and every renderer: ~13 MiB and a tenth of a second more for each worker).
"""

from __future__ import annotations

import bisect
import hashlib
import operator
from itertools import accumulate, count


def normalise_line(text: str) -> str:
    """Whitespace runs as one space, ends trimmed: re-indenting a line keeps its identity."""
    return " ".join(text.split())


def fingerprint(rule: str, path: str, line_text: str, occurrence: str, key: str = "") -> str:
    parts = [rule, path, normalise_line(line_text), occurrence, key]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def column_in_text(line: str, character: int) -> int:
    """`character` counted from the line's first non-blank: re-indenting keeps it."""
    return max(0, character - (len(line) - len(line.lstrip())))


class LineIndex:
    """Which copy of its text a line is: how many lines above it normalise to the same text.

    Only lines holding the text's longest word can (every line that normalises to the text
    holds each of its words): they are found with `str.find` in the joined lines and only
    they are normalised. Not an index of every normalised line past a file's first few
    findings: a large map has a summary and a lens per top-level symbol on each of 1,500
    files, and normalising every line of each (twice a run) cost most of identifying them.
    """

    def __init__(self, lines: list[str], joined: str | None = None) -> None:
        """`joined`: `"\n".join(lines)` where the caller has it (the text it split)."""
        self.lines = lines
        self._joined: str | None = joined
        self._ends: list[int] = []  # where each line's successor starts in `_joined`

    def place(self, line: int, character: int) -> tuple[str, str] | None:
        """The line's normalised text, and which of its copies (and column in it) this is."""
        if line >= len(self.lines):
            return None
        raw = self.lines[line]
        text = normalise_line(raw)
        return text, f"{self._copies_above(line, text)}:{column_in_text(raw, character)}"

    def _copies_above(self, line: int, text: str) -> int:
        """How many lines above `line` normalise to `text`."""
        if not line:  # nothing above (a summary's place: no index of the file for it)
            return 0
        lines = self.lines
        word = max(text.split(" "), key=len)
        if not word:  # a blank line: every blank line above is a copy
            return sum(1 for other in lines[:line] if not other or other.isspace())
        joined = self._joined
        if joined is None:
            joined = self._joined = "\n".join(lines)
        if not self._ends:
            self._ends = list(map(operator.add, accumulate(map(len, lines)), count(1)))
        ends = self._ends
        end = ends[line - 1] if line else 0  # where `line` starts
        copies = 0
        pos = joined.find(word, 0, end)
        while pos != -1:
            n = bisect.bisect_right(ends, pos)  # the line `pos` is on
            if normalise_line(lines[n]) == text:
                copies += 1
            pos = joined.find(word, ends[n], end)  # on to the next line
        return copies
