"""Files a walk left out, counted by reason, so a report can say what it did not read.

A map that silently drops a 3 MB generated module, or every file behind a symlink loop,
looks complete and is not; the counts travel from the sources to the run report and JSON
(`skipped: {"too_large": 1, "symlink_loop": 2}`).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Literal, get_args

SkipReason = Literal[
    "binary",
    "too_large",
    "symlink_loop",
    "symlink_outside",
    "not_regular",
    "unreadable",
    "minified",
    "generated",
]
SKIP_REASONS: frozenset[str] = frozenset(get_args(SkipReason))


class SkipCounts:
    """What sources on worker threads left out, by path: two discover steps walking the
    same tree count a skipped file once."""

    def __init__(self) -> None:
        self._reasons: dict[str, SkipReason] = {}
        self._lock = threading.Lock()

    def add(self, reason: SkipReason, path: str) -> None:
        with self._lock:
            self._reasons.setdefault(path, reason)

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(Counter(self._reasons.values()).items()))
