"""A file read through the workspace is read once while its stat holds (`Workspace.file_bytes`):
a review's passes, identity and verification read each changed file ~9 times. Any rewrite is
seen, also one that keeps the size and mtime, and a file written just before it was read is
read again every time."""

from __future__ import annotations

import os
import time
import types
from pathlib import Path

import pytest

from swath.workspace import Workspace
from swath.workspace import workspace as workspace_module
from swath.workspace.regular_files import NotARegularFile
from swath.workspace.workspace import RACY_NS


class Reads:
    def __init__(self) -> None:
        self.paths: list[Path] = []

    def __call__(self, path: Path) -> bytes:
        self.paths.append(path)
        return path.read_bytes()


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workspace's clock well past the files' writes: none of them is racy."""
    now = time.time_ns() + 10 * RACY_NS
    monkeypatch.setattr(workspace_module, "time", types.SimpleNamespace(time_ns=lambda: now))


def test_an_unchanged_file_is_read_once(tmp_path: Path, later: None) -> None:
    (tmp_path / "a.py").write_bytes(b"x = 1\n")
    ws = Workspace(tmp_path)
    reads = Reads()
    full = ws.resolve("a.py")
    assert [ws.file_bytes(full, reads) for _ in range(3)] == [b"x = 1\n"] * 3
    assert reads.paths == [full]
    assert ws.read_text("a.py") == "x = 1\n"  # the same memo behind the workspace's reads
    assert reads.paths == [full]


def test_a_rewrite_is_read_again_even_with_the_same_size_and_mtime(
    tmp_path: Path, later: None
) -> None:
    f = tmp_path / "a.py"
    f.write_bytes(b"aaaa")
    ws = Workspace(tmp_path)
    assert ws.read_bytes("a.py") == b"aaaa"
    st = f.stat()
    f.write_bytes(b"bbbb")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # the mtime set back: the ctime moved
    assert ws.read_bytes("a.py") == b"bbbb"
    f.write_bytes(b"cc")
    assert ws.read_text("a.py") == "cc"
    f.unlink()
    with pytest.raises(FileNotFoundError):
        ws.read_bytes("a.py")


def test_a_file_written_just_before_its_read_is_read_every_time(tmp_path: Path) -> None:
    # A write in the same clock tick as the read would keep every stat field but the bytes.
    (tmp_path / "a.py").write_bytes(b"x\n")
    ws = Workspace(tmp_path)
    reads = Reads()
    full = ws.resolve("a.py")
    for _ in range(3):
        assert ws.file_bytes(full, reads) == b"x\n"
    assert len(reads.paths) == 3


def test_the_memo_keeps_the_files_read_last(
    tmp_path: Path, later: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workspace_module, "READ_MEMO_FILES", 2)
    for name in "abc":
        (tmp_path / f"{name}.py").write_bytes(name.encode())
    ws = Workspace(tmp_path)
    reads = Reads()
    for name in "abcca":
        assert ws.file_bytes(ws.resolve(f"{name}.py"), reads) == name.encode()
    assert [p.name for p in reads.paths] == ["a.py", "b.py", "c.py", "a.py"]


def test_what_is_not_a_regular_file_is_never_kept(tmp_path: Path, later: None) -> None:
    os.mkfifo(tmp_path / "pipe")
    ws = Workspace(tmp_path)
    for _ in range(2):  # refused without blocking, each time
        with pytest.raises(NotARegularFile):
            ws.read_bytes("pipe")
