"""Stopping is always possible: SIGTERM or Ctrl-C ends a run stuck in a long analysis within
a second, keeping what finished, and a second Ctrl-C ends the process at once. Real
processes running the real CLI, with a test analyzer that blocks for a minute."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.gitrepo import commit_files, init_repo

ROOT = Path(__file__).resolve().parents[2]

# The real CLI entry point, with the test analyzers registered first (a plug-in would be
# registered through an entry point instead; the engine sees no difference).
LAUNCH = (
    "import sys; from tests.engine import probe_analyzers; probe_analyzers.register(); "
    "from swath.cli.main import main; sys.exit(main(sys.argv[1:]))"
)


def _repo(tmp_path: Path, analyzer_seconds: float) -> Path:
    root = init_repo(tmp_path / "repo")
    commit_files(root, {f"f{i}.txt": f"{i}\n" for i in range(6)})
    wf = root / ".swath" / "workflows" / "stuck.yaml"
    wf.parent.mkdir(parents=True)
    wf.write_text(
        "name: stuck\nlimits: {concurrency: 2, task_timeout_s: 600}\nsteps:\n"
        "  - {id: files, kind: discover, source: files, with: {include: ['*.txt']}}\n"
        "  - id: slow\n    kind: map\n    from: files\n"
        f"    agent: {{analyzer: probe-sleep, params: {{seconds: {analyzer_seconds}}}}}\n"
    )
    return root


def _start(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "run", "stuck", "--no-cache", "--format", "json"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(ROOT), "ANTHROPIC_API_KEY": "", "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_running(root: Path, proc: subprocess.Popen[str]) -> None:
    """Until the analyzers are inside their minute-long sleep (tasks marked running)."""
    import sqlite3

    db = root / ".swath" / "swath.db"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
                n = con.execute("SELECT COUNT(*) FROM tasks WHERE status='running'").fetchone()[0]
                con.close()
                if n >= 2:
                    return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"the run never reached its analyzers: {proc.communicate()[1]}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_ends_a_run_stuck_in_a_long_analysis_within_a_second(
    tmp_path: Path, sig: signal.Signals
) -> None:
    root = _repo(tmp_path, analyzer_seconds=60)
    proc = _start(root)
    _wait_running(root, proc)
    sent = time.monotonic()
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    assert proc.returncode == 1, stderr
    report = json.loads(stdout)
    assert report["status"] == "cancelled"
    assert took < 1.0 or os.getloadavg()[0] > 2 * (os.cpu_count() or 1), took
    assert took < 10.0, took  # even on a machine loaded many times over


# A command whose event loop is blocked by a synchronous step (the case where signals used
# to wait): the real Stopper, in a real process, signalled from outside.
BLOCKED_LOOP = """
import asyncio, sys, time
from swath.cli.stopping import Stopper

async def main():
    stopper = Stopper(asyncio.get_running_loop(), asyncio.Event())
    stopper.install()
    print("ready", flush=True)
    time.sleep(60)  # synchronous: the loop cannot run anything meanwhile
    return 0

sys.exit(asyncio.run(main()))
"""


def _blocked() -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", BLOCKED_LOOP],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_a_second_ctrl_c_ends_the_process_at_once() -> None:
    proc = _blocked()
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "stopping" in stderr and "stopped at once" in stderr
    assert time.monotonic() - sent < 10  # at once, not after the 60 s step


def test_a_stop_the_loop_never_takes_still_ends_the_process() -> None:
    proc = _blocked()
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    assert proc.returncode == 130, stderr
    assert "did not take the stop within 2 s" in stderr and "swath resume" in stderr
    assert 1.9 < took < 20, took  # the grace period, then out
