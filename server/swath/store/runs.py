"""RunStore: runs, tasks, findings, audit log and the result cache of one workspace."""

from __future__ import annotations

import hashlib
import logging
import json
import os
import re
import sqlite3
import time
import zlib
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import BaseModel, Field

from swath.findings.model import Finding
from swath.gcpause import gc_paused
from swath.findings.render_text import finding_sort_key
from swath.findings.report import RunReport, Usage
from swath.spec.records import Record
from swath.store import memo, retention
from swath.store.db import Database
from swath.store.lease import Heartbeat, Owner, RunLeased, owner_alive, this_host
from swath.workspace import HashedFile

log = logging.getLogger(__name__)

SWATH_DIR = ".swath"
DB_NAME = "swath.db"
GITIGNORE = "# Swath's run database and reports are local; workflows/ and policy.yaml are meant to be shared.\nswath.db\nswath.db[.-]*\nreports/\n"


class RunRow(BaseModel):
    id: str
    workflow: str
    status: str
    spec: dict[str, Any]
    inputs: dict[str, Any]
    paths: list[str]
    engine: str
    options: dict[str, Any] = Field(default_factory=dict)
    started_at: str
    finished_at: str | None = None
    pid: int | None = None
    report: RunReport | None = None


class RunSummary(BaseModel):
    """What a list of runs shows: read by SQLite's JSON functions, never by parsing reports.

    A run's report can hold thousands of findings; listing 50 of them by loading each
    report took ~0.5 s of the editor's process while runs were going (bench/lsp_latency).
    """

    id: str
    workflow: str
    status: str
    engine: str
    started_at: str
    finished_at: str | None = None
    agents: int = 0
    findings: int = Field(0, description="The report's findings, or those streamed so far")
    cost_usd: float = 0.0


class TaskRow(BaseModel):
    run_id: str
    step: str
    key: str
    input_hash: str
    status: str
    attempts: int
    cached: bool
    record: Record | None = None
    error: str | None = None
    raw: str | None = None
    usage: Usage = Field(default_factory=Usage)
    started_at: float | None = None
    finished_at: float | None = None


class CacheEntry(BaseModel):
    deps: dict[str, str]
    record: Record
    digest: str = Field("", description="The record's hash in `records`: sha256 of its JSON")
    output_stored: bool = Field(
        False,
        description="The record was read without its output, which stays in the store "
        "(`record_outputs`); its `output` is None here",
    )


# A run's findings (its report's, and those it streams) are stored in chunks, each a JSON
# array in `blobs` under its sha256, the run naming its chunks in order (store schema 12).
# A chunk ends before a file whose path is a mark (its crc32 a multiple of CHUNK_MARK) once
# it holds CHUNK_MIN_BYTES, and at CHUNK_MAX_BYTES anyway: where chunks end follows from
# the files around the end, so a run whose findings changed in one file writes that file's
# chunk and finds every other one stored (a sympy re-map wrote its 7,634 findings' 5.2 MB
# twice, streamed and in the report; a fully cached run streamed them again). The largest
# chunk is also the most any one row holds of them at a first map's memory peak.
CHUNK_MIN_BYTES = 16 * 1024
CHUNK_MAX_BYTES = 256 * 1024
CHUNK_MARK = 8

# A record's head (the record without its output) is stored beside it when the output is
# at least this share of the whole: a map's records, whose facts are the bulk of them.
HEAD_SHARE = 0.75


class Serialised(BaseModel):
    """A record as the store keeps it: its JSON (UTF-8), that JSON's sha256, and maybe its head.
    `findings`: each of its findings' JSON, in order, as they stand in `data`; `paths`, each
    one's path (where the chunks of a large record's findings end, `_chunks`)."""

    digest: str
    data: bytes
    head: str | None = None
    findings: list[bytes] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list)


# A record whose findings' JSON is at least this keeps them in chunks (`_chunks`, in `blobs`),
# its own JSON holding `findings: []` (store schema 14): a reduce's findings over every file
# of a module, of which one changed file changes one chunk.
RECORD_CHUNKED_BYTES = 64 * 1024

# A record whose JSON (its findings' chunks aside) is at least RECORD_PARTS_BYTES is kept in
# parts (store schema 15): byte ranges of that JSON in `blobs` by content, the record naming
# their list (`records.parts`, its `record_json` ''). A part ends after a `},` or an escaped
# newline once it holds PART_MIN_BYTES, where the crc32 of the 16 bytes after is a multiple
# of PART_MARK (or at PART_MAX_BYTES): ends follow from the text around them, so a map's
# module map (3.5 MB of sympy's, which changes with any file: a row, a count, the Markdown's
# header) is stored again only where it changed.
RECORD_PARTS_BYTES = 256 * 1024
PART_MIN_BYTES = 8 * 1024
PART_MAX_BYTES = 128 * 1024
PART_MARK = 16
_PART_END = re.compile(rb"\},|\\n")


# The bytes that start a character in UTF-8 (all but the continuation bytes 0x80-0xBF).
_LEADING = bytes(b for b in range(256) if not 0x80 <= b < 0xC0)
# How a record without findings ends: `findings` is its last field.
_NO_FINDINGS = b'"findings":[]}'


def serialise(record: Record) -> Serialised:
    """Done once per record, on whichever thread makes it (not the event loop's).

    Kept as the serializer's UTF-8 bytes, never as a str: a reduce's record is megabytes
    of JSON with a few arrows in it, and a str of it takes two bytes a character (sympy's
    map: 8.7 MB of JSON, a 17 MiB str, then its UTF-8 again for the hash and for SQLite).
    Its findings are dumped one by one into it, the same bytes as the record's own dump:
    the run's findings table and report take those (`RunStore.dumped`) instead of dumping
    a reduce's thousands of findings again.
    """
    parts = [f.__pydantic_serializer__.to_json(f) for f in record.findings]
    data = _spliced(record, parts)
    head = None
    if record.output is not None:
        chars = len(data) - len(data.translate(None, _LEADING))  # as len() of the str
        if _findings_at_least(record) <= (1 - HEAD_SHARE) * chars:
            head = _spliced(record.model_copy(update={"output": None}), parts).decode("utf-8")
            if len(head) > (1 - HEAD_SHARE) * chars:
                head = None
    return Serialised(
        digest=hashlib.sha256(data).hexdigest(),
        data=data,
        head=head,
        findings=parts,
        paths=[f.path for f in record.findings],
    )


