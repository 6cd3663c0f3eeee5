"""Batch mode over the API's batch limits: a step's requests split into several Message
Batches, each stored so resume collects every one, and the fake refusing what the API refuses.

The API: "Batches may contain up to 100,000 requests and be up to 256 MB in total size" (the
Create a Message Batch reference). The engine's limits are injected small here; the fake
keeps enforcing the real ones.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from swath.agents.batch import (
    API_MAX_REQUESTS,
    BatchLimits,
    request_bytes,
    split_requests,
)
from swath.engine.events import StepProgress
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
    Slow,
    invalid_key,
    rules,
    spend_cap,
)
from tests.fake_anthropic.fixtures import fake_anthropic  # noqa: F401
from tests.fake_anthropic.replies import ReplyLike
from tests.fake_anthropic.server import FakeAnthropicServer, RecordedRequest
from tests.clirun import swath

DOC = re.compile(r"doc\d{3}\.txt")


def creates(server: FakeAnthropicServer) -> list[RecordedRequest]:
    return [r for r in server.requests if r.method == "POST" and r.path == "/v1/messages/batches"]


def step_batches(root: Path, run_id: str) -> list[tuple[int, str, list[str]]]:
    con = sqlite3.connect(root / ".swath" / "swath.db")
    try:
        rows = con.execute(
            "SELECT part, batch_id, custom_ids_json FROM step_batches WHERE run_id=? ORDER BY part",
            (run_id,),
        ).fetchall()
    finally:
        con.close()
    return [(part, bid, json.loads(ids)) for part, bid, ids in rows]


async def test_a_step_over_the_request_limit_is_split_and_every_result_collected(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    make_files(tmp_path, 8)
    engine, runner = await engine_for(
        tmp_path, fake_anthropic, batch_limits=BatchLimits(max_requests=3)
    )
    seen: list[Any] = []
    try:
        report = await engine.run(
            model_workflow(),
            RunOptions(engine="model", batch=True, batch_poll_s=0.05),
            sink=seen.append,
        )
        await engine.store.flush()
    finally:
        await runner.aclose()
        await engine.store.aclose()
    assert report.status == RunStatus.succeeded and report.agents.succeeded == 8
    made = creates(fake_anthropic)
    assert [len(r.body["requests"]) for r in made] == [3, 3, 2]
    assert "/v1/messages" not in [r.path for r in fake_anthropic.requests]  # all batched
    # Every task in exactly one batch, and every batch noted with the custom_ids it holds.
    sent = [req["custom_id"] for r in made for req in r.body["requests"]]
    assert len(sent) == len(set(sent)) == 8
    noted = step_batches(tmp_path, report.run_id)
    assert [part for part, _, _ in noted] == [0, 1, 2]
    assert [ids for _, _, ids in noted] == [
        [req["custom_id"] for req in r.body["requests"]] for r in made
    ]
    assert all(r["judgement"]["summary"] for r in stored_records(tmp_path, report.run_id))
    last = [e for e in seen if isinstance(e, StepProgress)][-1]
    assert (last.done, last.total) == (8, 8) and "3 batches: 3 ended" in last.message


async def largest_request(root: Path, server: FakeAnthropicServer, n: int) -> int:
    """Calibrate: run `n` documents as one unsplit batch; the largest request's bytes."""
    root.mkdir()
    make_files(root, n)
    engine, runner = await engine_for(root, server)
    try:
        await engine.run(
            model_workflow(), RunOptions(engine="model", batch=True, batch_poll_s=0.05)
        )
    finally:
        await runner.aclose()
        await engine.store.aclose()
    [whole] = creates(server)
    server.reset()
    return max(request_bytes(r) for r in whole.body["requests"])


