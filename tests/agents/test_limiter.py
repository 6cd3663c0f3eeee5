"""AdaptiveLimiter: multiplicative decrease on pushback, additive increase when quiet, bounds."""

from __future__ import annotations

import asyncio

import pytest

from swath.agents.limiter import AdaptiveLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_pushback_halves_once_per_cooldown_and_never_below_one() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(16, decrease_cooldown_s=1.0, quiet_period_s=5.0, clock=clock)
    lim.on_pushback(0.0)
    lim.on_pushback(0.0)  # same burst: ignored for the decrease
    assert lim.limit == 8 and lim.pushbacks == 2 and lim.decreases == 1
    for _ in range(10):
        clock.now += 1.0
        lim.on_pushback()
    assert lim.limit == 1 and lim.min_seen == 1


def test_limit_climbs_additively_after_a_quiet_period_up_to_the_maximum() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(4, decrease_cooldown_s=0.0, quiet_period_s=2.0, clock=clock)
    lim.on_pushback()
    lim.on_pushback()
    assert lim.limit == 1
    clock.now += 1.9
    assert lim.limit == 1
    clock.now += 0.2
    assert lim.limit == 2
    clock.now += 2.0
    assert lim.limit == 3
    clock.now += 100
    assert lim.limit == 4
    clock.now += 100
    assert lim.limit == 4 and lim.max_seen == 4 and lim.increases == 3


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        AdaptiveLimiter(0)
    with pytest.raises(ValueError):
        AdaptiveLimiter(4, decrease_factor=1.5)
    assert AdaptiveLimiter(4, initial=99).limit == 4


async def test_gate_never_exceeds_the_limit() -> None:
    lim = AdaptiveLimiter(3)
    peak = 0

    async def work() -> None:
        nonlocal peak
        async with lim:
            peak = max(peak, lim.in_flight)
            await asyncio.sleep(0.01)

    await asyncio.gather(*(work() for _ in range(30)))
    assert peak == 3 and lim.in_flight == 0


async def test_retry_after_holds_back_new_starts() -> None:
    lim = AdaptiveLimiter(4, decrease_cooldown_s=0.0)
    lim.on_pushback(0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with lim:
        waited = loop.time() - started
    assert waited >= 0.28
    assert lim.stats().pushbacks == 1


def test_recovery_doubles_up_to_half_the_old_limit_then_climbs_by_one() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(16, decrease_cooldown_s=0.0, quiet_period_s=1.0, clock=clock)
    for _ in range(5):
        lim.on_pushback()
    assert lim.limit == 1
    seen = []
    for _ in range(9):
        clock.now += 1.0
        seen.append(lim.limit)
    assert seen == [2, 4, 8, 9, 10, 11, 12, 13, 14]