def _spliced(record: Record, findings: list[bytes]) -> bytes:
    """The record's JSON with `findings` (its findings' JSON) in place of its own dump."""
    if not findings:
        return record.__pydantic_serializer__.to_json(record)
    bare = record.model_copy(update={"findings": []})
    data = bare.__pydantic_serializer__.to_json(bare)
    assert data.endswith(_NO_FINDINGS)
    return b"".join([data[:-3], b"[", b",".join(findings), b"]}"])


# What a finding's JSON takes at the least besides its id, fingerprint, rule, path and
# message: the keys, the shortest severity, a range of zeros, nothing else.
_FINDING_MIN_CHARS = (
    len(
        Finding.model_validate(
            {
                "id": "-",
                "fingerprint": "-",
                "rule": "",
                "path": "",
                "message": "",
                "severity": "hint",
                "verified": True,
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            }
        ).model_dump_json()
    )
    - 2
)


def _findings_at_least(record: Record) -> int:
    """A lower bound of the length of the record's findings' JSON, without dumping them: a
    reduce's head (its thousands of findings) is dumped only where it could be kept."""
    return sum(
        _FINDING_MIN_CHARS
        + len(f.id)
        + len(f.fingerprint)
        + len(f.rule)
        + len(f.path)
        + len(f.message)
        for f in record.findings
    )


class AuditRow(BaseModel):
    run_id: str
    step: str
    key: str
    at: float
    kind: str
    detail: dict[str, Any]


def swath_dir(workspace_root: Path) -> Path:
    d = Path(workspace_root) / SWATH_DIR
    d.mkdir(parents=True, exist_ok=True)
    gi = d / ".gitignore"
    if not gi.exists():
        gi.write_text(GITIGNORE, encoding="utf-8")
    return d


class StepBatch(BaseModel):
    """One Message Batch a batch-mode step submitted."""

    part: int
    batch_id: str
    custom_ids: list[str] | None  # None: noted by an older Swath; it holds the whole step


class RunStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        # The JSON of each finding a run streamed (`save_findings`), by the finding object,
        # for its report (`finish_run`) to reuse: a map's thousands of findings were dumped
        # twice. Only the store's thread touches it.
        self._dumped: dict[str, dict[int, tuple[Finding, bytes]]] = {}

    @classmethod
    def open(cls, workspace_root: Path) -> "RunStore":
        return cls(Database(swath_dir(workspace_root) / DB_NAME))

    @classmethod
    def open_existing(cls, workspace_root: Path) -> "RunStore":
        """The workspace's store if it has one, else an empty one in memory: for commands
        that only read (a plan), which must not create `.swath/` where there is none."""
        path = Path(workspace_root) / SWATH_DIR / DB_NAME
        return cls(Database(path if path.is_file() else Path(":memory:")))

    async def aclose(self) -> None:
        await self.db.aclose()

    def close_sync(self) -> None:
        self.db.close_sync()

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        await self.db.call(lambda conn: None)

    # -- runs ------------------------------------------------------------------------
    async def create_run(
        self,
        run_id: str,
        workflow: str,
        spec: dict[str, Any],
        inputs: dict[str, Any],
        paths: list[str],
        engine: str,
        started_at: str,
        options: dict[str, Any] | None = None,
    ) -> None:
        spec_text = json.dumps(spec)
        args = (
            run_id,
            workflow,
            "running",
            json.dumps(inputs),
            json.dumps(paths),
            engine,
            json.dumps(options or {}),
            started_at,
            os.getpid(),
            this_host(),
            time.time(),
        )

        def write(c: sqlite3.Connection) -> None:
            # The spec as run is a blob by content (schema 13): every run of a workflow
            # holds the same one (map-module's is 5.5 KB, most of a cached re-run's row).
            c.execute(
                "INSERT INTO runs(id, workflow, status, inputs_json, paths_json, engine, options_json,"
                " started_at, pid, host, heartbeat_at, spec_json, spec_hash)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,'',?)",
                (*args, _put_blob(c, spec_text)),
            )

        await self.db.call(write)

    async def reopen_run(self, run_id: str) -> None:
        """Take the run over for a resume; RunLeased if its owner is still alive.

        The check and the take-over are one transaction (the store begins IMMEDIATE), so of
        two processes resuming at once exactly one gets the run.
        """
        await self.check_lease(run_id)
        await self.db.call(lambda c: _claim(c, run_id))

    async def check_lease(self, run_id: str) -> None:
        """RunLeased while another live process runs `run_id` (KeyError: no such run), read
        without the write lock: a live owner holds it as often as not, one stopped inside a
        write (SIGSTOP) for good, and the answer needs none. `reopen_run` checks again in
        its write, where the take-over is decided."""
        await self.db.read(lambda c: _live_owner(c, run_id))

    def start_heartbeat(self, run_id: str) -> Heartbeat:
        """Renew this process's lease on `run_id` until the returned heartbeat is stopped."""
        pid, host = os.getpid(), this_host()

        def beat() -> None:
            now = time.time()
            self.db.submit(
                lambda c: c.execute(
                    "UPDATE runs SET heartbeat_at=? WHERE id=? AND pid=? AND host=?",
                    (now, run_id, pid, host),
                )
            )

        return Heartbeat(beat).start()

    async def spent(self, run_id: str) -> Usage:
        """What every finished attempt of the run's tasks cost: a resumed run's report
        counts the money spent before the crash too."""

        def q(c: sqlite3.Connection) -> Usage:
            total = Usage()
            for (usage_json,) in c.execute(
                "SELECT usage_json FROM tasks WHERE run_id=?", (run_id,)
            ):
                total = total + Usage.model_validate_json(usage_json or "{}")
            return total

        return await self.db.call(q)

    async def finish_run(
        self, report: RunReport, output_records: dict[str, str] | None = None
    ) -> None:
        """The report, with its outputs and findings stored by content (see `blobs`).

        The findings streamed while the run went on are replaced by the report's set: a
        re-run with the same results then costs a run row, not a copy of every finding.
        `output_records`: {step: record digest} of outputs that are that stored record's
        output (a JSON object or array); the run points at the record instead of storing
        the output again (a map's reduce output is megabytes, and changes with any file).
        """
        run_id = report.run_id
        refs = {
            sid: digest
            for sid, digest in (output_records or {}).items()
            if isinstance(report.outputs.get(sid), (dict, list))
        }

        def write(c: sqlite3.Connection) -> None:
            head = report.model_dump_json(exclude={"findings", "outputs"})
            # Serialised straight to JSON: a map's outputs are megabytes, and a dump to Python
            # values first held a second copy of them at the end of every run. Each blob is
            # stored and let go before the next is made. An output read from its record is
            # kept in the blob's order as `null`.
            shown = report
            if refs:
                shown = report.model_copy(
                    update={
                        "outputs": {k: None if k in refs else v for k, v in report.outputs.items()}
                    }
                )
            wrapped = shown.model_dump_json(include={"outputs"})
            assert wrapped.startswith(_OUTPUTS_KEY) and wrapped.endswith("}")
            outputs_hash = _put_blob(c, wrapped[len(_OUTPUTS_KEY) : -1])
            del wrapped, shown
            streamed = {
                h
                for (listed,) in c.execute(
                    "SELECT chunks_json FROM streamed_findings"
                    " WHERE run_id=? AND chunks_json IS NOT NULL",
                    (run_id,),
                )
                for h in json.loads(listed)
            }
            dumped = self._dumped.pop(run_id, {})
            # In chunks by content (`_chunks`): those the run streamed, or an earlier run
            # stored, are found there. Joined as UTF-8 bytes: a str takes two bytes a
            # character as soon as one finding has an arrow in it.
            chunks = [
                _put_blob(c, chunk)
                for chunk in _chunks((f.path, _dumped_json(dumped, f)) for f in report.findings)
            ]
            del dumped
            # The list of chunks is a blob too: a run naming its 100 chunks took 7 KB of
            # its row, and a fully cached re-run names the chunks the last one did.
            manifest = _put_blob(c, json.dumps(chunks, separators=(",", ":")))
            c.execute(
                "UPDATE runs SET status=?, finished_at=?, report_json=?, outputs_hash=?,"
                " findings_hash=NULL, findings_chunks=?, findings_count=?, outputs_refs=?"
                " WHERE id=?",
                (
                    report.status.value,
                    report.finished_at,
                    head,
                    outputs_hash,
                    manifest,
                    len(report.findings),
                    json.dumps(refs) if refs else None,
                    run_id,
                ),
            )
            c.execute("DELETE FROM findings WHERE run_id=?", (run_id,))
            c.execute("DELETE FROM streamed_findings WHERE run_id=?", (run_id,))
            # Streamed in batches other than the report's chunks (a flag audit streams a
            # record's findings at a time): those chunks go now, as the rows did.
            retention.drop_unreferenced_blobs(c, streamed - set(chunks))
            _fold_cached_tasks(c, run_id)
            # Retention: the newest N runs of each workflow stay (see store.retention). It
            # must never cost the report just written: a failure only undoes the pruning.
            c.execute("SAVEPOINT prune")
            try:
                retention.prune(c, retention.keep_from_env(), sweep=False)
            except sqlite3.Error as exc:
                c.execute("ROLLBACK TO prune")
                log.warning("store retention skipped: %s", exc)
            c.execute("RELEASE prune")

        await self.db.call(write)

    async def prune(self, keep: int = retention.DEFAULT_KEEP) -> retention.Pruned:
        """Drop runs past the newest `keep` of each workflow and everything only they used."""
        return await self.db.call(lambda c: retention.prune(c, keep))

    async def get_run(self, run_id: str) -> RunRow | None:
        """A run as committed (`list_runs` reads the same way): on the writer's connection,
        looking a run up waited for the write lock, and `swath resume` or `swath show`
        beside a run stopped inside a write failed with "database is locked"."""
        return await self.db.read(lambda c: _get_run(c, run_id))

    async def run_ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        """Ids of the runs that start with `prefix` (to tell "ambiguous" from "no such run")."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

        def q(c: sqlite3.Connection) -> list[str]:
            rows = c.execute(
                "SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY started_at DESC LIMIT ?",
                (escaped + "%", limit),
            ).fetchall()
            return [str(r[0]) for r in rows]

        return await self.db.read(q)

    def get_run_sync(self, run_id: str) -> RunRow | None:
        return self.db.call_sync(lambda c: _get_run(c, run_id))

    async def list_runs(self, limit: int = 50) -> list[RunSummary]:
        """The newest runs first; `get_run` has a run's whole report."""
        return await self.db.read(lambda c: _list_runs(c, limit))

    # -- tasks -----------------------------------------------------------------------
    def task_started(self, run_id: str, step: str, key: str, input_hash: str) -> None:
        now = time.time()
        self.db.submit(
            lambda c: c.execute(
                "INSERT INTO tasks(run_id, step, key, input_hash, status, attempts, started_at)"
                " VALUES (?,?,?,?, 'running', 1, ?)"
                " ON CONFLICT(run_id, step, key) DO UPDATE SET status='running', attempts=attempts+1,"
                " input_hash=excluded.input_hash, started_at=excluded.started_at, error=NULL",
                (run_id, step, key, input_hash, now),
            )
        )

    def task_finished(
        self,
        run_id: str,
        step: str,
        key: str,
        input_hash: str,
        status: str,
        record: Record | None,
        usage: Usage,
        error: str | None = None,
        raw: str | None = None,
        cached: bool = False,
        record_hash: str | None = None,
    ) -> None:
        """`record_hash`: the record is in `records` already under this hash (a cached
        result, or one `cache_put` stored): the row points at it, nothing is serialised."""
        now = time.time()

        def write(c: sqlite3.Connection) -> None:
            # Serialised here, on the store's thread: a reduce's record can be megabytes.
            rec = record_hash or (_put_record(c, record) if record is not None else None)
            # A task's usage is what all its attempts cost (a resume re-runs failed ones),
            # so the sum over a run's tasks is the money it spent, crashes included.
            prev = c.execute(
                "SELECT usage_json FROM tasks WHERE run_id=? AND step=? AND key=?",
                (run_id, step, key),
            ).fetchone()
            spent = usage + Usage.model_validate_json(prev[0] or "{}") if prev else usage
            c.execute(
                "INSERT INTO tasks(run_id, step, key, input_hash, status, attempts, cached, record_hash, error, raw,"
                " usage_json, started_at, finished_at) VALUES (?,?,?,?,?,0,?,?,?,?,?,?,?)"
                " ON CONFLICT(run_id, step, key) DO UPDATE SET status=excluded.status, cached=excluded.cached,"
                " record_hash=excluded.record_hash, error=excluded.error, raw=excluded.raw,"
                " usage_json=excluded.usage_json, input_hash=excluded.input_hash, finished_at=excluded.finished_at",
                (
                    run_id,
                    step,
                    key,
                    input_hash,
                    status,
                    int(cached),
                    rec,
                    error,
                    raw,
                    # '{}' for a task that cost nothing (every cached one): 100 bytes a row
                    # less, on each of a large map's cached re-runs.
                    spent.model_dump_json(exclude_defaults=True),
                    now,
                    now,
                ),
            )

        self.db.submit(write)

    async def tasks(self, run_id: str, status: str | None = None) -> list[TaskRow]:
        return await self.db.call(lambda c: _tasks(c, run_id, status))

    async def finished_tasks(self, run_id: str) -> dict[tuple[str, str], TaskRow]:
        rows = await self.tasks(run_id, "succeeded")
        return {(t.step, t.key): t for t in rows}

    # -- findings --------------------------------------------------------------------
    def save_findings(self, run_id: str, step: str, findings: list[Finding]) -> None:
        """Findings the run has streamed so far, for `findings` to show while it has no
        report: a row per call naming the chunks that hold them (`_chunks`, in `blobs`), in
        the report's order, so that the report finds the same chunks stored (a map's
        reduce streams its 7,634 findings at once, and its report holds just those)."""
        if not findings:
            return
        findings = sorted(findings, key=finding_sort_key)

        def write(c: sqlite3.Connection) -> None:  # serialised on the store's thread, off the loop
            dumped = self._dumped.setdefault(run_id, {})

            def dumps() -> Iterator[tuple[str, bytes]]:
                for f in findings:
                    # Kept as UTF-8 for the report's chunks (see finish_run), stored as TEXT.
                    data = _dumped_json(dumped, f)
                    dumped[id(f)] = (f, data)
                    yield f.path, data

            chunks = [_put_blob(c, chunk) for chunk in _chunks(dumps())]
            c.execute(
                "INSERT INTO streamed_findings(run_id, step, count, findings_json, chunks_json)"
                " VALUES (?,?,?,'[]',?)",
                (run_id, step, len(findings), json.dumps(chunks)),
            )

        self.db.submit(write)

    def dumped(self, run_id: str, findings: list[Finding], dumps: list[bytes]) -> None:
        """The JSON of findings dumped already (a record's, `serialise`): when they are the
        run's findings, its findings table and report take these bytes."""
        pairs = list(zip(findings, dumps, strict=True))
        if pairs:  # on the store's thread, as every other use of `_dumped`
            self.db.submit(
                lambda c: self._dumped.setdefault(run_id, {}).update(
                    (id(f), (f, d)) for f, d in pairs
                )
            )

    async def findings(self, run_id: str) -> list[Finding]:
        """A finished run's findings from its report; an unfinished one's as they were streamed."""

        def q(c: sqlite3.Connection) -> list[Finding]:
            row = c.execute(
                "SELECT m.json, f.json FROM runs LEFT JOIN blobs m ON m.hash = runs.findings_chunks"
                " LEFT JOIN blobs f ON f.hash = runs.findings_hash WHERE runs.id=?",
                (run_id,),
            ).fetchone()
            if row is not None and (row[0] is not None or row[1] is not None):
                with gc_paused():  # as in cache_get: thousands of findings of plain data
                    raws = _chunked(c, row[0]) if row[0] is not None else json.loads(row[1])
                    found = [Finding.model_validate(f) for f in raws]
                return sorted(found, key=lambda f: f.path)
            return _streamed(c, run_id)

        return await self.db.call(q)

    async def latest_runs_per_workflow(self) -> list[RunRow]:
        """The newest finished run of every workflow: what an editor restores on start."""

        def q(c: sqlite3.Connection) -> list[RunRow]:
            cur = c.execute(
                _RUNS + " WHERE runs.report_json IS NOT NULL AND runs.started_at = ("
                " SELECT MAX(started_at) FROM runs r2 WHERE r2.workflow = runs.workflow"
                " AND r2.report_json IS NOT NULL)"
            )
            return [_run_row(c, r) for r in cur]

        return await self.db.call(q)

    async def latest_run_ids_per_workflow(self) -> dict[str, str]:
        """The newest run of each workflow that finished with results (succeeded or partial),
        without loading any report, so it is cheap to poll."""

        def q(c: sqlite3.Connection) -> dict[str, str]:
            cur = c.execute(
                "SELECT workflow, id FROM runs r WHERE status IN ('succeeded', 'partial') AND started_at = ("
                " SELECT MAX(started_at) FROM runs r2 WHERE r2.workflow = r.workflow"
                " AND r2.status IN ('succeeded', 'partial'))"
            )
            out: dict[str, str] = {}
            for workflow, run_id in cur:
                out[workflow] = max(run_id, out.get(workflow, ""))
            return out

        return await self.db.call(q)

    # -- audit -----------------------------------------------------------------------
    def audit(self, run_id: str, step: str, key: str, kind: str, detail: dict[str, Any]) -> None:
        args = (run_id, step, key, time.time(), kind, json.dumps(detail, default=str))
        self.db.submit(
            lambda c: c.execute(
                "INSERT INTO audit(run_id, step, key, at, kind, detail_json) VALUES (?,?,?,?,?,?)",
                args,
            )
        )

    def batch_submitted(
        self, run_id: str, step: str, part: int, batch_id: str, custom_ids: list[str]
    ) -> None:
        """Note a Message Batch of `step` (flush before relying on it: resume collects it)."""
        args = (run_id, step, part, batch_id, json.dumps(custom_ids), time.time())
        self.db.submit(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO step_batches(run_id, step, part, batch_id,"
                " custom_ids_json, submitted_at) VALUES (?,?,?,?,?,?)",
                args,
            )
        )

    def batch_dropped(self, run_id: str, step: str, part: int) -> None:
        """Forget a batch that is gone (expired): its tasks went into a new one."""
        self.db.submit(
            lambda c: c.execute(
                "DELETE FROM step_batches WHERE run_id=? AND step=? AND part=?",
                (run_id, step, part),
            )
        )

    async def step_batches(self, run_id: str, step: str) -> list[StepBatch]:
        """The Message Batches this run already submitted for `step`, in order."""

        def q(c: sqlite3.Connection) -> list[StepBatch]:
            rows = c.execute(
                "SELECT part, batch_id, custom_ids_json FROM step_batches"
                " WHERE run_id=? AND step=? ORDER BY part",
                (run_id, step),
            ).fetchall()
            return [
                StepBatch(
                    part=r[0],
                    batch_id=r[1],
                    custom_ids=json.loads(r[2]) if r[2] is not None else None,
                )
                for r in rows
            ]

        return await self.db.call(q)

    async def audit_log(self, run_id: str) -> list[AuditRow]:
        def q(c: sqlite3.Connection) -> list[AuditRow]:
            cur = c.execute("SELECT * FROM audit WHERE run_id=? ORDER BY id", (run_id,))
            return [
                AuditRow(
                    run_id=r["run_id"],
                    step=r["step"],
                    key=r["key"],
                    at=r["at"],
                    kind=r["kind"],
                    detail=json.loads(r["detail_json"]),
                )
                for r in cur
            ]

        return await self.db.call(q)

    # -- cache -----------------------------------------------------------------------
    async def cache_get(self, key: str, *, head: bool = False) -> CacheEntry | None:
        """The entry of `key`; with `head`, its record without the output where the store
        has the record's head (`output_stored` says so)."""

        def q(c: sqlite3.Connection) -> CacheEntry | None:
            row = c.execute(
                "SELECT deps_json, records.hash, records.head_json,"
                " CASE WHEN ? AND records.head_json IS NOT NULL THEN NULL ELSE record_json END,"
                " records.findings_chunks, records.parts"
                " FROM cache JOIN records ON records.hash = cache.record_hash WHERE key=?",
                (int(head), key),
            ).fetchone()
            if row is None:
                return None
            stored = row[3] is None
            # a head is stored whole; the record itself maybe in parts
            text = _whole_record(
                c, row[2] if stored else row[3], row[4], None if stored else row[5]
            )
            # A reduce's record is thousands of findings (and maybe its output): plain data,
            # and the collector walked it over and over while it was built (~0.6 -> 0.3 s
            # for a sympy map's 7,634).
            with gc_paused():
                record = Record.model_validate_json(text)
            return CacheEntry(
                deps=json.loads(row[0]), record=record, digest=row[1], output_stored=stored
            )

        return await self.db.call(q)

    async def record_outputs(self, digests: list[str]) -> dict[str, Any]:
        """{digest: output} of stored records (those `cache_get(head=True)` left out)."""
        wanted = sorted(set(digests))

        def q(c: sqlite3.Connection) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for digest, text, parts in c.execute(
                    f"SELECT hash, record_json, parts FROM records WHERE hash IN ({marks})", chunk
                ):
                    out[digest] = json.loads(_whole_record(c, text, None, parts)).get("output")
            return out

        return await self.db.call(q) if wanted else {}

    async def cache_deps(self, key: str) -> dict[str, str] | None:
        """The deps of a cache entry without its record: what a plan needs to count hits
        (a map's records hold every file's facts, megabytes to parse for a count)."""

        def q(c: sqlite3.Connection) -> dict[str, str] | None:
            row = c.execute("SELECT deps_json FROM cache WHERE key=?", (key,)).fetchone()
            return None if row is None else dict(json.loads(row[0]))

        return await self.db.call(q)

    def cache_hit(self, key: str) -> None:
        self.db.submit(lambda c: c.execute("UPDATE cache SET hits = hits + 1 WHERE key=?", (key,)))

    def cache_put(self, key: str, entry: CacheEntry, serialised: Serialised | None = None) -> None:
        """`serialised`: the record as `serialise` made it (else the store's thread does)."""
        created = time.time()

        def write(c: sqlite3.Connection) -> None:
            digest = _put_serialised(c, serialised) if serialised else _put_record(c, entry.record)
            c.execute(
                "INSERT OR REPLACE INTO cache(key, deps_json, record_hash, created_at) VALUES (?,?,?,?)",
                (key, json.dumps(entry.deps), digest, created),
            )

        self.db.submit(write)

    # -- file hashes (workspace.HashedFile) -----------------------------------------------
    async def file_hashes(self, root: str) -> dict[str, HashedFile]:
        """The content hashes earlier runs took of the files under `root`, by path."""

        def q(c: sqlite3.Connection) -> dict[str, HashedFile]:
            cur = c.execute(
                "SELECT path, size, mtime_ns, ctime_ns, ino, hashed_ns, hash FROM file_hashes"
                " WHERE root=?",
                (root,),
            )
            return {r[0]: HashedFile(r[1], r[2], r[3], r[4], r[5], r[6]) for r in cur}

        # Not `db.read`: its own connection would open another, empty database where the
        # store is in memory (`open_existing` for a plan where there is no store).
        return await self.db.call(q)

    def save_file_hashes(self, root: str, news: dict[str, HashedFile | None]) -> None:
        """Keep the hashes a run took (`Workspace.new_hashes`); a None forgets a gone file."""
        if not news:
            return
        kept = [
            (root, p, h.size, h.mtime_ns, h.ctime_ns, h.ino, h.hashed_ns, h.digest)
            for p, h in news.items()
            if h is not None
        ]
        gone = [(root, p) for p, h in news.items() if h is None]

        def write(c: sqlite3.Connection) -> None:
            c.executemany(
                "INSERT OR REPLACE INTO file_hashes(root, path, size, mtime_ns, ctime_ns, ino,"
                " hashed_ns, hash) VALUES (?,?,?,?,?,?,?,?)",
                kept,
            )
            c.executemany("DELETE FROM file_hashes WHERE root=? AND path=?", gone)

        self.db.submit(write)

    # -- memo (see store.memo) ---------------------------------------------------------
    async def memo_get(self, keys: list[str]) -> dict[str, tuple[dict[str, str], Any]]:
        """{key: (deps, value)} for the keys stored; the caller checks the deps' hashes."""
        if not keys:
            return {}
        now = time.time()
        return await self.db.call(lambda c: memo.get_many(c, keys, now))

    def memo_get_sync(self, keys: list[str]) -> dict[str, tuple[dict[str, str], Any]]:
        """`memo_get` for a worker thread (an analyzer's combine): it waits for the store's
        thread, never for the event loop."""
        if not keys:
            return {}
        now = time.time()
        return self.db.call_sync(lambda c: memo.get_many(c, keys, now))

    def memo_put(self, rows: list[tuple[str, dict[str, str], Any]]) -> None:
        """Store (key, deps, value) rows, replacing a key's row whose files have changed."""
        if rows:
            now = time.time()
            self.db.submit(lambda c: memo.put_many(c, rows, now))


