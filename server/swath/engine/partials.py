"""A reduce done by parts: each upstream record's contribution is drawn once and kept.

A reduce analyzer may split its work in two (`analyzers.base.PartialReduce`): `partial`, a
record's contribution, which depends on that record alone (and the step's params), and
`combine`, the result from every record's contribution. map-module's reduce is the case:
a batch's contribution is its files' facts as the map reads them, so after one file
changes only its batch's contribution is drawn again; the other 63 of a 1,500-file
package come back from the store's memo, without loading (or holding) the batches'
outputs, 14 MB of facts.

A contribution is kept in the memo (store.memo) under a digest of the analyzer, its
params and the record's digest (the store's hash of the record's JSON, engine.stored): it
reads no file, so it has no file hashes beside it. Contributions are drawn as the records
arrive, while their outputs are in hand, and the reduce keeps only each record's head
(its output stays in the store): the map's outputs are not all held at once for the
reduce to start. The run's audit log says how many contributions were reused and how many
were drawn (`reduce_partials`).

The combine itself may keep what it draws from the contributions alone between runs
(`AnalyzerContext.memo`, a `CombineMemo`): map-module keeps its import graph, symbol uses
and PageRank with a digest of what they read of the facts, so a re-map after an edit
that changed no import and no top-level name builds none of them again. A slot (of the
combine's naming) holds one value, the latest, with its digest: a look-up with another
digest finds nothing, and the next `put` replaces it (the store keeps no value per edit).
It is kept in the memo too, under the analyzer's name, version and params and the slot,
beside the hash of every file it read besides the contributions; the audit row's
`combine_memo` says how many of the combine's look-ups were served.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from concurrent.futures import Executor
from typing import Any, Awaitable, Callable

from swath.analyzers.base import AnalyzerContext
from swath.engine import cache
from swath.engine.stored import Digests, StoredOutput
from swath.spec.records import Record
from swath.store import RunStore
from swath.workspace import Workspace

# Bump when what a contribution means changes for every analyzer.
PARTIAL_EPOCH = "1"


def supports(analyzer: Any) -> bool:
    """Does this reduce analyzer split into `partial` and `combine`?"""
    return callable(getattr(analyzer, "partial", None)) and callable(
        getattr(analyzer, "combine", None)
    )


class Partials:
    """One reduce step's contributions: drawn as records arrive, gathered for `combine`."""

    def __init__(
        self,
        analyzer: Any,
        ctx: AnalyzerContext,
        store: RunStore,
        pool: Executor,
        digests: Digests,
        resolve: Callable[[list[Record]], Awaitable[list[Record]]],
        enabled: bool,
    ) -> None:
        self.analyzer = analyzer
        self.ctx = ctx
        self.store = store
        self.pool = pool
        self.digests = digests
        self.resolve = resolve
        self.enabled = enabled  # off with the result cache (--no-cache): every one is drawn
        params = json.dumps(ctx.params, sort_keys=True, default=str)
        version = getattr(analyzer, "version", "")
        self._base = f"partial\x1f{PARTIAL_EPOCH}\x1f{cache.CACHE_EPOCH}\x1f{analyzer.name}\x1f{version}\x1f{params}"
        self._drawn: dict[str, Any] = {}  # key -> contribution drawn by this run
        self.reused = 0
        self.computed = 0
        self.combine_memo = _StoreCombineMemo(store, ctx.workspace, self._base)

    def key(self, digest: str) -> str:
        return hashlib.sha256(f"{self._base}\x1f{digest}".encode()).hexdigest()

    async def arrived(self, record: Record) -> Record:
        """Draw the contribution of a record whose output is in hand, and return the record
        as the reduce keeps it: its head, its output left in the store."""
        digest = self.digests.get(record)
        if digest is None or isinstance(record.output, StoredOutput):
            return record  # drawn (or read from the memo) when the reduce needs it
        key = self.key(digest)
        stored = await self.store.memo_get([key]) if self.enabled else {}
        if key in stored:  # a cached record the store had no head of: its output came along
            self.reused += 1
            self._drawn[key] = stored[key][1]
        else:
            await self._draw(record, digest)
        head = record.model_copy(update={"output": StoredOutput(digest)})
        self.digests.note(head, digest)
        return head

    async def gather(self, records: list[Record], digests: list[str]) -> list[Any]:
        """Every record's contribution, in the records' order."""
        keys = [self.key(d) for d in digests]
        wanted = [k for k in keys if k not in self._drawn]
        stored = await self.store.memo_get(wanted) if wanted and self.enabled else {}
        out: list[Any] = []
        for rec, digest, key in zip(records, digests, keys, strict=True):
            if key in self._drawn:  # drawn (or read) as it arrived, counted then
                out.append(self._drawn.pop(key))
            elif key in stored:
                self.reused += 1
                out.append(stored[key][1])
            else:  # one record's output at a time: the others stay in the store
                (loaded,) = await self.resolve([rec])
                out.append(await self._draw(loaded, digest, keep=False))
        self._drawn.clear()
        return out

    async def _draw(self, record: Record, digest: str, keep: bool = True) -> Any:
        loop = asyncio.get_running_loop()
        value = await loop.run_in_executor(self.pool, self.analyzer.partial, record, self.ctx)
        self.computed += 1
        key = self.key(digest)
        if keep:
            self._drawn[key] = value
        if self.enabled:
            self.store.memo_put([(key, {}, value)])
        return value

    def combine_context(self) -> AnalyzerContext:
        """The context `combine` runs with: the step's, and the memo while the cache is on."""
        return dataclasses.replace(self.ctx, memo=self.combine_memo if self.enabled else None)

    def counts(self) -> dict[str, int]:
        out = {"reused": self.reused, "computed": self.computed}
        if self.combine_memo.asked:
            out["combine_memo"] = self.combine_memo.served
        return out


class _StoreCombineMemo:
    """`CombineMemo` over the store's memo table, for `combine` on a worker thread: a look-up
    waits for the store's thread (`memo_get_sync`), a value is hashed with the files it read."""

    def __init__(self, store: RunStore, ws: Workspace, base: str) -> None:
        self.store = store
        self.ws = ws
        self._base = f"{base}\x1fcombine"
        self.asked = 0
        self.served = 0

    def _key(self, key: str) -> str:
        return hashlib.sha256(f"{self._base}\x1f{key}".encode()).hexdigest()

    def get(self, slot: str, digest: str) -> Any | None:
        self.asked += 1
        full = self._key(slot)
        hit = self.store.memo_get_sync([full]).get(full)
        if hit is None or not isinstance(hit[1], dict) or hit[1].get("digest") != digest:
            return None
        if not cache.deps_unchanged(self.ws, hit[0]):
            return None
        self.served += 1
        return hit[1].get("value")

    def put(self, slot: str, digest: str, value: Any, files_read: list[str]) -> None:
        kept = {"digest": digest, "value": value}
        self.store.memo_put([(self._key(slot), cache.file_deps(self.ws, files_read), kept)])
