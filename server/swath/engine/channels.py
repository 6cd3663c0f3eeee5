"""Record streams between steps: every step publishes, downstream steps subscribe.

A subscriber sees each record as soon as it is published, so a `map` downstream of a
`map` starts its agents long before the upstream step has finished.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

from swath.spec.records import Record

_END = None


class Channel:
    def __init__(self, step: str) -> None:
        self.step = step
        self.records: list[Record] = []
        self.done = asyncio.Event()
        self._subscribers: list[asyncio.Queue[Record | None]] = []

    def subscribe(self, queue: asyncio.Queue[Record | None]) -> None:
        # Subscriptions are made before any step starts, so no record is ever missed.
        self._subscribers.append(queue)

    def publish(self, record: Record) -> None:
        self.records.append(record)
        for q in self._subscribers:
            q.put_nowait(record)

    def close(self) -> None:
        if self.done.is_set():
            return
        self.done.set()
        for q in self._subscribers:
            q.put_nowait(_END)


class Inbox:
    """The merged stream of one or more upstream channels."""

    def __init__(self, upstream: list[Channel]) -> None:
        self._queue: asyncio.Queue[Record | None] = asyncio.Queue()
        self._open = len(upstream)
        for ch in upstream:
            ch.subscribe(self._queue)

    async def __aiter__(self) -> AsyncIterator[Record]:
        while self._open:
            rec = await self._queue.get()
            if rec is _END:
                self._open -= 1
                continue
            yield rec

    async def collect(self) -> list[Record]:
        return [r async for r in self]
