"""Evidence verification: a finding stands only if its quotes stand in the file.

Models (and humans) cite lines loosely: off by one or two, or against a version of the
file a few lines older. So a quote that is not at its line but is within `window`
lines of it moves the finding there (re-anchoring) instead of dropping it; anything
further away, or a file that isn't there or may not be read, drops the finding with
a reason the engine counts and logs.

Synchronous and side-effect free (a memo of files' split lines aside, see `_split`): the
engine calls it in a worker thread, and the inputs are never mutated (a kept finding is a
copy with evidence of its own, or the input itself where verifying changed nothing of it;
what a copy did not change, such as `data`, it shares with the input, which nobody changes
in place: a deep copy of every finding of a large map was most of the cost of verifying it).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from swath.findings.identity import with_identity
from swath.findings.model import Evidence, Finding, Position, Range, fingerprint_of
from swath.workspace import PathRefused, Workspace

# The LSP's line breaks; str.splitlines() would also split on \f, \v, \x1c… and
# disagree with the editor's line numbers.
LINE_BREAK = re.compile(r"\r\n|\r|\n")
QUOTE_PREVIEW = 60
# Files whose lines are kept for the next call that reads the very same bytes (see _split).
SPLIT_MEMO_SIZE = 128
_split_memo: OrderedDict[str, tuple[bytes, list[str]]] = OrderedDict()
_split_lock = threading.Lock()


@dataclass(frozen=True)
class VerifyOutcome:
    kept: list[Finding]
    dropped: list[tuple[Finding, str]]
    reanchored: int


class Unverifiable(Exception):
    """Why a finding is dropped; the message is the reason reported."""


@dataclass
class FileLines:
    """Lines of each path, read at most once per `verify` (or identity) call."""

    workspace: Workspace
    cache: dict[str, list[str] | Unverifiable] = field(default_factory=dict)

    def lines(self, path: str) -> list[str]:
        if path not in self.cache:
            self.cache[path] = self._read(path)
        hit = self.cache[path]
        if isinstance(hit, Unverifiable):
            raise hit
        return hit

    def lines_or_none(self, path: str) -> list[str] | None:
        try:
            return self.lines(path)
        except Unverifiable:
            return None

    def _read(self, path: str) -> list[str] | Unverifiable:
        try:
            full = self.workspace.resolve(path)
            data = self.workspace.file_bytes(full, Path.read_bytes)
        except PathRefused as exc:
            return Unverifiable(f"{path}: path refused ({exc})")
        except FileNotFoundError:
            return Unverifiable(f"{path}: no such file in the workspace")
        except OSError as exc:  # a directory, a permission problem…
            return Unverifiable(f"{path}: cannot be read ({exc.strerror or exc})")
        if Workspace.looks_binary(data):
            return Unverifiable(f"{path}: binary file, quotes cannot be checked")
        return _split(self.workspace, path, data)


def _split(ws: Workspace, path: str, data: bytes) -> list[str]:
    """The file's lines. Every call reads the file itself (what it checks is the file as it
    is now); identity and verification of each record of a run read the same files again
    and again, so the lines of the bytes read last time are handed back when these are the
    very same bytes (shared: read them, never change them)."""
    key = f"{ws.root}\x00{path}"
    with _split_lock:
        hit = _split_memo.get(key)
        if hit is not None and hit[0] == data:
            _split_memo.move_to_end(key)
            return hit[1]
    text = data.decode("utf-8", errors="replace")
    # Without a \r the breaks are the \n alone: str.split is ~10x faster than the regex.
    lines = text.split("\n") if "\r" not in text else LINE_BREAK.split(text)
    with _split_lock:
        _split_memo[key] = (data, lines)
        while len(_split_memo) > SPLIT_MEMO_SIZE:
            _split_memo.popitem(last=False)
    return lines


def normalise_ws(text: str) -> str:
    """Every whitespace run (newlines included) as one space, ends trimmed."""
    return " ".join(text.split())


def preview(quote: str) -> str:
    flat = normalise_ws(quote)
    return flat if len(flat) <= QUOTE_PREVIEW else flat[: QUOTE_PREVIEW - 1] + "…"


def quote_at(lines: list[str], start: int, quote: str) -> bool:
    """Does `quote` (already stripped) stand in the lines beginning at `start`?

    Compared verbatim first, then with whitespace normalised on both sides, so
    re-indented or re-wrapped quotes of the same text still count.
    """
    span = quote.count("\n") + 1
    if start < 0 or start + span > len(lines):
        return False
    text = "\n".join(lines[start : start + span])
    return quote in text or normalise_ws(quote) in normalise_ws(text)


def candidate_lines(line: int, window: int) -> list[int]:
    """`line`, then outwards: line-1, line+1, line-2, … so the nearest hit wins.

    On a tie the earlier line wins: deterministic, and the one a reader scanning
    down from the cited line would meet first is as good as any.
    """
    out = [line]
    for d in range(1, window + 1):
        out += [line - d, line + d]
    return out


def shift_range(r: Range, delta: int) -> Range:
    def move(p: Position) -> Position:
        return Position(line=max(0, p.line + delta), character=p.character)

    return Range(start=move(r.start), end=move(r.end))


def identify(workspace: Workspace, findings: list[Finding]) -> list[Finding]:
    """`findings` with their stable fingerprints, from the files as they are now."""
    return with_identity(findings, FileLines(workspace).lines_or_none)


def dedupe(findings: list[Finding]) -> list[Finding]:
    """The first finding of each fingerprint, in input order: one per rule and place."""
    seen: set[str] = set()
    out: list[Finding] = []
    for f in findings:
        if f.fingerprint not in seen:
            seen.add(f.fingerprint)
            out.append(f)
    return out


class EvidenceVerifier:
    def __init__(self, workspace: Workspace, window: int = 3) -> None:
        if window < 0:
            raise ValueError("window must be >= 0")
        self.workspace = workspace
        self.window = window

    def verify(self, findings: list[Finding]) -> VerifyOutcome:
        files = FileLines(self.workspace)
        kept: list[Finding] = []
        dropped: list[tuple[Finding, str]] = []
        reanchored = 0
        placed: list[int] = []  # the kept findings whose identity is drawn here
        for f in findings:
            try:
                checked, moved = self._check(f, files)
            except Unverifiable as exc:
                dropped.append((f, str(exc)))
                continue
            if moved or checked.fingerprint == fingerprint_of(checked):
                placed.append(len(kept))
            kept.append(checked)
            reanchored += moved
        # Re-anchoring moved some findings: their identity follows their new line. One that
        # stayed keeps the identity its record gave it from the same file (the engine
        # identifies every task's findings), drawn again only while still provisional (a
        # finding made and verified without the engine): a large map's thousands of lenses
        # were identified twice over, the second time to the same fingerprints.
        if placed:
            for n, f in zip(
                placed, with_identity([kept[n] for n in placed], files.lines_or_none), strict=True
            ):
                kept[n] = f
        return VerifyOutcome(kept=kept, dropped=dropped, reanchored=reanchored)

    @staticmethod
    def dedupe(findings: list[Finding]) -> list[Finding]:
        """Same as the module's `dedupe`, for callers that hold only the verifier."""
        return dedupe(findings)

    # -- one finding ------------------------------------------------------------------
    def _check(self, f: Finding, files: FileLines) -> tuple[Finding, bool]:
        """`f` as verified (a copy where that changed it) and whether it moved; raises
        Unverifiable."""
        own_lines = files.lines(f.path)  # the finding's own file must exist and be readable
        if not f.evidence:
            return self._check_bare(f, own_lines), False
        evidence = [self._locate(ev, files) for ev in f.evidence]
        delta = self._range_delta(f, evidence)
        moved = any(new.line != old.line for new, old in zip(evidence, f.evidence, strict=True))
        update: dict[str, object] = {"evidence": evidence, "verified": True}
        if delta:
            update["range"] = shift_range(f.range, delta)
        return f.model_copy(update=update), moved

    @staticmethod
    def _check_bare(f: Finding, lines: list[str]) -> Finding:
        # Nothing to quote-check: keep it if it points into the file, but never call it
        # verified, so front ends can show it as such.
        line = f.range.start.line
        if line >= len(lines):
            raise Unverifiable(
                f"{f.path}:{line + 1}: beyond the end of the file ({len(lines)} lines)"
            )
        # Itself when it says so already (findings are never changed in place).
        return f if not f.verified else f.model_copy(update={"verified": False})

    def _locate(self, ev: Evidence, files: FileLines) -> Evidence:
        """`ev` at the line its quote really starts on; raises Unverifiable."""
        quote = ev.quote.strip()
        if not quote:
            raise Unverifiable(f"{ev.path}:{ev.line + 1}: empty evidence quote")
        lines = files.lines(ev.path)
        for line in candidate_lines(ev.line, self.window):
            if quote_at(lines, line, quote):
                return ev.model_copy(
                    update={"line": line}
                )  # a copy even when unmoved: callers own it
        raise Unverifiable(
            f"{ev.path}:{ev.line + 1}: quote not found within ±{self.window} lines: {preview(quote)!r}"
        )

    @staticmethod
    def _range_delta(f: Finding, located: list[Evidence]) -> int:
        # The range follows the first quote in the finding's own file: that is the
        # quote that grounds the place the finding points at. Quotes elsewhere
        # move only themselves.
        for new, old in zip(located, f.evidence, strict=True):
            if old.path == f.path:
                return new.line - old.line
        return 0
