"""A TODO's age is whole days from its commit's day to the run's day: the day the engine keys
the cached result on, so a result drawn in the morning and one drawn at night agree."""

from __future__ import annotations

from pathlib import Path

from swath.analyzers.base import AnalyzerContext
from swath.analyzers.todo import TodoComments
from swath.workspace import Workspace
from tests.gitrepo import commit_files, init_repo
from tests.workflows.helpers import file_items


def _ages(root: Path, *, today: str | None, inputs: dict[str, str] | None = None) -> list[int]:
    ctx = AnalyzerContext(workspace=Workspace(root), inputs=inputs or {}, today=today)
    out = TodoComments().analyze(file_items(root), ctx).output
    return [t["age_days"] for t in out["todos"]]


def test_age_counts_days_to_the_runs_day(tmp_path: Path) -> None:
    init_repo(tmp_path)
    # Late in the day: counted to the second, a run at noon the next day says 0 days old.
    commit_files(tmp_path, {"a.py": "x = 1  # TODO: drop\n"}, date="2024-03-01T23:30:00Z")
    assert _ages(tmp_path, today="2024-03-02") == [1]
    assert _ages(tmp_path, today="2024-03-01") == [0]
    assert _ages(tmp_path, today="2024-05-30") == [90]


def test_as_of_wins_over_the_runs_day(tmp_path: Path) -> None:
    init_repo(tmp_path)
    commit_files(tmp_path, {"a.py": "x = 1  # FIXME: drop\n"}, date="2024-03-01T08:00:00Z")
    assert _ages(tmp_path, today="2030-01-01", inputs={"as_of": "2024-03-11"}) == [10]
    # A commit dated after `as_of` is not of negative age.
    assert _ages(tmp_path, today=None, inputs={"as_of": "2024-02-01"}) == [0]
