"""Each request shape per model family against the strict fake API, the fake's rules
themselves (what the real API rejects, answered as the real API answers), refusals,
streaming, and the errors that stop a run."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

from swath.agents.base import ModelTaskFailed
from swath.agents.capabilities import CAPABILITIES, caps_for, family_of
from swath.agents.config import DEFAULT_MODEL_MAP, DEFAULT_MODEL_REDUCE
from swath.agents.errors import ErrorKind, classify
from swath.agents.llm import AnthropicRunner, ModelAPIError
from swath.agents.pricing import DEFAULT_PRICES
from tests.agents.conftest import Recorder, make_task
from tests.fake_anthropic import (
    FakeAnthropicServer,
    RequestContext,
    Submit,
    ToolUse,
    invalid_key,
    org_on_hold,
    refusal,
    spend_cap,
    workspace_spend_limit,
)
from tests.fake_anthropic.fixtures import config_for

# The defaults (map, reduce = verify), a current Opus, and a model that takes a forced tool.
SHAPED_MODELS = [DEFAULT_MODEL_MAP, DEFAULT_MODEL_REDUCE, "claude-opus-5-5", "claude-haiku-4-5"]


def _polite(ctx: RequestContext) -> Any:
    """Calls a tool until asked for the answer, then answers."""
    return Submit({"findings": []}) if ctx.must_answer else ToolUse("list_dir", {"path": "src"})


@pytest.mark.parametrize("model", SHAPED_MODELS)
@pytest.mark.parametrize("tier", ["map", "reduce"])
async def test_every_request_of_a_tool_agent_is_accepted(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder, model: str, tier: str
) -> None:
    fake_anthropic.script(_polite)
    runner = AnthropicRunner.create(config_for(fake_anthropic), api_key="k")
    try:
        task = make_task(model=model, max_turns=2, tier=tier)
        result = await runner.run(task, recorder.env())
    finally:
        await runner.aclose()
    assert result.output == {"findings": []} and result.turns == 3
    assert fake_anthropic.rejections == []
    caps = caps_for(model)
    bodies = [r.body for r in fake_anthropic.message_requests()]
    final = bodies[-1]
    if caps.forced_tool_choice:
        assert final["tool_choice"] == {"type": "tool", "name": "submit_result"}
        assert "format" not in final.get("output_config", {})
    else:
        assert final["tool_choice"] == {"type": "none"}
        assert final["output_config"]["format"]["type"] == "json_schema"
    for body in bodies:
        assert "thinking" not in body and "temperature" not in body
        assert body["max_tokens"] <= caps.max_output
        effort = body.get("output_config", {}).get("effort")
        assert (effort is not None) == bool(caps.effort)
        # Replies that could outlast one plain request are streamed.
        assert body.get("stream", False) == (body["max_tokens"] > runner.stream_above_tokens)
    expected = {"map": 16_000, "reduce": 32_000}[tier]
    assert bodies[0]["max_tokens"] == min(expected, caps.max_output)


@pytest.mark.parametrize("model", SHAPED_MODELS)
async def test_a_tool_less_agent_is_accepted(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder, model: str
) -> None:
    runner = AnthropicRunner.create(config_for(fake_anthropic), api_key="k")
    try:
        array = {"type": "array", "items": {"type": "string"}}
        result = await runner.run(make_task(model=model, tools=[], output=array), recorder.env())
    finally:
        await runner.aclose()
    assert isinstance(result.output, list)
    assert fake_anthropic.rejections == []
    (body,) = [r.body for r in fake_anthropic.message_requests()]
    schema = body["output_config"]["format"]["schema"]
    # A non-object answer is wrapped in a closed object, as structured outputs require.
    assert schema["type"] == "object" and schema["additionalProperties"] is False


def test_the_table_covers_every_priced_model_and_agrees_on_long_prompts() -> None:
    for model, price in DEFAULT_PRICES.items():
        assert family_of(model) == model, model
        band = price.long_prompt.above_tokens if price.long_prompt else None
        assert CAPABILITIES[model].long_prompt_above == band, model
    assert family_of("claude-sonnet-5-5-20261001") == "claude-sonnet-5-5"
    assert family_of("claude-nonesuch-9") is None
    assert not caps_for("claude-nonesuch-9").forced_tool_choice  # unknown: the strictest row


# -- the strict fake's rules, through the real SDK ------------------------------------------
def _base(model: str = "claude-sonnet-5-5", **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "hello"}],
    }
    body.update(kw)
    return body


TOOL = {"name": "t", "description": "d", "input_schema": {"type": "object", "properties": {}}}
USE = {"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}

REJECTED: dict[str, tuple[dict[str, Any], str]] = {
    "forced tool choice with thinking": (
        _base(tools=[TOOL], tool_choice={"type": "tool", "name": "t"}),
        "forced tool use is not supported",
    ),
    "forced any on Opus 5.5": (
        _base("claude-opus-5-5", tools=[TOOL], tool_choice={"type": "any"}),
        "forced tool use is not supported",
    ),
    "forced tool with a thinking budget on Haiku 4.5": (
        _base(
            "claude-haiku-4-5",
            max_tokens=4096,
            tools=[TOOL],
            tool_choice={"type": "any"},
            thinking={"type": "enabled", "budget_tokens": 2048},
        ),
        "Thinking may not be enabled when tool_choice forces tool use",
    ),
    "sampling parameter": (_base("claude-haiku-5-5", temperature=0.2), "`temperature`"),
    "temperature and top_p together": (
        _base("claude-haiku-4-5", temperature=0.2, top_p=0.9),
        "cannot both be specified",
    ),
    "assistant prefill": (
        _base(
            messages=[
                {"role": "user", "content": "hello"},
                {"role": "assistant", "content": "{"},
            ]
        ),
        "does not support assistant message prefill",
    ),
    "thinking disabled on Opus 5.5": (
        _base("claude-opus-5-5", thinking={"type": "disabled"}),
        '"thinking.type.disabled" is not supported',
    ),
    "five cache breakpoints": (
        _base(
            system=[
                {"type": "text", "text": f"s{i}", "cache_control": {"type": "ephemeral"}}
                for i in range(5)
            ]
        ),
        "A maximum of 4 blocks with cache_control",
    ),
    "tool_use without its tool_result": (
        _base(
            tools=[TOOL],
            messages=[
                {"role": "user", "content": "hello"},
                {"role": "assistant", "content": [USE]},
                {"role": "user", "content": "and?"},
            ],
        ),
        "`tool_use` ids were found without `tool_result` blocks",
    ),
    "tool_result answering nothing": (
        _base(
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "x"}],
                }
            ]
        ),
        "unexpected `tool_use_id`",
    ),
    "empty text block": (
        _base(messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}]),
        "text content blocks must be non-empty",
    ),
    "strict tool with an open object": (
        _base(tools=[{**TOOL, "strict": True}]),
        "'additionalProperties' must be explicitly set to false",
    ),
    "max_tokens above the model's maximum": (
        _base("claude-haiku-4-5", max_tokens=100_000),
        "maximum allowed number of output tokens",
    ),
    "effort on a model without it": (
        _base("claude-haiku-4-5", output_config={"effort": "low"}),
        "output_config.effort",
    ),
}


@pytest.mark.parametrize("case", sorted(REJECTED))  # each case's body is used once
async def test_the_fake_rejects_what_the_api_rejects(
    fake_anthropic: FakeAnthropicServer, case: str
) -> None:
    body, message = dict(REJECTED[case][0]), REJECTED[case][1]
    # The SDK (2.15) no longer takes sampling parameters at all: they go as extra body fields.
    extra = {k: body.pop(k) for k in ("temperature", "top_p", "top_k") if k in body}
    client = anthropic.AsyncAnthropic(
        base_url=fake_anthropic.url, api_key="k", max_retries=0, timeout=30
    )
    try:
        with pytest.raises(anthropic.BadRequestError) as caught:
            await client.messages.create(**body, extra_body=extra or None)
    finally:
        await client.close()
    assert caught.value.status_code == 400
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert message in caught.value.body["error"]["message"]
    assert len(fake_anthropic.rejections) == 1


async def test_the_fake_answers_an_unknown_model_with_404(
    fake_anthropic: FakeAnthropicServer,
) -> None:
    client = anthropic.AsyncAnthropic(base_url=fake_anthropic.url, api_key="k", max_retries=0)
    try:
        with pytest.raises(anthropic.NotFoundError) as caught:
            await client.messages.create(**_base("claude-sonnet-9-9"))
    finally:
        await client.close()
    assert caught.value.body["error"] == {  # type: ignore[index]
        "type": "not_found_error",
        "message": "model: claude-sonnet-9-9",
    }


async def test_a_valid_request_passes_the_rules(fake_anthropic: FakeAnthropicServer) -> None:
    client = anthropic.AsyncAnthropic(base_url=fake_anthropic.url, api_key="k", max_retries=0)
    try:
        reply = await client.messages.create(
            **_base(
                tools=[TOOL],
                tool_choice={"type": "auto"},
                output_config={"effort": "medium"},
                messages=[
                    {"role": "user", "content": "hello"},
                    {"role": "assistant", "content": [USE]},
                    {
                        "role": "user",
                        "content": [
                            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}
                        ],
                    },
                ],
            )
        )
    finally:
        await client.close()
    assert reply.stop_reason in ("end_turn", "tool_use") and fake_anthropic.rejections == []


# -- refusals -------------------------------------------------------------------------------
async def test_a_refusal_is_retried_once_in_a_fresh_context(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    refused = {"n": 0}

    def script(ctx: RequestContext) -> Any:
        if ctx.turn == 1 and refused["n"] == 0:
            refused["n"] += 1
            return refusal()
        return _polite(ctx)

    fake_anthropic.script(script)
    result = await runner.run(make_task(max_turns=1), recorder.env())
    assert result.output == {"findings": []}
    bodies = [r.body for r in fake_anthropic.message_requests()]
    # Turn 1 (a tool call), turn 2 refused; then a fresh conversation from the first message.
    assert len(bodies[2]["messages"]) == 1
    assert bodies[2]["messages"][0] == bodies[0]["messages"][0]
    assert result.usage.input_tokens == sum(u.input_tokens for u in recorder.usages)


async def test_a_second_refusal_fails_the_task_with_the_reason(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.script([refusal("declined: cyber harm", "cyber")])
    with pytest.raises(ModelTaskFailed) as caught:
        await runner.run(make_task(tools=[]), recorder.env())
    assert "refused the task twice" in str(caught.value) and "declined: cyber harm" in str(
        caught.value
    )
    assert not isinstance(caught.value, ModelAPIError)  # the task fails alone
    assert len(fake_anthropic.message_requests()) == 2
    assert caught.value.usage.input_tokens > 0  # both attempts were billed


# -- errors that stop the run ----------------------------------------------------------------
@pytest.mark.parametrize(
    "fault,status,words",
    [
        (spend_cap(), 429, "monthly spend cap"),
        (workspace_spend_limit(), 400, "spend limit you set"),
        (org_on_hold(), 403, "on hold"),
        (invalid_key(), 401, "API key was refused"),
    ],
    ids=["spend-cap", "workspace-limit", "on-hold", "bad-key"],
)
async def test_errors_no_retry_can_fix_are_fatal_at_once(
    fake_anthropic: FakeAnthropicServer,
    runner: AnthropicRunner,
    recorder: Recorder,
    fault: Any,
    status: int,
    words: str,
) -> None:
    fake_anthropic.inject(fault, fault, fault)
    with pytest.raises(ModelAPIError) as caught:
        await runner.run(make_task(tools=[]), recorder.env())
    assert caught.value.fatal and caught.value.status == status
    assert words in str(caught.value)
    assert len(fake_anthropic.message_requests()) == 1  # not retried
    assert recorder.pushbacks == [] and runner.stats.pushbacks == 0  # not rate limiting


async def test_a_retired_model_is_fatal(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    with pytest.raises(ModelAPIError) as caught:
        await runner.run(make_task(model="claude-sonnet-3-7", tools=[]), recorder.env())
    assert caught.value.fatal and caught.value.status == 404
    assert "check the model name" in str(caught.value)


def test_error_classification() -> None:
    too_long = {
        "error": {"type": "invalid_request_error", "message": "prompt is too long: 2000001"}
    }
    assert classify(400, too_long).kind is ErrorKind.task
    assert classify(413, {}).kind is ErrorKind.task
    assert classify(429, {"error": {"type": "rate_limit_error", "message": "slow"}}).kind is (
        ErrorKind.pushback
    )
    assert classify(529, {}).kind is ErrorKind.pushback
    assert classify(500, {}).retryable and not classify(500, {}).fatal
    assert classify(402, {}).fatal and classify(404, {}).fatal


# -- streaming ------------------------------------------------------------------------------
async def test_streamed_replies_carry_the_same_answer_and_usage(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    fake_anthropic.script([ToolUse("list_dir", {"path": "src"}), Submit({"findings": []})])
    runner = AnthropicRunner.create(config_for(fake_anthropic), api_key="k")
    try:
        result = await runner.run(make_task(max_turns=3), recorder.env())
    finally:
        await runner.aclose()
    bodies = [r.body for r in fake_anthropic.message_requests()]
    assert all(b.get("stream") is True for b in bodies)
    assert result.output == {"findings": []}
    reported = fake_anthropic.usage_reported()
    assert result.usage.input_tokens == reported["input_tokens"]
    assert result.usage.output_tokens == reported["output_tokens"]
    assert json.dumps(bodies[1]["messages"][1]["content"][0]["input"]) == json.dumps(
        {"path": "src"}
    )
