"""Hot spots: files that are both complex and often changed (complexity × churn).

Churn is the number of commits that touched the file in the last year, from one
`git log --name-only` over the mapped folder; complexity is the file's count of decision
points (the analyzer's `branches`: if/for/while/except/case/boolean operators). A file
that is complex but never changes, or changes often but is simple, is not a hot spot;
one that is both is where bugs and merge conflicts collect (Tornhill, *Your Code as a
Crime Scene*). Outside a git repository there is no churn and no hot spot.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from swath.workspace import Workspace

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


def hot_spots(
    modules: list[dict[str, Any]], commits: Counter[str], top: int = 10
) -> list[dict[str, Any]]:
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
    rows = [r for r in rows if r["score"] > 0]
    rows.sort(key=lambda r: (-r["score"], -r["commits"], r["path"]))
    return rows[:top]
