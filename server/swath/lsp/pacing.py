"""Pacing: many small updates become few messages.

A run of a thousand agents produces findings in bursts; a client re-rendering a file's
diagnostics a hundred times a second freezes. `Coalescer` collects the keys touched
(file URIs) and flushes each at most once per `interval`; `Throttle` does the same for a
single action (code-lens refresh, a progress report). Both run on the event loop, with
one task each that exists only while there is something to send.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Hashable, Iterable

log = logging.getLogger(__name__)

SLICE = 0.008  # seconds of flushing before yielding to the event loop


class Coalescer:
    """Calls `flush(key)` for each touched key, no more than once per `interval` per key."""

    def __init__(self, flush: Callable[[Hashable], None], interval: float = 0.25) -> None:
        self._flush = flush
        self.interval = interval
        self._dirty: dict[Hashable, None] = {}  # insertion-ordered set
        self._last: dict[Hashable, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def touch(self, keys: Iterable[Hashable]) -> None:
        for k in keys:
            self._dirty[k] = None
        if self._dirty:
            self._wake.set()
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(
                    self._run(), name="swath-coalescer"
                )

    async def _run(self) -> None:
        while self._dirty:
            self._wake.clear()
            now = slice_start = time.monotonic()
            wait = self.interval
            for key in list(self._dirty):
                due = self._last.get(key, 0.0) + self.interval
                if due <= now:
                    self._dirty.pop(key, None)
                    self._last[key] = now
                    try:
                        self._flush(key)
                    except Exception:  # one bad file must not stop the others
                        log.exception("flushing %s failed", key)
                    if time.monotonic() - slice_start > SLICE:
                        await asyncio.sleep(0)  # let waiting requests in between files
                        slice_start = time.monotonic()
                else:
                    wait = min(wait, due - now)
            if self._dirty:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
                except TimeoutError:
                    pass
                # a touch during the wait only adds keys; they wait for their own due time
        if len(self._last) > 4096:  # forget files not published for a while
            cutoff = time.monotonic() - self.interval
            self._last = {k: t for k, t in self._last.items() if t > cutoff}

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()


class Throttle:
    """Calls `action()` soon after `poke()`, then at most once per `interval`."""

    def __init__(self, action: Callable[[], None], interval: float) -> None:
        self._coalescer = Coalescer(lambda _key: action(), interval)

    def poke(self) -> None:
        self._coalescer.touch([None])

    def cancel(self) -> None:
        self._coalescer.cancel()