# How pydantic opens `report.model_dump_json(include={"outputs"})`.
_OUTPUTS_KEY = '{"outputs":'

# The record last stored and its hash: a task's record goes to the cache and to its task row
# one after the other on the store's thread, and is serialised once for both.
_last_put: tuple[Record | None, str] = (None, "")


def _dumped_json(dumped: dict[int, tuple[Finding, bytes]], f: Finding) -> bytes:
    hit = dumped.get(id(f))
    return hit[1] if hit is not None and hit[0] is f else f.__pydantic_serializer__.to_json(f)


def _put_record(c: sqlite3.Connection, record: Record) -> str:
    global _last_put
    if _last_put[0] is record:
        return _last_put[1]
    digest = _put_serialised(c, serialise(record))
    _last_put = (record, digest)
    return digest


def _put_serialised(c: sqlite3.Connection, s: Serialised) -> str:
    inner = sum(len(f) for f in s.findings) + max(len(s.findings) - 1, 0)  # joined by commas
    chunked = inner >= RECORD_CHUNKED_BYTES and len(s.paths) == len(s.findings)
    if not chunked and len(s.data) < RECORD_PARTS_BYTES:
        c.execute(
            # The JSON as the same TEXT a str would have made (a blob cast in SQLite's UTF-8).
            "INSERT OR IGNORE INTO records(hash, record_json, head_json) VALUES (?, CAST(? AS TEXT), ?)",
            (s.digest, s.data, s.head),
        )
        return s.digest
    if c.execute("SELECT 1 FROM records WHERE hash=?", (s.digest,)).fetchone() is not None:
        return s.digest
    bare, head, manifest = s.data, s.head, None
    if chunked:
        # The record's JSON ends `"findings":[...]}` (serialise splices them in): kept with
        # `[]` there, the findings in chunks; its head alike.
        bare = s.data[: len(s.data) - inner - 3] + b"[]}"
        if s.head is not None:
            encoded = s.head.encode("utf-8")
            head = (encoded[: len(encoded) - inner - 3] + b"[]}").decode("utf-8")
        chunks = [_put_blob(c, chunk) for chunk in _chunks(zip(s.paths, s.findings, strict=True))]
        manifest = _put_blob(c, json.dumps(chunks, separators=(",", ":")))
    parts = None
    if len(bare) >= RECORD_PARTS_BYTES:
        listed = [_put_blob(c, part) for part in _parts(bare)]
        parts, bare = _put_blob(c, json.dumps(listed, separators=(",", ":"))), b""
    c.execute(
        "INSERT INTO records(hash, record_json, head_json, findings_chunks, parts)"
        " VALUES (?, CAST(? AS TEXT), ?, ?, ?)",
        (s.digest, bare, head, manifest, parts),
    )
    return s.digest