async def test_a_step_over_the_byte_limit_is_split_into_batches_within_it(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    biggest = await largest_request(tmp_path / "calibrate", fake_anthropic, 9)
    work = tmp_path / "work"
    work.mkdir()
    make_files(work, 9)
    limit = int(2.5 * biggest)  # room for two requests per batch, never three
    engine, runner = await engine_for(
        work, fake_anthropic, batch_limits=BatchLimits(max_bytes=limit)
    )
    try:
        report = await engine.run(
            model_workflow(), RunOptions(engine="model", batch=True, batch_poll_s=0.05)
        )
    finally:
        await runner.aclose()
        await engine.store.aclose()
    assert report.status == RunStatus.succeeded and report.agents.succeeded == 9
    made = creates(fake_anthropic)
    assert [len(r.body["requests"]) for r in made] == [2, 2, 2, 2, 1]
    # Measured as the SDK really sent them: each body within the limit.
    assert all(len(r.raw.encode("utf-8")) <= limit for r in made), [len(r.raw) for r in made]


@pytest.mark.parametrize("killed_between_creates", [False, True], ids=["both-noted", "one-noted"])
async def test_resume_collects_a_finished_and_an_unfinished_batch_without_resubmitting(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer, killed_between_creates: bool
) -> None:
    make_files(tmp_path, 8)

    def slow_second_batch(ctx: RequestContext) -> ReplyLike:
        # The second batch's requests take a while: the run is stopped with the first
        # batch ended and the second still in progress.
        made = creates(fake_anthropic)
        second = set(DOC.findall(made[1].raw)) if len(made) > 1 else set()
        if set(DOC.findall(ctx.conversation)) & second:
            return Slow(0.4, Echo())
        return Echo()

    fake_anthropic.script(slow_second_batch)
    engine, runner = await engine_for(
        tmp_path, fake_anthropic, batch_limits=BatchLimits(max_requests=4)
    )
    cancel = asyncio.Event()

    def stop_when_one_ended(event: Any) -> None:
        if isinstance(event, StepProgress) and "2 batches: 1 ended" in event.message:
            cancel.set()

    options = RunOptions(engine="model", batch=True, batch_poll_s=0.05)
    wf = model_workflow()
    try:
        stopped = await engine.run(wf, options, sink=stop_when_one_ended, cancel=cancel)
        await engine.store.flush()
        assert stopped.status == RunStatus.cancelled and stopped.agents.succeeded == 0
        made = creates(fake_anthropic)
        assert len(made) == 2
        noted = step_batches(tmp_path, stopped.run_id)
        assert [bid for _, bid, _ in noted] == [
            fake_anthropic.responses[i].body["id"]
            for i, r in enumerate(fake_anthropic.responses)
            if r.path == "/v1/messages/batches"
        ]
        states = {b.id: b.status for b in fake_anthropic._batches.values()}
        assert sorted(states.values()) == ["ended", "in_progress"]
        if killed_between_creates:
            # As if the process died after the first create: the second batch was never noted.
            con = sqlite3.connect(tmp_path / ".swath" / "swath.db")
            con.execute("DELETE FROM step_batches WHERE part = 1")
            con.commit()
            con.close()

        resumed = await engine.run(
            wf,
            options.model_copy(update={"run_id": stopped.run_id, "resume": True}),
        )
        await engine.store.flush()
    finally:
        await runner.aclose()
        await engine.store.aclose()
    assert resumed.status == RunStatus.succeeded, resumed.errors
    assert resumed.agents.succeeded == 8
    made = creates(fake_anthropic)
    if killed_between_creates:
        # Only the tasks no noted batch holds went out again, in one new batch.
        assert len(made) == 3
        assert [q["custom_id"] for q in made[2].body["requests"]] == [
            q["custom_id"] for q in made[1].body["requests"]
        ]
    else:
        # Both batches collected as they were: nothing submitted again.
        assert len(made) == 2
    # Nothing sent one by one.
    assert "/v1/messages" not in [r.path for r in fake_anthropic.requests]
    assert len(stored_records(tmp_path, resumed.run_id)) == 8


async def test_a_request_too_large_for_any_batch_fails_alone(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    limit = await largest_request(tmp_path / "calibrate", fake_anthropic, 2) + 200
    work = tmp_path / "work"
    work.mkdir()
    make_files(work, 2)
    # A path ~2 KB long makes its task's request larger than any batch may be here.
    deep = work.joinpath(*(["d" * 200] * 10))
    deep.mkdir(parents=True)
    (deep / "huge.txt").write_text("a document\n")
    engine, runner = await engine_for(
        work, fake_anthropic, batch_limits=BatchLimits(max_bytes=limit)
    )
    try:
        report = await engine.run(
            model_workflow(), RunOptions(engine="model", batch=True, batch_poll_s=0.05)
        )
    finally:
        await runner.aclose()
        await engine.store.aclose()
    assert report.status == RunStatus.partial
    assert report.agents.succeeded == 2 and report.agents.failed == 1
    assert len(report.errors) == 1, report.errors
    [error] = report.errors
    assert "huge.txt" in error and f"over the {limit:,} bytes a Message Batch may hold" in error
    made = creates(fake_anthropic)
    assert not any("huge.txt" in r.raw for r in made)
    assert sum(len(r.body["requests"]) for r in made) == 2


def test_the_default_limits_are_the_apis() -> None:
    limits = BatchLimits()
    assert limits.max_requests == rules.BATCH_MAX_REQUESTS == API_MAX_REQUESTS
    assert limits.max_bytes <= rules.BATCH_MAX_BYTES
    with pytest.raises(ValueError):
        BatchLimits(max_requests=API_MAX_REQUESTS + 1)  # no setting sends what the API refuses
    tiny = [{"custom_id": f"r{i}", "params": {}} for i in range(API_MAX_REQUESTS + 1)]
    assert [len(c) for c in split_requests(tiny, limits)] == [API_MAX_REQUESTS, 1]


async def test_the_fake_refuses_a_batch_over_the_apis_limits(
    fake_anthropic: FakeAnthropicServer,
) -> None:
    params = {
        "model": "claude-haiku-5-5",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "x"}],
    }
    over = [{"custom_id": f"r{i}", "params": params} for i in range(rules.BATCH_MAX_REQUESTS + 1)]
    # Over HTTP as any client sends it (the SDK's own encoding of 100,001 requests is slow and
    # not what is tested here): the fake answers what the API answers.
    async with aiohttp.ClientSession() as client:
        async with client.post(
            f"{fake_anthropic.url}/v1/messages/batches",
            data=json.dumps({"requests": over}),
            headers={"x-api-key": "k", "content-type": "application/json"},
        ) as refused:
            status, body = refused.status, await refused.json()
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    assert "at most 100,000 requests" in body["error"]["message"]
    assert rules.check_batch(len(json.dumps({"requests": over[:-1]})), over[:-1]) is None
    # The byte limit, as the rule answers a body one byte over 256 MB (not sent: 256 MB).
    big = rules.check_batch(rules.BATCH_MAX_BYTES + 1, over[:1])
    assert big is not None and big.status == 413 and big.error_type == "request_too_large"
    assert rules.check_batch(rules.BATCH_MAX_BYTES, over[:1]) is None


