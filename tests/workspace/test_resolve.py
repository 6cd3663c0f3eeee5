"""Workspace.resolve's short way (a path with no symlink, `.`, `..` or empty part is the
path as written, checked with one lstat per part) says what the long way says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from swath.workspace import Workspace


class _LongWay(Workspace):
    def _plain(self, rel: str) -> None:
        return None


CASES = [
    "a/b/f.py", "a/b", "a", "top.txt", "missing", "a/missing/x", "top.txt/x", "link/b/f.py",
    "out/passwd", "fl", ".env", "secrets/k", "a/../top.txt", "./a", "a//b", "a/b/", "x.pem",
    "innocent", "a/b/f.py/", "..", "../x", "a/./b", "a b", "é/ü", "a\\b", ".git/config",
]  # fmt: skip


@pytest.mark.skipif(os.name != "posix", reason="symlinks and the short way are POSIX's")
def test_the_short_way_resolves_as_the_long_way(tmp_path: Path) -> None:
    (tmp_path / "a/b").mkdir(parents=True)
    (tmp_path / "a/b/f.py").write_text("x")
    (tmp_path / "top.txt").write_text("y")
    (tmp_path / ".env").write_text("S=1")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets/k").write_text("k")
    (tmp_path / "x.pem").write_text("p")
    os.symlink(tmp_path / "a", tmp_path / "link")
    os.symlink("/etc", tmp_path / "out")
    os.symlink(tmp_path / "a/b/f.py", tmp_path / "fl")
    os.symlink(tmp_path / "x.pem", tmp_path / "innocent")  # a denied file under another name
    short, long = Workspace(tmp_path), _LongWay(tmp_path)

    def outcome(ws: Workspace, rel: str, must_exist: bool) -> tuple[str, str]:
        try:
            return "ok", str(ws.resolve(rel, must_exist=must_exist))
        except (ValueError, OSError) as exc:
            return type(exc).__name__, str(exc)

    for rel in CASES:
        for must_exist in (True, False):
            assert outcome(short, rel, must_exist) == outcome(long, rel, must_exist), rel
    assert short._plain("a/b/f.py") == (tmp_path.resolve() / "a/b/f.py", True)
    assert short._plain("link/b/f.py") is None  # a symlink: the long way
