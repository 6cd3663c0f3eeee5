"""Retention: the store keeps the newest runs of each workflow and what they share.

A run's rows (the run, its tasks, findings and audit) go when it falls out of the newest
`keep` runs of its workflow; then what nothing references any more goes too: a task
result (`records`) is kept while a kept run's task (a row, or in the list of the tasks
its cache served, `cached_tasks`), a kept run's outputs (`outputs_refs`) or a cache entry
points at it, and a report's outputs and findings (`blobs`; the findings
in chunks, which the rows a run still going has streamed name too; its spec as run; the
list of its cached tasks) while a kept run does.
Shared content is never
lost because it is only ever deleted when unreferenced.

The result cache is kept apart: an entry no kept run used goes only once it is a day old,
so a run going on in another process (whose task rows are not written yet) keeps the
entries it has just made. The memo (store.memo) keeps what some run used in the last
`memo.MEMO_TTL_S`.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from swath.store import memo

DEFAULT_KEEP = 20
KEEP_ENV = "SWATH_KEEP_RUNS"
# An unused cache entry younger than this stays (see the module docstring).
CACHE_GRACE_S = 24 * 3600.0


@dataclass
class Pruned:
    runs: int = 0
    tasks: int = 0
    records: int = 0
    blobs: int = 0
    cache: int = 0
    audit: int = 0
    memo: int = 0

    def total(self) -> int:
        return (
            self.runs + self.tasks + self.records + self.blobs + self.cache + self.audit + self.memo
        )


def _runs_to_drop(c: sqlite3.Connection, keep: int) -> list[str]:
    """Finished runs past the newest `keep` of their workflow. A run still marked
    running (perhaps going on in another process) is never dropped."""
    rows = c.execute(
        "SELECT id FROM ("
        " SELECT id, status, ROW_NUMBER() OVER ("
        "  PARTITION BY workflow ORDER BY started_at DESC, rowid DESC) AS n FROM runs"
        ") WHERE n > ? AND status != 'running'",
        (keep,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def keep_from_env() -> int:
    """`SWATH_KEEP_RUNS` (a whole number, at least 1), else the default."""
    raw = os.environ.get(KEEP_ENV, "").strip()
    try:
        return max(int(raw), 1) if raw else DEFAULT_KEEP
    except ValueError:
        return DEFAULT_KEEP


# The records of the tasks a kept run's cache served (`runs.cached_tasks`: a list in `blobs`
# of [step, key, input hash, record hash]), which are no rows of `tasks`.
_SERVED_RECORDS = (
    "(SELECT json_extract(served.value, '$[3]') FROM runs"
    " JOIN blobs AS b ON b.hash = runs.cached_tasks, json_each(b.json) AS served"
    " WHERE served.type = 'array'"  # the whole list, as the first of schema 13 kept it
    " UNION ALL SELECT json_extract(served.value, '$[3]') FROM runs"
    " JOIN blobs AS b ON b.hash = runs.cached_tasks, json_each(b.json) AS chunk"
    " JOIN blobs AS part ON part.hash = chunk.value, json_each(part.json) AS served"
    " WHERE chunk.type = 'text')"
)


# A blob no kept run, record or streamed row names (a report's outputs and findings, their
# chunks, a spec as run, a list of cached tasks and its chunks, a record's chunks and parts).
_UNREFERENCED_BLOB = (
    "hash NOT IN"
    " (SELECT outputs_hash FROM runs WHERE outputs_hash IS NOT NULL)"
    " AND hash NOT IN (SELECT findings_hash FROM runs WHERE findings_hash IS NOT NULL)"
    " AND hash NOT IN (SELECT spec_hash FROM runs WHERE spec_hash IS NOT NULL)"
    " AND hash NOT IN (SELECT cached_tasks FROM runs WHERE cached_tasks IS NOT NULL)"
    " AND hash NOT IN (SELECT chunk.value FROM runs"
    " JOIN blobs AS b ON b.hash = runs.cached_tasks, json_each(b.json) AS chunk"
    " WHERE chunk.type = 'text')"
    # the chunks of a kept run's findings, and of those a run still going has streamed
    " AND hash NOT IN (SELECT findings_chunks FROM runs WHERE findings_chunks IS NOT NULL)"
    " AND hash NOT IN (SELECT chunk.value FROM runs"
    " JOIN blobs AS m ON m.hash = runs.findings_chunks, json_each(m.json) AS chunk)"
    # and of a kept record's (store schema 14), and a kept record's parts (schema 15)
    " AND hash NOT IN (SELECT findings_chunks FROM records WHERE findings_chunks IS NOT NULL)"
    " AND hash NOT IN (SELECT parts FROM records WHERE parts IS NOT NULL)"
    " AND hash NOT IN (SELECT part.value FROM records"
    " JOIN blobs AS m ON m.hash = records.parts, json_each(m.json) AS part)"
    " AND hash NOT IN (SELECT chunk.value FROM records"
    " JOIN blobs AS m ON m.hash = records.findings_chunks, json_each(m.json) AS chunk)"
    " AND hash NOT IN (SELECT chunk.value FROM streamed_findings,"
    " json_each(streamed_findings.chunks_json) AS chunk"
    " WHERE streamed_findings.chunks_json IS NOT NULL)"
)


def drop_unreferenced_blobs(c: sqlite3.Connection, hashes: set[str]) -> int:
    """Delete those of `hashes` nothing names any more (the chunks a run streamed that its
    report did not keep): without a sweep they stayed until a run was dropped."""
    if not hashes:
        return 0
    c.execute("CREATE TEMP TABLE IF NOT EXISTS swath_blob_drop(hash TEXT PRIMARY KEY)")
    c.execute("DELETE FROM swath_blob_drop")
    c.executemany("INSERT OR IGNORE INTO swath_blob_drop(hash) VALUES (?)", [(h,) for h in hashes])
    n = c.execute(
        "DELETE FROM blobs WHERE hash IN swath_blob_drop AND " + _UNREFERENCED_BLOB
    ).rowcount
    c.execute("DELETE FROM swath_blob_drop")
    return int(n)


def prune(
    c: sqlite3.Connection,
    keep: int = DEFAULT_KEEP,
    *,
    sweep: bool = True,
    now: float | None = None,
) -> Pruned:
    """Drop old runs and whatever only they referenced; one transaction (the caller's).

    `sweep=False` looks for unreferenced content only when a run was dropped: after each
    run that costs two indexed queries, not a scan of every record."""
    if keep < 1:
        raise ValueError("keep at least one run per workflow")
    out = Pruned()
    drop = _runs_to_drop(c, keep)
    if not drop and not sweep:
        return out
    if drop:
        c.execute("CREATE TEMP TABLE IF NOT EXISTS swath_drop(id TEXT PRIMARY KEY)")
        c.execute("DELETE FROM swath_drop")
        c.executemany("INSERT INTO swath_drop(id) VALUES (?)", [(r,) for r in drop])
        out.tasks = c.execute("DELETE FROM tasks WHERE run_id IN swath_drop").rowcount
        c.execute("DELETE FROM findings WHERE run_id IN swath_drop")
        c.execute("DELETE FROM streamed_findings WHERE run_id IN swath_drop")
        out.audit = c.execute("DELETE FROM audit WHERE run_id IN swath_drop").rowcount
        c.execute("DELETE FROM step_batches WHERE run_id IN swath_drop")
        out.runs = c.execute("DELETE FROM runs WHERE id IN swath_drop").rowcount
        c.execute("DELETE FROM swath_drop")
    # Audit rows of runs that are gone some other way (an older Swath deleted the run).
    out.audit += c.execute("DELETE FROM audit WHERE run_id NOT IN (SELECT id FROM runs)").rowcount
    now = time.time() if now is None else now
    cutoff = now - CACHE_GRACE_S
    out.memo = memo.prune(c, now)
    out.cache = c.execute(
        "DELETE FROM cache WHERE created_at < ? AND record_hash NOT IN"
        " (SELECT record_hash FROM tasks WHERE record_hash IS NOT NULL)"
        " AND record_hash NOT IN " + _SERVED_RECORDS,
        (cutoff,),
    ).rowcount
    out.records = c.execute(
        "DELETE FROM records WHERE hash NOT IN"
        " (SELECT record_hash FROM tasks WHERE record_hash IS NOT NULL)"
        " AND hash NOT IN " + _SERVED_RECORDS + " AND hash NOT IN (SELECT record_hash FROM cache)"
        # a kept run's output read from its result (runs.outputs_refs)
        " AND hash NOT IN (SELECT refs.value FROM runs, json_each(runs.outputs_refs) AS refs"
        " WHERE runs.outputs_refs IS NOT NULL)"
    ).rowcount
    out.blobs = c.execute("DELETE FROM blobs WHERE " + _UNREFERENCED_BLOB).rowcount
    return out


def store_bytes(path: Path) -> int:
    """The store's size on disk: the database and its write-ahead log."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def vacuum(path: Path) -> None:
    """Give the space of deleted rows back to the file system (needs no other writer)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
