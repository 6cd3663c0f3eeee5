"""`swath new "PROMPT"`: a model drafts a workflow; Swath validates and plans it, sends every
problem back with its file:line:col for up to three rounds, saves only a file that passes
(the prompt as a comment on top), and runs nothing unless asked. Without a model the
closest shipped workflow is copied, saying which and why. The model is the fake API over
real HTTP; the repository is real git."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import threading
import time
from subprocess import CompletedProcess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.fake_anthropic.replies import JsonText, RequestContext
from tests.fake_anthropic.server import FakeAnthropicServer
from tests.clirun import swath as run_swath
from tests.gitrepo import commit_files, init_repo

BROKEN = """name: py-todos
steps:
  - id: files
    kind: discover
    source: files
    with: {include: ['*.py']}
  - id: scan
    kind: map
    from: files
    agent: {analyzer: todo-coments}
"""
STILL_BROKEN = BROKEN.replace("todo-coments", "todo-commnets")
FIXED = BROKEN.replace("todo-coments", "todo-comments")
# Valid, but one agent per file with room for only two agents.
TOO_WIDE = FIXED.replace("name: py-todos\n", "name: py-todos\nlimits: {max_agents: 2}\n").replace(
    "    from: files\n", "    from: files\n    batch: 1\n"
)
NARROW = TOO_WIDE.replace("    batch: 1\n", "    batch: 50\n")


def swath(root: Path, *args: str, key: bool = True, url: str = "") -> CompletedProcess[str]:
    """The CLI with a test key (or none) and the fake API's URL."""
    env = {"ANTHROPIC_API_KEY": "sk-test-key" if key else ""}
    if url:
        env["ANTHROPIC_BASE_URL"] = url
    return run_swath(root, *args, env=env, timeout=180)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    commit_files(
        root,
        {
            "a.py": "# TODO: drop the retry hack\nx = 1\n",
            "b.py": "y = 2\n",
            "c.py": "# FIXME: the cache never expires\nz = 3\n",
        },
    )
    return root


@pytest.fixture
def model() -> Iterator[FakeAnthropicServer]:
    server = FakeAnthropicServer().start()
    try:
        yield server
    finally:
        server.stop()


def rounds_of(*drafts: str) -> Callable[[RequestContext], JsonText]:
    """Answers the n-th generation request with the n-th draft (the last one after that)."""
    seen: list[int] = []

    def reply(ctx: RequestContext) -> JsonText:
        seen.append(1)
        return JsonText({"name": "py-todos", "yaml": drafts[min(len(seen), len(drafts)) - 1]})

    return reply


def saved(root: Path, name: str = "py-todos") -> Path:
    return root / ".swath" / "workflows" / f"{name}.yaml"


def test_repaired_on_the_third_round_planned_saved_and_run(
    repo: Path, model: FakeAnthropicServer
) -> None:
    model.script(rounds_of(BROKEN, STILL_BROKEN, FIXED))
    proc = swath(repo, "new", "catalogue TODO comments in Python files", "--yes", url=model.url)
    assert proc.returncode == 0, proc.stderr
    prompts = [r.raw for r in model.message_requests()]
    generation = [p for p in prompts if "Write a Swath workflow file" in p]
    assert len(generation) == 3
    # Each repair request quotes the exact problem, with its line and column and a suggestion.
    assert "py-todos.yaml:10:" in generation[1] and "did you mean `todo-comments`" in generation[1]
    assert "todo-commnets" in generation[2]
    # Grounded on what each analyzer is for and on complete examples, not on names alone.
    assert (
        "- todo-comments:" in generation[0] and "--- example: env-catalogue.yaml" in generation[0]
    )
    text = saved(repo).read_text()
    assert text.startswith("# Written by `swath new` (")
    assert "#   catalogue TODO comments in Python files\n" in text
    assert text.endswith(FIXED)
    # The plan was printed before the run, then --yes ran it (the model answers each file).
    plan_at, run_at = proc.stdout.index("total: 3 agents"), proc.stdout.index("succeeded: 3 agents")
    assert plan_at < run_at
    check = swath(repo, "workflows", "validate", str(saved(repo)))
    assert check.returncode == 0, check.stderr


def test_a_draft_that_never_validates_saves_nothing(repo: Path, model: FakeAnthropicServer) -> None:
    model.script(rounds_of(BROKEN))
    proc = swath(repo, "new", "catalogue TODO comments", url=model.url)
    assert proc.returncode == 2
    assert "still invalid after 3 rounds; nothing was saved" in proc.stderr
    assert "py-todos.yaml:10:23" in proc.stderr
    assert len(model.message_requests()) == 3
    assert not saved(repo).exists()


