"""Listing runs reads their summaries with SQLite's JSON functions, not their reports: the
numbers must be the report's own, for finished runs and for a run still streaming."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from swath.engine.catalog import known_names
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.findings.model import Evidence, Finding, Range
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import load_workflow
from swath.store import RunStore
from swath.workspace import Workspace
from tests.gitrepo import commit_files, init_repo


async def test_summaries_agree_with_the_reports_they_summarise(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit_files(
        root,
        {
            f"m{i}.py": "".join(f"x{j} = {j}  # TODO: item {j}\n" for j in range(i + 1))
            for i in range(4)
        },
        date="2020-01-01T12:00:00+00:00",  # older than todo-audit's 180 days
    )
    wf = load_workflow(builtin_workflows_dir() / "todo-audit.yaml", known_names())
    store = RunStore.open(root)
    try:
        engine = Engine(Workspace(root), store)
        reports = [await engine.run(wf, RunOptions(engine="static")) for _ in range(2)]
        summaries = {s.id: s for s in await store.list_runs()}
        assert set(summaries) == {r.run_id for r in reports}
        for report in reports:
            s = summaries[report.run_id]
            assert (s.workflow, s.status, s.engine) == ("todo-audit", "succeeded", "static")
            assert s.agents == report.agents.total > 0
            assert s.findings == len(report.findings) > 0
            assert s.cost_usd == report.usage.cost_usd
            assert s.finished_at == report.finished_at
    finally:
        await store.aclose()


async def test_a_running_run_counts_the_findings_streamed_so_far(tmp_path: Path) -> None:
    store = RunStore.open(tmp_path)
    try:
        run_id = "20261202-000000-abcdef"
        await store.create_run(
            run_id, "todo-audit", {"name": "todo-audit"}, {}, [], "static", "2026-12-02T00:00:00"
        )
        found = [
            Finding(
                rule="todo/comment",
                message=f"TODO {n}",
                path="a.py",
                range=Range.of_line(n),
                evidence=[Evidence(path="a.py", line=n, quote=f"x = {n}  # TODO")],
                fingerprint=f"fp{n}",
            )
            for n in (1, 2, 3)
        ]
        store.save_findings(run_id, "todos", found)
        await store.flush()  # a summary reads what is committed
        (s,) = await store.list_runs()
        assert (s.id, s.status, s.findings, s.agents, s.finished_at) == (
            run_id,
            "running",
            3,
            0,
            None,
        )
    finally:
        await store.aclose()


def test_a_run_worker_lowers_its_priority_and_its_children_inherit_it() -> None:
    probe = (
        "import os, subprocess, sys\n"
        "from swath.engine.worker import lower_priority\n"
        "lower_priority(7)\n"
        "child = subprocess.run([sys.executable, '-c', 'import os; print(os.nice(0))'],"
        " capture_output=True, text=True, check=True)\n"
        "print(os.nice(0), child.stdout.strip())\n"
    )
    before = os.nice(0)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    expected = min(before + 7, 19)
    assert out.stdout.split() == [str(expected), str(expected)]


async def test_a_running_run_streams_one_row_a_batch_and_shows_its_findings(
    tmp_path: Path,
) -> None:
    """A batch of streamed findings is one row (`streamed_findings`), read back by path with
    what an older Swath streamed a finding a row (`findings`); a resume starts the run's
    streamed rows again (it streams every finding again), and the report replaces them."""
    store = RunStore.open(tmp_path)

    def todo(n: int, path: str = "a.py") -> Finding:
        return Finding(
            rule="todo/comment",
            message=f"TODO {n}",
            path=path,
            range=Range.of_line(n),
            evidence=[Evidence(path=path, line=n, quote=f"x = {n}  # TODO")],
            fingerprint=f"fp{n}",
        )

    try:
        run_id = "20261204-000000-abcdef"
        await store.create_run(
            run_id, "todo-audit", {"name": "todo-audit"}, {}, [], "static", "2026-12-04T00:00:00"
        )
        old = todo(9, "0.py")  # as an older Swath streamed it
        await store.db.call(
            lambda c: c.execute(
                "INSERT INTO findings(run_id, step, fingerprint, path, finding_json)"
                " VALUES (?,?,?,?,?)",
                (run_id, "todos", old.fingerprint, old.path, old.model_dump_json()),
            )
        )
        store.save_findings(run_id, "todos", [todo(1, "b.py"), todo(2)])
        store.save_findings(run_id, "todos", [todo(3)])
        await store.flush()
        count = await store.db.call(
            lambda c: c.execute(
                "SELECT COUNT(*) FROM streamed_findings WHERE run_id=?", (run_id,)
            ).fetchone()[0]
        )
        assert count == 2
        shown = await store.findings(run_id)
        assert [(f.path, f.fingerprint) for f in shown] == [
            ("0.py", "fp9"),
            ("a.py", "fp2"),
            ("a.py", "fp3"),
            ("b.py", "fp1"),
        ]
        assert shown[1] == todo(2)
        (s,) = await store.list_runs()
        assert s.findings == 4

        await store.db.call(
            lambda c: c.execute("UPDATE runs SET status='failed' WHERE id=?", (run_id,))
        )
        await store.reopen_run(run_id)  # a resume streams them again
        assert [f.fingerprint for f in await store.findings(run_id)] == ["fp9"]
        store.save_findings(run_id, "todos", [todo(2), todo(3)])
        await store.flush()
        (s,) = await store.list_runs()
        assert s.findings == 3
    finally:
        await store.aclose()


async def test_a_large_batch_of_streamed_findings_is_split_into_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No row holds much more than `STREAMED_ROW_BYTES` (one copy of a map's 3.5 MB of
    findings less at its memory peak); the findings read back are the same."""
    from swath.store import runs

    monkeypatch.setattr(runs, "STREAMED_ROW_BYTES", 1)
    store = RunStore.open(tmp_path)
    try:
        run_id = "20261204-000001-abcdef"
        await store.create_run(
            run_id, "todo-audit", {"name": "todo-audit"}, {}, [], "static", "2026-12-04T00:00:00"
        )
        found = [
            Finding(
                rule="todo/comment",
                message=f"TODO {n}",
                path="a.py",
                range=Range.of_line(n),
                fingerprint=f"fp{n}",
            )
            for n in range(5)
        ]
        store.save_findings(run_id, "todos", found)
        await store.flush()
        rows = await store.db.call(
            lambda c: c.execute(
                "SELECT count FROM streamed_findings WHERE run_id=? ORDER BY id", (run_id,)
            ).fetchall()
        )
        assert [r[0] for r in rows] == [1] * 5
        assert await store.findings(run_id) == found
        (s,) = await store.list_runs()
        assert s.findings == 5
    finally:
        await store.aclose()
