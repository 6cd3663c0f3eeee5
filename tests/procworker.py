"""A worker module for tests/test_procpool.py (`python -m tests.procworker`)."""

from __future__ import annotations

import os
import sys
import time


def echo(value: object, delay: float = 0.0) -> tuple[object, int]:
    time.sleep(delay)
    return value, os.getpid()


def next_waiting(delay: float) -> bool:
    """After `delay`, is another request already in this worker's pipe?"""
    from swath.procpool import request_waiting

    time.sleep(delay)
    return request_waiting()


def noisy(value: object) -> object:
    """Prints (Python's and the C library's way) and reads stdin, as a library might."""
    print("a stray line", value)
    sys.stdout.flush()
    os.write(1, b"\x00\x00 raw bytes\n")
    sys.stdin.read()
    return value


def die(delay: float = 0.0) -> None:
    time.sleep(delay)
    os._exit(3)


if __name__ == "__main__":
    from swath.procpool import serve

    serve(globals(), ["echo", "next_waiting", "noisy", "die"])
