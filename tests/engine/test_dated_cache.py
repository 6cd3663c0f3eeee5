"""Cached results that depend on the day or on the git history are not served past them.

A TODO's age, a flag's time in its state and a file's commits in the last year are drawn
from git and counted to today. The files they read can stay the same for months, so a
cache keyed on file content alone would keep a 29-day-old flag "too young to remove" and
a hot spot's commit count frozen. The analyzers that count to today are keyed on the day;
the module map's hot spots also on the commit checked out.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from swath.cli.main import main
from swath.engine import planner
from swath.store import RunStore
from tests.gitrepo import commit_files, init_repo


def _run(root: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "report.json"
    assert main(["-C", str(root), "run", *args, "--format", "json", "-o", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _cached_steps(root: Path, report: dict[str, Any]) -> dict[str, bool]:
    """Per step that ran agents: whether every one of its tasks came from the cache, as
    the store recorded the run."""

    async def tasks() -> list[tuple[str, bool]]:
        store = RunStore.open(root)  # a cached run's tasks are a list (runs.cached_tasks)
        try:
            return [(t.step, t.cached) for t in await store.tasks(report["run_id"])]
        finally:
            await store.aclose()

    rows = asyncio.run(tasks())
    steps: dict[str, list[bool]] = {}
    for step, cached in rows:
        steps.setdefault(step, []).append(bool(cached))
    assert steps, "the run recorded no task"
    return {step: all(flags) for step, flags in steps.items()}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    commit_files(
        root,
        {
            "app/__init__.py": "",
            "app/jobs.py": "import app.util\n\n\ndef run():\n    # TODO: retry on timeout\n    return 1\n",
            "app/util.py": "def helper(x):\n    if x:\n        return 1\n    return 2\n",
        },
        date="2024-01-15T10:00:00Z",
    )
    return root


def test_a_todo_age_is_counted_again_on_another_day(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _run(repo, tmp_path, "todo-audit")
    assert first["agents"]["cached"] == 0
    same_day = _run(repo, tmp_path, "todo-audit")
    assert _cached_steps(repo, same_day)["todos"] is True
    monkeypatch.setattr(planner, "today", lambda: "2099-01-01")
    next_day = _run(repo, tmp_path, "todo-audit")
    assert _cached_steps(repo, next_day)["todos"] is False


def test_the_module_map_counts_commits_again_after_a_commit(repo: Path, tmp_path: Path) -> None:
    _run(repo, tmp_path, "map-module")
    again = _run(repo, tmp_path, "map-module")
    assert all(_cached_steps(repo, again).values()), _cached_steps(repo, again)
    # A commit that changes no mapped file: each file's facts stay cached, the map's
    # hot spots (commits per file) are drawn again.
    commit_files(repo, {"NOTES.txt": "release notes\n"}, date="2024-02-01T10:00:00Z")
    after = _cached_steps(repo, _run(repo, tmp_path, "map-module"))
    reduce_steps = [s for s, cached in after.items() if not cached]
    assert reduce_steps, after
    assert any(cached for cached in after.values()), "the per-file facts should stay cached"
