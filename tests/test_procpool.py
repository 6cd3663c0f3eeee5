"""swath.procpool with two requests in flight per worker (`depth` 2): each caller gets its
own reply, the worker finds its next request waiting when it finishes one, and a worker
that dies fails every call waiting on it and is replaced once."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from swath.procpool import ProcessPool, WorkerFailed

WORKER = "tests.procworker"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _worker_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m tests.procworker` finds `tests` from the repository, whatever the folder."""
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    )


def test_each_caller_gets_its_own_reply() -> None:
    pool = ProcessPool(WORKER, 1, depth=2)
    try:
        with ThreadPoolExecutor(max_workers=8) as threads:
            got = list(threads.map(lambda n: pool.call("echo", n, 0.002 * (n % 3)), range(40)))
        assert [value for value, _ in got] == list(range(40))
        assert {pid for _, pid in got} == set(pool.pids())
    finally:
        pool.close()


@pytest.mark.parametrize("depth", [1, 2])
def test_the_next_request_waits_in_the_pipe_only_with_depth_two(depth: int) -> None:
    pool = ProcessPool(WORKER, 1, depth=depth)
    try:
        pool.call("echo", "warm")
        started = threading.Event()

        def first() -> bool:
            started.set()
            return bool(pool.call("next_waiting", 0.5))

        with ThreadPoolExecutor(max_workers=2) as threads:
            waiting = threads.submit(first)
            started.wait()
            threads.submit(pool.call, "echo", "second").result(timeout=10)
            assert waiting.result(timeout=10) is (depth == 2)
    finally:
        pool.close()


def test_a_worker_that_dies_fails_its_waiting_calls_and_is_replaced_once() -> None:
    pool = ProcessPool(WORKER, 1, depth=2)
    try:
        (before,) = pool.pids()
        with ThreadPoolExecutor(max_workers=2) as threads:
            dying = threads.submit(pool.call, "die", 0.3)
            waiting = threads.submit(pool.call, "echo", "after")
            for call in (dying, waiting):
                with pytest.raises(WorkerFailed):
                    call.result(timeout=10)
        (after,) = pool.pids()
        assert after != before
        with ThreadPoolExecutor(max_workers=4) as threads:
            got = list(threads.map(lambda n: pool.call("echo", n), range(8)))
        assert got == [(n, after) for n in range(8)]
    finally:
        pool.close()


def test_a_worker_that_prints_or_reads_stdin_does_not_break_its_replies() -> None:
    pool = ProcessPool(WORKER, 1)
    try:
        assert pool.call("noisy", "x") == "x"
        assert pool.call("echo", "after")[0] == "after"
    finally:
        pool.close()
