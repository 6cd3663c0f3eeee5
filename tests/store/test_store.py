"""The run store: results stored once by content, older schemas set aside, never lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.spec.models import Workflow
from swath.store import RunStore
from swath.workspace import Workspace
from tests.engine import probe_analyzers

probe_analyzers.register()

WORKFLOW = Workflow.model_validate(
    {
        "name": "probe",
        "steps": [
            {"id": "files", "kind": "discover", "source": "files", "with": {"include": ["*.txt"]}},
            {
                "id": "work",
                "kind": "map",
                "from": "files",
                "agent": {"analyzer": "probe-sleep", "params": {"seconds": 0}},
            },
        ],
    }
)


def count(db: Path, table: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


async def test_a_result_reused_by_many_runs_is_stored_once(tmp_path: Path) -> None:
    for i in range(10):
        (tmp_path / f"f{i}.txt").write_text(f"{i}\n")
    store = RunStore.open(tmp_path)
    engine = Engine(Workspace(tmp_path), store)
    for _ in range(5):
        report = await engine.run(WORKFLOW, RunOptions())
    await store.aclose()
    assert report.agents.cached == 10
    db = tmp_path / ".swath" / "swath.db"
    # The first run's task rows; the four cached runs' tasks are one list in `blobs`, the
    # same for all four (runs.cached_tasks) ...
    assert count(db, "tasks") == 10
    con = sqlite3.connect(db)
    lists = con.execute("SELECT COUNT(DISTINCT cached_tasks), COUNT(cached_tasks) FROM runs")
    assert lists.fetchone() == (1, 4)
    con.close()
    assert count(db, "records") == 10  # ... and each distinct result's bytes exist once
    tasks = await _reopen_tasks(tmp_path, report.run_id)
    assert sorted(t.record.output["ids"][0] for t in tasks if t.record) == [
        f"f{i}.txt" for i in range(10)
    ]


async def _reopen_tasks(root: Path, run_id: str) -> list:
    store = RunStore.open(root)
    try:
        return await store.tasks(run_id)
    finally:
        await store.aclose()


async def test_a_store_of_an_older_schema_is_kept_aside(tmp_path: Path) -> None:
    d = tmp_path / ".swath"
    d.mkdir()
    old = sqlite3.connect(d / "swath.db")
    old.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    old.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    old.execute("CREATE TABLE tasks (run_id TEXT, record_json TEXT)")
    old.execute("INSERT INTO tasks VALUES ('r1', '{}')")
    old.commit()
    old.close()
    store = RunStore.open(tmp_path)
    assert await store.list_runs() == []
    await store.aclose()
    kept = sqlite3.connect(d / "swath.db.v1.bak")
    assert kept.execute("SELECT run_id FROM tasks").fetchall() == [("r1",)]
    kept.close()
    assert "swath.db[.-]*" in (d / ".gitignore").read_text()


async def test_a_cached_task_row_stores_no_usage(tmp_path: Path) -> None:
    for i in range(10):
        (tmp_path / f"f{i}.txt").write_text(f"{i}\n")
    store = RunStore.open(tmp_path)
    engine = Engine(Workspace(tmp_path), store)
    await engine.run(WORKFLOW, RunOptions())
    again = await engine.run(WORKFLOW, RunOptions())
    rows = await store.db.call(
        lambda c: c.execute(
            "SELECT usage_json FROM tasks WHERE run_id=?", (again.run_id,)
        ).fetchall()
    )
    reread = await store.spent(again.run_id)
    tasks = await store.tasks(again.run_id)
    await store.aclose()
    assert again.agents.cached == 10
    # A cached task's row says '{}' of its usage (it was every counter at 0, ~100 bytes), so
    # at the run's end it is folded into the run's list of cached tasks, rows no more.
    assert rows == []
    assert len(tasks) == 10 and all(t.cached and t.usage.cost_usd == 0 for t in tasks)
    assert reread.cost_usd == 0 and reread.input_tokens == 0


async def test_a_resumed_runs_list_of_cached_tasks_keeps_the_earlier_attempts(
    tmp_path: Path,
) -> None:
    """A cache-served task's row is folded into the run's list (`runs.cached_tasks`) at its
    end; a resumed run reuses those tasks without rows of its own, so its list at its end
    holds them with the tasks it served itself."""
    from swath.findings.report import RunReport, Usage
    from swath.spec.records import Record

    store = RunStore.open(tmp_path)
    run_id = "20261204-000001-abcdef"

    def served(key: str) -> None:
        rec = Record(step="files", key=key, output={"key": key})
        store.task_finished(
            run_id, "files", key, f"ih-{key}", "succeeded", rec, Usage(), cached=True
        )

    async def finish() -> None:
        report = RunReport(run_id=run_id, workflow="w", status="succeeded", outputs={})
        await store.finish_run(report)

    try:
        await store.create_run(run_id, "w", {"name": "w"}, {}, [], "static", "2026-12-04T00:01")
        served("a")
        served("b")
        store.task_finished(run_id, "sum", "reduce", "ih-r", "failed", None, Usage(), error="x")
        await finish()
        assert [(t.key, t.cached) for t in await store.tasks(run_id)] == [
            ("a", True),
            ("b", True),
            ("reduce", False),
        ]
        await store.db.call(
            lambda c: c.execute("UPDATE runs SET status='failed' WHERE id=?", (run_id,))
        )
        await store.reopen_run(run_id)
        served("c")
        await finish()
        done = await store.finished_tasks(run_id)
        assert sorted(k for _, k in done) == ["a", "b", "c"]
        assert all(
            t.record is not None and t.record.output == {"key": t.key} for t in done.values()
        )
        assert (
            await store.db.call(
                lambda c: c.execute(
                    "SELECT COUNT(*) FROM tasks WHERE run_id=?", (run_id,)
                ).fetchone()[0]
            )
            == 1
        )  # the failed reduce's row
        row = await store.get_run(run_id)
        assert row is not None and row.spec == {"name": "w"}
    finally:
        await store.aclose()


async def test_a_list_of_cached_tasks_in_either_form_reads_back_and_keeps_its_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list of a run's cache-served tasks is kept in chunks (the run names the list of
    their hashes); the first form of schema 13, the whole list in one blob, reads the same,
    and retention keeps the records either names."""
    import json

    from swath.store import retention, runs

    monkeypatch.setattr(runs, "TASK_CHUNK_BYTES", 1)
    monkeypatch.setattr(runs, "CHUNK_MARK", 1)  # a chunk a task
    for i in range(30):
        (tmp_path / f"f{i}.txt").write_text(f"{i}\n")
    store = RunStore.open(tmp_path)
    engine = Engine(Workspace(tmp_path), store)
    await engine.run(WORKFLOW, RunOptions())
    cached = await engine.run(WORKFLOW, RunOptions())
    try:
        served = await store.tasks(cached.run_id)
        assert len(served) == 30 and all(t.cached and t.record for t in served)
        chunks = await store.db.call(
            lambda c: json.loads(
                c.execute(
                    "SELECT b.json FROM runs JOIN blobs b ON b.hash = runs.cached_tasks"
                    " WHERE runs.id=?",
                    (cached.run_id,),
                ).fetchone()[0]
            )
        )
        assert len(chunks) > 1 and all(isinstance(h, str) for h in chunks)

        def whole_list(c: sqlite3.Connection) -> None:  # as the first of schema 13 kept it
            entries = [[t.step, t.key, t.input_hash, ""] for t in served]
            for entry, (digest,) in zip(
                entries,
                c.execute(
                    "SELECT record_hash FROM tasks WHERE run_id != ? ORDER BY step, key",
                    (cached.run_id,),
                ),
                strict=True,
            ):
                entry[3] = digest
            text = json.dumps(entries)
            c.execute("INSERT INTO blobs(hash, json) VALUES ('old-list', ?)", (text,))
            c.execute("UPDATE runs SET cached_tasks='old-list' WHERE id=?", (cached.run_id,))
            c.execute("DELETE FROM runs WHERE id != ?", (cached.run_id,))
            c.execute("DELETE FROM tasks WHERE run_id != ?", (cached.run_id,))

        await store.db.call(whole_list)
        assert [(t.key, t.record) for t in await store.tasks(cached.run_id)] == [
            (t.key, t.record) for t in served
        ]
        await store.db.call(lambda c: retention.prune(c, keep=1, now=2e9))
        assert [t.record for t in await store.tasks(cached.run_id)] == [t.record for t in served]
    finally:
        await store.aclose()
