"""SQLite behind one thread: the event loop never waits on disk.

Every operation is queued to a single worker thread that owns the connection. The worker
drains whatever is queued, runs it in one transaction and commits once, so a burst of a
thousand task updates costs a handful of commits, and a `kill -9` loses at most the last
few milliseconds (which resume simply re-runs).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, TypeVar

from swath.store.migrations import BASELINE_VERSION, SCHEMA_VERSION, migrate, stored_version

log = logging.getLogger(__name__)

T = TypeVar("T")

_Op = tuple[
    Callable[[sqlite3.Connection], Any],
    "asyncio.Future[Any] | None",
    "asyncio.AbstractEventLoop | None",
]


def _stored_version(path: Path) -> int | None:
    if not path.exists():
        return None
    conn = sqlite3.connect(path, timeout=30)
    try:
        return stored_version(conn)
    except ValueError:  # a version that is not a number: not a store of ours
        return None
    finally:
        conn.close()


def _set_aside_older(path: Path) -> None:
    """A store from before migrations existed is moved aside (never deleted) and a fresh
    one started; every later store is migrated in place (see `migrations.py`)."""
    version = _stored_version(path)
    if version is None or version >= BASELINE_VERSION:
        return
    for suffix in ("", "-wal", "-shm"):
        old = path.with_name(path.name + suffix)
        if old.exists():
            old.rename(path.with_name(f"{path.name}.v{version}.bak{suffix}"))
    log.warning(
        "%s had store schema %s, older than any this Swath migrates (%s): kept as %s.v%s.bak,"
        " starting a new store",
        path,
        version,
        BASELINE_VERSION,
        path.name,
        version,
    )


def _connect(path: Path) -> sqlite3.Connection:
    _set_aside_older(path)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.row_factory = sqlite3.Row
    try:
        found = migrate(conn, str(path))
    except BaseException:
        conn.close()
        raise
    if found < SCHEMA_VERSION:
        log.info("%s: store schema %s migrated to %s", path, found, SCHEMA_VERSION)
    return conn


class Database:
    """A connection owned by one worker thread; `call` runs a function on it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.SimpleQueue[_Op | None] = queue.SimpleQueue()
        self._conn = _connect(path)
        self._thread = threading.Thread(
            target=self._work, name=f"swath-store:{path.name}", daemon=True
        )
        self._closed = False
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()
        self._thread.start()

    async def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._queue.put((fn, fut, loop))
        return await fut

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A read that never waits for a writer: its own connection, one WAL snapshot.

        `call` runs inside BEGIN IMMEDIATE, so while runs in other processes write, every
        call waits its turn for the write lock: the editor's `listRuns` took 0.1-0.45 s p99
        that way (bench/lsp_latency). It sees what is committed — not a write `submit`ted a
        moment ago and still queued (`RunStore.flush` first if that matters).
        """
        return await asyncio.to_thread(self._read_now, fn)

    def _read_now(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._reader_lock:
            if self._closed:
                raise RuntimeError(f"{self.path}: the store is closed")
            if self._reader is None:
                self._reader = sqlite3.connect(
                    self.path, check_same_thread=False, isolation_level=None, timeout=30
                )
                self._reader.row_factory = sqlite3.Row
                self._reader.execute("PRAGMA query_only=ON")
            conn = self._reader
            conn.execute("BEGIN")  # deferred: a snapshot, no lock a writer holds
            try:
                return fn(conn)
            finally:
                conn.execute("ROLLBACK")

    def _close_reader(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def submit(self, fn: Callable[[sqlite3.Connection], Any]) -> None:
        """Fire and forget: ordered with every other operation, committed with its batch."""
        self._queue.put((fn, None, None))

    def call_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """For callers outside any event loop (CLI listing)."""
        done = threading.Event()
        box: dict[str, Any] = {}

        def wrapped(conn: sqlite3.Connection) -> None:
            try:
                box["value"] = fn(conn)
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                box["error"] = exc
            finally:
                done.set()

        self._queue.put((wrapped, None, None))
        done.wait()
        if "error" in box:
            raise box["error"]
        value: T = box["value"]
        return value

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        self._close_reader()

    def close_sync(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        self._close_reader()

    def _work(self) -> None:
        conn = self._conn
        stop = False
        while not stop:
            first = self._queue.get()
            batch: list[_Op] = []
            if first is None:
                break
            batch.append(first)
            while len(batch) < 500:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._apply(conn, batch)
            # Nothing of this batch is held while the thread waits for the next: its ops'
            # rows and results (a reduce's record, megabytes of contributions) go now.
            del batch, first
        conn.close()

    def _apply(self, conn: sqlite3.Connection, batch: list[_Op]) -> None:
        """One transaction for `batch`, each op in a savepoint; the callers get their results."""
        results: list[tuple[_Op, Any, BaseException | None]] = []
        # IMMEDIATE: another process's writer makes this wait (busy_timeout) here, at the
        # start, instead of failing a write half-way with "database is locked".
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            # Still locked after the busy timeout (a writer elsewhere stopped holding it):
            # this batch fails, each caller hears why, and the thread lives for the next.
            # Raised here, it ended the thread and every awaiting caller waited forever.
            log.error("store write failed: %s", exc)
            results = [(op, None, exc) for op in batch]
            self._report(results)
            return
        for op in batch:
            fn = op[0]
            try:
                conn.execute("SAVEPOINT op")
                value = fn(conn)
                conn.execute("RELEASE op")
                results.append((op, value, None))
            except BaseException as exc:  # noqa: BLE001 - reported to the awaiting caller
                conn.execute("ROLLBACK TO op")
                conn.execute("RELEASE op")
                if op[1] is None:
                    log.error("store write failed: %s", exc)
                results.append((op, None, exc))
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("store commit failed: %s", exc)
            conn.execute("ROLLBACK")
            results = [(op, None, exc) for op, _, _ in results]
        self._report(results)

    @staticmethod
    def _report(results: list[tuple[_Op, Any, BaseException | None]]) -> None:
        for (_fn, fut, loop), value, err in results:
            if fut is None or loop is None:
                continue
            try:
                loop.call_soon_threadsafe(_resolve, fut, value, err)
            except RuntimeError:  # the caller's loop has closed: nobody is waiting
                pass


def _resolve(fut: asyncio.Future[Any], value: Any, err: BaseException | None) -> None:
    if fut.done():
        return
    if err is not None:
        fut.set_exception(err)
    else:
        fut.set_result(value)
