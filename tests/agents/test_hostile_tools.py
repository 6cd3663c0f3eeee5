"""Tools that cannot hang: a catastrophic regex, a FIFO, huge files, secrets in file names."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from swath.agents import tools
from swath.agents.llm import AnthropicRunner
from swath.agents.redaction import default_redactor
from swath.agents.tools import MAX_FILE_BYTES, ToolBox
from swath.workspace import Workspace
from tests.agents.conftest import AWS_KEY, Recorder, make_task
from tests.fake_anthropic import FakeAnthropicServer, RequestContext, Submit, ToolUse

ALL_TOOLS = ["read_file", "list_dir", "glob", "grep", "git_log", "git_blame", "git_diff", "symbols"]
# With Python's backtracking `re`, `(a+)+$` on one of these lines takes longer than the
# age of the universe, holding the GIL: no timeout and no signal handler ever ran.
EVIL_LINE = "a" * 64 + "!"


def toolbox(workspace: Workspace) -> ToolBox:
    return ToolBox(workspace, default_redactor(), ALL_TOOLS)


@pytest.fixture
def hostile_repo(repo: Path) -> Path:
    (repo / "src" / "evil.txt").write_text((EVIL_LINE + "\n") * 2000, encoding="utf-8")
    os.mkfifo(repo / "src" / "pipe")
    return repo


async def test_a_model_grepping_a_catastrophic_pattern_and_reading_a_fifo_finishes(
    fake_anthropic: FakeAnthropicServer,
    runner: AnthropicRunner,
    recorder: Recorder,
    hostile_repo: Path,
) -> None:
    plan = [
        ToolUse("grep", {"pattern": "(a+)+$", "path": "src"}),
        ToolUse("grep", {"pattern": "(x+x+)+y", "path": "src/evil.txt"}),
        ToolUse("read_file", {"path": "src/pipe"}),
        ToolUse("grep", {"pattern": "a", "path": "src/pipe"}),
        ToolUse("symbols", {"path": "src/pipe"}),
        ToolUse("glob", {"pattern": "*", "path": "src"}),
    ]

    def agent(ctx: RequestContext) -> Any:
        return plan[ctx.turn] if ctx.turn < len(plan) else Submit({"findings": []})

    fake_anthropic.script(agent)
    task = make_task(tools=ALL_TOOLS, max_turns=10)
    start = time.monotonic()
    # The task timeout the engine puts around an agent; it must be able to fire, and here
    # it need not: every call answers at once.
    result = await asyncio.wait_for(runner.run(task, recorder.env()), 20)
    assert time.monotonic() - start < 10
    assert result.output == {"findings": []}
    by_call = [(c.tool, c.arguments.get("path"), c) for c in recorder.audits]
    grep = by_call[0][2]
    assert grep.ok and grep.duration_ms < 5000
    assert by_call[1][2].ok
    fifo_read = by_call[2][2]
    assert not fifo_read.ok and "named pipe" in (fifo_read.error or "")
    assert not by_call[4][2].ok and "named pipe" in (by_call[4][2].error or "")
    globbed = fake_anthropic.all_request_text()
    assert "src/evil.txt" in globbed


async def test_grep_uses_re2_and_says_what_it_cannot_do(workspace: Workspace) -> None:
    box = toolbox(workspace)
    text, err = await box.call("grep", {"pattern": r"(\w)\1"})
    assert err and "RE2" in text and "backreferences" in text
    text, err = await box.call("grep", {"pattern": "(?<=def )helper"})
    assert err and "RE2" in text
    text, err = await box.call("grep", {"pattern": "^def helper", "ignore_case": True})
    assert not err and "src/shop/util.py:1: def helper(x):" in text


async def test_one_size_limit_for_every_tool_stated_in_the_answers(
    workspace: Workspace, repo: Path
) -> None:
    big = repo / "logs" / "big.log"
    big.parent.mkdir()
    big.write_bytes(b"needle\n" + b"x" * (MAX_FILE_BYTES + 10))
    box = toolbox(workspace)
    text, err = await box.call("read_file", {"path": "logs/big.log"})
    assert err and f"{MAX_FILE_BYTES:,} bytes" in text and "grep included" in text
    text, err = await box.call("grep", {"pattern": "needle", "path": "logs"})
    assert not err
    assert text.startswith("no matches")
    assert "1 file over the 8 MB limit not searched: logs/big.log" in text


async def test_grep_output_is_budgeted(workspace: Workspace, repo: Path) -> None:
    (repo / "wide.txt").write_text(("w" * 390 + "\n") * 400, encoding="utf-8")
    box = ToolBox(workspace, default_redactor(), ["grep"], max_result_chars=5000)
    text, err = await box.call("grep", {"pattern": "w", "max_results": 500})
    assert not err
    assert len(text) < 6000
    assert "stopped at 5,000 characters of output" in text or "output cut" in text


async def test_a_secret_in_a_file_name_is_redacted_like_one_in_a_file(
    workspace: Workspace, repo: Path
) -> None:
    leaky = repo / "keys" / f"{AWS_KEY}.txt"
    leaky.parent.mkdir()
    leaky.write_text("token file\n", encoding="utf-8")
    box = toolbox(workspace)
    outputs = [
        await box.call("glob", {"pattern": "**/*.txt"}),
        await box.call("list_dir", {"path": "keys"}),
        await box.call("grep", {"pattern": "token file"}),
    ]
    for text, err in outputs:
        assert not err, text
        assert AWS_KEY not in text
        assert "keys/[REDACTED:AWS Access Key].txt" in text or (
            "[REDACTED:AWS Access Key].txt" in text
        )


async def test_a_tool_call_over_its_time_budget_is_answered(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = toolbox(workspace)
    monkeypatch.setattr(tools, "TOOL_TIME_LIMIT_S", 0.2)

    def slow(args: Any) -> str:  # a tool body stuck on something outside our control
        time.sleep(1.0)
        return "late"

    monkeypatch.setattr(box, "_t_list_dir", slow)
    start = time.monotonic()
    text, err = await box.call("list_dir", {"path": "."})
    assert time.monotonic() - start < 0.9
    assert err and "did not finish within" in text
