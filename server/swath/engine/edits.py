"""Edits carried by findings (`data.edit`): previewed as a unified diff, never written here."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from swath.findings.model import Finding, Range
from swath.findings.report import RunReport


class TextEdit(BaseModel):
    path: str
    range: Range
    new_text: str


def finding_edits(findings: list[Finding]) -> dict[str, list[TextEdit]]:
    by_path: dict[str, list[TextEdit]] = {}
    seen: set[tuple[str, int, int, int, int]] = set()
    for f in findings:
        raw: Any = f.data.get("edit")
        if not raw:
            continue
        try:
            edit = TextEdit.model_validate({"path": f.path, **raw})
        except ValidationError:
            continue
        r = edit.range
        ident = (edit.path, r.start.line, r.start.character, r.end.line, r.end.character)
        if ident in seen:
            continue
        seen.add(ident)
        by_path.setdefault(edit.path, []).append(edit)
    return by_path


# Lines with their breaks, split where the LSP splits: str.splitlines() would also break
# at \f, \v and \x1c-\x1e and put every edit after one on the wrong line.
LINES_WITH_ENDS = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _offset(lines: list[str], line: int, character: int) -> int:
    return sum(len(text) for text in lines[:line]) + character


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits, last first so earlier offsets stay valid; overlaps are skipped."""
    lines = LINES_WITH_ENDS.findall(text)
    spans = sorted(
        (
            (
                _offset(lines, e.range.start.line, e.range.start.character),
                _offset(lines, e.range.end.line, e.range.end.character),
                e.new_text,
            )
            for e in edits
        ),
        reverse=True,
    )
    out = text
    floor = len(text) + 1
    for start, end, new in spans:
        if end > floor:
            continue
        out = out[:start] + new + out[end:]
        floor = start
    return out


def preview_edits(root: Path, findings: list[Finding]) -> str:
    chunks: list[str] = []
    for path, edits in sorted(finding_edits(findings).items()):
        full = root / path
        if not full.is_file():
            continue
        before = full.read_text(encoding="utf-8")
        after = apply_edits(before, edits)
        chunks.extend(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                f"a/{path}",
                f"b/{path}",
            )
        )
    return "".join(chunks)


def report_patch(report: RunReport) -> str | None:
    """A reduce step may synthesise one combined patch (`patch` in its output): it knows how
    edits of one file interact, which per-finding edits cannot, so it wins when present."""
    for value in report.outputs.values():
        for candidate in (value, value.get("model") if isinstance(value, dict) else None):
            if (
                isinstance(candidate, dict)
                and isinstance(candidate.get("patch"), str)
                and candidate["patch"]
            ):
                patch: str = candidate["patch"]
                return patch
    return None


def fix_preview(root: Path, report: RunReport) -> str:
    return report_patch(report) or preview_edits(root, report.findings)
