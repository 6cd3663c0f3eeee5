"""Scan worker processes, started once and kept warm.

Reading files is bound by the GIL, so the scan needs processes, not threads. Not
`multiprocessing`: its fork start method can deadlock when the parent has threads (the
LSP server and the engine do), and forkserver/spawn re-import the parent's `__main__`
in every worker (a script's top level, or nothing at all when it came from stdin). A
plain `python -m …scanworker` per core, fed pickled requests over a pipe, starts in
~40 ms, imports only what the scan needs, and is reused by every later scan.
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from swath.procpool import Worker, WorkerFailed

__all__ = ["ScanPool", "WorkerFailed", "get", "shutdown", "worker_pids"]


# The worker process and its pipe protocol are the shared ones of `swath.procpool`; what is
# particular here is a pool kept warm with its own threads, streaming results in order.
WORKER_MODULE = "swath.sources.flagdefs.scanworker"


class ScanPool:
    """N workers; `map` runs one request per chunk, each on whichever worker is free."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._workers = [Worker(WORKER_MODULE) for _ in range(size)]
        for w in self._workers:
            self._idle.put(w)
        # One thread per worker only moves bytes through pipes (the GIL is released there).
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="swath-scan")

    def _run(self, name: str, args: tuple[Any, ...]) -> Any:
        worker = self._idle.get()
        try:
            return worker.call(name, args)
        finally:
            if worker.alive():
                self._idle.put(worker)
            else:  # replace a dead worker so the pool keeps its size
                self._idle.put(Worker(WORKER_MODULE))

    def map(self, name: str, requests: list[tuple[Any, ...]]) -> Iterator[Any]:
        """Results in request order, each as soon as it and those before it are done."""
        return self._threads.map(lambda a: self._run(name, a), requests)

    def warm(self) -> None:
        list(self.map("scan_names", [(".", [], [], 0)] * self.size))

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers if w.alive()]

    def close(self) -> None:
        self._threads.shutdown(wait=True)
        for w in self._workers:
            w.close()
        while not self._idle.empty():
            self._idle.get().close()


_lock = threading.Lock()
_pool: ScanPool | None = None


def get(size: int) -> ScanPool:
    global _pool
    with _lock:
        if _pool is None or _pool.size != size:
            if _pool is not None:
                _pool.close()
            _pool = ScanPool(size)
        return _pool


def worker_pids() -> list[int]:
    with _lock:
        return _pool.pids() if _pool is not None else []


def shutdown() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.close()
            _pool = None


atexit.register(shutdown)
