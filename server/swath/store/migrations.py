"""Store schema versions: `schema.sql` is version 2, each later version one migration.

Run history is what a user looks back on, so an upgrade carries it forward instead of
starting a new store. To change the schema, append one `Migration` to `MIGRATIONS`
(the next version number, the SQL that turns the previous version into it) and nothing
else: a new store is built as `schema.sql` plus every migration, an old one gets the
migrations it lacks, each in its own transaction with its version bump, so a crash or a
second process opening the store at the same moment never leaves it half-migrated.
`schema.sql` itself is never edited again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from importlib import resources

# The version `schema.sql` creates; stores older than this predate migrations.
BASELINE_VERSION = 2


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    sql: str  # one or more statements; run inside the migration's transaction


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        3,
        "runs indexed by workflow and start: retention keeps the newest N of each workflow",
        "CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs(workflow, started_at);",
    ),
    Migration(
        4,
        "a finished run's outputs and findings stored once by content: a cached re-run of a "
        "large map adds a run row, not megabytes",
        "CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, json TEXT NOT NULL);\n"
        "ALTER TABLE runs ADD COLUMN outputs_hash TEXT REFERENCES blobs(hash);\n"
        "ALTER TABLE runs ADD COLUMN findings_hash TEXT REFERENCES blobs(hash);",
    ),
    Migration(
        5,
        "a run is leased by the process running it: its host beside the pid, and a heartbeat, "
        "so a second process cannot resume a live run and a dead one shows as interrupted",
        "ALTER TABLE runs ADD COLUMN host TEXT;\nALTER TABLE runs ADD COLUMN heartbeat_at REAL;",
    ),
    Migration(
        6,
        "a batch-mode step's Message Batches, one row each with the custom_ids it holds: a step "
        "over the API's batch limits is split, and resume collects every part. The one batch "
        "an older Swath noted in the audit log is carried over (custom_ids NULL: it holds "
        "every task of its step)",
        "CREATE TABLE IF NOT EXISTS step_batches (\n"
        "  run_id TEXT NOT NULL, step TEXT NOT NULL, part INTEGER NOT NULL,\n"
        "  batch_id TEXT NOT NULL, custom_ids_json TEXT, submitted_at REAL NOT NULL,\n"
        "  PRIMARY KEY (run_id, step, part)\n"
        ");\n"
        "INSERT OR IGNORE INTO step_batches(run_id, step, part, batch_id, custom_ids_json,"
        " submitted_at)\n"
        "  SELECT run_id, step, 0, json_extract(detail_json, '$.batch_id'), NULL, at FROM audit\n"
        "  WHERE id IN (SELECT MAX(id) FROM audit WHERE kind = 'batch_submitted'"
        " GROUP BY run_id, step)\n"
        "  AND json_extract(detail_json, '$.batch_id') IS NOT NULL;",
    ),
    Migration(
        7,
        "the memo (store.memo): what the engine concluded about a group of findings from the "
        "files they name (fingerprints, verification), with those files' hashes, so a cached "
        "re-run does not read and check every file again",
        "CREATE TABLE IF NOT EXISTS memo (\n"
        "  key TEXT PRIMARY KEY, deps_json TEXT NOT NULL, value_json TEXT NOT NULL,\n"
        "  used_at REAL NOT NULL\n"
        ");",
    ),
    Migration(
        8,
        "a task result whose output is most of it (a map's per-file facts) is stored with its "
        "head too (the record without its output), so a cached run reads its findings without "
        "parsing megabytes of facts it does not use",
        "ALTER TABLE records ADD COLUMN head_json TEXT;",
    ),
    Migration(
        9,
        "a run's output that is a task's result output (a reduce's: a map's is megabytes) "
        "points at that result instead of being stored a second time in the outputs blob",
        "ALTER TABLE runs ADD COLUMN outputs_refs TEXT;",
    ),
    Migration(
        10,
        "each file's content hash with the stat it was taken under (workspace.HashedFile), so "
        "the next process re-reads only the files whose stat changed, not every file a cached "
        "result depends on",
        "CREATE TABLE IF NOT EXISTS file_hashes (\n"
        "  root TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,\n"
        "  mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, ino INTEGER NOT NULL,\n"
        "  hashed_ns INTEGER NOT NULL, hash TEXT NOT NULL,\n"
        "  PRIMARY KEY (root, path)\n"
        ") WITHOUT ROWID;",
    ),
    Migration(
        11,
        "the findings a run streams are kept one row per batch (a JSON array, as the report's "
        "blob holds them) until its report holds them, not one row per finding: a map's "
        "reduce streamed 7,634 rows, three B-trees each, only to delete them at its end. "
        "`findings` stays for what an older Swath streamed",
        "CREATE TABLE IF NOT EXISTS streamed_findings (\n"
        "  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, step TEXT NOT NULL,\n"
        "  count INTEGER NOT NULL, findings_json TEXT NOT NULL\n"
        ");\n"
        "CREATE INDEX IF NOT EXISTS streamed_findings_run ON streamed_findings(run_id);",
    ),
    Migration(
        12,
        "a run's findings are kept in chunks by content (`blobs`), a run of whole files' "
        "findings each; the report names its list of chunks (`findings_chunks`, a blob's "
        "hash too) and a streamed row its chunks (`chunks_json`): a re-map "
        "after one changed file stored all 7,634 findings of a map twice more (5.2 MB of "
        "streamed rows, only to delete them, and the report's blob), a fully cached run "
        "streamed them again; now both write only the chunks no earlier run wrote",
        "ALTER TABLE runs ADD COLUMN findings_chunks TEXT;\n"
        "ALTER TABLE runs ADD COLUMN findings_count INTEGER;\n"
        "ALTER TABLE streamed_findings ADD COLUMN chunks_json TEXT;",
    ),
    Migration(
        13,
        "a run's spec as run is a blob by content (`spec_hash`; `spec_json` is '' then), and "
        "the tasks the cache served are one list in `blobs` at the run's end (`cached_tasks`), "
        "not a row each: a fully cached re-run of a sympy map added 32 KiB to the store, its "
        "75 task rows (25 KB) and the 5.5 KB spec in its run row, which the last run had too",
        "ALTER TABLE runs ADD COLUMN spec_hash TEXT;\n"
        "ALTER TABLE runs ADD COLUMN cached_tasks TEXT;",
    ),
    Migration(
        14,
        "a record whose findings are large keeps them in chunks by content (`blobs`, as a "
        "run's findings are) and names its list of chunks (`records.findings_chunks`); its "
        "`record_json` and `head_json` then hold it with `findings: []`, and its hash is "
        "still its whole JSON's: a sympy re-map stored its reduce's 7,634 findings (5.2 MB) "
        "again in the new 8.7 MB record; now the chunk of the file that changed",
        "ALTER TABLE records ADD COLUMN findings_chunks TEXT;",
    ),
    Migration(
        15,
        "a record whose JSON (its findings' chunks aside) is large is kept in parts: byte "
        "ranges of it in `blobs` by content, cut where the text says, the record naming "
        "their list (`records.parts`; its `record_json` is '' then): a sympy re-map stored "
        "its reduce's 3.5 MB module map again whole, for a few changed rows and counts",
        "ALTER TABLE records ADD COLUMN parts TEXT;",
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version if MIGRATIONS else BASELINE_VERSION


class StoreTooNew(RuntimeError):
    """The store was written by a newer Swath; migrating down would lose what it added."""


def stored_version(conn: sqlite3.Connection) -> int | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError:  # no meta table: a new (or foreign) database
        return None
    return int(row[0]) if row else None


def statements(sql: str) -> list[str]:
    """`sql` split into whole statements (a trigger's inner `;` does not split it)."""
    out: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()[:80]!r}")
    return out


