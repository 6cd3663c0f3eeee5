"""Usage and cost: exactly what the server reported, priced by the table; caching of the shared prefix."""

from __future__ import annotations

import asyncio

import pytest

from swath.agents.llm import AnthropicRunner
from swath.agents.pricing import BATCH_DISCOUNT, DEFAULT_PRICES, FALLBACK, ModelPrice, PriceTable
from swath.findings.report import Usage
from tests.agents.conftest import Recorder, make_task
from tests.fake_anthropic import FakeAnthropicServer, RequestContext, Submit, ToolUse
from tests.fake_anthropic.fixtures import config_for


def two_rounds(ctx: RequestContext) -> object:
    if ctx.turn == 0:
        return ToolUse("read_file", {"path": "src/shop/util.py"})
    if ctx.turn == 1:
        return ToolUse("grep", {"pattern": "def "})
    return Submit({"findings": []})


async def test_usage_and_cost_equal_what_the_server_reported(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.script(two_rounds)
    results = await asyncio.gather(
        *(runner.run(make_task(f"src/f{i}.py"), recorder.env()) for i in range(5))
    )
    reported = fake_anthropic.usage_reported()
    total = Usage()
    for r in results:
        total = total + r.usage
    assert total.input_tokens == reported["input_tokens"]
    assert total.output_tokens == reported["output_tokens"]
    assert total.cache_write_tokens == reported["cache_creation_input_tokens"]
    assert total.cache_read_tokens == reported["cache_read_input_tokens"]
    # Every turn was reported to the engine as it happened, and adds up to the same.
    assert len(recorder.usages) == 15
    assert recorder.usage_total().model_dump() == total.model_dump()
    price = DEFAULT_PRICES[runner.config.model_map]
    expected = (
        reported["input_tokens"] * price.input
        + reported["output_tokens"] * price.output
        + reported["cache_creation_input_tokens"] * price.cache_write_price
        + reported["cache_read_input_tokens"] * price.cache_read_price
    ) / 1_000_000
    assert total.cost_usd == pytest.approx(expected, rel=1e-9, abs=1e-12)


async def test_the_step_prefix_is_cached_and_read_by_later_agents(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    first = await runner.run(make_task("src/a.py", tools=[]), recorder.env())
    second = await runner.run(make_task("src/b.py", tools=[]), recorder.env())
    assert first.usage.cache_write_tokens > 0 and first.usage.cache_read_tokens == 0
    assert second.usage.cache_read_tokens == first.usage.cache_write_tokens
    assert second.usage.cache_write_tokens == 0  # a single-turn agent marks only the shared prefix
    body = fake_anthropic.message_requests()[0].body
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in str(body["messages"])


async def test_multi_turn_agents_cache_their_own_conversation(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.script(two_rounds)
    result = await runner.run(make_task(), recorder.env())
    turn1, turn2, turn3 = recorder.usages
    assert turn2.cache_read_tokens >= turn1.cache_write_tokens  # turn 2 reads turn 1's prefix
    assert turn3.cache_read_tokens > turn2.cache_read_tokens
    assert result.usage.cache_read_tokens == turn2.cache_read_tokens + turn3.cache_read_tokens


async def test_price_overrides_from_config(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    cfg = config_for(
        fake_anthropic,
        prices={
            "claude-haiku-5-5": {
                "input": 1000.0,
                "output": 0.0,
                "cache_write": 0.0,
                "cache_read": 0.0,
            }
        },
    )
    runner = AnthropicRunner.create(cfg, api_key="k")
    try:
        result = await runner.run(make_task(tools=[]), recorder.env())
    finally:
        await runner.aclose()
    assert result.usage.cost_usd == pytest.approx(result.usage.input_tokens * 1000.0 / 1_000_000)


def test_price_table() -> None:
    table = PriceTable({"my-model": {"input": 2.0, "output": 8.0}})
    assert table.price_for("claude-sonnet-5-5-20261001") is table.prices["claude-sonnet-5-5"]
    assert table.price_for("unknown-model") == FALLBACK
    cost = table.cost(
        "my-model",
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_write_tokens=1_000_000,
        cache_read_tokens=1_000_000,
    )
    assert cost == pytest.approx(2.0 + 8.0 + 2.5 + 0.2)
    assert table.cost("my-model", input_tokens=1_000_000, batch=True) == pytest.approx(
        2.0 * BATCH_DISCOUNT
    )
    assert ModelPrice(input=3.0, output=15.0, cache_read=0.1).cache_read_price == 0.1
