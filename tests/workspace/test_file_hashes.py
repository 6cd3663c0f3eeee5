"""A file's content hash is reused while the file's stat holds, in this process and, through
the store, in the next; a rewrite is always seen, even one that keeps the size and mtime."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from swath.store import RunStore
from swath.workspace import HashedFile, Workspace
from swath.workspace.workspace import RACY_NS


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_for(path: Path, digest: str, hashed_ns: int) -> HashedFile:
    st = path.stat()
    return HashedFile(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, hashed_ns, digest)


def test_a_rewrite_with_the_same_size_and_mtime_is_hashed_again(tmp_path: Path) -> None:
    f = tmp_path / "a.py"
    f.write_bytes(b"aaaa")
    ws = Workspace(tmp_path)
    assert ws.file_hash("a.py") == sha(b"aaaa")
    st = f.stat()
    f.write_bytes(b"bbbb")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # the mtime set back, as rsync -t would
    assert ws.file_hash("a.py") == sha(b"bbbb")


def test_a_known_hash_serves_while_the_stat_holds_and_not_after(tmp_path: Path) -> None:
    f = tmp_path / "a.py"
    f.write_bytes(b"old")
    ws = Workspace(tmp_path)
    later = time.time_ns() + 10 * RACY_NS  # long after the write: not racy
    # A digest the bytes do not have: served means the file was not read.
    ws.known_hashes({"a.py": entry_for(f, "feed", later)})
    assert ws.file_hash("a.py") == "feed"
    assert ws.new_hashes() == {}
    f.write_bytes(b"new")
    assert ws.file_hash("a.py") == sha(b"new")
    (news,) = ws.new_hashes().values()
    assert news is not None and news.digest == sha(b"new")
    f.unlink()
    assert ws.file_hash("a.py") == ""
    assert ws.new_hashes() == {"a.py": None}


def test_a_hash_taken_within_the_racy_window_of_a_write_is_not_trusted(tmp_path: Path) -> None:
    f = tmp_path / "a.py"
    f.write_bytes(b"same size")
    ws = Workspace(tmp_path)
    st = f.stat()
    # Taken 1 ms after the write: a second write in the same tick would keep this stat.
    ws.known_hashes({"a.py": entry_for(f, "feed", max(st.st_mtime_ns, st.st_ctime_ns) + 10**6)})
    assert ws.file_hash("a.py") == sha(b"same size")


async def test_the_store_keeps_hashes_for_the_next_process(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"a")
    (tmp_path / "b.py").write_bytes(b"b")
    ws = Workspace(tmp_path)
    ws.file_hash("a.py"), ws.file_hash("b.py")
    store = RunStore.open(tmp_path)
    try:
        store.save_file_hashes(str(ws.root), ws.new_hashes())
        await store.flush()
        kept = await store.file_hashes(str(ws.root))
        assert {p: h.digest for p, h in kept.items()} == {"a.py": sha(b"a"), "b.py": sha(b"b")}
        assert await store.file_hashes(str(tmp_path / "elsewhere")) == {}
        (tmp_path / "b.py").unlink()
        assert ws.file_hash("b.py") == ""
        store.save_file_hashes(str(ws.root), ws.new_hashes())
        await store.flush()
        assert list(await store.file_hashes(str(ws.root))) == ["a.py"]
    finally:
        await store.aclose()
