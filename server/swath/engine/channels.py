"""Record streams between steps: every step publishes, downstream steps subscribe.

A subscriber sees each record as soon as it is published, so a `map` downstream of a
`map` starts its agents long before the upstream step has finished.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Literal

from swath.findings.model import Finding
from swath.spec.records import Record

_END = None

# What a channel holds on to once its subscribers have a record: the records (the run's
# outputs are made of them), only their findings (a leaf step's, for a run without `emit`),
# or nothing but the count. A map's records hold every file's facts: kept by every channel
# they pass through (map, verify, emit), they stayed in memory to the end of the run.
Keep = Literal["records", "findings", "count"]


class Channel:
    def __init__(self, step: str, keep: Keep = "records") -> None:
        self.step = step
        self.keep = keep
        self.records: list[Record] = []
        self.findings: list[Finding] = []
        self.count = 0
        self.done = asyncio.Event()
        self._subscribers: list[asyncio.Queue[Record | None]] = []

    def subscribe(self, queue: asyncio.Queue[Record | None]) -> None:
        # Subscriptions are made before any step starts, so no record is ever missed.
        self._subscribers.append(queue)

    def publish(self, record: Record) -> None:
        self.count += 1
        if self.keep == "records":
            self.records.append(record)
        elif self.keep == "findings":
            self.findings.extend(record.findings)
        for q in self._subscribers:
            q.put_nowait(record)

    def kept_findings(self) -> list[Finding]:
        """The findings of every record published (for a channel that keeps them)."""
        if self.keep == "records":
            return [f for r in self.records for f in r.findings]
        return list(self.findings)

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
