"""Benchmark: review-diff offline beside `git diff` + one `ruff check` of the same files.

Builds a git repository from real code (modules of Python's standard library): each file
is committed without its last top-level definitions, and the working tree has them back,
so the diff adds ~2,000 lines over 50 files (and a committed test, so the tests pass runs as
on a project with tests). Then times, alternating in one run:

- the floor a user would reach for: `git diff -U0 HEAD` and one `ruff check` of the
  changed files with the review's rule selection (two processes);
- the offline review in-process (`Engine.run` of review-diff, static engine, no result
  cache, the review's memos cleared before each run: every file parsed, ruff run);
- the whole CLI run, `python -m swath run review-diff --engine static --no-cache`, with
  Python's bytecode cache written (in the bench's own folder, PYTHONPYCACHEPREFIX), as an
  installed Swath has it: a checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise
  compile all of Swath at every start. Twice: in its own process (`SWATH_WARM=0`, the
  "cold" run) and handed to the workspace's warm process (swath.cli.warm) as a user's
  later runs are (from the third in a workspace); the warm run's CPU is the client's plus
  what the server's forked child used (its reaped children's CPU in /proc/PID/stat, 10 ms
  ticks).

Prints the medians, wall and CPU (user + system, child processes included: on a shared
machine the wall clock also counts the waiting for a core), each with its spread, the load
average at the start and the end, the ratio of the in-process review to the floor
(target: <= 2x), and the CLI run's median (target: < 0.5 s).

    .venv/bin/python bench/review.py [--quick] [--files N] [--added N] [--repeat N]
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from swath.analyzers import review_facts, review_read, review_ruff
from swath.engine.catalog import known_names
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import load_workflow
from swath.store import RunStore
from swath.workspace import Workspace
from swath.workspace.workspace import RACY_NS

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "ANTHROPIC_API_KEY": "",
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True, env=ENV
    ).stdout


def split_tail(text: str, want: int) -> tuple[str, str] | None:
    """The file without its last top-level statements covering about `want` lines, and all of it."""
    try:
        body = ast.parse(text).body
    except SyntaxError:
        return None
    lines = text.splitlines(keepends=True)
    for stmt in reversed(body):
        start = stmt.lineno - 1 - len(getattr(stmt, "decorator_list", []))
        if len(lines) - start >= want:
            return "".join(lines[:start]), text
    return None


def build_repo(root: Path, files: int, added_per_file: int) -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    chosen: list[tuple[str, str, str]] = []
    for path in sorted(stdlib.glob("*.py")) + sorted(stdlib.glob("*/*.py")):
        if "test" in path.parts[-2] or path.name.startswith("test"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        pair = split_tail(text, added_per_file)
        if pair and 0 < len(pair[1].splitlines()) - len(pair[0].splitlines()) <= 2 * added_per_file:
            chosen.append((f"lib/{path.relative_to(stdlib).as_posix()}", *pair))
        if len(chosen) == files:
            break
    for rel, old, _ in chosen:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(old, encoding="utf-8")
    # A project has tests (none changes in this diff), so the tests pass checks every changed
    # public function, as it would on a real pull request.
    (root / "tests").mkdir()
    (root / "tests" / "test_lib.py").write_text("def test_lib():\n    assert True\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "before")
    for rel, _, new in chosen:
        (root / rel).write_text(new, encoding="utf-8")
    return [rel for rel, _, _ in chosen]


class Clock:
    """Wall time and CPU time (this process's and its children's) of one measured stretch."""

    def __enter__(self) -> Clock:
        self._wall = time.perf_counter()
        self._cpu = _cpu_now()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = _cpu_now() - self._cpu


def _cpu_now() -> float:
    mine = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + kids.ru_utime + kids.ru_stime


def floor_once(root: Path, paths: list[str]) -> Clock:
    ruff = review_ruff.ruff_command("auto")
    assert ruff is not None
    select = ",".join(review_ruff.selection(review_ruff.project_ruff(root)))
    with Clock() as clock:
        subprocess.run(
            ["git", "diff", "-U0", "--no-color", "HEAD"], cwd=root, capture_output=True, check=True
        )
        subprocess.run(
            [
                *ruff,
                "check",
                "--no-cache",
                "--exit-zero",
                "--output-format",
                "json",
                "--select",
                select,
                "--",
                *paths,
            ],
            cwd=root,
            capture_output=True,
            check=True,
        )
    return clock


def _clear_memos() -> None:
    review_ruff._memo.clear()
    review_facts._memo.clear()
    review_read._memo.clear()


async def review_once(root: Path) -> tuple[Clock, int]:
    _clear_memos()
    store = RunStore.open(root)
    try:
        wf = load_workflow(builtin_workflows_dir() / "review-diff.yaml", known_names())
        engine = Engine(Workspace(root), store)
        with Clock() as clock:
            report = await engine.run(wf, RunOptions(engine="static", use_cache=False))
        return clock, len(report.findings)
    finally:
        await store.aclose()


def cli_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in ENV.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def warm_server(root: Path) -> int | None:
    """The pid of the workspace's warm process, once it listens (None: it did not come up)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for lock in (root / ".swath" / "warm").glob("*.lock"):
            pid = lock.read_text().strip()
            if pid and lock.with_suffix(".sock").exists() and Path(f"/proc/{pid}").exists():
                return int(pid)
        time.sleep(0.05)
    return None