def _parts(data: bytes) -> list[bytes]:
    """`data` cut where `_PART_END` matches and the text after says so (`PART_MARK`), each
    part at least `PART_MIN_BYTES` (the last aside)."""
    out: list[bytes] = []
    start = 0
    for m in _PART_END.finditer(data):
        end = m.end()
        size = end - start
        if size >= PART_MIN_BYTES and (
            size >= PART_MAX_BYTES or zlib.crc32(data[end : end + 16]) % PART_MARK == 0
        ):
            out.append(data[start:end])
            start = end
    if start < len(data) or not out:
        out.append(data[start:])
    return out


def _whole_record(
    c: sqlite3.Connection, text: str, manifest: str | None, parts: str | None = None
) -> str | bytes:
    """A stored record's JSON (or head) from its parts, with its findings back in from their
    chunks: as UTF-8 bytes when put together (a str of a map's 8.7 MB with an arrow in it
    takes four bytes a character, and each join copied it again: 0.035 s of 0.06)."""
    if parts is None and manifest is None:
        return text
    if parts is not None:
        row = c.execute("SELECT json FROM blobs WHERE hash=?", (parts,)).fetchone()
        data = b"".join(_chunk_bytes(c, json.loads(row[0]) if row is not None else []))
    else:
        data = text.encode("utf-8")
    if manifest is None:
        return data
    row = c.execute("SELECT json FROM blobs WHERE hash=?", (manifest,)).fetchone()
    chunks = _chunk_bytes(c, json.loads(row[0]) if row is not None else [])
    assert data.endswith(b'"findings":[]}'), "a record stored in chunks ends with its findings"
    inner = b",".join(t[1:-1] for t in chunks if t != b"[]")
    return b"".join([data[:-3], b"[", inner, b"]}"])


