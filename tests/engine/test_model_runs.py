"""Model runs through the engine: the real anthropic SDK over real HTTP to the fake API."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from swath.agents.base import AgentEnv
from swath.agents.llm import AnthropicRunner
from swath.agents.policy import Policy
from swath.engine.events import StepProgress, TaskFinished
from swath.engine.governance import PolicyRefused
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.findings.report import RunStatus
from swath.spec.models import Workflow
from swath.store import RunStore
from swath.workspace import Workspace
from tests.engine import probe_analyzers
from tests.fake_anthropic.fixtures import config_for, fake_anthropic, fake_anthropic_thread  # noqa: F401
from tests.fake_anthropic.replies import JsonText
from tests.fake_anthropic.server import FakeAnthropicServer
from tests.gitrepo import commit_files, init_repo
from tests.clirun import swath as run_swath

probe_analyzers.register()

SUMMARY = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}


def model_workflow(
    *,
    concurrency: int = 4,
    budget: float | None = None,
    tools: list[str] | None = None,
    name: str = "summaries",
    instructions: str = "Summarise {{ items[0].path }} given the facts {{ facts }}.",
    analyzer: bool = True,
) -> Workflow:
    """Summaries of *.txt files by a model; `analyzer`: facts from a no-op analyzer first."""
    limits: dict[str, Any] = {"concurrency": concurrency}
    if budget is not None:
        limits["budget_usd"] = budget
    facts = {"analyzer": "probe-sleep", "params": {"seconds": 0}} if analyzer else {}
    return Workflow.model_validate(
        {
            "name": name,
            "limits": limits,
            "steps": [
                {
                    "id": "files",
                    "kind": "discover",
                    "source": "files",
                    "with": {"include": ["*.txt"]},
                },
                {
                    "id": "sum",
                    "kind": "map",
                    "from": "files",
                    "agent": {
                        **facts,
                        "instructions": instructions,
                        "tools": tools or [],
                        "output": SUMMARY,
                        "max_tokens": 256,
                    },
                },
            ],
        }
    )


def make_files(root: Path, n: int) -> None:
    for i in range(n):
        (root / f"doc{i:03d}.txt").write_text(f"document {i}\n")


async def engine_for(
    root: Path, server: FakeAnthropicServer, **kw: Any
) -> tuple[Engine, AnthropicRunner]:
    config = config_for(server)
    runner = AnthropicRunner.create(config, api_key="sk-test-key")
    return Engine(Workspace(root), RunStore.open(root), runner, model_config=config, **kw), runner


async def test_usage_and_cost_equal_what_the_server_reported(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    make_files(tmp_path, 12)
    engine, runner = await engine_for(tmp_path, fake_anthropic)
    seen: list[float] = []
    report = await engine.run(
        model_workflow(),
        RunOptions(engine="model"),
        sink=lambda e: seen.append(e.run_usage.cost_usd) if isinstance(e, TaskFinished) else None,
    )
    await runner.aclose()
    await engine.store.aclose()
    assert report.status == RunStatus.succeeded and report.agents.succeeded == 12
    server = fake_anthropic.usage_reported()
    assert report.usage.input_tokens == server["input_tokens"]
    assert report.usage.output_tokens == server["output_tokens"]
    assert report.usage.cache_write_tokens == server["cache_creation_input_tokens"]
    assert report.usage.cache_read_tokens == server["cache_read_input_tokens"]
    expected = runner.prices.cost(
        runner.model_for(map_task()),
        input_tokens=server["input_tokens"],
        output_tokens=server["output_tokens"],
        cache_write_tokens=server["cache_creation_input_tokens"],
        cache_read_tokens=server["cache_read_input_tokens"],
    )
    assert report.usage.cost_usd == pytest.approx(expected, rel=1e-9)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(
        report.usage.cost_usd
    )  # live, growing
    assert len(fake_anthropic.message_requests()) == 12
    stored = stored_records(tmp_path, report.run_id)
    assert all(isinstance(t["judgement"]["summary"], str) for t in stored)


def map_task() -> Any:
    """A map-tier task, to ask the runner which model and price such a task gets."""
    from swath.agents.base import ModelTask
    from swath.spec.models import AgentSpec

    return ModelTask(
        run_id="x", step_id="sum", task_key="k", tier="map", agent=AgentSpec(instructions="x")
    )


def stored_records(root: Path, run_id: str) -> list[dict[str, Any]]:
    con = sqlite3.connect(root / ".swath" / "swath.db")
    try:
        rows = con.execute(
            "SELECT record_json FROM tasks JOIN records ON records.hash = tasks.record_hash"
            " WHERE run_id=? AND status='succeeded'",
            (run_id,),
        )
        return [json.loads(r[0]) for r in rows]
    finally:
        con.close()


async def test_rerun_on_unchanged_inputs_makes_zero_model_calls(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    make_files(tmp_path, 5)
    engine, runner = await engine_for(tmp_path, fake_anthropic)
    first = await engine.run(model_workflow(), RunOptions(engine="model"))
    calls = len(fake_anthropic.message_requests())
    second = await engine.run(model_workflow(), RunOptions(engine="model"))
    await runner.aclose()
    await engine.store.aclose()
    assert calls == 5 and len(fake_anthropic.message_requests()) == 5
    assert first.status == RunStatus.succeeded and first.usage.cost_usd > 0
    assert second.agents.cached == 5 and second.usage.cost_usd == 0.0


async def test_budget_stops_new_agents_and_keeps_finished_results(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    # Calibrate: what one agent really costs here, and what the engine reserves before starting one.
    one = tmp_path / "one"
    one.mkdir()
    make_files(one, 1)
    calib, calib_runner = await engine_for(one, fake_anthropic)
    cost = (await calib.run(model_workflow(), RunOptions(engine="model"))).usage.cost_usd
    await calib_runner.aclose()
    await calib.store.aclose()
    fake_anthropic.reset()
    work = tmp_path / "work"
    work.mkdir()
    make_files(work, 30)
    engine, runner = await engine_for(work, fake_anthropic)
    probe = model_workflow(concurrency=1)
    est = await runner.estimate(
        map_task().model_copy(update={"agent": probe.steps[1].agent}), AgentEnv(Workspace(work))
    )
    # An agent starts only while what was spent plus its estimate fits in the budget.
    budget = est.cost_usd + 4.5 * cost
    report = await engine.run(
        model_workflow(concurrency=1, budget=budget), RunOptions(engine="model")
    )
    await runner.aclose()
    await engine.store.flush()
    assert report.status == RunStatus.budget_exhausted
    assert 2 <= report.agents.succeeded < 30
    # It stopped exactly when the next agent's estimate no longer fitted, never past the budget.
    assert report.usage.cost_usd <= budget < report.usage.cost_usd + est.cost_usd
    assert len(fake_anthropic.message_requests()) == report.agents.succeeded
    done = await engine.store.tasks(report.run_id, "succeeded")
    assert len(done) == report.agents.succeeded and all(
        t.record and t.record.judgement for t in done
    )
    await engine.store.aclose()


async def test_policy_refuses_a_workflow_before_any_call(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    make_files(tmp_path, 3)
    policy = Policy(
        allowed_models=["claude-haiku-*"], allowed_tools=["read_file"], max_concurrency=2
    )
    engine, runner = await engine_for(tmp_path, fake_anthropic, policy=policy)
    wf = model_workflow(concurrency=8, tools=["grep"])
    with pytest.raises(PolicyRefused) as refused:
        await engine.run(wf, RunOptions(engine="model"))
    text = str(refused.value)
    assert "allowed_tools" in text and "grep" in text and "max_concurrency" in text
    assert fake_anthropic.requests == []
    # Left at its default, the concurrency is clamped to the ceiling instead of refused.
    lenient = Workflow.model_validate({**model_workflow().model_dump(by_alias=True), "limits": {}})
    report = await engine.run(lenient, RunOptions(engine="model"))
    assert report.status == RunStatus.succeeded and report.peak_concurrency <= 2
    await runner.aclose()
    await engine.store.aclose()


async def test_batch_mode_end_to_end(tmp_path: Path, fake_anthropic: FakeAnthropicServer) -> None:
    make_files(tmp_path, 8)
    engine, runner = await engine_for(tmp_path, fake_anthropic)
    seen: list[Any] = []
    report = await engine.run(
        model_workflow(),
        RunOptions(engine="model", batch=True, batch_poll_s=0.05),
        sink=seen.append,
    )
    await runner.aclose()
    polls = [e for e in seen if isinstance(e, StepProgress)]
    assert polls and polls[-1].done == polls[-1].total == 8 and "ended" in polls[-1].message
    await engine.store.flush()
    assert report.status == RunStatus.succeeded and report.agents.succeeded == 8
    paths = [r.path for r in fake_anthropic.requests]
    assert "/v1/messages/batches" in paths and "/v1/messages" not in paths
    full = runner.prices.cost(
        runner.model_for(map_task()),
        input_tokens=report.usage.input_tokens,
        output_tokens=report.usage.output_tokens,
        cache_write_tokens=report.usage.cache_write_tokens,
        cache_read_tokens=report.usage.cache_read_tokens,
    )
    assert report.usage.cost_usd == pytest.approx(full / 2)  # half price
    audit = await engine.store.audit_log(report.run_id)
    assert [a.kind for a in audit].count("batch_submitted") == 1
    await engine.store.aclose()


def _succeeded(db: Path) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute("SELECT COUNT(*) FROM tasks WHERE status='succeeded'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def summaries_repo(root: Path, n: int) -> Path:
    """A real git repository of `n` documents and a saved model workflow summarising each."""
    init_repo(root)
    commit_files(root, {f"doc{i:03d}.txt": f"document {i}\n" for i in range(n)})
    wf = root / ".swath" / "workflows" / "summaries.yaml"
    wf.parent.mkdir(parents=True)
    wf.write_text(
        "name: summaries\nlimits: {concurrency: 2}\nsteps:\n"
        "  - {id: files, kind: discover, source: files, with: {include: ['*.txt']}}\n"
        "  - id: sum\n    kind: map\n    from: files\n    agent:\n"
        "      instructions: 'Summarise {{ items[0].path }}'\n      output: report\n"
    )
    return root


def test_killed_model_run_resumes_without_repeating_calls(tmp_path: Path) -> None:
    server = FakeAnthropicServer(delay_s=0.05).start()
    try:
        root = summaries_repo(tmp_path / "repo", 60)
        env = {**os.environ, "ANTHROPIC_API_KEY": "sk-test-key", "ANTHROPIC_BASE_URL": server.url}
        proc = subprocess.Popen(
            [sys.executable, "-m", "swath", "run", "summaries", "--format", "json", "--no-cache"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        db = root / ".swath" / "swath.db"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and _succeeded(db) < 10:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        finished = _succeeded(db)
        calls_before = len(server.message_requests())
        assert 10 <= finished < 60
        run_id = sqlite3.connect(db).execute("SELECT id FROM runs").fetchone()[0]
        res = subprocess.run(
            [sys.executable, "-m", "swath", "resume", run_id, "--format", "json"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 0, res.stderr
        out = json.loads(res.stdout)
        assert out["status"] == "succeeded" and out["agents"]["succeeded"] == 60
        calls_after = len(server.message_requests()) - calls_before
        # Only unfinished tasks call the model again (those in flight at the kill may repeat).
        assert calls_after <= 60 - finished + 2
        assert calls_after >= 60 - finished
    finally:
        server.stop()


async def test_second_opinion_drops_what_the_reviewer_rejects(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    for i in range(4):
        (tmp_path / f"n{i}.txt").write_text(f"a\nNEEDLE {i}\n")

    def reviewer(ctx: Any) -> JsonText:
        rejected = any(f"n{i}.txt" in ctx.conversation for i in (1, 3))
        return JsonText(
            {"keep": not rejected, "reason": "not a real needle" if rejected else "a real needle"}
        )

    fake_anthropic.script(reviewer)
    wf = Workflow.model_validate(
        {
            "name": "needles",
            "steps": [
                {
                    "id": "files",
                    "kind": "discover",
                    "source": "files",
                    "with": {"include": ["*.txt"]},
                },
                {"id": "find", "kind": "map", "from": "files", "agent": {"analyzer": "probe-find"}},
                {
                    "id": "check",
                    "kind": "verify",
                    "from": "find",
                    "second_opinion_severity": "warning",
                    "second_opinion": {
                        "instructions": "Is this finding right? {{ items[0].data.finding | tojson }}"
                    },
                },
                {"id": "out", "kind": "emit", "from": "check"},
            ],
        }
    )
    engine, runner = await engine_for(tmp_path, fake_anthropic)
    report = await engine.run(wf, RunOptions(engine="model"))
    await runner.aclose()
    await engine.store.flush()
    assert sorted(f.path for f in report.findings) == ["n0.txt", "n2.txt"]
    assert all(f.data.extra("second_opinion") == "a real needle" for f in report.findings)
    assert report.dropped_findings == 2 and report.agents.total == 4 + 4
    # The second opinion runs on the verify tier's (stronger) model, not the map tier's.
    models = {json.loads(r.raw)["model"] for r in fake_anthropic.message_requests()}
    assert models == {runner.config.model_for_tier("verify")}
    dropped = [
        a for a in await engine.store.audit_log(report.run_id) if a.kind == "finding_dropped"
    ]
    assert sorted(a.detail["path"] for a in dropped) == ["n1.txt", "n3.txt"]
    await engine.store.aclose()


async def test_plan_estimates_model_cost_through_token_counting(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    make_files(tmp_path, 40)
    engine, runner = await engine_for(tmp_path, fake_anthropic)
    plan = await engine.plan(model_workflow(), RunOptions(engine="model"))
    await runner.aclose()
    await engine.store.aclose()
    step = next(s for s in plan.steps if s.id == "sum")
    assert (step.agents, step.model_agents, step.cached) == (40, 40, 0)
    assert (
        step.est_input_tokens > 0
        and step.est_cost_usd > 0
        and plan.est_cost_usd == step.est_cost_usd
    )
    paths = [r.path for r in fake_anthropic.requests]
    assert "/v1/messages" not in paths  # a plan runs nothing
    assert 1 <= paths.count("/v1/messages/count_tokens") <= 20  # a sample, not one call per agent


def test_a_budget_stopped_run_resumes_with_a_new_budget(tmp_path: Path) -> None:
    server = FakeAnthropicServer().start()
    try:
        root = init_repo(tmp_path / "repo")
        commit_files(root, {f"doc{i:03d}.txt": f"document {i}\n" for i in range(20)})
        wf = root / ".swath" / "workflows" / "summaries.yaml"
        wf.parent.mkdir(parents=True)
        wf.write_text(
            "name: summaries\nlimits: {concurrency: 1}\nsteps:\n"
            "  - {id: files, kind: discover, source: files, with: {include: ['*.txt']}}\n"
            "  - id: sum\n    kind: map\n    from: files\n    agent:\n"
            "      instructions: 'Summarise {{ items[0].path }}'\n      output: report\n"
        )
        env = {**os.environ, "ANTHROPIC_API_KEY": "sk-test-key", "ANTHROPIC_BASE_URL": server.url}

        def swath(*args: str) -> subprocess.CompletedProcess[str]:
            return run_swath(root, *args, "--format", "json", env=env)

        # The estimate per agent is ~$0.001 (thinking at effort low included) and an agent
        # really costs ~$0.000013 here: room for a few.
        stopped = swath("run", "summaries", "--budget", "0.0011")
        assert stopped.returncode == 1, stopped.stderr
        first = json.loads(stopped.stdout)
        assert first["status"] == "budget_exhausted" and 0 < first["agents"]["succeeded"] < 20
        calls = len(server.message_requests())
        assert calls == first["agents"]["succeeded"]
        resumed = swath("resume", first["run_id"], "--budget", "5")
        assert resumed.returncode == 0, resumed.stderr
        out = json.loads(resumed.stdout)
        assert out["status"] == "succeeded" and out["agents"]["succeeded"] == 20
        assert out["agents"]["cached"] == first["agents"]["succeeded"]
        assert len(server.message_requests()) - calls == 20 - first["agents"]["succeeded"]
        bad = subprocess.run(
            [sys.executable, "-m", "swath", "resume", first["run_id"], "--budget", "-1"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert bad.returncode == 2 and "budget_usd" in bad.stderr
    finally:
        server.stop()


async def test_a_retry_after_beyond_the_timeout_fails_that_task_at_once(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    from swath.agents.limiter import AdaptiveLimiter
    from tests.fake_anthropic import rate_limited

    make_files(tmp_path, 4)
    fake_anthropic.script(lambda ctx: rate_limited(3600), match="doc002.txt")
    # The limiter's hold on the others is capped (60 s by default); a short cap here keeps
    # the test quick while showing the others are held no longer than it.
    engine, runner = await engine_for(
        tmp_path, fake_anthropic, limiter_factory=lambda n: AdaptiveLimiter(n, max_hold_s=0.5)
    )
    wf = model_workflow(concurrency=4)
    wf.limits.task_timeout_s = 120
    started = time.monotonic()
    try:
        report = await engine.run(wf, RunOptions(engine="model"))
    finally:
        await runner.aclose()
        await engine.store.aclose()
    took = time.monotonic() - started
    assert report.status == RunStatus.partial
    assert report.agents.succeeded == 3 and report.agents.failed == 1
    [error] = report.errors
    assert error.startswith("sum/doc002.txt: RetryAfterBeyondTimeout: the API answered 429")
    assert "retry after 3600 s" in error
    assert took < 60, took  # not the task's 120 s timeout, nor the header's hour
    doomed = [r for r in fake_anthropic.message_requests() if "doc002.txt" in json.dumps(r.body)]
    assert len(doomed) == 1, "no retry is attempted once the wait cannot fit"
