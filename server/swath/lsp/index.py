"""Findings of every workflow, per file, anchored to the text the editor shows.

Several workflows' findings coexist on a file and are shown merged; a run replaces the
findings of an earlier run of the same workflow within its scope, never another
workflow's. Plain data: the server feeds it events and edits, and asks what to show.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from swath.lsp.anchors import Anchor, LineChange, anchor_to, apply_change, relocate, settle

SEVERITY_ORDER = {"error": 0, "warning": 1, "information": 2, "hint": 3}


class FindingIndex:
    def __init__(self) -> None:
        self._files: dict[str, dict[str, list[Anchor]]] = {}

    # -- reading -----------------------------------------------------------------------
    def uris(self) -> list[str]:
        return list(self._files)

    def anchors(self, uri: str) -> list[Anchor]:
        """Every workflow's anchors on `uri`, most severe first, then by position."""
        groups = self._files.get(uri, {})
        merged = [a for anchors in groups.values() for a in anchors]
        merged.sort(
            key=lambda a: (
                SEVERITY_ORDER.get(a.finding.severity.value, 9),
                a.range.start.line,
                a.range.start.character,
                a.finding.rule,
            )
        )
        return merged

    def find(self, uri: str, finding_id: str) -> Anchor | None:
        for anchors in self._files.get(uri, {}).values():
            for a in anchors:
                if a.id == finding_id:
                    return a
        return None

    def has(self, uri: str, workflow: str) -> bool:
        return bool(self._files.get(uri, {}).get(workflow))

    def count(self, workflow: str | None = None) -> int:
        return sum(
            len(v) for g in self._files.values() for w, v in g.items() if workflow in (None, w)
        )

    # -- writing -----------------------------------------------------------------------
    def add(self, uri: str, new: Iterable[Anchor], lines: Sequence[str] | None) -> bool:
        """Add findings of one workflow's run; a finding already shown (same fingerprint) is replaced."""
        new = list(new)
        if lines is not None:
            new = [p for a in new if (p := anchor_to(a, lines)) is not None]
        if not new:
            return False
        groups = self._files.setdefault(uri, {})
        for workflow in {a.workflow for a in new}:
            incoming = [a for a in new if a.workflow == workflow]
            prints = {a.finding.fingerprint for a in incoming}
            kept = [a for a in groups.get(workflow, []) if a.finding.fingerprint not in prints]
            groups[workflow] = kept + incoming
        return True

    def drop_older(self, workflow: str, run_id: str, in_scope: Callable[[str], bool]) -> set[str]:
        """Remove `workflow`'s findings of runs other than `run_id` on the files in scope."""
        changed: set[str] = set()
        for uri, groups in list(self._files.items()):
            anchors = groups.get(workflow)
            if not anchors or not in_scope(uri):
                continue
            kept = [a for a in anchors if a.run_id == run_id]
            if len(kept) != len(anchors):
                changed.add(uri)
                self._set(uri, workflow, kept)
        return changed

    def clear(
        self, workflow: str | None = None, in_scope: Callable[[str], bool] = lambda uri: True
    ) -> set[str]:
        changed: set[str] = set()
        for uri, groups in list(self._files.items()):
            if not in_scope(uri):
                continue
            for wf in list(groups):
                if workflow in (None, wf) and groups[wf]:
                    changed.add(uri)
                    self._set(uri, wf, [])
        return changed

    def run_ids(self, in_scope: Callable[[str], bool] = lambda uri: True) -> set[str]:
        return {
            a.run_id
            for uri, g in self._files.items()
            if in_scope(uri)
            for v in g.values()
            for a in v
        }

    # -- following the text ------------------------------------------------------------
    def edited(self, uri: str, changes: Sequence[LineChange | None], lines: Sequence[str]) -> bool:
        """Apply a didChange's changes (in order) and re-check against the resulting text."""
        groups = self._files.get(uri)
        if not groups:
            return False
        changed = False
        for wf, anchors in list(groups.items()):
            moved = anchors
            for change in changes:
                moved = apply_change(moved, change)
            moved = settle(moved, lines)
            if moved != anchors:
                changed = True
                self._set(uri, wf, moved)
        return changed

    def retext(self, uri: str, lines: Sequence[str]) -> bool:
        """The text shown for `uri` was swapped (opened, closed, saved over): re-anchor."""
        groups = self._files.get(uri)
        if not groups:
            return False
        changed = False
        for wf, anchors in list(groups.items()):
            moved = relocate(anchors, lines)
            if moved != anchors:
                changed = True
                self._set(uri, wf, moved)
        return changed

    def _set(self, uri: str, workflow: str, anchors: list[Anchor]) -> None:
        groups = self._files.setdefault(uri, {})
        if anchors:
            groups[workflow] = anchors
            return
        groups.pop(workflow, None)
        if not groups:
            self._files.pop(uri, None)