def test_a_plan_over_the_limits_goes_back_for_repair(
    repo: Path, model: FakeAnthropicServer
) -> None:
    model.script(rounds_of(TOO_WIDE, NARROW))
    proc = swath(repo, "new", "catalogue TODO comments", url=model.url)
    assert proc.returncode == 0, proc.stderr
    repair = [r.raw for r in model.message_requests()][1]
    assert "the plan needs 3 agents (scan: 3), over the limit of 2" in repair
    assert saved(repo).read_text().endswith(NARROW)


def test_nothing_runs_without_yes_when_nobody_can_answer(
    repo: Path, model: FakeAnthropicServer
) -> None:
    model.script(rounds_of(FIXED))
    proc = swath(repo, "new", "catalogue TODO comments", url=model.url)
    assert proc.returncode == 0, proc.stderr
    assert "run it with `swath run py-todos`" in proc.stdout
    assert "drop the retry hack" not in proc.stdout
    runs = swath(repo, "runs", "--format", "json")
    assert runs.returncode == 0 and json.loads(runs.stdout) == []


def test_a_saved_workflow_is_never_overwritten(repo: Path, model: FakeAnthropicServer) -> None:
    model.script(rounds_of(FIXED))
    saved(repo).parent.mkdir(parents=True)
    saved(repo).write_text("# mine\n")
    proc = swath(repo, "new", "catalogue TODO comments", url=model.url)
    assert proc.returncode == 0, proc.stderr
    assert saved(repo).read_text() == "# mine\n"
    second = saved(repo, "py-todos-2").read_text()
    assert "\nname: py-todos-2\n" in second


@pytest.mark.parametrize(
    ("prompt", "chosen", "filled"),
    [
        (
            "catalogue every environment variable the code reads and whether it is documented",
            "env-catalogue",
            None,
        ),
        ("list every call of the `stripe_v1` client", "deprecated-api", "stripe_v1"),
        ("todo comments older than 90 days, by owner", "todo-audit", "default: 90"),
    ],
)
def test_offline_the_closest_shipped_workflow_is_the_starting_point(
    repo: Path, prompt: str, chosen: str, filled: str | None
) -> None:
    proc = swath(repo, "new", prompt, "--name", "mine", key=False)
    assert proc.returncode == 0, proc.stderr
    assert f"is a copy of {chosen}, closest by its description and inputs (" in proc.stderr
    assert "a new kind of job needs a model" in proc.stderr
    text = saved(repo, "mine").read_text()
    assert text.startswith(
        f"# Written by `swath new` (no model: a copy of {chosen}) from the prompt:"
    )
    assert yaml.safe_load(text)["name"] == "mine"
    if filled:
        assert filled in text and "filled from the prompt" in proc.stderr
    check = swath(repo, "workflows", "validate", str(saved(repo, "mine")))
    assert check.returncode == 0, check.stderr


def test_offline_with_nothing_close_saves_nothing(repo: Path) -> None:
    proc = swath(repo, "new", "xyzzy plugh frobnicate", key=False)
    assert proc.returncode == 2
    assert "no shipped workflow is close to the prompt" in proc.stderr
    assert "needs a model" in proc.stderr
    assert not (repo / ".swath" / "workflows").exists()


@pytest.mark.parametrize(("answer", "runs"), [("y", 1), ("n", 0)])
def test_at_a_terminal_it_asks_before_running(
    repo: Path, model: FakeAnthropicServer, answer: str, runs: int
) -> None:
    """At a terminal (a pty): the plan is printed, then `Run py-todos now? [y/N]` on stderr."""
    model.script(rounds_of(FIXED))
    controller, terminal = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "ANTHROPIC_API_KEY": "sk-test-key"}
    env["ANTHROPIC_BASE_URL"] = model.url
    proc = subprocess.Popen(
        [sys.executable, "-m", "swath", "new", "catalogue TODO comments"],
        cwd=repo,
        env=env,
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
    )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 120
    while b"[y/N]" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1)
        if ready:
            seen += os.read(controller, 1024)
    assert b"Run py-todos now? [y/N]" in seen
    os.write(controller, f"{answer}\n".encode())
    # The run's progress goes to the terminal too: keep reading it, or a full pty blocks it.
    drain = threading.Thread(target=_read_until_closed, args=(controller,), daemon=True)
    drain.start()
    out, _ = proc.communicate(timeout=180)
    os.close(controller)
    assert proc.returncode == 0, seen
    assert "total: 3 agents" in out  # the plan, printed before the question
    listed = json.loads(swath(repo, "runs", "--format", "json").stdout)
    assert len(listed) == runs


def _read_until_closed(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except OSError:  # the terminal's other end closed, or fd closed here
        pass
