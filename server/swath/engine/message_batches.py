"""`--batch`: a map step's model tasks submitted as Message Batches, at half the price.

The analyzers still run first (their facts ground the model). A step's requests go out in
as few batches as the API's limits allow (100,000 requests, 256 MB each: `BatchLimits`,
smaller in tests through `Engine(batch_limits=...)`). Each batch's id and the custom_ids it
holds are stored (`step_batches`) as soon as it is created, before the next is created and
before any polling, so `swath resume` after a kill collects every batch that exists and
submits only the tasks none holds, instead of paying twice; results land in the store like
any task's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import anthropic

from swath.agents.base import AgentEnv, ModelResult, ModelRunner, ModelTask, ModelTaskFailed
from swath.agents.batch import BatchGone, BatchLimits, BatchProgress, BatchRunner, custom_id_for
from swath.agents.errors import FatalAPIError, classify
from swath.analyzers.base import AnalyzerOutput
from swath.engine import cache
from swath.engine.channels import Channel
from swath.engine.events import StepProgress
from swath.engine.tasks import TaskRunner
from swath.findings.report import Usage
from swath.spec.models import MapStep
from swath.spec.records import Item
from swath.store import StepBatch

log = logging.getLogger(__name__)

BATCH_EVENT = "batch_submitted"


@dataclass
class _Pending:
    key: str
    ihash: str
    items: list[Item]
    facts: AnalyzerOutput
    deps: dict[str, str]
    task: ModelTask
    reserved: float = 0.0


class MessageBatchStep:
    def __init__(
        self,
        tasks: TaskRunner,
        step: MapStep,
        out: Channel,
        runner: ModelRunner,
        *,
        poll_interval_s: float,
        limits: BatchLimits | None,
    ) -> None:
        self.tasks = tasks
        self.step = step
        self.out = out
        self.runner = runner
        self.poll_interval_s = poll_interval_s
        self.limits = limits
        self._progress_of: dict[str, BatchProgress] = {}  # the latest poll of each batch
        self._next_part = 0

    async def execute(self, batches: list[list[Item]]) -> None:
        pending = [
            p for p in await asyncio.gather(*(self._prepare(b) for b in batches)) if p is not None
        ]
        pending = await self._within_budget(pending)
        if not pending:
            return
        tasks = self.tasks
        batcher = BatchRunner(
            self.runner,  # type: ignore[arg-type]
            poll_interval_s=self.poll_interval_s,
            limits=self.limits,
        )
        by_cid = {custom_id_for(p.key): p for p in pending}
        parts = await tasks.store.step_batches(tasks.run_id, self.step.id)
        self._next_part = max((b.part for b in parts), default=-1) + 1
        # A resumed step: the batches it submitted before the kill hold some (or all) of its
        # tasks; only the tasks none holds are submitted now.
        if any(b.custom_ids is None for b in parts):
            held = set(by_cid)
        else:
            held = {cid for b in parts for cid in b.custom_ids or []}
        fresh = [p for cid, p in by_cid.items() if cid not in held]
        try:
            with self._fatal_stops_the_run():
                if fresh:
                    for p in fresh:
                        tasks.mark_started(self.step.id, p.key, p.ihash)
                    parts += await self._submit(batcher, [p.task for p in fresh])
                collected = await asyncio.gather(
                    *(self._collect(batcher, part, by_cid) for part in parts)
                )
        finally:
            for p in pending:
                tasks.ledger.release(p.reserved)
        results: dict[str, ModelResult | ModelTaskFailed] = dict(batcher.unprepared)
        for part_results in collected:
            results.update(part_results)
        fatal: ModelTaskFailed | None = None
        for p in pending:
            result = results.get(p.key) or ModelTaskFailed("no result in the batch")
            if isinstance(result, ModelTaskFailed) and result.fatal:
                fatal = fatal or result  # left unfinished, like a call the stop cut short
                continue
            await self._land(p, result)
        # Every other result of the batch is stored first: a refused key or the spend cap
        # seen in its entries then stops the run as the same error on a direct call does,
        # with one message. The step's batches are forgotten (all they answered is landed),
        # so resume submits the refused tasks again instead of collecting the same refusals.
        if fatal is not None:
            for part in await tasks.store.step_batches(tasks.run_id, self.step.id):
                tasks.store.batch_dropped(tasks.run_id, self.step.id, part.part)
            await tasks.store.flush()
            raise tasks.fatal_stop(str(fatal))

    @contextmanager
    def _fatal_stops_the_run(self) -> Iterator[None]:
        """An error no retry can fix on a batch call (a refused key, the spend cap) stops the
        run with the same one message a task's call gives, not a traceback; the batches
        already created are noted, so resume collects them."""
        try:
            yield
        except FatalAPIError as exc:  # the spend cap, raised by the transport: never retried
            raise self.tasks.fatal_stop(f"API error {exc.status}: {exc}") from exc
        except anthropic.APIStatusError as exc:
            verdict = classify(exc.status_code, exc.body)
            if not verdict.fatal:
                raise
            raise self.tasks.fatal_stop(f"API error {exc.status_code}: {verdict.reason}") from exc

    def _env_for(self, task: ModelTask) -> AgentEnv:
        return self.tasks.agent_env(self.step.id, task.task_key)

    async def _collect(
        self, batcher: BatchRunner, part: StepBatch, by_cid: dict[str, _Pending]
    ) -> dict[str, ModelResult | ModelTaskFailed]:
        """One batch's results, for the tasks of this run it holds that are still pending."""
        cids = part.custom_ids if part.custom_ids is not None else list(by_cid)
        tasks = [by_cid[c].task for c in cids if c in by_cid]
        if not tasks:  # every task it held had landed before the kill
            return {}
        try:
            return await batcher.collect_batch(part.batch_id, tasks, self._env_for, self._progress)
        except BatchGone as gone:
            # Resumed after the batch expired: submit its unfinished tasks again, once.
            log.warning("%s; submitting its %d tasks again", gone, len(tasks))
            again = await self._submit(batcher, tasks)
            self.tasks.store.batch_dropped(self.tasks.run_id, self.step.id, part.part)
            await self.tasks.store.flush()
            out: dict[str, ModelResult | ModelTaskFailed] = {}
            for new in again:
                new_tasks = [by_cid[c].task for c in new.custom_ids or []]
                out.update(
                    await batcher.collect_batch(
                        new.batch_id, new_tasks, self._env_for, self._progress
                    )
                )
            return out

    async def _submit(self, batcher: BatchRunner, tasks: list[ModelTask]) -> list[StepBatch]:
        store, run_id = self.tasks.store, self.tasks.run_id
        made: list[StepBatch] = []

        async def noted(batch_id: str, custom_ids: list[str]) -> None:
            part = self._next_part
            self._next_part += 1
            store.batch_submitted(run_id, self.step.id, part, batch_id, custom_ids)
            store.audit(
                run_id,
                self.step.id,
                "*",
                BATCH_EVENT,
                {"batch_id": batch_id, "tasks": len(custom_ids), "part": part},
            )
            await store.flush()  # the id must survive a kill: it is what resume collects
            made.append(StepBatch(part=part, batch_id=batch_id, custom_ids=custom_ids))

        await batcher.submit_batches(tasks, self._env_for, noted)
        return made

    async def _prepare(self, items: list[Item]) -> _Pending | None:
        """Reuse a finished result, or run the analyzer and build the model task."""
        tasks, step = self.tasks, self.step
        key = cache.task_key(items)
        ihash = tasks.task_hash(step, step.agent, items)
        record, cached = await tasks.reuse_result(step.id, key, ihash)
        if record is not None:
            tasks.mark_succeeded(step.id, key, ihash, record, Usage(), cached, self.out)
            return None
        try:
            async with tasks.limiter:
                facts, deps = await tasks.analyze(step.agent, "map", items, [], step)
        except Exception as exc:  # the analyzer failed: this task fails alone
            tasks.mark_failed(step.id, key, ihash, exc)
            return None
        task = tasks.model_task(step.id, key, "map", step.agent, items, [], facts.output)
        return _Pending(key=key, ihash=ihash, items=items, facts=facts, deps=deps, task=task)

    async def _within_budget(self, pending: list[_Pending]) -> list[_Pending]:
        """Only the tasks the budget still covers go into the batch; the rest stop here."""
        tasks = self.tasks
        if not tasks.ledger.has_budget:
            return pending
        kept: list[_Pending] = []
        for p in pending:
            try:  # a prompt that cannot be built fails its own task, not the step
                # Batch prices are half the estimate's ordinary ones: reserving the full price errs safe.
                p.reserved = await tasks.reserve_for(p.task, tasks.agent_env(self.step.id, p.key))
            except Exception as exc:
                tasks.mark_failed(self.step.id, p.key, p.ihash, exc)
                continue
            kept.append(p)
        return kept

    def _progress(self, progress: BatchProgress) -> None:
        tasks = self.tasks
        tasks.store.audit(tasks.run_id, self.step.id, "*", "batch_progress", progress.model_dump())
        self._progress_of[progress.batch_id] = progress
        seen = list(self._progress_of.values())
        done, total = sum(p.done for p in seen), sum(p.total for p in seen)
        succeeded, errored = sum(p.succeeded for p in seen), sum(p.errored for p in seen)
        if len(seen) == 1:
            what = f"batch {progress.batch_id}: {progress.status}"
        else:  # a split step: one line for all its batches
            ended = sum(p.status == "ended" for p in seen)
            what = f"{len(seen)} batches: {ended} ended"
        tasks.emit(
            StepProgress(
                run_id=tasks.run_id,
                step=self.step.id,
                done=done,
                total=total,
                message=f"{what}, {done}/{total} processed "
                f"({succeeded} succeeded, {errored} errored)",
            )
        )

    async def _land(self, p: _Pending, result: ModelResult | ModelTaskFailed) -> None:
        tasks = self.tasks
        if isinstance(result, ModelTaskFailed):
            tasks.mark_failed(self.step.id, p.key, p.ihash, result)
            return
        record = await tasks.remember(
            self.step.id,
            p.key,
            p.ihash,
            p.items,
            p.facts,
            p.deps,
            result.output,
            result.findings,
            result.files_read,
        )
        tasks.mark_succeeded(self.step.id, p.key, p.ihash, record, result.usage, False, self.out)
