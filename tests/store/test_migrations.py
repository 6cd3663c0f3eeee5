"""Schema migrations: a store written before an upgrade keeps its runs after it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from swath.store import RunStore, migrations
from swath.store.migrations import SCHEMA_VERSION, Migration, StoreTooNew, statements

FIXTURE = Path(__file__).parent / "fixtures" / "store-v2.sql"  # written by Swath at schema 2


def v2_store(root: Path) -> Path:
    db = root / ".swath" / "swath.db"
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    conn.close()
    return db


def version_of(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
    finally:
        conn.close()


async def test_a_schema_2_store_is_migrated_with_its_runs_still_listed(tmp_path: Path) -> None:
    db = v2_store(tmp_path)
    assert version_of(db) == 2
    store = RunStore.open(tmp_path)
    try:
        runs = await store.list_runs()
        assert [r.workflow for r in runs] == ["review-diff", "todo-audit", "map-module"]
        assert runs[-1].findings == 2
        mapped = await store.get_run(runs[-1].id)
        assert mapped is not None and mapped.report is not None
        assert len(mapped.report.findings) == 2
        assert len(await store.findings(mapped.id)) == 2
        assert {t.status for t in await store.tasks(mapped.id)} == {"succeeded"}
    finally:
        await store.aclose()
    assert version_of(db) == SCHEMA_VERSION
    assert not list(db.parent.glob("*.bak"))  # nothing set aside
    conn = sqlite3.connect(db)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    conn.close()
    assert "runs_by_workflow" in indexes


async def test_a_new_migration_is_one_entry_and_applies_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = v2_store(tmp_path)
    lease = Migration(
        SCHEMA_VERSION + 1,
        "a column and a trigger, as a later version might add",
        "ALTER TABLE runs ADD COLUMN lease_until REAL;\n"
        "CREATE TRIGGER runs_lease AFTER UPDATE OF status ON runs BEGIN\n"
        "  UPDATE runs SET lease_until = NULL WHERE id = new.id;\n"
        "END;\n",
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, lease))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", lease.version)
    for _ in range(2):  # opening again finds it done and changes nothing
        store = RunStore.open(tmp_path)
        assert len(await store.list_runs()) == 3
        await store.aclose()
    assert version_of(db) == lease.version
    conn = sqlite3.connect(db)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(runs)")]
    conn.close()
    assert cols.count("lease_until") == 1


async def test_a_failing_migration_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = v2_store(tmp_path)
    broken = Migration(
        SCHEMA_VERSION + 1,
        "half good, half broken",
        "ALTER TABLE runs ADD COLUMN x INTEGER;\nALTER TABLE no_such_table ADD COLUMN y;\n",
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, broken))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", broken.version)
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        RunStore.open(tmp_path)
    assert version_of(db) == broken.version - 1  # the earlier migrations stay done
    conn = sqlite3.connect(db)
    assert "x" not in [r[1] for r in conn.execute("PRAGMA table_info(runs)")]
    conn.close()


def test_a_store_from_a_newer_swath_is_refused_not_rewritten(tmp_path: Path) -> None:
    db = v2_store(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 5),))
    conn.commit()
    conn.close()
    with pytest.raises(StoreTooNew, match=f"schema {SCHEMA_VERSION + 5}, newer"):
        RunStore.open(tmp_path)
    assert version_of(db) == SCHEMA_VERSION + 5


def test_statements_keep_a_trigger_whole() -> None:
    sql = "CREATE TABLE t(a);\nCREATE TRIGGER g AFTER INSERT ON t BEGIN\n  SELECT 1;\nEND;\n"
    assert len(statements(sql)) == 2
    with pytest.raises(ValueError, match="incomplete"):
        statements("CREATE TABLE t(a")


async def test_a_batch_an_older_swath_noted_is_carried_into_step_batches(tmp_path: Path) -> None:
    """Before batches were split, the one batch id of a step lived in the audit log; a run
    resumed after the upgrade must collect that batch, not pay for a new one."""
    db = v2_store(tmp_path)
    conn = sqlite3.connect(db)
    run_id = conn.execute("SELECT id FROM runs LIMIT 1").fetchone()[0]
    for at, batch_id in ((1.0, "msgbatch_old"), (2.0, "msgbatch_resubmitted")):
        conn.execute(
            "INSERT INTO audit(run_id, step, key, at, kind, detail_json) VALUES (?,?,?,?,?,?)",
            (run_id, "sum", "*", at, "batch_submitted", f'{{"batch_id": "{batch_id}"}}'),
        )
    conn.commit()
    conn.close()
    store = RunStore.open(tmp_path)
    try:
        [batch] = await store.step_batches(run_id, "sum")
        assert await store.step_batches(run_id, "other") == []
    finally:
        await store.aclose()
    # The latest id (an expired batch was submitted again), holding the whole step.
    assert (batch.part, batch.batch_id, batch.custom_ids) == (0, "msgbatch_resubmitted", None)


async def test_an_up_to_date_store_opens_while_another_process_holds_its_write_lock(
    tmp_path: Path,
) -> None:
    """A run elsewhere in a write (or stopped in one: `kill -STOP`) must not keep `swath
    runs` or `swath resume` from opening the store: only a migration needs the lock."""
    await _closed(RunStore.open(tmp_path))
    writer = sqlite3.connect(tmp_path / ".swath" / "swath.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('held', '1')")
    opened: list[RunStore] = []
    opening = threading.Thread(target=lambda: opened.append(RunStore.open(tmp_path)))
    opening.start()
    opening.join(timeout=10)
    held = opening.is_alive()
    writer.execute("ROLLBACK")
    writer.close()
    opening.join()
    assert not held, "opening the store waited for another process's write lock"
    assert await opened[0].list_runs() == []
    await opened[0].aclose()


async def _closed(store: RunStore) -> None:
    await store.aclose()


async def test_a_schema_11_store_keeps_its_findings_blob_streamed_rows_and_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schema 12 keeps a run's findings in chunks; a run finished before it (its findings
    in one blob, `findings_hash`) and a run interrupted before it (its streamed rows, a JSON
    array each) read back the same after the upgrade, and retention keeps the old blob."""
    from swath.findings.model import Finding, Range
    from swath.store import retention

    def lens(n: int) -> Finding:
        return Finding(
            rule="map/summary",
            message=f"m{n}",
            path=f"m{n}.py",
            range=Range.of_line(0),
            fingerprint=f"fp{n}",
        )

    old = [m for m in migrations.MIGRATIONS if m.version <= 11]
    monkeypatch.setattr(migrations, "MIGRATIONS", tuple(old))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 11)
    await _closed(RunStore.open(tmp_path))
    db = tmp_path / ".swath" / "swath.db"
    assert version_of(db) == 11
    conn = sqlite3.connect(db)
    done, stopped = "20261204-000001-aaaaaa", "20261204-000002-bbbbbb"
    for run_id, started in ((done, "2026-12-04T00:01"), (stopped, "2026-12-04T00:02")):
        conn.execute(
            "INSERT INTO runs(id, workflow, status, spec_json, inputs_json, paths_json, engine,"
            " started_at, report_json) VALUES (?, 'map-module', ?, '{}', '{}', '[]', 'static', ?, ?)",
            (
                run_id,
                "succeeded" if run_id == done else "failed",
                started,
                '{"run_id": "%s", "workflow": "map-module", "status": "succeeded"}' % run_id
                if run_id == done
                else None,
            ),
        )
    blob = "[" + ",".join(lens(n).model_dump_json() for n in range(3)) + "]"
    conn.execute("INSERT INTO blobs(hash, json) VALUES ('h-old', ?)", (blob,))
    conn.execute("UPDATE runs SET findings_hash='h-old' WHERE id=?", (done,))
    for n in (3, 4):
        conn.execute(
            "INSERT INTO streamed_findings(run_id, step, count, findings_json) VALUES (?,?,?,?)",
            (stopped, "report", 1, "[" + lens(n).model_dump_json() + "]"),
        )
    conn.commit()
    conn.close()
    monkeypatch.undo()

    store = RunStore.open(tmp_path)
    try:
        assert version_of(db) == SCHEMA_VERSION
        assert {s.id: s.findings for s in await store.list_runs()} == {done: 3, stopped: 2}
        row = await store.get_run(done)
        assert row is not None and row.report is not None
        assert row.report.findings == [lens(n) for n in range(3)]
        assert row.spec == {}  # inline, as schema 12 kept it (now a blob by content)
        assert await store.findings(done) == [lens(n) for n in range(3)]
        assert await store.findings(stopped) == [lens(3), lens(4)]
        await store.db.call(lambda c: retention.prune(c, keep=5))
        assert await store.findings(done) == [lens(n) for n in range(3)]
    finally:
        await store.aclose()
