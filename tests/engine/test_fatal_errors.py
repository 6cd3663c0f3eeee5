"""A model run that the API stops partway: the errors no retry can fix stop the whole run at
once, with one message naming the cause, and a resume after the fix finishes it.

Real runs: the engine drives the real anthropic SDK over HTTP to the fake API, which answers
normally for the first few tasks and then with the fatal error until the test "fixes" it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from swath.engine.options import RunOptions
from swath.findings.report import RunStatus
from tests.engine.test_model_runs import (
    engine_for,
    make_files,
    model_workflow,
    stored_records,
    summaries_repo,
)
from tests.fake_anthropic import (
    Echo,
    Fault,
    RequestContext,
    invalid_key,
    org_on_hold,
    spend_cap,
    workspace_spend_limit,
)
from tests.fake_anthropic.fixtures import fake_anthropic  # noqa: F401
from tests.fake_anthropic.replies import ReplyLike
from tests.fake_anthropic.server import FakeAnthropicServer
from tests.clirun import swath as run_swath

TASKS = 12
CONCURRENCY = 2
OK_BEFORE = 4  # requests answered normally before the API starts refusing


class BreakAfter:
    """The fake's script: `ok` normal answers, then `fault` for every request until healed."""

    def __init__(self, fault: Fault, ok: int) -> None:
        self.fault = fault
        self.ok = ok
        self.served = 0
        self.refused = 0
        self.healed = False

    def __call__(self, ctx: RequestContext) -> ReplyLike:
        if self.healed or self.served < self.ok:
            self.served += 1
            return Echo()
        self.refused += 1
        return self.fault


FATAL = [
    pytest.param(spend_cap(), "monthly spend cap", id="429-spend-cap"),
    pytest.param(workspace_spend_limit(), "spend limit you set", id="400-workspace-limit"),
    pytest.param(invalid_key(), "API key was refused", id="401-bad-key"),
    pytest.param(
        Fault(402, message="Your credit balance is too low to access the Anthropic API."),
        "no credit left",
        id="402-no-credit",
    ),
    pytest.param(org_on_hold(), "on hold", id="403-on-hold"),
    pytest.param(
        Fault(403, message="This API key does not have permission to use the specified resource."),
        "may not do this",
        id="403-permission",
    ),
    pytest.param(
        Fault(404, message="model: claude-sonnet-3-7"), "check the model name", id="404-model"
    ),
]


@pytest.mark.parametrize("fault,cause", FATAL)
async def test_a_fatal_api_error_stops_the_run_and_resume_finishes_it(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer, fault: Fault, cause: str
) -> None:
    assert fault.retry_after is None  # the spend cap comes without retry-after, as the API sends it
    make_files(tmp_path, TASKS)
    script = BreakAfter(fault, OK_BEFORE)
    fake_anthropic.script(script)
    engine, runner = await engine_for(tmp_path, fake_anthropic)
    wf = model_workflow(concurrency=CONCURRENCY)
    try:
        report = await engine.run(wf, RunOptions(engine="model"))
        await engine.store.flush()
        assert report.status == RunStatus.failed
        assert report.agents.succeeded == OK_BEFORE
        # Stopped at once: only the requests in flight when the first refusal came back were
        # refused; the other tasks were not tried one by one, and none was retried.
        assert 1 <= script.refused <= CONCURRENCY, script.refused
        assert len(fake_anthropic.message_requests()) == OK_BEFORE + script.refused
        assert runner.stats.retries == 0
        # One message, naming the cause, whatever number of tasks saw the error.
        assert len(report.errors) == 1, report.errors
        assert cause in report.errors[0] and str(fault.status) in report.errors[0]
        kept = stored_records(tmp_path, report.run_id)
        assert len(kept) == OK_BEFORE and all(r["judgement"]["summary"] for r in kept)

        # The user fixes the cause (a new key, credit, next month); resume carries on.
        script.healed = True
        before = len(fake_anthropic.message_requests())
        resumed = await engine.run(
            wf, RunOptions(engine="model", run_id=report.run_id, resume=True)
        )
    finally:
        await runner.aclose()
        await engine.store.aclose()
    assert resumed.status == RunStatus.succeeded, resumed.errors
    assert resumed.agents.succeeded == TASKS and resumed.agents.cached == OK_BEFORE
    # Only the unfinished tasks called the model again.
    assert len(fake_anthropic.message_requests()) - before == TASKS - OK_BEFORE


def test_swath_resume_carries_on_after_the_spend_cap(tmp_path: Path) -> None:
    """The CLI end to end: `swath run` stops on the spend cap with exit 1 and says how to go
    on; `swath resume` (a run that *failed* this way is not finished) completes it."""
    server = FakeAnthropicServer().start()
    try:
        script = BreakAfter(spend_cap(), OK_BEFORE)
        server.script(script)
        root = summaries_repo(tmp_path / "repo", TASKS)
        env = {**os.environ, "ANTHROPIC_API_KEY": "sk-test-key", "ANTHROPIC_BASE_URL": server.url}

        def swath(*args: str) -> subprocess.CompletedProcess[str]:
            return run_swath(root, *args, "--format", "json", env=env)

        stopped = swath("run", "summaries", "--no-cache")
        assert stopped.returncode == 1, stopped.stderr
        first = json.loads(stopped.stdout)
        assert first["status"] == "failed" and first["agents"]["succeeded"] == OK_BEFORE
        assert len(first["errors"]) == 1 and "monthly spend cap" in first["errors"][0]
        assert f"swath resume {first['run_id']}" in stopped.stderr, stopped.stderr
        assert 1 <= script.refused <= 2  # the workflow's concurrency
        script.healed = True
        before = len(server.message_requests())
        resumed = swath("resume", first["run_id"])
        assert resumed.returncode == 0, resumed.stderr
        out = json.loads(resumed.stdout)
        assert out["status"] == "succeeded" and out["agents"]["succeeded"] == TASKS
        assert len(server.message_requests()) - before == TASKS - OK_BEFORE
        db = root / ".swath" / "swath.db"
        con = sqlite3.connect(db)
        try:
            [(n,)] = con.execute(
                "SELECT COUNT(*) FROM tasks WHERE run_id=? AND status='succeeded'",
                (first["run_id"],),
            ).fetchall()
        finally:
            con.close()
        assert n == TASKS
    finally:
        server.stop()
