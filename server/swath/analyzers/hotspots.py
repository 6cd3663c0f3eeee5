"""Hot spots: files that are both complex and often changed (complexity × churn).

Churn is the number of commits that touched the file in the last year, from one
`git log --name-only` over the mapped folder; complexity is the file's count of decision
points (the analyzer's `branches`: if/for/while/except/case/boolean operators). A file
that is complex but never changes, or changes often but is simple, is not a hot spot;
one that is both is where bugs and merge conflicts collect (Tornhill, *Your Code as a
Crime Scene*). Outside a git repository there is no churn and no hot spot.

Tests and test data are no hot spot of the code: a test file branches over cases and
changes with every change it tests (cobra's completions_test.go and command_test.go led
its list, above command.go). They are ranked apart (`test_hot_spots`).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from swath.workspace import Workspace
from swath.workspace.roles import path_role

log = logging.getLogger(__name__)

WINDOW = "1.year.ago"


def churn(ws: Workspace, folders: list[str], since: str = WINDOW) -> Counter[str]:
    """Commits touching each workspace-relative file since `since` (renames not followed)."""
    if not ws.is_git():
        return Counter()
    args = ["log", f"--since={since}", "--format=%x00", "--name-only", "--no-renames", "--relative"]
    try:
        out = ws.git(*args, "--", *(folders or ["."]), check=False)
    except OSError as exc:
        log.warning("hot spots: git log failed: %s", exc)
        return Counter()
    counts: Counter[str] = Counter()
    for commit in out.split("\0"):
        counts.update({line.strip() for line in commit.splitlines() if line.strip()})
    return counts


def is_test_file(path: str) -> bool:
    """A test or test data (`*_test.go`, `tests/`, `testdata/`, `__fixtures__/` …)."""
    return path_role(path, generated=None) != "source"


def hot_spots(
    modules: list[dict[str, Any]], commits: Counter[str], top: int = 10, tests: bool = False
) -> list[dict[str, Any]]:
    """The `top` hot spots of the code (`tests`: of the tests and test data instead)."""
    rows = [
        {
            "path": m["path"],
            "commits": commits.get(m["path"], 0),
            "branches": int(m.get("branches") or 0),
            "lines": int(m.get("lines") or 0),
        }
        for m in modules
    ]
    for r in rows:
        r["score"] = r["commits"] * r["branches"]
    # the role last: matching every path's patterns costs more than the product
    rows = [r for r in rows if r["score"] > 0 and is_test_file(r["path"]) == tests]
    rows.sort(key=lambda r: (-r["score"], -r["commits"], r["path"]))
    return rows[:top]