def _chunk_bytes(c: sqlite3.Connection, hashes: list[str]) -> list[bytes]:
    """The blobs `hashes` names (a record's parts, a run's chunks of findings), in order,
    as SQLite holds them: UTF-8, not decoded."""
    wanted = sorted(set(hashes))
    found: dict[str, bytes] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        marks = ",".join("?" * len(part))
        found.update(
            c.execute(f"SELECT hash, CAST(json AS BLOB) FROM blobs WHERE hash IN ({marks})", part)
        )
    out: list[bytes] = []
    for h in hashes:
        data = found.get(h)
        if data is None:  # retention keeps every part and chunk a record names; never seen
            log.warning("store: a part of a record or a chunk of findings is missing (%s)", h)
            continue
        out.append(data)
    return out


def _put_blob(c: sqlite3.Connection, text: str | bytes) -> str:
    """JSON by content; as bytes, its UTF-8, stored as the same TEXT (cast in SQLite)."""
    if isinstance(text, str):
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        c.execute("INSERT OR IGNORE INTO blobs(hash, json) VALUES (?, ?)", (digest, text))
        return digest
    digest = hashlib.sha256(text).hexdigest()
    c.execute("INSERT OR IGNORE INTO blobs(hash, json) VALUES (?, CAST(? AS TEXT))", (digest, text))
    return digest


def _chunks(dumps: Iterable[tuple[str, bytes]], min_bytes: int | None = None) -> Iterator[bytes]:
    """(path, finding's JSON) pairs, in order, as JSON arrays: a chunk ends before a file
    whose path is a mark once it holds `min_bytes` (`CHUNK_MIN_BYTES`), or at
    `CHUNK_MAX_BYTES`."""
    least = CHUNK_MIN_BYTES if min_bytes is None else min_bytes
    parts: list[bytes] = []
    size = 0
    prev = None
    for path, data in dumps:
        if parts and (
            size >= CHUNK_MAX_BYTES
            or (
                path != prev
                and size >= least
                and zlib.crc32(path.encode("utf-8")) % CHUNK_MARK == 0
            )
        ):
            yield b"[" + b",".join(parts) + b"]"
            parts, size = [], 0
        parts.append(data)
        size += len(data)
        prev = path
    if parts:
        yield b"[" + b",".join(parts) + b"]"


