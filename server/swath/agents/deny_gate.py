"""The last check on every tool result: nothing of a denied file goes out, whatever the tool.

Each tool already refuses denied paths (read_file, list_dir, glob, grep) or hands the deny
list to git as exclude pathspecs (git_diff); this gate does not trust that. It knows the
text of the denied files present in the workspace (`.env`, `.netrc`, keys, `secrets/**`,
the user's and the policy's patterns) and withholds any of it from a tool result before the
result is redacted and sent: every line of such a file, and every value of a `KEY=value`
line, wherever it turns up (a blame, a log message, a symbol outline, a file that copied it).

The walk skips folders that hold dependencies and build output (`node_modules`, virtual
environments, caches): a credential file there is not the workspace's own, and walking them
on every agent would cost more than it protects. Results are cached per workspace for a
short while, as file listings are.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from swath.workspace import Workspace

WITHHELD = "[REDACTED:denied-file]"
MIN_NEEDLE = 8  # shorter lines ("}", "[core]") are everywhere and hold no secret
MAX_FILE_BYTES = 256 * 1024
MAX_NEEDLES = 5000
TTL_S = 10.0
SKIP_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".swath",
        "target",
        "dist",
        "build",
    }
)


def _needles_of(text: str) -> set[str]:
    out: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) >= MIN_NEEDLE and any(c.isalnum() for c in line):
            out.add(line)
        # KEY=value, KEY: value, `password value` (netrc): the value alone leaks as much.
        for sep in ("=", ":", " "):
            if sep in line:
                value = line.split(sep, 1)[1].strip().strip("\"'")
                if len(value) >= MIN_NEEDLE and " " not in value:
                    out.add(value)
                break
        tokens = line.split()
        for key, value in zip(tokens, tokens[1:], strict=False):
            if (
                key.lower() in ("password", "passwd", "account", "login")
                and len(value) >= MIN_NEEDLE
            ):
                out.add(value.strip("\"'"))
    return out


class DenyGate:
    """What of the denied files must never appear in a tool result."""

    def __init__(self, workspace: Workspace, denied: Callable[[str], bool]) -> None:
        self.workspace = workspace
        self.denied = denied
        self._needles: list[str] = []
        self._files: list[str] = []
        self._loaded_at = -TTL_S
        self._lock = threading.Lock()

    def _walk(self) -> list[str]:
        root = self.workspace.root
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(root):
            rel_dir = Path(dirpath).relative_to(root).as_posix()
            prefix = "" if rel_dir == "." else rel_dir + "/"
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            found += [prefix + n for n in filenames if self.denied(prefix + n)]
        return sorted(found)

    def _load(self) -> None:
        needles: set[str] = set()
        files = self._walk()
        for rel in files:
            full = self.workspace.root / rel
            try:
                if full.is_symlink() or not full.is_file():
                    continue
                with open(full, "rb") as fh:
                    data = fh.read(MAX_FILE_BYTES)
            except OSError:
                continue
            if Workspace.looks_binary(data):
                continue
            needles |= _needles_of(data.decode("utf-8", errors="replace"))
        # Longest first: a line is withheld whole before a value inside it is.
        self._needles = sorted(needles, key=len, reverse=True)[:MAX_NEEDLES]
        self._files = files

    def _current(self) -> list[str]:
        with self._lock:
            if time.monotonic() - self._loaded_at >= TTL_S:
                self._load()
                self._loaded_at = time.monotonic()
            return self._needles

    @property
    def files(self) -> list[str]:
        self._current()
        return list(self._files)

    def scrub(self, text: str) -> tuple[str, int]:
        """`text` with every piece of a denied file withheld, and how many were."""
        if not text:
            return text, 0
        hits = 0
        for needle in self._current():
            if needle in text:
                hits += text.count(needle)
                text = text.replace(needle, WITHHELD)
        return text, hits
