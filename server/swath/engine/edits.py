"""Edits carried by findings (`data.edit`): previewed as a unified diff (`--fix-preview`), and
written to the working tree only by `write_fix` (`--fix`, which the CLI guards)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from swath.findings.model import Finding, TextEdit
from swath.findings.report import RunReport


def finding_edits(findings: list[Finding]) -> dict[str, list[TextEdit]]:
    """Each file's edits, once each (findings at one place may carry the same edit); an edit
    that names no file edits its finding's."""
    by_path: dict[str, list[TextEdit]] = {}
    seen: set[tuple[str, int, int, int, int]] = set()
    for f in findings:
        edit = f.data.edit
        if edit is None:
            continue
        path = edit.path or f.path
        r = edit.range
        ident = (path, r.start.line, r.start.character, r.end.line, r.end.character)
        if ident in seen:
            continue
        seen.add(ident)
        by_path.setdefault(path, []).append(edit)
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


# -- writing the change: `swath run … --fix` ----------------------------------------------

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(ValueError):
    """A patch that does not apply to the file as it is now (changed since the run)."""


@dataclass
class FixResult:
    written: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # path -> why it was not written
    deleted: list[str] = field(default_factory=list)


def deleted_files(patch: str) -> set[str]:
    """The files a unified diff deletes: `--- a/PATH` followed by `+++ /dev/null`."""
    out: set[str] = set()
    old: str | None = None
    for line in patch.splitlines():
        if line.startswith("--- "):
            name = line[4:]
            old = name[2:] if name.startswith("a/") else name
        elif line.startswith("+++ ") and old is not None:
            if line[4:].strip() == "/dev/null":
                out.add(old)
            old = None
        else:
            old = None
    return out


def parse_patch(patch: str) -> dict[str, list[tuple[int, list[str], list[str]]]]:
    """A unified diff (as `fix_preview` makes it) -> path -> [(old start, old lines, new lines)]."""
    out: dict[str, list[tuple[int, list[str], list[str]]]] = {}
    path: str | None = None
    old_name = ""
    hunk: tuple[int, list[str], list[str]] | None = None
    # Lines the hunk header says are still to come on each side: a removed line may itself
    # start with "-- " or "++ ", so only the counts tell a body line from the next header.
    old_left = new_left = 0
    last = ""  # the side the previous body line went to, for "\ No newline at end of file"
    for line in patch.splitlines(keepends=True):
        if hunk is not None and line.startswith("\\"):
            # The line before has no newline in the file: strip the one the diff added.
            for side, lines in (("-", hunk[1]), ("+", hunk[2])):
                if last in (side, " ") and lines and lines[-1].endswith("\n"):
                    lines[-1] = lines[-1][:-1]
            continue
        if hunk is not None and (old_left > 0 or new_left > 0) and line[:1] in (" ", "-", "+"):
            body = line[1:]
            if line[0] in (" ", "-"):
                hunk[1].append(body)
                old_left -= 1
            if line[0] in (" ", "+"):
                hunk[2].append(body)
                new_left -= 1
            last = line[0]
            continue
        if line.startswith("--- "):
            name = line[4:].rstrip("\r\n")
            old_name = name[2:] if name.startswith("a/") else name
        elif line.startswith("+++ "):
            name = line[4:].rstrip("\r\n")
            # A deleted file (`+++ /dev/null`) is known by its old name.
            path = old_name if name == "/dev/null" else name[2:] if name.startswith("b/") else name
            out.setdefault(path, [])
            hunk = None
        elif (m := _HUNK.match(line)) is not None and path is not None:
            hunk = (int(m.group(1)), [], [])
            old_left = int(m.group(2)) if m.group(2) is not None else 1
            new_left = int(m.group(4)) if m.group(4) is not None else 1
            out[path].append(hunk)
    return out


def apply_hunks(text: str, hunks: list[tuple[int, list[str], list[str]]]) -> str:
    """`text` with the hunks applied; PatchError when a hunk's old lines are not there."""
    lines = text.splitlines(keepends=True)
    offset = 0
    for start, old, new in hunks:
        at = max(start - 1, 0) + offset if old else start + offset
        if lines[at : at + len(old)] != old:
            raise PatchError(f"the file changed since the run (hunk at line {start})")
        lines[at : at + len(old)] = new
        offset += len(new) - len(old)
    return "".join(lines)


def _parses(path: str, text: str) -> str | None:
    """Why `text` would be a broken file, for the languages Swath can check itself."""
    if path.endswith((".py", ".pyi")):
        try:
            compile(text, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            return f"the result would not compile: {exc}"
    return None


def write_fix(root: Path, patch: str) -> FixResult:
    """Write a fix preview's change to the working tree, file by file.

    Every file is checked before any is written: a hunk that no longer applies (the file
    changed since the run) or a Python result that does not compile refuses that file
    and leaves it as it is; the other files are written. A file the patch deletes
    (`+++ /dev/null`) is deleted once its every line is as the patch says."""
    result = FixResult()
    pending: dict[str, str] = {}
    gone = deleted_files(patch)
    for path, hunks in parse_patch(patch).items():
        full = root / path
        if not full.is_file():
            result.refused[path] = "no such file"
            continue
        # As the analyzers read it (swath.workspace): bytes decoded, line ends kept, a
        # byte order mark set aside (and put back on writing).
        raw = full.read_bytes()
        bom = raw.startswith(b"\xef\xbb\xbf")
        before = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
        try:
            after = apply_hunks(before, hunks)
        except PatchError as exc:
            result.refused[path] = str(exc)
            continue
        if path in gone:
            if after:
                result.refused[path] = (
                    "the file changed since the run (lines the patch does not delete)"
                )
            else:
                result.deleted.append(path)
            continue
        broken = _parses(path, after)
        if broken:
            result.refused[path] = broken
            continue
        pending[path] = ("\ufeff" if bom else "") + after
    for path in result.deleted:
        (root / path).unlink()
    for path, after in sorted(pending.items()):
        # newline="" keeps the file's own line ends: the patch carries them as they were.
        with open(root / path, "w", encoding="utf-8", newline="") as fh:
            fh.write(after)
        result.written.append(path)
    return result
