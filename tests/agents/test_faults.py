"""Rate limits and faults: retries honour retry-after, pushback reaches the engine, a task fails alone."""

from __future__ import annotations

import asyncio
import time

import pytest

from swath.agents.base import ModelTaskFailed
from swath.agents.limiter import AdaptiveLimiter
from swath.agents.llm import AnthropicRunner, ModelAPIError
from tests.agents.conftest import Recorder, make_task
from tests.fake_anthropic import (
    FakeAnthropicServer,
    Fault,
    Malformed,
    Slow,
    overloaded,
    rate_limited,
    server_error,
)
from tests.fake_anthropic.fixtures import config_for


async def test_429_is_retried_after_retry_after(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.inject(rate_limited(0.6))
    started = time.monotonic()
    result = await runner.run(make_task(tools=[]), recorder.env())
    elapsed = time.monotonic() - started
    assert result.output == {"findings": []}
    assert elapsed >= 0.6
    assert recorder.pushbacks == [0.6]
    requests = fake_anthropic.message_requests()
    assert len(requests) == 2
    assert requests[1].at - requests[0].at >= 0.6
    assert runner.stats.retries == 1 and runner.stats.pushbacks == 1


async def test_529_and_500_are_retried(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.inject(overloaded(0.1), server_error())
    result = await runner.run(make_task(tools=[]), recorder.env())
    assert result.output == {"findings": []}
    assert recorder.pushbacks == [0.1]  # 529 is pushback; 500 is a plain fault
    assert runner.stats.by_status == {529: 1, 500: 1, 200: 1}


async def test_a_task_that_exhausts_its_retries_fails_alone(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    fake_anthropic.script(lambda ctx: rate_limited(0.05), match="src/doomed.py")
    runner = AnthropicRunner.create(config_for(fake_anthropic, max_retries=2), api_key="k")
    try:
        keys = ["src/a.py", "src/doomed.py", "src/b.py"]
        results = await asyncio.gather(
            *(runner.run(make_task(k, tools=[]), recorder.env()) for k in keys),
            return_exceptions=True,
        )
    finally:
        await runner.aclose()
    ok = {k: r for k, r in zip(keys, results, strict=True) if not isinstance(r, BaseException)}
    assert set(ok) == {"src/a.py", "src/b.py"}
    failed = results[1]
    assert isinstance(failed, ModelAPIError) and failed.status == 429 and not failed.fatal
    doomed = [r for r in fake_anthropic.message_requests() if "src/doomed.py" in r.raw]
    assert len(doomed) == 3  # the first attempt and two retries


async def test_bad_api_key_is_fatal(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.inject(Fault(401, message="invalid x-api-key"))
    with pytest.raises(ModelAPIError) as caught:
        await runner.run(make_task(tools=[]), recorder.env())
    assert caught.value.fatal and caught.value.status == 401
    assert "invalid x-api-key" in str(caught.value)
    assert len(fake_anthropic.message_requests()) == 1  # 401 is not retried


async def test_malformed_body_is_asked_again_once(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.inject(Malformed())
    result = await runner.run(make_task(tools=[]), recorder.env())
    assert result.output == {"findings": []}
    fake_anthropic.inject(Malformed(), Malformed())
    with pytest.raises(ModelTaskFailed, match="malformed API response"):
        await runner.run(make_task(tools=[]), recorder.env())


async def test_slow_reply_times_out_as_a_task_failure(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    fake_anthropic.inject(Slow(0.8))
    runner = AnthropicRunner.create(
        config_for(fake_anthropic, timeout_s=0.3, max_retries=0), api_key="k"
    )
    try:
        with pytest.raises(ModelAPIError, match="unreachable"):
            await runner.run(make_task(tools=[]), recorder.env())
    finally:
        await runner.aclose()


async def test_slow_replies_within_the_timeout_succeed(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.script([Slow(0.3)])
    started = time.monotonic()
    result = await runner.run(make_task(tools=[]), recorder.env())
    assert result.output == {"findings": []} and time.monotonic() - started >= 0.3


async def test_concurrency_drops_under_429s_and_climbs_back(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    fake_anthropic.delay_s = 0.02
    limiter = AdaptiveLimiter(8, quiet_period_s=0.25, decrease_cooldown_s=0.05)
    runner = AnthropicRunner.create(config_for(fake_anthropic, max_retries=6), api_key="k")
    runner.add_pushback_listener(limiter.on_pushback)
    fake_anthropic.inject(*[rate_limited(0.1) for _ in range(12)])
    peak_in_flight = 0

    async def one(i: int) -> object:
        nonlocal peak_in_flight
        async with limiter:
            peak_in_flight = max(peak_in_flight, limiter.in_flight)
            return await runner.run(make_task(f"src/f{i}.py", tools=[]), recorder.env())

    try:
        results = await asyncio.gather(*(one(i) for i in range(60)))
        assert len(results) == 60 and all(r.output == {"findings": []} for r in results)  # type: ignore[attr-defined]
        assert limiter.min_seen < 8, limiter.history
        assert peak_in_flight <= 8
        # Quiet again: the limit climbs back to the maximum.
        deadline = time.monotonic() + 10
        while limiter.limit < 8 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert limiter.limit == 8 and limiter.increases > 0
        assert runner.stats.pushbacks == 12 and runner.stats.retries == 12
    finally:
        await runner.aclose()
