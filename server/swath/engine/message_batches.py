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
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import anthropic

from swath.agents.base import AgentEnv, ModelResult, ModelRunner, ModelTask, ModelTaskFailed
from swath.agents.batch import BatchGone, BatchLimits, BatchProgress, BatchRunner, custom_id_for
from swath.agents.errors import FatalAPIError, classify
from swath.analyzers.base import AnalyzerOutput
from swath.engine import cache
from swath.engine.channels import Channel
from swath.engine.events import Event, StepProgress
from swath.engine.ledger import RunLedger
from swath.findings.model import Finding
from swath.findings.report import Usage
from swath.spec.models import AgentSpec, MapStep
from swath.spec.records import Item, Record
from swath.store import RunStore, StepBatch

log = logging.getLogger(__name__)

BATCH_EVENT = "batch_submitted"


class BatchHost(Protocol):
    """What a batch step asks of the run it belongs to: a task's life (reuse, analysis,
    the model task, the record, the store rows and events) and its budget; nothing else."""

    @property
    def run_id(self) -> str: ...
    @property
    def store(self) -> RunStore: ...
    @property
    def ledger(self) -> RunLedger: ...
    @property
    def limiter(self) -> AbstractAsyncContextManager[Any]: ...

    def emit(self, event: Event) -> None: ...
    def task_hash(self, step: Any, agent: AgentSpec, items: list[Item]) -> str: ...
    async def reuse_result(
        self, step_id: str, key: str, ihash: str
    ) -> tuple[Record | None, bool]: ...
    async def analyze(
        self,
        agent: AgentSpec,
        tier: str,
        items: list[Item],
        records: list[Record],
        step: Any = None,
    ) -> tuple[AnalyzerOutput, dict[str, str]]: ...
    def model_task(
        self,
        step_id: str,
        key: str,
        tier: str,
        agent: AgentSpec,
        items: list[Item],
        records: list[Record],
        facts: Any,
    ) -> ModelTask: ...
    def agent_env(self, step_id: str, key: str) -> AgentEnv: ...
    async def reserve_for(self, task: ModelTask, env: AgentEnv) -> float: ...
    async def remember(
        self,
        step_id: str,
        key: str,
        ihash: str,
        items: list[Item],
        facts: AnalyzerOutput,
        deps: dict[str, str],
        judgement: Any = None,
        model_findings: list[Finding] | None = None,
        model_reads: list[str] | None = None,
    ) -> Record: ...
    def mark_started(self, step_id: str, key: str, ihash: str) -> None: ...
    def mark_succeeded(
        self,
        step_id: str,
        key: str,
        ihash: str,
        record: Record,
        usage: Usage,
        cached: bool,
        out: Channel,
    ) -> None: ...
    def mark_failed(self, step_id: str, key: str, ihash: str, exc: BaseException) -> None: ...
    def fatal_stop(self, cause: str) -> Exception: ...


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
        run: BatchHost,
        step: MapStep,
        out: Channel,
        runner: ModelRunner,
        *,
        poll_interval_s: float,
        limits: BatchLimits | None,
    ) -> None:
        self.run = run
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
        run = self.run
        batcher = BatchRunner(
            self.runner,  # type: ignore[arg-type]
            poll_interval_s=self.poll_interval_s,
            limits=self.limits,
        )
        by_cid = {custom_id_for(p.key): p for p in pending}
        parts = await run.store.step_batches(run.run_id, self.step.id)
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
                        run.mark_started(self.step.id, p.key, p.ihash)
                    parts += await self._submit(batcher, [p.task for p in fresh])
                collected = await asyncio.gather(
                    *(self._collect(batcher, part, by_cid) for part in parts)
                )
        finally:
            for p in pending:
                run.ledger.release(p.reserved)
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
            for part in await run.store.step_batches(run.run_id, self.step.id):
                run.store.batch_dropped(run.run_id, self.step.id, part.part)
            await run.store.flush()
            raise run.fatal_stop(str(fatal))

    @contextmanager
    def _fatal_stops_the_run(self) -> Iterator[None]:
        """An error no retry can fix on a batch call (a refused key, the spend cap) stops the
        run with the same one message a task's call gives, not a traceback; the batches
        already created are noted, so resume collects them."""
        try:
            yield
        except FatalAPIError as exc:  # the spend cap, raised by the transport: never retried
            raise self.run.fatal_stop(f"API error {exc.status}: {exc}") from exc
        except anthropic.APIStatusError as exc:
            verdict = classify(exc.status_code, exc.body)
            if not verdict.fatal:
                raise
            raise self.run.fatal_stop(f"API error {exc.status_code}: {verdict.reason}") from exc

    def _env_for(self, task: ModelTask) -> Any:
        return self.run.agent_env(self.step.id, task.task_key)

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
            self.run.store.batch_dropped(self.run.run_id, self.step.id, part.part)
            await self.run.store.flush()
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
        run = self.run
        made: list[StepBatch] = []

        async def noted(batch_id: str, custom_ids: list[str]) -> None:
            part = self._next_part
            self._next_part += 1
            run.store.batch_submitted(run.run_id, self.step.id, part, batch_id, custom_ids)
            run.store.audit(
                run.run_id,
                self.step.id,
                "*",
                BATCH_EVENT,
                {"batch_id": batch_id, "tasks": len(custom_ids), "part": part},
            )
            await run.store.flush()  # the id must survive a kill: it is what resume collects
            made.append(StepBatch(part=part, batch_id=batch_id, custom_ids=custom_ids))

        await batcher.submit_batches(tasks, self._env_for, noted)
        return made

    async def _prepare(self, items: list[Item]) -> _Pending | None:
        """Reuse a finished result, or run the analyzer and build the model task."""
        run, step = self.run, self.step
        key = cache.task_key(items)
        ihash = run.task_hash(step, step.agent, items)
        record, cached = await run.reuse_result(step.id, key, ihash)
        if record is not None:
            run.mark_succeeded(step.id, key, ihash, record, Usage(), cached, self.out)
            return None
        try:
            async with run.limiter:
                facts, deps = await run.analyze(step.agent, "map", items, [], step)
        except Exception as exc:  # the analyzer failed: this task fails alone
            run.mark_failed(step.id, key, ihash, exc)
            return None
        task = run.model_task(step.id, key, "map", step.agent, items, [], facts.output)
        return _Pending(key=key, ihash=ihash, items=items, facts=facts, deps=deps, task=task)

    async def _within_budget(self, pending: list[_Pending]) -> list[_Pending]:
        """Only the tasks the budget still covers go into the batch; the rest stop here."""
        run = self.run
        if not run.ledger.has_budget:
            return pending
        kept: list[_Pending] = []
        for p in pending:
            try:  # a prompt that cannot be built fails its own task, not the step
                # Batch prices are half the estimate's ordinary ones: reserving the full price errs safe.
                p.reserved = await run.reserve_for(p.task, run.agent_env(self.step.id, p.key))
            except Exception as exc:
                run.mark_failed(self.step.id, p.key, p.ihash, exc)
                continue
            kept.append(p)
        return kept

    def _progress(self, progress: BatchProgress) -> None:
        run = self.run
        run.store.audit(run.run_id, self.step.id, "*", "batch_progress", progress.model_dump())
        self._progress_of[progress.batch_id] = progress
        seen = list(self._progress_of.values())
        done, total = sum(p.done for p in seen), sum(p.total for p in seen)
        succeeded, errored = sum(p.succeeded for p in seen), sum(p.errored for p in seen)
        if len(seen) == 1:
            what = f"batch {progress.batch_id}: {progress.status}"
        else:  # a split step: one line for all its batches
            ended = sum(p.status == "ended" for p in seen)
            what = f"{len(seen)} batches: {ended} ended"
        run.emit(
            StepProgress(
                run_id=run.run_id,
                step=self.step.id,
                done=done,
                total=total,
                message=f"{what}, {done}/{total} processed "
                f"({succeeded} succeeded, {errored} errored)",
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
