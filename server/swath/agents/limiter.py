"""Adaptive concurrency: how many agents may be in flight while the API pushes back.

AIMD, as TCP does it: every pushback (a 429 or 529) halves the limit, at most once per
`decrease_cooldown_s` so that the 16 requests that hit the same rate-limit window do not
collapse it to 1 at once. After `quiet_period_s` without pushback the limit climbs: it
doubles while below half of where the episode started (slow start, so one burst does not
leave the run crawling for minutes), then grows by one per further quiet period, up to
the configured maximum. A
`retry-after` also holds back new starts until it has passed: requests already waiting
in the SDK's retry loop should get the freed capacity first.

Usage (the engine gates agent starts with it):

    limiter = AdaptiveLimiter(max_limit=16)
    env = AgentEnv(workspace, on_pushback=limiter.on_pushback, ...)
    async with limiter:
        await runner.run(task, env)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType

from pydantic import BaseModel


class LimiterStats(BaseModel):
    limit: int
    in_flight: int
    min_seen: int
    max_seen: int
    pushbacks: int
    decreases: int
    increases: int


class AdaptiveLimiter:
    def __init__(
        self,
        max_limit: int,
        *,
        initial: int | None = None,
        min_limit: int = 1,
        decrease_factor: float = 0.5,
        increase_step: int = 1,
        quiet_period_s: float = 5.0,
        decrease_cooldown_s: float = 1.0,
        honour_retry_after: bool = True,
        max_hold_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_limit < 1:
            raise ValueError("max_limit must be at least 1")
        if not 0 < decrease_factor < 1:
            raise ValueError("decrease_factor must be between 0 and 1")
        self.max_limit = max_limit
        self.min_limit = max(1, min(min_limit, max_limit))
        self.decrease_factor = decrease_factor
        self.increase_step = max(1, increase_step)
        self.quiet_period_s = quiet_period_s
        self.decrease_cooldown_s = decrease_cooldown_s
        self.honour_retry_after = honour_retry_after
        self.max_hold_s = max_hold_s
        self._wakers: set[asyncio.Task[None]] = set()
        self._clock = clock
        self._limit = max(self.min_limit, min(initial or max_limit, max_limit))
        self._in_flight = 0
        self._waiting = 0  # acquirers queued on the condition
        self._cond: asyncio.Condition | None = None
        self._last_pushback = float("-inf")
        self._last_decrease = float("-inf")
        self._last_change = clock()
        self._hold_until = float("-inf")
        self._threshold = self._limit  # slow start doubles up to here, then climbs by one
        self.min_seen = self._limit
        self.max_seen = self._limit
        self.pushbacks = 0
        self.decreases = 0
        self.increases = 0
        self.history: list[tuple[float, int]] = [(self._last_change, self._limit)]

    # -- state -------------------------------------------------------------------------
    @property
    def limit(self) -> int:
        self._maybe_increase()
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def stats(self) -> LimiterStats:
        return LimiterStats(
            limit=self.limit,
            in_flight=self._in_flight,
            min_seen=self.min_seen,
            max_seen=self.max_seen,
            pushbacks=self.pushbacks,
            decreases=self.decreases,
            increases=self.increases,
        )

    def _set(self, value: int) -> None:
        value = max(self.min_limit, min(self.max_limit, value))
        if value == self._limit:
            return
        self._limit = value
        now = self._clock()
        self._last_change = now
        self.history.append((now, value))
        self.min_seen = min(self.min_seen, value)
        self.max_seen = max(self.max_seen, value)
        self._notify()

    def _maybe_increase(self) -> None:
        if self._limit >= self.max_limit:
            return
        now = self._clock()
        quiet_since = max(self._last_pushback, self._last_change)
        if now - quiet_since >= self.quiet_period_s:
            self.increases += 1
            if self._limit * 2 <= self._threshold:
                self._set(self._limit * 2)
            else:
                self._set(self._limit + self.increase_step)

    # -- signals -----------------------------------------------------------------------
    def on_pushback(self, retry_after: float | None = None) -> None:
        """The API said slow down (429/529). Safe to call from any callback on the loop's thread."""
        now = self._clock()
        self.pushbacks += 1
        self._last_pushback = now
        if self.honour_retry_after and retry_after and retry_after > 0:
            self._hold_until = max(self._hold_until, now + min(retry_after, self.max_hold_s))
        if now - self._last_decrease >= self.decrease_cooldown_s:
            if now - self._last_decrease >= self.quiet_period_s:
                # A new episode: remember half of where it started, as TCP's ssthresh.
                self._threshold = max(self.min_limit, self._limit // 2)
            self._last_decrease = now
            self.decreases += 1
            self._set(int(self._limit * self.decrease_factor))

    # -- gate --------------------------------------------------------------------------
    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    def _notify(self) -> None:
        cond = self._cond
        if cond is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        async def wake() -> None:
            async with cond:
                cond.notify(max(1, self._limit - self._in_flight))

        # Keep a reference until it ran: the loop holds tasks only weakly.
        task = loop.create_task(wake())
        self._wakers.add(task)
        task.add_done_callback(self._wakers.discard)

    async def acquire(self) -> None:
        # Fast path: a free slot and nobody queued takes no lock and no extra loop turn, which
        # is most acquisitions at steady state (bench/engine.py: ~3% of a run's wall time).
        if not self._waiting and self._clock() >= self._hold_until:
            if self._limit < self.max_limit:
                self._maybe_increase()
            if self._in_flight < self._limit:
                self._in_flight += 1
                return
        self._waiting += 1
        try:
            await self._acquire_slow()
        finally:
            self._waiting -= 1

    async def _acquire_slow(self) -> None:
        cond = self._condition()
        async with cond:
            while True:
                now = self._clock()
                if now < self._hold_until:
                    # Wake at the end of the hold; a notify may wake us sooner to re-check.
                    try:
                        await asyncio.wait_for(cond.wait(), timeout=self._hold_until - now)
                    except asyncio.TimeoutError:
                        pass
                    continue
                self._maybe_increase()
                if self._in_flight < self._limit:
                    self._in_flight += 1
                    return
                # While below the maximum, wake when a quiet period could raise the limit.
                timeout = None if self._limit >= self.max_limit else self.quiet_period_s
                try:
                    await asyncio.wait_for(cond.wait(), timeout=timeout)
                except asyncio.TimeoutError:
                    pass

    async def release(self) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        self._maybe_increase()
        if not self._waiting:
            return
        cond = self._condition()
        async with cond:
            # Wake only as many waiters as there are free slots: with a thousand queued
            # agents, notify_all on every release would cost a thousand wake-ups each time.
            cond.notify(max(0, self._limit - self._in_flight))

    async def __aenter__(self) -> AdaptiveLimiter:
        await self.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()