def _chunk_texts(c: sqlite3.Connection, hashes: list[str]) -> list[str]:
    """The JSON arrays of the chunks `hashes` names, in order."""
    return [data.decode("utf-8") for data in _chunk_bytes(c, hashes)]


def _chunked(c: sqlite3.Connection, chunks_json: str) -> list[Any]:
    """The findings (as JSON values) of the chunks `chunks_json` names, in its order."""
    out: list[Any] = []
    for text in _chunk_texts(c, json.loads(chunks_json)):
        out.extend(json.loads(text))
    return out


def _streamed(c: sqlite3.Connection, run_id: str) -> list[Finding]:
    """The findings an unfinished run streamed, by path: an older Swath's rows (one a
    finding) and this one's (`save_findings`: one a batch), a fingerprint's last one kept."""
    by_print: dict[str, Finding] = {}
    for (text,) in c.execute(
        "SELECT finding_json FROM findings WHERE run_id=? ORDER BY rowid", (run_id,)
    ):
        f = Finding.model_validate_json(text)
        by_print[f.fingerprint] = f
    with gc_paused():  # as in cache_get: thousands of findings of plain data
        for text, chunks in c.execute(
            "SELECT findings_json, chunks_json FROM streamed_findings WHERE run_id=? ORDER BY id",
            (run_id,),
        ).fetchall():
            for raw in _chunked(c, chunks) if chunks is not None else json.loads(text):
                f = Finding.model_validate(raw)
                by_print.pop(f.fingerprint, None)
                by_print[f.fingerprint] = f
    return sorted(by_print.values(), key=lambda f: f.path)


def _owner(r: sqlite3.Row) -> Owner:
    return Owner(host=r["host"], pid=r["pid"], heartbeat_at=r["heartbeat_at"])


def _live_owner(c: sqlite3.Connection, run_id: str) -> None:
    """KeyError for no such run; RunLeased while another live process runs it."""
    row = c.execute("SELECT status, pid, host, heartbeat_at FROM runs WHERE id=?", (run_id,))
    found = row.fetchone()
    if found is None:
        raise KeyError(run_id)
    owner = _owner(found)
    if found["status"] == "running" and owner_alive(owner):
        raise RunLeased(run_id, owner)


def _claim(c: sqlite3.Connection, run_id: str) -> None:
    _live_owner(c, run_id)
    c.execute(
        "UPDATE runs SET status='running', finished_at=NULL, pid=?, host=?, heartbeat_at=?"
        " WHERE id=?",
        (os.getpid(), this_host(), time.time(), run_id),
    )
    # The resumed run streams every finding again, its reused tasks' first: what the
    # interrupted attempt streamed would be counted twice (an older Swath's rows, keyed by
    # fingerprint, were replaced instead).
    c.execute("DELETE FROM streamed_findings WHERE run_id=?", (run_id,))


# A task row that says no more than that the cache served the task: succeeded, cached, never
# attempted, nothing spent, no error. At a run's end such rows become one list in `blobs`,
# in chunks of about TASK_CHUNK_BYTES (`_chunks`, by step and key): a run after a re-map
# names the reduce's new record, and so makes one chunk of the list anew, not all of it.
TASK_CHUNK_BYTES = 2 * 1024
_SERVED = (
    "run_id=? AND status='succeeded' AND cached=1 AND attempts=0 AND record_hash IS NOT NULL"
    " AND error IS NULL AND raw IS NULL AND usage_json='{}'"
)


def _fold_cached_tasks(c: sqlite3.Connection, run_id: str) -> None:
    """The run's tasks the cache served, as one list of [step, key, input hash, record hash]
    in `blobs` (`runs.cached_tasks`, schema 13) instead of a row each: a fully cached
    re-run of a sympy map wrote 75 task rows, 25 KB of its 32, and the next such run holds
    the very same list. A resumed run's list keeps what the last attempt's list held."""
    rows = c.execute(
        f"SELECT step, key, input_hash, record_hash FROM tasks WHERE {_SERVED}", (run_id,)
    ).fetchall()
    if not rows:
        return
    served = {(r[0], r[1]): [r[0], r[1], r[2], r[3]] for r in _served_tasks(c, run_id)}
    served.update({(r[0], r[1]): [r[0], r[1], r[2], r[3]] for r in rows})
    entries = (
        (f"{k[0]}\x1f{k[1]}", json.dumps(served[k], separators=(",", ":")).encode("utf-8"))
        for k in sorted(served)
    )
    chunks = [_put_blob(c, chunk) for chunk in _chunks(entries, TASK_CHUNK_BYTES)]
    listed = _put_blob(c, json.dumps(chunks, separators=(",", ":")))
    c.execute("UPDATE runs SET cached_tasks=? WHERE id=?", (listed, run_id))
    c.execute(f"DELETE FROM tasks WHERE {_SERVED}", (run_id,))


def _served_tasks(c: sqlite3.Connection, run_id: str) -> list[list[str]]:
    """The [step, key, input hash, record hash] of the run's tasks folded at its end: a
    list of the hashes of its chunks, or (as the first of schema 13 wrote it) the list."""
    row = c.execute(
        "SELECT b.json FROM runs JOIN blobs b ON b.hash = runs.cached_tasks WHERE runs.id=?",
        (run_id,),
    ).fetchone()
    listed = json.loads(row[0]) if row is not None else []
    if not listed or not isinstance(listed[0], str):
        return list(listed)
    return [entry for text in _chunk_texts(c, listed) for entry in json.loads(text)]


def _shown_status(r: sqlite3.Row) -> str:
    # `running` is a claim; whether anyone still runs it is the lease's to say.
    if r["status"] == "running" and not owner_alive(_owner(r)):
        return "interrupted"
    return str(r["status"])


def _run_row(c: sqlite3.Connection, r: sqlite3.Row) -> RunRow:
    return RunRow(
        id=r["id"],
        workflow=r["workflow"],
        status=_shown_status(r),
        spec=json.loads(r["spec_blob"] if r["spec_blob"] is not None else r["spec_json"]),
        inputs=json.loads(r["inputs_json"]),
        paths=json.loads(r["paths_json"]),
        engine=r["engine"],
        options=json.loads(r["options_json"] or "{}"),
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        pid=r["pid"],
        report=_report(c, r),
    )


