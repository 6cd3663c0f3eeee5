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


def _lens(n: int, path: str, note: str = "") -> Finding:
    return Finding(
        rule="map/summary",
        message=f"{path}: {n}{note}",
        path=path,
        range=Range.of_line(n),
        fingerprint=f"{path}#{n}",
    )


async def _blob_count(store: RunStore) -> int:
    return int(await store.db.call(lambda c: c.execute("SELECT COUNT(*) FROM blobs").fetchone()[0]))


async def test_a_runs_findings_are_stored_in_chunks_a_later_run_finds_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's findings (streamed and in its report) are stored in chunks by content, each
    a run of whole files' findings: the report finds the chunks its streaming wrote, a run
    whose findings changed in one file writes that file's chunk, and a run with the same
    findings writes none (a sympy re-map wrote its 5.2 MB of findings twice more)."""
    from swath.findings.report import RunReport
    from swath.store import runs

    monkeypatch.setattr(runs, "CHUNK_MIN_BYTES", 1)
    monkeypatch.setattr(runs, "CHUNK_MARK", 1)  # every file starts a chunk
    monkeypatch.setattr(runs, "CHUNK_MAX_BYTES", 900)  # and a large one is cut: ~250 B each
    store = RunStore.open(tmp_path)
    paths = [f"m{n}.py" for n in range(6)]

    async def one_run(n: int, changed: str = "") -> tuple[str, int]:
        run_id = f"20261204-00000{n}-abcdef"
        await store.create_run(
            run_id, "map-module", {"name": "map-module"}, {}, [], "static", f"2026-12-04T00:0{n}"
        )
        found = [
            _lens(line, p, " (edited)" if p == changed else "") for p in paths for line in range(3)
        ]
        found += [_lens(line, "big.py") for line in range(12)]
        before = await _blob_count(store)
        store.save_findings(run_id, "report", list(reversed(found)))  # any order streamed
        report = RunReport(
            run_id=run_id, workflow="map-module", status="succeeded", findings=found, outputs={}
        )
        await store.finish_run(report)
        return run_id, await _blob_count(store) - before

    try:
        first, written = await one_run(1)
        # a chunk for each small file, big.py's 12 in three, the list of them and the
        # outputs: the report's chunks were the streamed ones
        assert written == 6 + 3 + 1 + 1
        again, written = await one_run(2)
        assert written == 0  # the same findings: the same chunks, the same list
        edited, written = await one_run(3, changed="m2.py")
        assert written == 2  # m2.py's chunk and the new list
        for run_id, note in ((first, ""), (again, ""), (edited, " (edited)")):
            row = await store.get_run(run_id)
            assert row is not None and row.report is not None
            assert [f.message for f in row.report.findings if f.path == "m2.py"] == [
                f"m2.py: {n}{note}" for n in range(3)
            ]
            assert len(row.report.findings) == 30
            assert len(await store.findings(run_id)) == 30
        assert {s.findings for s in await store.list_runs()} == {30}
    finally:
        await store.aclose()


async def test_the_chunks_a_running_run_streamed_survive_retention_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retention drops a dropped run's chunks and keeps a kept run's and those a run still
    going has streamed; the streamed findings read back the same."""
    from swath.store import retention, runs

    monkeypatch.setattr(runs, "CHUNK_MIN_BYTES", 1)
    monkeypatch.setattr(runs, "CHUNK_MARK", 1)
    store = RunStore.open(tmp_path)
    try:
        going = "20261204-000009-abcdef"
        await store.create_run(
            going, "todo-audit", {"name": "todo-audit"}, {}, [], "static", "2026-12-04T00:09"
        )
        found = [_lens(n, f"s{n}.py") for n in range(4)]
        store.save_findings(going, "todos", found)
        await store.flush()
        assert await store.findings(going) == found
        pruned = await store.db.call(lambda c: retention.prune(c, keep=1))
        assert pruned.blobs == 0
        assert await store.findings(going) == found
        (s,) = await store.list_runs()
        assert s.findings == 4
    finally:
        await store.aclose()


async def test_chunks_streamed_in_other_batches_than_the_reports_go_with_the_streamed_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that streams a few findings at a time (a flag audit, a record at a time) makes
    chunks the report does not keep: they go at its end, as the streamed rows do, unless
    something else names them."""
    from swath.findings.report import RunReport
    from swath.store import runs

    monkeypatch.setattr(runs, "CHUNK_MIN_BYTES", 1)
    monkeypatch.setattr(runs, "CHUNK_MARK", 4)
    store = RunStore.open(tmp_path)
    try:
        run_id = "20261204-000011-abcdef"
        await store.create_run(
            run_id, "flag-audit", {"name": "flag-audit"}, {}, [], "static", "2026-12-04T00:11"
        )
        found = [_lens(n, f"f{n % 7}.py") for n in range(21)]
        for start in range(0, 21, 2):  # batches that cut files apart
            store.save_findings(run_id, "report", found[start : start + 2])
        await store.flush()
        assert len(await store.findings(run_id)) == 21
        report = RunReport(
            run_id=run_id, workflow="flag-audit", status="succeeded", findings=found, outputs={}
        )
        await store.finish_run(report)
        row = await store.get_run(run_id)
        assert row is not None and row.report is not None and row.report.findings == found
        named = await store.db.call(
            lambda c: c.execute(
                "SELECT COUNT(*) FROM runs JOIN blobs m ON m.hash = runs.findings_chunks,"
                " json_each(m.json)"
            ).fetchone()[0]
        )
        # the report's chunks, its list of them, the outputs and the spec: nothing else
        assert await _blob_count(store) == named + 3
    finally:
        await store.aclose()