@pytest.mark.parametrize(
    "fault,cause",
    [
        pytest.param(spend_cap(), "monthly spend cap", id="429-spend-cap"),
        pytest.param(invalid_key(), "API key was refused", id="401-bad-key"),
    ],
)
async def test_a_fatal_error_creating_a_batch_stops_the_run_with_one_message(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer, fault: Fault, cause: str
) -> None:
    make_files(tmp_path, 6)
    engine, runner = await engine_for(
        tmp_path, fake_anthropic, batch_limits=BatchLimits(max_requests=3)
    )
    fake_anthropic.inject_batch(fault)  # once: a retry would be let through and show
    options = RunOptions(engine="model", batch=True, batch_poll_s=0.05)
    try:
        first = await engine.run(model_workflow(), options)
        await engine.store.flush()
        assert first.status == RunStatus.failed
        assert len(first.errors) == 1 and cause in first.errors[0], first.errors
        assert "swath resume" in first.errors[0]
        assert [r.status for r in fake_anthropic.responses if r.path.endswith("/batches")] == [
            fault.status  # not retried (the SDK would retry a plain 429), nothing else sent
        ]
        # After the fix, resume submits the step and finishes it.
        fake_anthropic.reset()
        resumed = await engine.run(
            model_workflow(), options.model_copy(update={"run_id": first.run_id, "resume": True})
        )
    finally:
        await runner.aclose()
        await engine.store.aclose()
    assert resumed.status == RunStatus.succeeded and resumed.agents.succeeded == 6
    assert len(creates(fake_anthropic)) == 2


