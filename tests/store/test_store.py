"""The run store: results stored once by content, older schemas set aside, never lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

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
    assert count(db, "tasks") == 50  # every run keeps its own task rows ...
    assert count(db, "records") == 10  # ... but each distinct result's bytes exist once
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
    await store.aclose()
    assert again.agents.cached == 10
    # The zero usage of 10 cached tasks: '{}' each (it was every counter at 0, ~100 bytes).
    assert [r[0] for r in rows] == ["{}"] * 10
    assert reread.cost_usd == 0 and reread.input_tokens == 0
