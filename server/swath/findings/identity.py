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
from collections.abc import Callable

from swath.findings.fingerprints import fingerprint, normalise_line
from swath.findings.model import Finding, quoted_line

# The lines of a workspace file (split the LSP's way), or None when it cannot be read.
LinesOf = Callable[[str], "list[str] | None"]


def column_in_text(line: str, character: int) -> int:
    """`character` counted from the line's first non-blank: re-indenting keeps it."""
    return max(0, character - (len(line) - len(line.lstrip())))


class _LineIndex:
    """Per normalised text, the sorted line numbers holding it in one file.

    Built on a file's ninth finding: for the first ones, counting the identical lines above
    each is cheaper than normalising every line of the file (a review has a few findings
    per file; a large map one summary on each file's first line); past that, the index.
    """

    SCANS = 8  # findings placed by counting before the file is indexed

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.at: dict[str, list[int]] | None = None
        self.asked = 0
        self._joined: str | None = None

    def _index(self) -> dict[str, list[int]]:
        if self.at is None:
            self.at = {}
            for n, line in enumerate(self.lines):
                self.at.setdefault(normalise_line(line), []).append(n)
        return self.at

    def place(self, line: int, character: int) -> tuple[str, str] | None:
        """The line's normalised text, and which of its copies (and column in it) this is."""
        if line >= len(self.lines):
            return None
        raw = self.lines[line]
        text = normalise_line(raw)
        self.asked += 1
        if self.asked <= self.SCANS:
            occurrence = self._copies_above(line, text)
        else:
            occurrence = bisect.bisect_left(self._index()[text], line)
        return text, f"{occurrence}:{column_in_text(raw, character)}"

    def _copies_above(self, line: int, text: str) -> int:
        """How many lines above `line` normalise to `text`. Only lines holding its longest
        word can (every line that normalises to `text` holds each of its words): they are
        found with `str.find` in the joined lines, not by testing each line above."""
        word = max(text.split(" "), key=len)
        if not word:  # a blank line: every blank line above is a copy
            return sum(1 for other in self.lines[:line] if not other or other.isspace())
        if self._joined is None:
            self._joined = "\n".join(self.lines)
        joined = self._joined
        end = sum(map(len, self.lines[:line])) + line  # where `line` starts
        count, n, last = 0, 0, 0
        pos = joined.find(word, 0, end)
        while pos != -1:
            n += joined.count("\n", last, pos)  # the line `pos` is on
            if normalise_line(self.lines[n]) == text:
                count += 1
            nxt = joined.find("\n", pos, end)  # on to the next line
            if nxt == -1:
                break
            last = pos
            pos = joined.find(word, nxt + 1, end)
        return count


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