def migrate(conn: sqlite3.Connection, path: str = "the store") -> int:
    """Bring `conn` (autocommit mode) to `SCHEMA_VERSION`; returns the version it found."""
    found = stored_version(conn)
    if found is not None and found > SCHEMA_VERSION:
        raise StoreTooNew(
            f"{path} has store schema {found}, newer than this Swath's {SCHEMA_VERSION}: "
            "upgrade Swath, or move the file away to start a new store"
        )
    if found == SCHEMA_VERSION:
        # Nothing to write, so no write lock: a run in another process may hold it for long,
        # or be stopped holding it (a `resume` or `runs` beside it must still open the store).
        return found
    if found is None:
        baseline = resources.files("swath.store").joinpath("schema.sql").read_text("utf-8")
        conn.executescript(baseline)  # CREATE … IF NOT EXISTS: safe if another process won
        conn.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
            (str(BASELINE_VERSION),),
        )
    for m in MIGRATIONS:
        _apply(conn, m)
    return found if found is not None else BASELINE_VERSION


def _apply(conn: sqlite3.Connection, m: Migration) -> None:
    conn.execute("BEGIN IMMEDIATE")  # one writer: a second process waits, then sees it done
    try:
        current = stored_version(conn)
        if current is not None and current >= m.version:
            conn.execute("COMMIT")
            return
        for stmt in statements(m.sql):
            conn.execute(stmt)
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
            (str(m.version),),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
