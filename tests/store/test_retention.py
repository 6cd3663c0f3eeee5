"""Retention: the newest N runs of each workflow stay, with everything they share."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.store import RunStore, memo, retention
from swath.workspace import Workspace
from tests.store.test_store import WORKFLOW, count


async def _runs(root: Path, n: int) -> list[str]:
    store = RunStore.open(root)
    engine = Engine(Workspace(root), store)
    ids = [(await engine.run(WORKFLOW, RunOptions())).run_id for _ in range(n)]
    await store.aclose()
    return ids


async def test_old_runs_go_and_shared_results_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(retention.KEEP_ENV, "2")
    for i in range(10):
        (tmp_path / f"f{i}.txt").write_text(f"{i}\n")
    ids = await _runs(tmp_path, 5)
    db = tmp_path / ".swath" / "swath.db"
    store = RunStore.open(tmp_path)
    kept = [r.id for r in await store.list_runs()]
    assert sorted(kept) == sorted(ids[-2:])
    # Both kept runs were served by the cache: their tasks are a list each, in `blobs`
    # (runs.cached_tasks), and the same list; the first run's rows went with it.
    assert count(db, "tasks") == 0 and count(db, "records") == 10
    # The kept runs read back whole: every task's result and the report's findings.
    for run_id in kept:
        tasks = await store.tasks(run_id)
        assert len(tasks) == 10 and all(t.record is not None for t in tasks)
        row = await store.get_run(run_id)
        assert row is not None and row.report is not None and row.report.outputs is not None
    await store.aclose()

    # A file gone: its result is only the cache's once the runs that had it are dropped,
    # and kept until the cache entry is a day old.
    (tmp_path / "f9.txt").unlink()
    await _runs(tmp_path, 2)
    assert count(db, "tasks") == 0
    assert count(db, "records") == 10
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("BEGIN")
        pruned = retention.prune(con, 2, now=time.time() + 2 * retention.CACHE_GRACE_S)
        con.execute("COMMIT")
    finally:
        con.close()
    assert pruned.cache == 1 and pruned.records == 1 and pruned.runs == 0
    assert count(db, "records") == 9
    # what the two kept runs share: their outputs, their (empty) list of findings' chunks,
    # their spec as run and their list of cached tasks (one chunk, and the list of chunks)
    assert count(db, "blobs") == 5


async def test_a_running_run_is_never_dropped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    await _runs(tmp_path, 1)
    store = RunStore.open(tmp_path)
    await store.create_run("0-running", "probe", {}, {}, [], "static", "2000-01-01T00:00:00")
    await _runs_with(store, tmp_path, 3)
    pruned = await store.prune(1)
    ids = [r.id for r in await store.list_runs()]
    await store.aclose()
    assert "0-running" in ids and len(ids) == 2
    assert pruned.runs == 3 - 1 + 1


async def _runs_with(store: RunStore, root: Path, n: int) -> None:
    engine = Engine(Workspace(root), store)
    for _ in range(n):
        await engine.run(WORKFLOW, RunOptions())


def test_keep_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(retention.KEEP_ENV, raising=False)
    assert retention.keep_from_env() == 20
    monkeypatch.setenv(retention.KEEP_ENV, "5")
    assert retention.keep_from_env() == 5
    monkeypatch.setenv(retention.KEEP_ENV, "many")
    assert retention.keep_from_env() == 20


async def test_a_dropped_run_takes_its_batch_ids_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(retention.KEEP_ENV, "1")
    (tmp_path / "f.txt").write_text("x\n")
    [old] = await _runs(tmp_path, 1)
    store = RunStore.open(tmp_path)
    store.batch_submitted(old, "sum", 0, "msgbatch_a", ["t-a"])
    store.batch_submitted(old, "sum", 1, "msgbatch_b", ["t-b"])
    await store.aclose()
    db = tmp_path / ".swath" / "swath.db"
    assert count(db, "step_batches") == 2
    [new] = await _runs(tmp_path, 1)  # keeping one run per workflow drops the old one
    assert new != old and count(db, "step_batches") == 0


async def test_the_memo_keeps_what_a_run_used_lately(tmp_path: Path) -> None:
    store = RunStore.open(tmp_path)
    store.memo_put([("old", {"a.py": "1"}, [1]), ("used", {"a.py": "1"}, [2])])
    await store.flush()
    month_ago = time.time() - memo.MEMO_TTL_S - 60
    await store.db.call(lambda c: c.execute("UPDATE memo SET used_at=?", (month_ago,)))
    assert await store.memo_get(["used"]) == {"used": ({"a.py": "1"}, [2])}  # refreshes it
    pruned = await store.db.call(lambda c: retention.prune(c))
    assert pruned.memo == 1
    assert await store.memo_get(["old", "used"]) == {"used": ({"a.py": "1"}, [2])}
    await store.aclose()
