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
from typing import IO, Any, NoReturn

from swath.gcpause import gc_paused


class WorkerFailed(RuntimeError):
    pass


def read_frame(stream: IO[bytes]) -> bytes | None:
    head = _read_exactly(stream, 8)
    if len(head) < 8:
        return None
    return _read_exactly(stream, int.from_bytes(head, "little"))


def _read_exactly(stream: IO[bytes], n: int) -> bytes:
    """`n` bytes, or fewer at the end of the stream: an unbuffered pipe (a worker's
    requests) may give a frame in several reads."""
    parts: list[bytes] = []
    while n > 0:
        chunk = stream.read(n)
        if not chunk:
            break
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(len(payload).to_bytes(8, "little"))
    stream.write(payload)
    stream.flush()


def serve(namespace: dict[str, Any], served: Iterable[str]) -> None:
    """The worker's loop: answer `(name, args)` frames until stdin closes.

    The replies are written by a thread of their own, in order: a reply larger than the
    pipe holds is written as fast as the parent reads it, and the next request (already
    in the pipe, see `ProcessPool`'s `depth`) is worked on meanwhile."""
    global _requests
    allowed = set(served)
    stdin, stdout = _private_pipes()
    _requests = stdin
    replies: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    writer = threading.Thread(target=_write_replies, args=(stdout, replies), daemon=True)
    writer.start()
    try:
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
            replies.put(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
            del reply
    finally:
        replies.put(None)
        writer.join()


_requests: IO[bytes] | None = None  # a worker's pipe of requests, once it serves


def request_waiting() -> bool:
    """In a worker: whether the parent's next request is already in the pipe."""
    import select

    return _requests is not None and bool(select.select([_requests], [], [], 0)[0])


def _private_pipes() -> tuple[IO[bytes], IO[bytes]]:
    """The parent's pipes on descriptors of their own; fd 0 and 1 become /dev/null and
    stderr. A served function (or a library it calls) that prints, or reads stdin, would
    otherwise put bytes inside a reply's frame or take a request's: the parent then waits
    for a length that never comes."""
    sys.stdout.flush()
    # Unbuffered, so that no request waits in a buffer of this process where a look at the
    # pipe (`request_waiting`) would not see it.
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    replies = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return requests, replies


def _write_replies(stream: IO[bytes], replies: queue.SimpleQueue[bytes | None]) -> None:
    while (payload := replies.get()) is not None:
        try:
            write_frame(stream, payload)
        except OSError:  # the parent is gone: nobody reads the rest
            return


class Worker:
    def __init__(self, module: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )

        # Several callers may have a request in flight (`ProcessPool`'s `depth`): each
        # writes its own, then reads its reply when the replies before it have been read.
        self._send = threading.Lock()
        self._turn = threading.Condition()
        self._sent = 0  # requests written
        self._answered = 0  # replies read
        self._broken: str | None = None

    def call(self, name: str, args: tuple[Any, ...]) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        payload = pickle.dumps((name, args), pickle.HIGHEST_PROTOCOL)
        with self._send:
            ticket = self._sent
            self._sent += 1
            try:
                write_frame(self.proc.stdin, payload)
            except (BrokenPipeError, OSError) as exc:
                self._fail(f"worker {self.proc.pid} is gone: {exc}")
        with self._turn:
            while self._answered != ticket and self._broken is None:
                self._turn.wait()
            if self._broken is not None:
                raise WorkerFailed(self._broken)
        try:
            frame = read_frame(self.proc.stdout)
        except (BrokenPipeError, OSError) as exc:
            self._fail(f"worker {self.proc.pid} is gone: {exc}")
        except BaseException:  # interrupted half-way through a reply: the pipe is out of step
            self._lose(f"worker {self.proc.pid}: a reply was not read to its end")
            raise
        if frame is None:
            self._fail(f"worker {self.proc.pid} exited ({self.proc.poll()})")
        with self._turn:
            self._answered += 1
            self._turn.notify_all()
        with gc_paused():  # a batch's facts: plain data, unpickled while a large heap lives
            ok, result = pickle.loads(frame)
        if not ok:
            raise WorkerFailed(f"worker {self.proc.pid} failed:\n{result}")
        return result

    def _lose(self, why: str) -> None:
        """The worker is lost: every call waiting for its reply fails."""
        with self._turn:
            self._broken = self._broken or why
            self._turn.notify_all()

    def _fail(self, why: str) -> NoReturn:
        self._lose(why)
        raise WorkerFailed(why)

    def alive(self) -> bool:
        return self._broken is None and self.proc.poll() is None

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
    at once and the rest queue here. With `depth` 2 a worker has a second request in its
    pipe while it computes one, for callers that keep every worker busy (a map's dozens
    of batches): it starts the next as soon as it is done instead of waiting for this
    process to take the reply, unpickle it and send another (at a load of 10, each of
    sympy's two parse workers waited ~0.5 s so over a first map). Callers that run one
    request per worker at a time keep `depth` 1, or a second request could queue behind
    a busy worker while another is idle.
    """

    def __init__(self, module: str, size: int, depth: int = 1) -> None:
        self.module = module
        self.size = size
        self.depth = depth
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._workers = [Worker(module) for _ in range(size)]
        for _ in range(depth):  # round robin: the first `size` calls go to every worker
            for w in self._workers:
                self._idle.put(w)

    def call(self, name: str, *args: Any) -> Any:
        worker = self._idle.get()
        while not self._serving(worker):  # a lost worker's other slot: its replacement's are in
            worker = self._idle.get()
        try:
            return worker.call(name, args)
        finally:
            if worker.alive():
                self._idle.put(worker)
            else:
                self._replace(worker)

    def _serving(self, worker: Worker) -> bool:
        with self._lock:
            return any(w is worker for w in self._workers)

    def _replace(self, worker: Worker) -> None:
        """A dead worker's place taken by a new one (once, whichever of its calls sees it
        first), so the pool keeps its size."""
        with self._lock:
            if not any(w is worker for w in self._workers):
                return
            replacement = Worker(self.module)
            self._workers = [w for w in self._workers if w is not worker] + [replacement]
        for _ in range(self.depth):
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


def get(module: str, size: int | None = None, depth: int | None = None) -> ProcessPool:
    """The shared pool of `module`'s workers (one per core unless told; `depth`: see
    `ProcessPool`, None for the running pool's, 1 for a new one)."""
    want = size or default_size()
    with _lock:
        pool = _pools.get(module)
        if pool is None or pool.size != want or (depth is not None and pool.depth != depth):
            if pool is not None:
                pool.close()
            pool = _pools[module] = ProcessPool(module, want, depth or 1)
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
