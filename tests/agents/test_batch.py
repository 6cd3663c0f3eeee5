"""Batch mode end to end: submit, poll with progress, results by custom_id at half price, resume."""

from __future__ import annotations

import pytest

from swath.agents.base import ModelResult, ModelTaskFailed
from swath.agents.batch import BatchGone, BatchProgress, BatchRunner, batchable, custom_id_for
from swath.agents.llm import AnthropicRunner
from swath.agents.pricing import DEFAULT_PRICES
from tests.agents.conftest import Recorder, make_task
from tests.fake_anthropic import FakeAnthropicServer, Fault, JsonText, RequestContext
from tests.fake_anthropic.fixtures import config_for

SCHEMA = {
    "type": "object",
    "properties": {"flag": {"type": "string"}, "verdict": {"enum": ["keep", "remove"]}},
    "required": ["flag", "verdict"],
}


def flag_task(name: str):  # type: ignore[no-untyped-def]
    return make_task(
        f"flag:{name}", tools=[], output=SCHEMA, instructions=f"Decide about flag {name}."
    )


def verdicts(ctx: RequestContext) -> object:
    name = ctx.conversation.split("flag ")[1].split(".")[0]
    if name == "broken" and ctx.turn == 0:
        return JsonText({"flag": name})  # invalid: repaired through the Messages API
    if name == "failing":
        return Fault(500, message="batch item failed")
    return JsonText({"flag": name, "verdict": "remove"})


async def test_batch_end_to_end(fake_anthropic: FakeAnthropicServer, recorder: Recorder) -> None:
    fake_anthropic.batch_delay_s = 0.01
    fake_anthropic.script(verdicts)
    runner = AnthropicRunner.create(config_for(fake_anthropic), api_key="k")
    batch = BatchRunner(runner, poll_interval_s=0.02)
    names = ["a", "b", "c", "broken", "failing"]
    tasks = [flag_task(n) for n in names]
    progress: list[BatchProgress] = []
    try:
        results = await batch.run_batch(tasks, lambda t: recorder.env(), progress.append)
    finally:
        await runner.aclose()

    assert set(results) == {t.task_key for t in tasks}
    for n in ("a", "b", "c", "broken"):
        r = results[f"flag:{n}"]
        assert isinstance(r, ModelResult), r
        assert r.output == {"flag": n, "verdict": "remove"}
    failed = results["flag:failing"]
    assert isinstance(failed, ModelTaskFailed) and "batch item failed" in str(failed)

    # One batch of five single-turn requests; only the repair went through /v1/messages.
    [create] = [
        r
        for r in fake_anthropic.requests
        if r.method == "POST" and r.path == "/v1/messages/batches"
    ]
    ids = [req["custom_id"] for req in create.body["requests"]]
    assert ids == [custom_id_for(t.task_key) for t in tasks]
    assert all(
        req["params"]["output_config"]["format"]["type"] == "json_schema"
        for req in create.body["requests"]
    )
    assert len(fake_anthropic.message_requests()) == 1
    assert results["flag:broken"].turns == 2  # type: ignore[union-attr]

    # Progress was reported until the batch ended.
    assert progress[-1].status == "ended" and progress[-1].total == 5
    assert progress[-1].succeeded == 4 and progress[-1].errored == 1

    # Batch tokens cost half; the repair turn pays the full price.
    ok = results["flag:a"]
    assert isinstance(ok, ModelResult)
    price = DEFAULT_PRICES["claude-haiku-5-5"]
    full = (
        ok.usage.input_tokens * price.input
        + ok.usage.output_tokens * price.output
        + ok.usage.cache_write_tokens * price.cache_write_price
        + ok.usage.cache_read_tokens * price.cache_read_price
    ) / 1_000_000
    assert ok.usage.cost_usd == pytest.approx(full / 2, rel=1e-9)


async def test_a_batch_can_be_collected_after_a_restart(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    tasks = [flag_task(n) for n in ("x", "y")]
    first = AnthropicRunner.create(config_for(fake_anthropic), api_key="k")
    batch_id = await BatchRunner(first).submit_batch(tasks, lambda t: recorder.env())
    await first.aclose()  # the process that submitted is gone

    second = AnthropicRunner.create(config_for(fake_anthropic), api_key="k")
    try:
        results = await BatchRunner(second, poll_interval_s=0.02).collect_batch(
            batch_id, tasks, lambda t: recorder.env()
        )
    finally:
        await second.aclose()
    assert all(isinstance(r, ModelResult) for r in results.values())
    assert [r.method for r in fake_anthropic.requests].count(
        "POST"
    ) == 1  # submitted once, never again


async def test_tasks_with_tools_are_not_batchable(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    runner = AnthropicRunner.create(config_for(fake_anthropic), api_key="k")
    try:
        assert not batchable(make_task()) and batchable(flag_task("z"))
        with pytest.raises(ValueError, match="cannot run in a batch"):
            await BatchRunner(runner).submit_batch([make_task()], lambda t: recorder.env())
    finally:
        await runner.aclose()


async def test_an_expired_batch_is_reported_as_gone(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    tasks = [flag_task("x")]
    runner = AnthropicRunner.create(config_for(fake_anthropic), api_key="k")
    try:
        batch_id = await BatchRunner(runner).submit_batch(tasks, lambda t: recorder.env())
        assert batch_id is not None
        fake_anthropic._batches.clear()  # expired: the API answers 404 from now on
        with pytest.raises(BatchGone) as caught:
            await BatchRunner(runner, poll_interval_s=0.02).collect_batch(
                batch_id, tasks, lambda t: recorder.env()
            )
    finally:
        await runner.aclose()
    assert caught.value.batch_id == batch_id


async def test_a_task_whose_request_cannot_be_built_fails_alone(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    broken = make_task("flag:bad", tools=[], output={"type": "nonsense"}, instructions="x")
    tasks = [flag_task("ok"), broken]
    runner = AnthropicRunner.create(config_for(fake_anthropic), api_key="k")
    try:
        results = await BatchRunner(runner, poll_interval_s=0.02).run_batch(
            tasks, lambda t: recorder.env()
        )
    finally:
        await runner.aclose()
    assert isinstance(results["flag:ok"], ModelResult)
    failed = results["flag:bad"]
    assert isinstance(failed, ModelTaskFailed) and "schema" in str(failed)
    [create] = [r for r in fake_anthropic.requests if r.path == "/v1/messages/batches"]
    assert len(create.body["requests"]) == 1