def test_a_killed_batch_run_resumes_by_collecting_its_batch(tmp_path: Path) -> None:
    """The CLI end to end: `swath run --batch` killed (SIGKILL) while it polls; `swath resume`
    reads the stored batch id and collects it, paying for nothing twice."""
    server = FakeAnthropicServer(batch_delay_s=0.05).start()
    try:
        root = summaries_repo(tmp_path / "repo", 12)
        env = {**os.environ, "ANTHROPIC_API_KEY": "sk-test-key", "ANTHROPIC_BASE_URL": server.url}
        proc = subprocess.Popen(
            [sys.executable, "-m", "swath", "run", "summaries", "--batch", "--format", "json"],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        db = root / ".swath" / "swath.db"
        deadline = time.monotonic() + 60
        noted: list[tuple[int, str, list[str]]] = []
        while time.monotonic() < deadline and not noted:
            time.sleep(0.05)
            if not db.exists():
                continue
            con = sqlite3.connect(db)
            try:
                run_ids = [r[0] for r in con.execute("SELECT id FROM runs")]
                noted = step_batches(root, run_ids[0]) if run_ids else []
            except sqlite3.OperationalError:  # the store is still being created
                continue
            finally:
                con.close()
        proc.send_signal(signal.SIGKILL)  # it polls every 10 s: killed while it waits
        proc.wait()
        [(_, batch_id, held)] = noted
        assert len(held) == 12 and len(creates(server)) == 1
        res = swath(root, "resume", run_ids[0], "--format", "json", env=env)
        assert res.returncode == 0, res.stderr
        out = json.loads(res.stdout)
        assert out["status"] == "succeeded" and out["agents"]["succeeded"] == 12
        assert len(creates(server)) == 1  # collected, not submitted again
        assert any(r.path == f"/v1/messages/batches/{batch_id}/results" for r in server.requests)
        assert "/v1/messages" not in [r.path for r in server.requests]
    finally:
        server.stop()


@pytest.mark.parametrize(
    "fault,cause",
    [
        pytest.param(invalid_key(), "API key was refused", id="401-bad-key"),
        pytest.param(spend_cap(), "monthly spend cap", id="429-spend-cap"),
    ],
)
async def test_a_fatal_error_in_a_batchs_results_stops_the_run_after_storing_the_rest(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer, fault: Fault, cause: str
) -> None:
    """The API answers a batch's requests one by one: a key revoked or the spend cap reached
    half-way shows only as errored entries. The run stops there as the direct call does (one
    message), the entries that succeeded are stored, and resume runs only the others."""
    make_files(tmp_path, 6)
    served: list[int] = []

    def half_then_refuse(ctx: RequestContext) -> ReplyLike:
        served.append(1)
        return Echo() if len(served) <= 3 else fault

    fake_anthropic.script(half_then_refuse)
    engine, runner = await engine_for(tmp_path, fake_anthropic)
    options = RunOptions(engine="model", batch=True, batch_poll_s=0.05)
    try:
        first = await engine.run(model_workflow(), options)
        await engine.store.flush()
        assert first.status == RunStatus.failed
        assert len(first.errors) == 1 and cause in first.errors[0], first.errors
        assert f"API error {fault.status}" in first.errors[0]
        assert len(stored_records(tmp_path, first.run_id)) == 3
        fake_anthropic.reset()
        resumed = await engine.run(
            model_workflow(), options.model_copy(update={"run_id": first.run_id, "resume": True})
        )
    finally:
        await runner.aclose()
        await engine.store.aclose()
    assert resumed.status == RunStatus.succeeded, resumed.errors
    assert resumed.agents.succeeded == 6 and resumed.agents.cached == 3
    [again] = creates(fake_anthropic)
    assert len(again.body["requests"]) == 3  # only the refused ones went out again


async def test_a_batch_the_api_refuses_to_create_fails_its_own_tasks_only(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    """A 413 on one create (not retried, not fatal): that batch's three tasks fail with the
    reason, the step's other batch is created and collected, and the run goes on."""
    make_files(tmp_path, 6)
    engine, runner = await engine_for(
        tmp_path, fake_anthropic, batch_limits=BatchLimits(max_requests=3)
    )
    fake_anthropic.inject_batch(Fault(413, message="request too large"))
    try:
        report = await engine.run(
            model_workflow(), RunOptions(engine="model", batch=True, batch_poll_s=0.05)
        )
        await engine.store.flush()
    finally:
        await runner.aclose()
        await engine.store.aclose()
    assert report.status == RunStatus.partial
    assert (report.agents.succeeded, report.agents.failed) == (3, 3)
    assert len(stored_records(tmp_path, report.run_id)) == 3
    failed = [e for e in report.errors if "could not be created (API error 413" in e]
    assert len(failed) == 3, report.errors
    assert [r.status for r in fake_anthropic.responses if r.path.endswith("/batches")] == [413, 200]
