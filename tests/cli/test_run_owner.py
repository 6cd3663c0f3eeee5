"""One owner per run, through the real CLI, real SQLite and real processes: a live run
cannot be resumed from a second process, a killed run shows as `interrupted` (not
`running` forever), and a resumed report counts the money spent before the crash."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.test_cli import _slow_repo, _succeeded, swath
from tests.engine.test_model_runs import summaries_repo
from tests.fake_anthropic.server import FakeAnthropicServer
from tests.gitrepo import init_repo


def _wait_for(db: Path, n: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(_succeeded(db)) < n and proc.poll() is None:
        time.sleep(0.05)
    assert len(_succeeded(db)) >= n, "the run never got going"


def _status(root: Path, run_id: str) -> str:
    runs = json.loads(swath(root, "runs", "--format", "json").stdout)
    return next(r["status"] for r in runs if r["run_id"] == run_id)


def test_resume_of_a_live_run_is_refused_and_a_killed_one_is_interrupted(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    _slow_repo(root, 400)
    db = root / ".swath" / "swath.db"
    owner = subprocess.Popen(
        [sys.executable, "-m", "swath", "run", "slow-todos", "--no-cache", "--format", "json"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(db, 10, owner)
        # Stopped, not dead: the pid lives and its lease holds, as for a run busy elsewhere.
        owner.send_signal(signal.SIGSTOP)
        run_id = sqlite3.connect(db).execute("SELECT id FROM runs").fetchone()[0]
        second = swath(root, "resume", run_id, "--format", "json")
        assert second.returncode == 2, second.stderr
        assert f"run {run_id} is still running in process {owner.pid}" in second.stderr
        assert _status(root, run_id) == "running"
        done_before = len(_succeeded(db))
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    assert len(_succeeded(db)) >= done_before, "the refused resume must not touch the run"
    assert _status(root, run_id) == "interrupted"
    shown = swath(root, "runs")
    assert "interrupted" in shown.stdout
    res = swath(root, "resume", run_id, "--format", "json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["status"] == "succeeded"
    assert _status(root, run_id) == "succeeded"


def test_resume_beside_a_run_stopped_inside_a_write_is_refused_at_once(tmp_path: Path) -> None:
    """The test above stops its run wherever it happens to be; stopped inside a write, the
    run holds SQLite's write lock for good. Here it always is: the resume must still find
    the run and name its owner, at once, not wait out the lock and fail."""
    root = init_repo(tmp_path / "repo")
    _slow_repo(root, 4)
    assert swath(root, "run", "slow-todos", "--no-cache", "--format", "json").returncode == 0
    db = root / ".swath" / "swath.db"
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        run_id = writer.execute("SELECT id FROM runs").fetchone()[0]
        writer.execute(
            "UPDATE runs SET status='running', pid=?, host=?, heartbeat_at=? WHERE id=?",
            (owner.pid, os.uname().nodename, time.time(), run_id),
        )
        writer.execute("BEGIN IMMEDIATE")  # the owner, stopped inside a write
        started = time.monotonic()
        second = swath(root, "resume", run_id, "--format", "json")
        took = time.monotonic() - started
    finally:
        writer.close()
        owner.kill()
        owner.wait()
    assert second.returncode == 2, second.stderr
    assert f"run {run_id} is still running in process {owner.pid}" in second.stderr
    assert took < 20, f"the refusal took {took:.1f} s: it waited for the write lock (30 s)"


def _stored_output_tokens(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return sum(
            json.loads(u or "{}").get("output_tokens", 0)
            for (u,) in con.execute("SELECT usage_json FROM tasks")
        )
    finally:
        con.close()


def test_a_resumed_report_counts_what_every_attempt_cost(tmp_path: Path) -> None:
    server = FakeAnthropicServer(delay_s=0.05).start()
    try:
        root = summaries_repo(tmp_path / "repo", 40)
        env = {**os.environ, "ANTHROPIC_API_KEY": "sk-test-key", "ANTHROPIC_BASE_URL": server.url}
        first = subprocess.Popen(
            [sys.executable, "-m", "swath", "run", "summaries", "--format", "json", "--no-cache"],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        db = root / ".swath" / "swath.db"
        _wait_for(db, 8, first)
        first.send_signal(signal.SIGKILL)
        first.wait()
        spent_before = _stored_output_tokens(db)
        reported_before = server.usage_reported()["output_tokens"]
        assert spent_before > 0
        run_id = sqlite3.connect(db).execute("SELECT id FROM runs").fetchone()[0]
        res = subprocess.run(
            [sys.executable, "-m", "swath", "resume", run_id, "--format", "json"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert res.returncode == 0, res.stderr
        report = json.loads(res.stdout)
        resume_only = server.usage_reported()["output_tokens"] - reported_before
        assert report["usage"]["output_tokens"] == spent_before + resume_only
        assert report["usage"]["output_tokens"] > resume_only
    finally:
        server.stop()
