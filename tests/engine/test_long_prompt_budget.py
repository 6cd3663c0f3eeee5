"""The long-prompt band through the engine: a request whose prompt is over the model's
threshold is billed at the band's rates, and both the plan's estimate and the run's hard
budget count it so.

claude-haiku-5-5 (the map tier's default) bills five times its rates over 100,000
prompt tokens ($0.10 -> $0.50 in, $0.50 -> $2.50 out per MTok). Each task here sends a prompt
of ~112,000 tokens (the fake counts len(JSON)/4), over the threshold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swath.agents.pricing import DEFAULT_PRICES, PER
from swath.engine.options import RunOptions
from swath.findings.report import RunStatus
from swath.spec.models import Workflow
from tests.engine.test_model_runs import engine_for, make_files, model_workflow
from tests.fake_anthropic.fixtures import fake_anthropic  # noqa: F401
from tests.fake_anthropic.server import FakeAnthropicServer

MODEL = "claude-haiku-5-5"
PRICE = DEFAULT_PRICES[MODEL]
BAND = PRICE.long_prompt
assert BAND is not None
# Long instructions: every request of the step is over the band's threshold.
PADDING = "Read every line with care.\n" * 16_000  # ~432,000 characters, ~110,000 tokens


def long_prompt_workflow(budget: float | None = None) -> Workflow:
    return model_workflow(
        concurrency=1,
        budget=budget,
        name="long-summaries",
        instructions="Summarise {{ items[0].path }}. " + PADDING,
        analyzer=False,
    )


def at(rates: Any, input_tokens: int, output_tokens: int) -> float:
    return (input_tokens * rates.input + output_tokens * rates.output) / PER


async def test_the_estimate_prices_long_prompts_at_the_band(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    make_files(tmp_path, 3)
    engine, runner = await engine_for(tmp_path, fake_anthropic)
    try:
        plan = await engine.plan(long_prompt_workflow(), RunOptions(engine="model"))
    finally:
        await runner.aclose()
        await engine.store.aclose()
    step = next(s for s in plan.steps if s.id == "sum")
    per_agent_in = step.est_input_tokens / step.agents
    assert per_agent_in > BAND.above_tokens  # the plan saw each prompt as long
    band = at(BAND, step.est_input_tokens, step.est_output_tokens)
    assert step.est_cost_usd == pytest.approx(band, rel=1e-4)  # the plan rounds to 1e-6 USD
    assert step.est_cost_usd > 4 * at(PRICE, step.est_input_tokens, step.est_output_tokens)


async def test_a_budget_the_band_pushes_over_stops_the_run(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer
) -> None:
    make_files(tmp_path, 10)
    engine, runner = await engine_for(tmp_path, fake_anthropic)
    try:
        plan = await engine.plan(long_prompt_workflow(), RunOptions(engine="model"))
        step = next(s for s in plan.steps if s.id == "sum")
        # Enough for all ten at the ordinary rates (estimates reserved as they start), but not
        # at the band's five-fold rates.
        base_all = at(PRICE, step.est_input_tokens, step.est_output_tokens)
        budget = 1.5 * base_all
        report = await engine.run(long_prompt_workflow(budget), RunOptions(engine="model"))
    finally:
        await runner.aclose()
        await engine.store.aclose()
    assert report.status == RunStatus.budget_exhausted
    assert 1 <= report.agents.succeeded <= 3, report.agents
    assert report.usage.cost_usd <= budget
    # What was spent is the band's price of what the server reported, request by request.
    server = [r.body["usage"] for r in fake_anthropic.responses if r.path == "/v1/messages"]
    assert len(server) == report.agents.succeeded
    assert all(
        u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"]
        > BAND.above_tokens
        for u in server
    )
    expected = sum(
        runner.prices.cost(
            MODEL,
            input_tokens=u["input_tokens"],
            output_tokens=u["output_tokens"],
            cache_write_tokens=u["cache_creation_input_tokens"],
            cache_read_tokens=u["cache_read_input_tokens"],
        )
        for u in server
    )
    assert report.usage.cost_usd == pytest.approx(expected, rel=1e-9)
    base = sum(at(PRICE, u["input_tokens"], u["output_tokens"]) for u in server)
    assert report.usage.cost_usd > 4 * base  # billed at the band, not the ordinary rates
