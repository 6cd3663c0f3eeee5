"""The run lease on real SQLite: liveness by pid on this host and by heartbeat elsewhere,
and two processes taking over one interrupted run at once: exactly one wins."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from swath.store import RunLeased, RunStore
from swath.store.lease import LEASE_S, Owner, owner_alive, this_host


def test_liveness_by_pid_here_and_by_heartbeat_elsewhere() -> None:
    now = time.time()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    here_dead = Owner(host=this_host(), pid=int(dead.stdout), heartbeat_at=now)
    assert not owner_alive(here_dead, now), "a dead pid on this host is interrupted at once"
    assert owner_alive(Owner(host=this_host(), pid=os.getpid(), heartbeat_at=now - 3600), now)
    elsewhere = Owner(host="build-7", pid=1, heartbeat_at=now - 10)
    assert owner_alive(elsewhere, now)
    stale = elsewhere.model_copy(update={"heartbeat_at": now - LEASE_S - 1})
    assert not owner_alive(stale, now)


async def _new_run(root: Path) -> str:
    store = RunStore.open(root)
    await store.create_run("r1", "wf", {}, {}, [], "static", "2026-12-02T00:00:00+00:00")
    await store.aclose()
    return "r1"


def _take_over(root: str, out: "multiprocessing.Queue[str]", release: Any) -> None:
    async def go() -> None:
        store = RunStore.open(Path(root))
        try:
            await store.reopen_run("r1")
            out.put("won")
        except RunLeased:
            out.put("refused")
        finally:
            await store.aclose()
        release.wait(60)  # the winner stays alive (its pid holds the run) until both answered

    asyncio.run(go())


async def test_two_takeovers_of_one_interrupted_run_one_wins(tmp_path: Path) -> None:
    run_id = await _new_run(tmp_path)
    db = tmp_path / ".swath" / "swath.db"
    con = sqlite3.connect(db)
    con.execute(
        "UPDATE runs SET pid=?, heartbeat_at=? WHERE id=?", (2**22 + 17, time.time(), run_id)
    )
    con.commit()
    con.close()
    store = RunStore.open(tmp_path)
    assert (await store.get_run(run_id)).status == "interrupted"  # type: ignore[union-attr]
    await store.aclose()
    ctx = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[str] = ctx.Queue()
    release = ctx.Event()
    procs = [ctx.Process(target=_take_over, args=(str(tmp_path), out, release)) for _ in range(2)]
    for p in procs:
        p.start()
    try:
        results = sorted(out.get(timeout=120) for _ in procs)
    finally:
        release.set()
        for p in procs:
            p.join(timeout=60)
    assert results == ["refused", "won"]


async def test_a_resume_beside_an_owner_stopped_in_a_write_is_refused_at_once(
    tmp_path: Path,
) -> None:
    """A run's process stopped (SIGSTOP) inside a write holds SQLite's write lock for good:
    `swath resume` must find the run and say whose it is without waiting for that lock, and a write that
    cannot get it fails its caller instead of ending the store's writer thread (every
    caller after it then waited forever: CI saw `swath resume` hang 120 s)."""
    run_id = await _new_run(tmp_path)
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    db = tmp_path / ".swath" / "swath.db"
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        writer.execute(
            "UPDATE runs SET status='running', pid=?, host=?, heartbeat_at=? WHERE id=?",
            (owner.pid, this_host(), time.time(), run_id),
        )
        writer.execute("BEGIN IMMEDIATE")  # the owner, stopped in a write
        store = RunStore.open(tmp_path)
        try:
            started = time.monotonic()
            found = await asyncio.wait_for(store.get_run(run_id), timeout=10)  # resume's lookup
            assert found is not None and found.status == "running"
            try:
                await asyncio.wait_for(store.reopen_run(run_id), timeout=10)
            except RunLeased as exc:
                assert f"process {owner.pid}" in str(exc)
            else:
                raise AssertionError("the live owner's run was taken over")
            assert time.monotonic() - started < 5, "the refusal waited for the write lock"
            store.db._conn.execute("PRAGMA busy_timeout=200")
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await asyncio.wait_for(store.db.call(lambda c: c.execute("SELECT 1")), 10)
            writer.execute("ROLLBACK")  # the owner goes on: the store writes again
            assert await asyncio.wait_for(store.db.call(lambda c: 7), 10) == 7
        finally:
            await store.aclose()
    finally:
        writer.close()
        owner.kill()
        owner.wait()
