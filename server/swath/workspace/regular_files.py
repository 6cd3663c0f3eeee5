"""Reading a file only when it is a regular file: a FIFO, socket or device never blocks us.

`open()` on a named pipe waits for a writer forever and a read of `/dev/zero` never ends,
so the file is opened non-blocking and checked with `fstat` on the descriptor itself (a
check by name first could be raced by swapping the file for a pipe).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class NotARegularFile(OSError):
    """The path names a directory, pipe, socket or device: nothing a tool reads."""


class FileTooLarge(OSError):
    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(f"{path}: {size:,} bytes, over the limit of {limit:,} bytes")
        self.size = size
        self.limit = limit


def file_kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def check_regular(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise NotARegularFile(f"{path}: {file_kind(st.st_mode)}, not a regular file")


def read_regular_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of `path`; NotARegularFile or FileTooLarge (both OSError) otherwise."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        check_regular(path, st)
        if limit is not None and st.st_size > limit:
            raise FileTooLarge(path, st.st_size, limit)
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read() if limit is None else f.read(limit)
    finally:
        os.close(fd)


def read_regular_head(path: Path, n: int) -> bytes:
    """The first `n` bytes of a regular file (enough to tell text from binary)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        check_regular(path, os.fstat(fd))
        return os.read(fd, n)
    finally:
        os.close(fd)
