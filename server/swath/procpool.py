"""Worker processes for CPU-bound work, started once per worker module and kept warm.

Parsing and scanning are bound by the GIL, so they need processes, not threads. Not
`multiprocessing`: its fork start method can deadlock when the parent has threads (the
LSP server and the engine do), and forkserver/spawn re-import the parent's `__main__`
in every worker. A plain `python -m MODULE` per core, fed pickled `(function, args)`
requests over its stdin, starts in tens of milliseconds, imports only what its module
needs, and serves every later call. A worker module ends with `serve(globals(), NAMES)`.
"""

from __future__ import annotations

import atexit
import os
import pickle
import queue
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

from swath.gcpause import gc_paused


class WorkerFailed(RuntimeError):
    pass


def read_frame(stream: IO[bytes]) -> bytes | None:
    head = stream.read(8)
    if len(head) < 8:
        return None
    return stream.read(int.from_bytes(head, "little"))


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(len(payload).to_bytes(8, "little"))
    stream.write(payload)
    stream.flush()


def serve(namespace: dict[str, Any], served: Iterable[str]) -> None:
    """The worker's loop: answer `(name, args)` frames until stdin closes."""
    allowed = set(served)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return
        try:
            name, args = pickle.loads(frame)
            if name not in allowed:
                raise ValueError(f"not a served function: {name!r}")
            reply = (True, namespace[name](*args))
        except Exception:  # noqa: BLE001 - report to the parent, keep serving
            reply = (False, traceback.format_exc())
        write_frame(stdout, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


class Worker:
    def __init__(self, module: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )

    def call(self, name: str, args: tuple[Any, ...]) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            write_frame(self.proc.stdin, pickle.dumps((name, args), pickle.HIGHEST_PROTOCOL))
            frame = read_frame(self.proc.stdout)
        except (BrokenPipeError, OSError) as exc:
            raise WorkerFailed(f"worker {self.proc.pid} is gone: {exc}") from exc
        if frame is None:
            raise WorkerFailed(f"worker {self.proc.pid} exited ({self.proc.poll()})")
        with gc_paused():  # a batch's facts: plain data, unpickled while a large heap lives
            ok, result = pickle.loads(frame)
        if not ok:
            raise WorkerFailed(f"worker {self.proc.pid} failed:\n{result}")
        return result

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ProcessPool:
    """`size` workers of one module; each call runs on whichever worker is free.

    Callers block in `call` (on a thread of their own: the engine's task threads), which
    waits on a pipe with the GIL released, so as many tasks as there are workers compute
    at once and the rest queue here.
    """

    def __init__(self, module: str, size: int) -> None:
        self.module = module
        self.size = size
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._workers = [Worker(module) for _ in range(size)]
        for w in self._workers:
            self._idle.put(w)

    def call(self, name: str, *args: Any) -> Any:
        worker = self._idle.get()
        try:
            return worker.call(name, args)
        finally:
            if worker.alive():
                self._idle.put(worker)
            else:  # replace a dead worker so the pool keeps its size
                replacement = Worker(self.module)
                self._workers = [w for w in self._workers if w is not worker] + [replacement]
                self._idle.put(replacement)

    def map(self, name: str, requests: list[tuple[Any, ...]]) -> list[Any]:
        with ThreadPoolExecutor(max_workers=self.size) as threads:
            return list(threads.map(lambda a: self.call(name, *a), requests))

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers if w.alive()]

    def close(self) -> None:
        for w in self._workers:
            w.close()


_lock = threading.Lock()
_pools: dict[str, ProcessPool] = {}


def default_size() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def get(module: str, size: int | None = None) -> ProcessPool:
    """The shared pool of `module`'s workers (one per core unless told)."""
    want = size or default_size()
    with _lock:
        pool = _pools.get(module)
        if pool is None or pool.size != want:
            if pool is not None:
                pool.close()
            pool = _pools[module] = ProcessPool(module, want)
        return pool


def running(module: str) -> bool:
    """Is a pool of `module`'s workers started in this process?"""
    with _lock:
        return module in _pools


def shutdown() -> None:
    with _lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


atexit.register(shutdown)
