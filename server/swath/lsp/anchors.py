"""Findings anchored to the text an editor shows, and kept there while the user types.

A finding's range was computed on the file as the engine read it. Editors show it on the
text they have now, and VS Code ignores the `version` of published diagnostics, so the
server must re-anchor: a finding is shown only where its evidence still stands.

Every anchor remembers the lines it covers (`snapshot`). An edit entirely above it shifts
it; an edit that touches its lines drops it — unless the lines are provably unchanged,
which the snapshot tells. Nothing here does I/O; it is plain data in, data out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from swath.engine.verify import LINE_BREAK, candidate_lines, quote_at
from swath.findings.model import Finding, Position, Range

# How far from its recorded line a finding's quote may have moved (lines edited on disk
# between the run and the moment the editor shows it).
REANCHOR_WINDOW = 50


def split_lines(text: str) -> list[str]:
    """Lines as the LSP counts them (\\r\\n, \\r or \\n; no other separators)."""
    return LINE_BREAK.split(text)


@dataclass(frozen=True)
class Anchor:
    """A finding where the editor should show it now. Characters are code points."""

    finding: Finding
    workflow: str
    run_id: str
    range: Range
    edit_range: Range | None = None
    snapshot: tuple[str, ...] | None = None  # lines[lo..hi] the last time they were checked
    diagnostics: bool = True
    lenses: bool = True

    @classmethod
    def of(
        cls,
        finding: Finding,
        workflow: str,
        run_id: str,
        *,
        diagnostics: bool = True,
        lenses: bool = True,
    ) -> "Anchor":
        return cls(
            finding,
            workflow,
            run_id,
            finding.range,
            edit_range_of(finding),
            None,
            diagnostics,
            lenses,
        )

    @property
    def id(self) -> str:
        return self.finding.id

    @property
    def lo(self) -> int:
        lines = [self.range.start.line] + ([self.edit_range.start.line] if self.edit_range else [])
        return min(lines)

    @property
    def hi(self) -> int:
        lines = [self.range.end.line] + ([self.edit_range.end.line] if self.edit_range else [])
        return max(lines)

    def shifted(self, delta: int) -> "Anchor":
        if not delta:
            return self
        return replace(
            self,
            range=shift(self.range, delta),
            edit_range=shift(self.edit_range, delta) if self.edit_range else None,
        )


def edit_range_of(f: Finding) -> Range | None:
    return f.data.edit.range if f.data.edit is not None else None


def shift(r: Range, delta: int) -> Range:
    return Range(
        start=Position(line=r.start.line + delta, character=r.start.character),
        end=Position(line=r.end.line + delta, character=r.end.character),
    )


def _own_quote(a: Anchor) -> tuple[int, str] | None:
    """The evidence in the finding's own file nearest its range: what grounds its place."""
    own = [e for e in a.finding.evidence if e.path == a.finding.path and e.quote.strip()]
    if not own:
        return None
    ev = min(own, key=lambda e: abs(e.line - a.finding.range.start.line))
    return ev.line, ev.quote.strip()


def anchor_to(a: Anchor, lines: Sequence[str]) -> Anchor | None:
    """`a` placed on `lines` (the text now shown), or None when its evidence is gone.

    The quote is looked for at its recorded line, then outwards, and the range moves with
    it. Without a quote the finding stays where it is if that line exists.
    """
    delta = 0
    quote = _own_quote(a)
    if quote is not None:
        recorded, text = quote
        # Where the quote should be now, given shifts applied since the finding was made.
        expected = recorded + (a.range.start.line - a.finding.range.start.line)
        found = next(
            (
                ln
                for ln in candidate_lines(expected, REANCHOR_WINDOW)
                if quote_at(list(lines), ln, text)
            ),
            None,
        )
        if found is None:
            return None
        delta = found - expected
    moved = a.shifted(delta)
    if moved.lo < 0 or moved.hi >= len(lines):
        return None
    return replace(moved, snapshot=tuple(lines[moved.lo : moved.hi + 1]))


@dataclass(frozen=True)
class LineChange:
    """One incremental change: lines/characters of the replaced range, and the new text."""

    start_line: int
    start_char: int
    end_line: int
    end_char: int
    text: str

    @property
    def delta(self) -> int:
        return len(split_lines(self.text)) - 1 - (self.end_line - self.start_line)


def apply_change(anchors: list[Anchor], change: LineChange | None) -> list[Anchor]:
    """Anchors after one change; `None` means the whole text was replaced (all are re-checked).

    An anchor below the change moves by the change's line delta. One whose lines the change
    touches is kept only in two cases where its own text provably moved intact — text
    inserted ending exactly at the start of its first line, or starting at the end of its
    last line with a line break — and the snapshot check in `settle` confirms even those.
    """
    if change is None:
        return [replace(a, snapshot=None) for a in anchors]
    out: list[Anchor] = []
    for a in anchors:
        if change.end_line < a.lo:
            out.append(a.shifted(change.delta))
        elif change.start_line > a.hi:
            out.append(a)
        elif (change.end_line, change.end_char) == (a.lo, 0) and (
            change.text.endswith(("\n", "\r")) or (change.text == "" and change.start_char == 0)
        ):
            out.append(a.shifted(change.delta))  # lines inserted/deleted right above it
        elif (
            (change.start_line, change.end_line) == (a.hi, a.hi)
            and change.start_char == change.end_char
            and (change.text.startswith(("\n", "\r")))
        ):
            out.append(a)  # Enter at the end of its last line: `settle` checks it was the end
        # else: its own lines changed; never show it on text it was not made for
    return out


def settle(anchors: list[Anchor], lines: Sequence[str]) -> list[Anchor]:
    """Keep the anchors whose lines still read as they did; refresh the others' snapshots."""
    out: list[Anchor] = []
    for a in anchors:
        if a.lo < 0 or a.hi >= len(lines):
            continue
        now = tuple(lines[a.lo : a.hi + 1])
        if a.snapshot is None:
            placed = anchor_to(a, lines)
            if placed is not None:
                out.append(placed)
        elif now == a.snapshot:
            out.append(a)
    return out


def relocate(anchors: list[Anchor], lines: Sequence[str]) -> list[Anchor]:
    """Anchors moved onto a different text of the same file (opened, closed, reverted).

    Those whose lines read as before stay; the others look for their quote again.
    """
    out: list[Anchor] = []
    for a in anchors:
        if (
            a.snapshot is not None
            and 0 <= a.lo
            and a.hi < len(lines)
            and tuple(lines[a.lo : a.hi + 1]) == a.snapshot
        ):
            out.append(a)
            continue
        placed = anchor_to(replace(a, snapshot=None), lines)
        if placed is not None:
            out.append(placed)
    return out
