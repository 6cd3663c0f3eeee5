"""Finding identity: which findings are the same finding, across runs and edits.

A fingerprint is rule + path + the normalised text of the finding's line + the
occurrence index of that text among the file's identical lines above it + the start
column counted from the line's first non-blank (+ the flag key a finding is about, when
it has one). The same idea as GitHub's `primaryLocationLineHash` and
`primaryLocationStartColumnFingerprint`:

- no line number in it, so inserting an unrelated line above a finding keeps its
  fingerprint (the alert is not re-opened, the editor keeps its diagnostic);
- the occurrence index keeps three bare `except:` of one file three findings,
  where the text alone would fold them into one.

Two findings with one fingerprint are therefore the same rule at the same place: true
duplicates, which is all the engine's dedupe merges. (A flag check and its dead branch
on one line are two places: their columns differ.)

`Finding` computes a provisional fingerprint on construction (`findings/model.py`, with the
line number in place of the occurrence index, so nothing merges that is not at one place;
both hash with `findings/fingerprints.py`); the engine
replaces it with this one, with the file at hand, when a task's record is made and
again after verification moves a finding.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Callable
from itertools import accumulate, count

from swath.findings.fingerprints import fingerprint, normalise_line
from swath.findings.model import Finding, quoted_line

# The lines of a workspace file (split the LSP's way), or None when it cannot be read.
LinesOf = Callable[[str], "list[str] | None"]


def column_in_text(line: str, character: int) -> int:
    """`character` counted from the line's first non-blank: re-indenting keeps it."""
    return max(0, character - (len(line) - len(line.lstrip())))


class _LineIndex:
    """Which copy of its text a line is: how many lines above it normalise to the same text.

    Only lines holding the text's longest word can (every line that normalises to the text
    holds each of its words): they are found with `str.find` in the joined lines and only
    they are normalised. Not an index of every normalised line past a file's first few
    findings: a large map has a summary and a lens per top-level symbol on each of 1,500
    files, and normalising every line of each (twice a run) cost most of identifying them.
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._joined: str | None = None
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
        lines = self.lines
        word = max(text.split(" "), key=len)
        if not word:  # a blank line: every blank line above is a copy
            return sum(1 for other in lines[:line] if not other or other.isspace())
        if self._joined is None:
            self._joined = "\n".join(lines)
            self._ends = list(map(operator.add, accumulate(map(len, lines)), count(1)))
        joined, ends = self._joined, self._ends
        end = ends[line - 1] if line else 0  # where `line` starts
        copies = 0
        pos = joined.find(word, 0, end)
        while pos != -1:
            n = bisect.bisect_right(ends, pos)  # the line `pos` is on
            if normalise_line(lines[n]) == text:
                copies += 1
            pos = joined.find(word, ends[n], end)  # on to the next line
        return copies


def with_identity(findings: list[Finding], lines_of: LinesOf) -> list[Finding]:
    """Copies of `findings` carrying their stable fingerprint (their ids stay as they were).

    A finding whose file cannot be read (or whose line lies past its end) is counted
    among the findings given here instead: its occurrence is the rank of its line among
    the lines of those with the same rule, path, quoted text and key.
    """
    indexes: dict[str, _LineIndex | None] = {}
    fallback: dict[tuple[str, str, str, str], list[int]] = {}
    prints: list[str | None] = []
    for n, f in enumerate(findings):
        if f.path not in indexes:
            lines = lines_of(f.path)
            indexes[f.path] = _LineIndex(lines) if lines is not None else None
        index = indexes[f.path]
        start = f.range.start
        hit = index.place(start.line, start.character) if index is not None else None
        key = f.data.key or ""
        if hit is None:
            group = (f.rule, f.path, normalise_line(quoted_line(f)), key)
            fallback.setdefault(group, []).append(n)
            prints.append(None)
        else:
            prints.append(fingerprint(f.rule, f.path, hit[0], str(hit[1]), key))
    for (rule, path, text, key), members in fallback.items():
        # Ranked by line, not by finding: two findings at one line and column are one place.
        at_lines = sorted({findings[i].range.start.line for i in members})
        for i in members:
            start = findings[i].range.start
            rank = bisect.bisect_left(at_lines, start.line)
            prints[i] = fingerprint(rule, path, text, f"~{rank}:{start.character}", key)
    return [_stamped(f, fp or f.fingerprint) for f, fp in zip(findings, prints, strict=True)]


def _stamped(f: Finding, fp: str) -> Finding:
    # The id stays: it names the finding within its run, and other findings refer to it
    # by it (a dead branch's `data.dead_of`).
    return f if f.fingerprint == fp else f.model_copy(update={"fingerprint": fp})