def _report(c: sqlite3.Connection, r: sqlite3.Row) -> RunReport | None:
    if not r["report_json"]:
        return None
    report = RunReport.model_validate_json(r["report_json"])
    keys = r.keys()
    if "outputs_blob" in keys and r["outputs_blob"] is not None:
        report.outputs = json.loads(r["outputs_blob"])
        if r["outputs_refs"]:
            report.outputs.update(_referenced_outputs(c, json.loads(r["outputs_refs"])))
    if "findings_manifest" in keys and r["findings_manifest"] is not None:
        with gc_paused():  # as in cache_get: thousands of findings of plain data
            raws = _chunked(c, r["findings_manifest"])
            report.findings = [Finding.model_validate(f) for f in raws]
    elif "findings_blob" in keys and r["findings_blob"] is not None:  # before schema 12
        with gc_paused():
            report.findings = [Finding.model_validate(f) for f in json.loads(r["findings_blob"])]
    return report


def _referenced_outputs(c: sqlite3.Connection, refs: dict[str, str]) -> dict[str, Any]:
    """{step: output} of the outputs a run reads from their records (`outputs_refs`);
    SQLite takes the output out of the record's JSON, which holds its findings too."""
    out: dict[str, Any] = {}
    for sid, digest in refs.items():
        parts = c.execute("SELECT parts FROM records WHERE hash=?", (digest,)).fetchone()
        if parts is not None and parts[0] is not None:  # kept in parts: put together here
            out[sid] = json.loads(_whole_record(c, "", None, parts[0])).get("output")
            continue
        try:
            row = c.execute(
                "SELECT json_extract(record_json, '$.output') FROM records WHERE hash=?",
                (digest,),
            ).fetchone()
            out[sid] = json.loads(row[0]) if row is not None and row[0] is not None else None
        except sqlite3.OperationalError:  # JSON SQLite will not read (it is stricter than Python)
            row = c.execute("SELECT record_json FROM records WHERE hash=?", (digest,)).fetchone()
            out[sid] = json.loads(row[0]).get("output") if row is not None else None
    return out


# A run row with its report's outputs and findings joined back from `blobs`.
_RUNS = (
    "SELECT runs.*, o.json AS outputs_blob, f.json AS findings_blob,"
    " fc.json AS findings_manifest, sb.json AS spec_blob FROM runs"
    " LEFT JOIN blobs o ON o.hash = runs.outputs_hash LEFT JOIN blobs f ON f.hash = runs.findings_hash"
    " LEFT JOIN blobs fc ON fc.hash = runs.findings_chunks"
    " LEFT JOIN blobs sb ON sb.hash = runs.spec_hash"
)


def _get_run(c: sqlite3.Connection, run_id: str) -> RunRow | None:
    row = c.execute(_RUNS + " WHERE runs.id=?", (run_id,)).fetchone()
    if row is None:  # a unique prefix is enough, like git
        rows = c.execute(_RUNS + " WHERE runs.id LIKE ? LIMIT 2", (run_id + "%",)).fetchall()
        row = rows[0] if len(rows) == 1 else None
    return _run_row(c, row) if row else None


_SUMMARIES = """
SELECT runs.id, runs.workflow, runs.status, runs.engine, runs.started_at, runs.finished_at,
       runs.pid, runs.host, runs.heartbeat_at,
       COALESCE(json_extract(runs.report_json, '$.agents.total'), 0) AS agents,
       COALESCE(json_extract(runs.report_json, '$.usage.cost_usd'), 0.0) AS cost_usd,
       CASE WHEN runs.findings_count IS NOT NULL THEN runs.findings_count
            WHEN runs.findings_hash IS NOT NULL
            THEN (SELECT json_array_length(blobs.json) FROM blobs WHERE blobs.hash = runs.findings_hash)
            ELSE (SELECT COUNT(*) FROM findings WHERE findings.run_id = runs.id)
               + (SELECT COALESCE(SUM(count), 0) FROM streamed_findings
                  WHERE streamed_findings.run_id = runs.id) END AS findings
FROM runs ORDER BY runs.started_at DESC LIMIT ?
"""


def _list_runs(c: sqlite3.Connection, limit: int) -> list[RunSummary]:
    return [
        RunSummary(
            id=r["id"],
            workflow=r["workflow"],
            status=_shown_status(r),
            engine=r["engine"],
            started_at=r["started_at"],
            finished_at=r["finished_at"],
            agents=r["agents"] or 0,
            findings=r["findings"] or 0,
            cost_usd=r["cost_usd"] or 0.0,
        )
        for r in c.execute(_SUMMARIES, (limit,))
    ]


def _tasks(c: sqlite3.Connection, run_id: str, status: str | None) -> list[TaskRow]:
    sql = (
        "SELECT tasks.*, records.record_json, records.findings_chunks AS record_chunks,"
        " records.parts AS record_parts FROM tasks"
        " LEFT JOIN records ON records.hash = tasks.record_hash"
        " WHERE run_id=?"
    )
    args: tuple[Any, ...] = (run_id,)
    if status:
        sql += " AND status=?"
        args += (status,)
    out = []
    for r in c.execute(sql + " ORDER BY step, key", args):
        out.append(
            TaskRow(
                run_id=r["run_id"],
                step=r["step"],
                key=r["key"],
                input_hash=r["input_hash"],
                status=r["status"],
                attempts=r["attempts"],
                cached=bool(r["cached"]),
                record=Record.model_validate_json(
                    _whole_record(c, r["record_json"], r["record_chunks"], r["record_parts"])
                )
                if r["record_json"] or r["record_parts"]
                else None,
                error=r["error"],
                raw=r["raw"],
                usage=Usage.model_validate_json(r["usage_json"] or "{}"),
                started_at=r["started_at"],
                finished_at=r["finished_at"],
            )
        )
    if status in (None, "succeeded"):  # and those the cache served, folded at the run's end
        served = _served_tasks(c, run_id)
        texts: dict[str, str | bytes] = {}
        wanted = sorted({t[3] for t in served})
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            for digest, text, chunks, parts in c.execute(
                "SELECT hash, record_json, findings_chunks, parts FROM records"
                f" WHERE hash IN ({marks})",
                part,
            ):
                texts[digest] = _whole_record(c, text, chunks, parts)
        for step, key, input_hash, record_hash in served:
            text = texts.get(record_hash)
            out.append(
                TaskRow(
                    run_id=run_id,
                    step=step,
                    key=key,
                    input_hash=input_hash,
                    status="succeeded",
                    attempts=0,
                    cached=True,
                    record=Record.model_validate_json(text) if text else None,
                )
            )
        out.sort(key=lambda t: (t.step, t.key))
    return out
