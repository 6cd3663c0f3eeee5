"""`--batch`: a map step's model tasks submitted as one Message Batch, at half the price.

The analyzers still run first (their facts ground the model). The batch id is written to
the run's audit log before any polling, so `swath resume` after a kill collects the same
batch instead of paying for a second one; results land in the store like any task's.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from swath.agents.base import ModelResult, ModelTask, ModelTaskFailed
from swath.agents.batch import BatchGone, BatchProgress, BatchRunner
from swath.analyzers.base import AnalyzerOutput
from swath.engine import cache
from swath.engine.events import StepProgress
from swath.findings.report import Usage
from swath.spec.models import MapStep
from swath.spec.records import Item

if TYPE_CHECKING:
    from swath.engine.channels import Channel
    from swath.engine.runner import _Run

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
    def __init__(self, run: "_Run", step: MapStep, out: "Channel") -> None:
        self.run = run
        self.step = step
        self.out = out

    async def execute(self, batches: list[list[Item]]) -> None:
        pending = [
            p for p in await asyncio.gather(*(self._prepare(b) for b in batches)) if p is not None
        ]
        pending = await self._within_budget(pending)
        if not pending:
            return
        run = self.run
        runner = run.engine.model_runner
        assert runner is not None
        batcher = BatchRunner(runner, poll_interval_s=run.options.batch_poll_s)  # type: ignore[arg-type]
        tasks = [p.task for p in pending]
        env_for = lambda t: run.agent_env(self.step.id, t.task_key)  # noqa: E731
        batch_id = await run.store.batch_id(run.run_id, self.step.id)
        if batch_id is None:
            for p in pending:
                run.mark_started(self.step.id, p.key, p.ihash)
            batch_id = await self._submit(batcher, tasks, env_for)
        try:
            try:
                results = await batcher.collect_batch(batch_id, tasks, env_for, self._progress)
            except BatchGone as gone:
                # Resumed after the batch expired: submit the unfinished tasks again, once.
                log.warning("%s; submitting the step's %d tasks again", gone, len(tasks))
                batch_id = await self._submit(batcher, tasks, env_for)
                results = await batcher.collect_batch(batch_id, tasks, env_for, self._progress)
        finally:
            for p in pending:
                run.inflight_cost -= p.reserved
        for p in pending:
            await self._land(p, results.get(p.key) or ModelTaskFailed("no result in the batch"))

    async def _submit(
        self, batcher: BatchRunner, tasks: list[ModelTask], env_for: Any
    ) -> str | None:
        run = self.run
        batch_id = await batcher.submit_batch(tasks, env_for)
        if batch_id is not None:
            run.store.audit(
                run.run_id,
                self.step.id,
                "*",
                BATCH_EVENT,
                {"batch_id": batch_id, "tasks": len(tasks)},
            )
            await run.store.flush()  # the id must survive a kill: it is what resume collects
        return batch_id

    async def _prepare(self, items: list[Item]) -> _Pending | None:
        """Reuse a finished result, or run the analyzer and build the model task."""
        run, step = self.run, self.step
        key = cache.task_key(items)
        ihash = run.planner.task_hash(step, step.agent, items=items, records=[])
        record, cached = await run.reuse_result(step.id, key, ihash)
        if record is not None:
            run.mark_succeeded(step.id, key, ihash, record, Usage(), cached, self.out)
            return None
        try:
            async with run.limiter:
                facts, deps = await run.analyze(step.agent, "map", items, [])
        except Exception as exc:  # the analyzer failed: this task fails alone
            run.mark_failed(step.id, key, ihash, exc)
            return None
        task = run.model_task(step.id, key, "map", step.agent, items, [], facts.output)
        return _Pending(key=key, ihash=ihash, items=items, facts=facts, deps=deps, task=task)

    async def _within_budget(self, pending: list[_Pending]) -> list[_Pending]:
        """Only the tasks the budget still covers go into the batch; the rest stop here."""
        run = self.run
        runner = run.engine.model_runner
        if run.limits.budget_usd is None or runner is None:
            return pending
        kept: list[_Pending] = []
        for p in pending:
            try:  # a prompt that cannot be built fails its own task, not the step
                estimate = await runner.estimate(p.task, run.agent_env(self.step.id, p.key))
                # Batch prices are half the estimate's ordinary ones: reserving the full price errs safe.
                p.reserved = run.reserve_budget(estimate.cost_usd)
            except Exception as exc:
                run.mark_failed(self.step.id, p.key, p.ihash, exc)
                continue
            kept.append(p)
        return kept

    def _progress(self, progress: BatchProgress) -> None:
        run = self.run
        run.store.audit(run.run_id, self.step.id, "*", "batch_progress", progress.model_dump())
        run.emit(
            StepProgress(
                run_id=run.run_id,
                step=self.step.id,
                done=progress.done,
                total=progress.total,
                message=f"batch {progress.batch_id}: {progress.status}, {progress.done}/{progress.total} processed "
                f"({progress.succeeded} succeeded, {progress.errored} errored)",
            )
        )

    async def _land(self, p: _Pending, result: ModelResult | ModelTaskFailed) -> None:
        run = self.run
        if isinstance(result, ModelTaskFailed):
            run.mark_failed(self.step.id, p.key, p.ihash, result)
            return
        record = await run.remember(
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
        run.mark_succeeded(self.step.id, p.key, p.ihash, record, result.usage, False, self.out)