def _reaped_cpu(pid: int) -> float:
    """CPU seconds of the process's reaped children (cutime + cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def warm_once(root: Path, env: dict[str, str], server: int) -> Clock:
    before = _reaped_cpu(server)
    clock = cli_once(root, env)
    # The child is reaped before the client hears its exit status: counted by now.
    clock.cpu += _reaped_cpu(server) - before
    return clock


def cli_once(root: Path, env: dict[str, str]) -> Clock:
    with Clock() as clock:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "swath",
                "run",
                "review-diff",
                "--engine",
                "static",
                "--no-cache",
                "--format",
                "json",
                "-o",
                os.devnull,
            ],
            cwd=root,
            capture_output=True,
            env=env,
        )
    if proc.returncode != 0:
        raise SystemExit(f"swath run failed: {proc.stderr.decode()[-500:]}")
    return clock


def _line(label: str, runs: list[Clock], tail: str = "") -> str:
    wall = statistics.median(c.wall for c in runs) * 1000
    cpu = statistics.median(c.cpu for c in runs) * 1000
    walls, cpus = sorted(c.wall * 1000 for c in runs), sorted(c.cpu * 1000 for c in runs)
    # The spread beside the median: on a shared machine one run's figure says little.
    spread = f"  (wall {walls[0]:.0f}-{walls[-1]:.0f}, cpu {cpus[0]:.0f}-{cpus[-1]:.0f})"
    return f"{label:32s}median {wall:7.1f} ms  cpu {cpu:7.1f} ms{tail}{spread}"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10 files, 3 repeats")
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--added", type=int, default=40, help="added lines per file, about")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    if args.quick:
        args.files, args.repeat = 10, 3
    work = Path(tempfile.mkdtemp(prefix="swath-review-bench-"))
    server: int | None = None
    try:
        root = work / "repo"
        paths = build_repo(root, args.files, args.added)
        added = sum(
            int(line.split("\t")[0]) for line in git(root, "diff", "--numstat", "HEAD").splitlines()
        )
        print(f"diff: {len(paths)} files of Python's standard library, +{added} lines; {_load()}")
        # A file hashed within 2 s of its last write is hashed again next time (a "racy" file,
        # workspace.RACY_NS, as git does): the rounds measure a tree edited a while ago, as a
        # review's usually is, not one written a moment before.
        time.sleep(RACY_NS / 1e9 + 0.1)
        asyncio.run(review_once(root))  # warm: imports, the first store
        env = {**cli_env(work), "SWATH_WARM": "0"}
        cli_once(root, env)  # warm: the bytecode cache, as an installed Swath has it
        warm_env = {**env, "SWATH_WARM": "1", "SWATH_WARM_IDLE": "120"}
        warm_env.pop("CI", None)
        for _ in range(2):  # both run in their own process; the second starts the warm one
            cli_once(root, warm_env)
        server = warm_server(root)
        floor: list[Clock] = []
        inproc: list[Clock] = []
        cli: list[Clock] = []
        warm: list[Clock] = []
        findings = 0
        for _ in range(args.repeat):
            floor.append(floor_once(root, paths))
            took, findings = asyncio.run(review_once(root))
            inproc.append(took)
            cli.append(cli_once(root, env))
            if server is not None:
                warm.append(warm_once(root, warm_env, server))
        f, r, c = (statistics.median(x.wall for x in runs) for runs in (floor, inproc, cli))
        fc, rc = (statistics.median(x.cpu for x in runs) for runs in (floor, inproc))
        print(_line("git diff + ruff check (floor)", floor))
        print(_line("review-diff in-process", inproc, f"  ({findings} findings)"))
        print(_line("swath run review-diff (cold)", cli, "  (its own process)"))
        if warm:
            print(_line("swath run review-diff (CLI)", warm, "  (warm process; target < 500 ms)"))
            c = statistics.median(x.wall for x in warm)
        else:
            print("swath run review-diff (CLI): the warm process did not come up; cold above")
        print(
            f"ratio in-process / floor: {r / f:.2f}x wall, {rc / fc:.2f}x cpu (target <= 2x); "
            f"CLI run {c:.2f} s; {_load()}"
        )
    finally:
        if server is not None:
            try:
                os.kill(server, signal.SIGTERM)
            except ProcessLookupError:
                pass
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
