"""One task's life inside a run: reuse, analysis, the model agent, the record, the rows.

A task is a map batch, a reduce or a second opinion. `TaskRunner.run_task` takes it from
the cache (or an earlier attempt of a resumed run) when its input hash and the files it
read are unchanged; otherwise it waits for a concurrency slot, runs the step's analyzer on
the run's thread pool, then the model agent when one is configured, under the task's
timeout, and stores the record in the cache with every file it read. Its store rows, its
events and the ledger's counts follow from how it ended: a failed task fails alone, unless
the model API refuses everything (`FatalRunError`).

The batch step (`message_batches.py`) and the second opinion (`second_opinion.py`) use
the same steps one by one; the run (`runner.py`) owns a `TaskRunner` and hands it to
them, so none of them sees the run itself.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from typing import Any, Callable, Literal

from swath.agents.base import AgentEnv, ModelRunner, ModelTask, Tier, ToolCall
from swath.agents.context import task_deadline
from swath.analyzers import registry as analyzers
from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.engine import cache
from swath.engine.channels import Channel
from swath.engine.events import Event, RunPlan, Sink, TaskFinished, TaskStarted
from swath.engine.filememo import FileMemo
from swath.engine.ledger import BudgetExhausted, RunLedger
from swath.engine.partials import Partials, supports
from swath.engine.planner import Planner
from swath.engine.stored import Digests, StoredOutput
from swath.findings.model import Finding
from swath.findings.report import Usage
from swath.spec.models import AgentSpec, Limits, MapStep, ReduceStep, VerifyStep
from swath.spec.records import Item, Record
from swath.store import CacheEntry, RunStore, TaskRow
from swath.store.runs import serialise
from swath.workspace import Workspace

log = logging.getLogger(__name__)


class FatalRunError(RuntimeError):
    """Nothing more can succeed (e.g. the API key was refused): the run stops, results kept."""


def deliver(sink: Sink | None, event: Event) -> None:
    """`event` to the sink, if any; a broken sink must not break the run."""
    if sink is None:  # callers on hot paths check the sink before building events
        return
    try:
        sink(event)
    except Exception:
        log.exception("event sink failed on %s", event.type)


class TaskRunner:
    """The steps of one task of one run, and what they share: the store, the cache, the
    thread pool, the limiter, the ledger and the records' digests."""

    def __init__(
        self,
        *,
        run_id: str,
        workspace: Workspace,
        store: RunStore,
        planner: Planner,
        inputs: dict[str, Any],
        workflow_model: str | None,
        limits: Limits,
        use_cache: bool,
        use_model: bool,
        model_runner: ModelRunner | None,
        limiter: AbstractAsyncContextManager[Any],
        ledger: RunLedger,
        sink: Sink | None,
        findings_so_far: Callable[[], int],
    ) -> None:
        self.run_id = run_id
        self.ws = workspace
        self.store = store
        self.planner = planner
        self.inputs = inputs
        self.workflow_model = workflow_model
        self.limits = limits
        self.use_cache = use_cache
        self.use_model = use_model
        self.model_runner = model_runner
        self.limiter = limiter
        self.ledger = ledger
        self.sink = sink
        self._findings_so_far = findings_so_far  # the run's findings, for progress events
        self.pool = ThreadPoolExecutor(
            max_workers=limits.concurrency, thread_name_prefix="swath-task"
        )
        # Fingerprints and verification, reused while the files they read are unchanged.
        self.memo = FileMemo(workspace, store, self.pool, enabled=use_cache)
        # The steps whose records a verify step checks (directly or through filters): only
        # their findings are handed from identity to verification (filememo `_Handed`).
        self.verified_steps: set[str] = set()
        self.digests = Digests()  # of the records this run holds (engine.stored)
        self._prior: dict[tuple[str, str], TaskRow] = {}
        self._partials: dict[str, Partials] = {}  # reduce steps done by parts, by step id
        self._to_run: dict[str, int] = {}  # map steps' tasks the cache will not serve (plan)

    def planned(self, plan: RunPlan) -> None:
        """The plan's counts: how many of each map step's tasks are not cached."""
        self._to_run = {
            sp.id: sp.agents - sp.cached for sp in plan.steps if sp.kind == "map" and sp.exact
        }

    def resumed(self, prior: dict[tuple[str, str], TaskRow]) -> None:
        """A resumed run: the tasks an earlier attempt finished, reused when unchanged."""
        self._prior = prior

    def emit(self, event: Event) -> None:
        deliver(self.sink, event)

    def close(self) -> None:
        """The run is over: tasks still queued on the thread pool are dropped."""
        self.pool.shutdown(wait=False, cancel_futures=True)

    async def run_task(
        self,
        step: MapStep | ReduceStep | VerifyStep,
        agent: AgentSpec,
        tier: Tier,
        items: list[Item],
        records: list[Record],
        out: Channel,
    ) -> None:
        key = cache.task_key(items) if items else "reduce"
        digests = await self.record_digests(records) if records else None
        ihash = self.planner.task_hash(step, agent, items=items, digests=digests)
        usage = Usage()
        try:
            record, cached = await self.reuse_result(step.id, key, ihash)
            if record is None:
                async with self.limiter:
                    with self.ledger.agent_running():
                        self.mark_started(step.id, key, ihash)
                        async with asyncio.timeout(self.limits.task_timeout_s) as deadline:
                            record, usage = await self._within(
                                deadline.when(), step, agent, tier, key, ihash, items, records
                            )
        except asyncio.CancelledError:
            self.store.task_finished(
                self.run_id, step.id, key, ihash, "cancelled", None, usage, error="cancelled"
            )
            raise
        except (
            Exception
        ) as exc:  # a failed task fails alone (unless the API says nothing can succeed)
            self.mark_failed(step.id, key, ihash, exc)
            return
        self.mark_succeeded(step.id, key, ihash, record, usage, cached, out)

    async def _within(self, deadline: float | None, *args: Any) -> tuple[Record, Usage]:
        """`_perform` with the task's deadline visible to the transport (retry-after)."""
        token = task_deadline.set(deadline)
        try:
            return await self._perform(*args)
        finally:
            task_deadline.reset(token)

    def agent_env(self, step_id: str, key: str) -> AgentEnv:
        return AgentEnv(
            workspace=self.ws,
            audit=lambda call: self._audit_tool(step_id, key, call),
            on_pushback=self._pushback,
            on_usage=self._live_usage,
        )

    def model_task(
        self,
        step_id: str,
        key: str,
        tier: Tier,
        agent: AgentSpec,
        items: list[Item],
        records: list[Record],
        facts: Any,
    ) -> ModelTask:
        return ModelTask(
            run_id=self.run_id,
            step_id=step_id,
            task_key=key,
            tier=tier,
            agent=agent,
            workflow_model=self.workflow_model,
            items=items,
            records=records,
            facts=facts,
            inputs=self.inputs,
        )

    async def analyze(
        self,
        agent: AgentSpec,
        tier: Tier,
        items: list[Item],
        records: list[Record],
        step: MapStep | ReduceStep | VerifyStep | None = None,
    ) -> tuple[AnalyzerOutput, dict[str, str]]:
        """The step's analyzer on a worker thread, with the hashes of the files the task reads.
        A map step over a discovered source tells the analyzer all its items (`step_items`)."""
        loop = asyncio.get_running_loop()
        item_files = [f for i in items for f in i.files]
        if not agent.analyzer:
            return AnalyzerOutput(), await loop.run_in_executor(
                self.pool, cache.file_deps, self.ws, item_files
            )
        analyzer = analyzers.get(agent.analyzer)
        from_ = getattr(step, "from_", None) if tier == "map" else None
        ctx = AnalyzerContext(
            workspace=self.ws,
            inputs=self.inputs,
            params=agent.params,
            step_items=self.planner.discovered.get(from_, []) if isinstance(from_, str) else [],
            tasks_to_run=self._to_run.get(step.id) if tier == "map" and step else None,
            today=self.planner.today,
            # As `_perform` decides whether the model runs (skip_model aside), and as the
            # task's input hash has it: a model run never reuses an output made without.
            for_model=self.use_model and bool(agent.instructions),
        )
        return await loop.run_in_executor(
            self.pool, _analyze_hashing, self.ws, analyzer, tier, items, records, ctx, item_files
        )

    def partials_for(self, step: ReduceStep) -> Partials | None:
        """The contributions of a reduce step whose analyzer splits into `partial` and
        `combine` (engine.partials), over one upstream step (its records' keys are unique,
        so their order needs no output); None for any other reduce."""
        agent = step.agent
        if not agent.analyzer or not isinstance(step.from_, str):
            return None
        analyzer = analyzers.get(agent.analyzer)
        if not supports(analyzer):
            return None
        parts = Partials(
            analyzer,
            AnalyzerContext(
                workspace=self.ws, inputs=self.inputs, params=agent.params, today=self.planner.today
            ),
            self.store,
            self.pool,
            self.digests,
            self.resolve,
            enabled=self.use_cache,
        )
        self._partials[step.id] = parts
        return parts

    async def _combine(
        self, parts: Partials, step_id: str, key: str, records: list[Record]
    ) -> tuple[AnalyzerOutput, dict[str, str]]:
        """The reduce from its records' contributions, each drawn once (engine.partials)."""
        contributions = await parts.gather(records, await self.record_digests(records))
        loop = asyncio.get_running_loop()
        out = await loop.run_in_executor(
            self.pool, parts.analyzer.combine, contributions, parts.combine_context()
        )
        self.store.audit(self.run_id, step_id, key, "reduce_partials", parts.counts())
        return out, {}

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
    ) -> Record:
        """The task's record, put in the cache with everything it read."""
        loop = asyncio.get_running_loop()
        findings = [*facts.findings, *(model_findings or [])]
        # The record's now: each finding is let go as its identified copy is made, not held
        # beside it (a map's thousands of lenses were there twice at its memory peak).
        facts.findings.clear()
        findings = await self.memo.identify(
            findings, facts.identified, hand_over=step_id in self.verified_steps
        )
        record = Record(
            step=step_id,
            key=key,
            items=items,
            output=facts.output,
            judgement=judgement,
            findings=findings,
        )
        extra = [p for p in [*facts.files_read, *(model_reads or [])] if p not in deps]
        if extra:
            deps = {
                **deps,
                **await loop.run_in_executor(self.pool, cache.file_deps, self.ws, extra),
            }
        entry = CacheEntry(deps=deps, record=record)
        if judgement is not None or model_findings:
            # Serialised on the store's thread (no await between a model's answer and its
            # task row: a run stopped meanwhile would lose an answer it paid for).
            self.store.cache_put(ihash, entry)
            return record
        # Serialised here, once: its digest is then known to the steps downstream (a reduce
        # keys on it), which otherwise serialised the record again to learn it.
        serialised = await loop.run_in_executor(self.pool, serialise, record)
        self.digests.note(record, serialised.digest)
        self.store.cache_put(ihash, entry, serialised)
        self.store.dumped(self.run_id, record.findings, serialised.findings)
        return record

    async def reserve_for(self, task: ModelTask, env: AgentEnv) -> float:
        """Claim the budget the model agent's estimate needs (to `ledger.release` after it
        ends), or raise BudgetExhausted; without a budget, nothing is estimated."""
        runner = self.model_runner
        if not self.ledger.has_budget or runner is None:
            return 0.0
        return self.ledger.reserve((await runner.estimate(task, env)).cost_usd)

    def task_hash(
        self, step: MapStep | ReduceStep | VerifyStep, agent: AgentSpec, items: list[Item]
    ) -> str:
        """The input hash a map task's result is stored and reused under (see `cache.py`)."""
        return self.planner.task_hash(step, agent, items=items)

    def drop_finding(self, step_id: str, key: str, finding: Finding, reason: str) -> None:
        """A finding a later check rejected: counted, and the reason kept in the audit log."""
        self.ledger.verified(1, 0)
        self.audit_drop(step_id, key, finding, reason)

    def audit_drop(self, step_id: str, key: str, finding: Finding, reason: str) -> None:
        self.store.audit(
            self.run_id,
            step_id,
            key,
            "finding_dropped",
            {"rule": finding.rule, "path": finding.path, "reason": reason},
        )

    def mark_started(self, step_id: str, key: str, ihash: str) -> None:
        self.store.task_started(self.run_id, step_id, key, ihash)
        if self.sink is not None:
            self.emit(TaskStarted(run_id=self.run_id, step=step_id, key=key))

    def mark_succeeded(
        self,
        step_id: str,
        key: str,
        ihash: str,
        record: Record,
        usage: Usage,
        cached: bool,
        out: Channel,
    ) -> None:
        self.ledger.succeeded(step_id, cached)
        if (step_id, key) not in self._prior:  # a resumed task's row is already final
            self.store.task_finished(
                self.run_id,
                step_id,
                key,
                ihash,
                "succeeded",
                record,
                usage,
                cached=cached,
                record_hash=self.digests.get(record),  # stored already: no copy, no serialising
            )
        out.publish(record)
        if self.sink is not None:
            self.emit(
                self._finished_event(
                    step_id, key, "succeeded", cached, None, len(record.findings), usage
                )
            )

    def mark_failed(self, step_id: str, key: str, ihash: str, exc: BaseException) -> None:
        usage = getattr(exc, "usage", None) or Usage()
        if isinstance(exc, BudgetExhausted):
            self.ledger.budget_stop()
            self.store.task_finished(
                self.run_id, step_id, key, ihash, "cancelled", None, usage, error=str(exc)
            )
            return
        if isinstance(exc, TimeoutError):
            error = f"timed out after {self.limits.task_timeout_s:g}s"
        else:
            error = f"{type(exc).__name__}: {exc}"
        fatal = bool(getattr(exc, "fatal", False))
        # A fatal error is the run's one message (execute() adds it), not also a task's.
        self.ledger.failed(step_id, None if fatal else f"{step_id}/{key}: {error}")
        self.store.task_finished(
            self.run_id,
            step_id,
            key,
            ihash,
            "failed",
            None,
            usage,
            error=error,
            raw=getattr(exc, "raw", None),
        )
        self.emit(self._finished_event(step_id, key, "failed", False, error, 0, usage))
        if fatal:
            # The spend cap, 401/402/403/404: no other agent can succeed either; stop instead
            # of failing 1,000 times. Tasks in flight that see the same error raise it too;
            # only the first reaches the report (execute() takes the group's first error).
            raise self.fatal_stop(str(exc)) from exc

    def fatal_stop(self, cause: str) -> FatalRunError:
        """The run's one message when the API refuses everything (bad key, spend cap, ...)."""
        return FatalRunError(
            f"the model API refused the run: {cause.rstrip('.')}; finished tasks are "
            f"kept, and after the fix `swath resume {self.run_id}` runs the rest"
        )

    def _finished_event(
        self,
        step: str,
        key: str,
        status: Literal["succeeded", "failed", "cancelled"],
        cached: bool,
        error: str | None,
        findings: int,
        usage: Usage,
    ) -> TaskFinished:
        return TaskFinished(
            run_id=self.run_id,
            step=step,
            key=key,
            status=status,
            cached=cached,
            error=error,
            findings=findings,
            usage=usage,
            done=self.ledger.done,
            total=self.ledger.total,
            agents=self.ledger.counts,
            run_usage=self.ledger.usage,
            run_findings=self._findings_so_far(),
        )

    async def reuse_result(self, step_id: str, key: str, ihash: str) -> tuple[Record | None, bool]:
        """A finished result of this run (resume) or of an earlier run (cache)."""
        prior = self._prior.get((step_id, key))
        if prior is not None and prior.input_hash == ihash and prior.record is not None:
            return prior.record, True
        self._prior.pop((step_id, key), None)  # stale: its inputs changed since
        if not self.use_cache:
            return None, False
        entry = await self.store.cache_get(ihash, head=True)
        if entry is None:
            return None, False
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(self.pool, cache.deps_unchanged, self.ws, entry.deps):
            return None, False
        self.store.cache_hit(ihash)
        record = entry.record
        if (record.step, record.key) != (step_id, key):  # not the record the digest names
            if entry.output_stored:
                record = record.model_copy(
                    update={
                        "output": (await self.store.record_outputs([entry.digest]))[entry.digest]
                    }
                )
            return record.model_copy(update={"step": step_id, "key": key}), True
        if entry.output_stored:  # left in the store until something reads it (engine.stored)
            record = record.model_copy(update={"output": StoredOutput(entry.digest)})
        self.digests.note(record, entry.digest)
        return record, True

    async def resolve(self, records: list[Record]) -> list[Record]:
        """`records` with every output left in the store loaded (engine.stored)."""
        stored = [r.output.digest for r in records if isinstance(r.output, StoredOutput)]
        if not stored:
            return records
        outputs = await self.store.record_outputs(stored)
        out = []
        for r in records:
            if isinstance(r.output, StoredOutput):
                loaded = r.model_copy(update={"output": outputs[r.output.digest]})
                digest = self.digests.get(r)
                if digest is not None:  # the same record, its output in hand
                    self.digests.note(loaded, digest)
                r = loaded
            out.append(r)
        return out

    async def record_digests(self, records: list[Record]) -> list[str]:
        """Each record's digest: noted when it was made or read from the store, else
        computed from its JSON (on a worker thread: records can be megabytes)."""
        loop = asyncio.get_running_loop()
        digests = []
        for r in records:
            d = self.digests.get(r)
            if d is None:  # e.g. a verify step's copy: other findings, so another digest
                (loaded,) = await self.resolve([r])
                d = await loop.run_in_executor(self.pool, cache.record_digest, loaded)
                self.digests.note(r, d)
            digests.append(d)
        return digests

    async def _perform(
        self,
        step: MapStep | ReduceStep | VerifyStep,
        agent: AgentSpec,
        tier: Tier,
        key: str,
        ihash: str,
        items: list[Item],
        records: list[Record],
    ) -> tuple[Record, Usage]:
        parts = self._partials.get(step.id) if tier == "reduce" else None
        if parts is not None:  # the analyzer reads the records' contributions, not outputs
            facts, deps = await self._combine(parts, step.id, key, records)
        else:
            records = await self.resolve(records)  # the analyzer reads outputs
            facts, deps = await self.analyze(agent, tier, items, records, step)
        if not (self.use_model and agent.instructions) or facts.skip_model:
            return await self.remember(step.id, key, ihash, items, facts, deps), Usage()
        records = await self.resolve(records)  # the model reads them too
        runner = self.model_runner
        assert runner is not None
        task = self.model_task(step.id, key, tier, agent, items, records, facts.output)
        env = self.agent_env(step.id, key)
        reserved = await self.reserve_for(task, env)
        try:
            result = await runner.run(task, env)
        finally:
            self.ledger.release(reserved)
        judgement = result.output
        check = (
            getattr(analyzers.get(agent.analyzer), "check_judgement", None)
            if agent.analyzer
            else None
        )
        if check is not None:  # the analyzer holds the model's claims against its facts
            loop = asyncio.get_running_loop()
            judgement = await loop.run_in_executor(
                self.pool, check, judgement, facts.output, records
            )
        record = await self.remember(
            step.id,
            key,
            ihash,
            items,
            facts,
            deps,
            judgement,
            result.findings,
            result.files_read,
        )
        return record, result.usage

    def _audit_tool(self, step_id: str, key: str, call: ToolCall) -> None:
        self.store.audit(self.run_id, step_id, key, "tool_call", call.model_dump(mode="json"))

    def _pushback(self, retry_after: float) -> None:
        hook = getattr(self.limiter, "on_pushback", None)
        if hook is not None:
            hook(retry_after)

    def _live_usage(self, usage: Usage) -> None:
        self.ledger.spent(usage)


def _analyze_hashing(
    ws: Workspace,
    analyzer: Any,
    tier: str,
    items: list[Item],
    records: list[Record],
    ctx: AnalyzerContext,
    paths: list[str],
) -> tuple[AnalyzerOutput, dict[str, str]]:
    """One trip to a worker thread: hash what the task reads, then analyze it.

    Hashing first means a file edited during the analysis makes the cached result look
    stale (re-run next time) rather than fresh.
    """
    deps = cache.file_deps(ws, paths)
    out = analyzer.reduce(records, ctx) if tier == "reduce" else analyzer.analyze(items, ctx)
    return out, deps
