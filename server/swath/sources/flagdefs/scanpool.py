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
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from swath.procpool import ProcessPool, WorkerFailed

__all__ = ["ScanPool", "WorkerFailed", "get", "shutdown", "worker_pids"]


# The workers, their pipe protocol and the replacement of a dead one are `swath.procpool`'s;
# what is particular here is a pool kept warm with its own threads, streaming results in order.
WORKER_MODULE = "swath.sources.flagdefs.scanworker"


class ScanPool(ProcessPool):
    """N workers; `stream` runs one request per chunk, each on whichever worker is free."""

    def __init__(self, size: int) -> None:
        super().__init__(WORKER_MODULE, size)
        # One thread per worker only moves bytes through pipes (the GIL is released there).
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="swath-scan")

    def stream(self, name: str, requests: list[tuple[Any, ...]]) -> Iterator[Any]:
        """Results in request order, each as soon as it and those before it are done."""
        return self._threads.map(lambda a: self.call(name, *a), requests)

    def warm(self) -> None:
        list(self.stream("scan_names", [(".", [], [], 0)] * self.size))

    def close(self) -> None:
        self._threads.shutdown(wait=True)
        super().close()


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
