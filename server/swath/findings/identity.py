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
both hash with `swath/places.py`); the engine
replaces it with this one, with the file at hand, when a task's record is made and
again after verification moves a finding.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from swath.places import LineIndex, fingerprint, normalise_line
from swath.findings.model import Finding, quoted_line

# The lines of a workspace file (split the LSP's way), or None when it cannot be read.
LinesOf = Callable[[str], "list[str] | None"]


def with_identity(findings: list[Finding], lines_of: LinesOf) -> list[Finding]:
    """Copies of `findings` carrying their stable fingerprint (their ids stay as they were).

    A finding whose file cannot be read (or whose line lies past its end) is counted
    among the findings given here instead: its occurrence is the rank of its line among
    the lines of those with the same rule, path, quoted text and key.
    """
    indexes: dict[str, LineIndex | None] = {}
    fallback: dict[tuple[str, str, str, str], list[int]] = {}
    prints: list[str | None] = []
    for n, f in enumerate(findings):
        if f.path not in indexes:
            lines = lines_of(f.path)
            indexes[f.path] = LineIndex(lines) if lines is not None else None
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
