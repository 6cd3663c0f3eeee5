"""A worker module for tests/test_procpool.py (`python -m tests.procworker`)."""

from __future__ import annotations

import os
import select
import sys
import time


def echo(value: object, delay: float = 0.0) -> tuple[object, int]:
    time.sleep(delay)
    return value, os.getpid()


def next_waiting(delay: float) -> bool:
    """After `delay`, is another request already in this worker's pipe?"""
    time.sleep(delay)
    return bool(select.select([sys.stdin], [], [], 0)[0])


def die(delay: float = 0.0) -> None:
    time.sleep(delay)
    os._exit(3)


if __name__ == "__main__":
    from swath.procpool import serve

    serve(globals(), ["echo", "next_waiting", "die"])
