"""The engine: runs a workflow's step DAG under limits and streams events.

Shape of a run: every `discover` step runs first (cheap, no agents) so the plan — and
the total-agent cap — is known before anything starts. Then every other step runs as its
own coroutine, connected by channels; `map` starts agents as upstream records arrive,
`reduce` waits for all of them. Tasks write to the store as they finish, so a killed run
keeps every finished result and `resume` repeats only what had not finished.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import secrets
from datetime import datetime, timezone
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Callable

from swath.agents.base import ModelRunner
from swath.agents.config import ModelConfig
from swath.agents.limiter import AdaptiveLimiter
from swath.agents.policy import Policy
from swath.analyzers import registry as analyzers
from swath import arenas
from swath.engine.channels import Channel, Inbox, Keep
from swath.engine.events import (
    Event,
    FindingsEmitted,
    RunFinished,
    RunPlan,
    RunStarted,
    Sink,
    StepFinished,
)
from swath.engine.governance import PolicyRefused, enforce_policy, governed_limits
from swath.engine.inputs import resolve_inputs
from swath.engine.ledger import RunLedger
from swath.engine.options import EngineError, PlanRefused, RunOptions
from swath.engine.planner import Planner, batches_of, leaf_steps
from swath.engine.second_opinion import SecondOpinion
from swath.engine.stored import Digests
from swath.engine.tasks import FatalRunError, TaskRunner, deliver
from swath.engine.verify import EvidenceVerifier
from swath.findings.model import Finding
from swath.findings.report import RuleInfo, RunReport
from swath.findings.render_text import finding_sort_key
from swath.spec.loader import step_order
from swath.spec.models import (
    AgentSpec,
    DiscoverStep,
    EmitStep,
    FilterStep,
    Limits,
    MapStep,
    ReduceStep,
    Step,
    VerifyStep,
    Workflow,
)
from swath.spec.records import Item, Record
from swath.spec.templates import compile_expression
from swath.store import RunStore
from swath.workspace import Workspace

if TYPE_CHECKING:  # the batch module imports the Anthropic SDK: only when batch mode runs
    from swath.agents.batch import BatchLimits

log = logging.getLogger(__name__)


def new_run_id() -> str:
    # Sortable by time, unique enough for one workspace, short enough to type.
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _json_safe(inputs: dict[str, Any]) -> dict[str, Any]:
    """The run's inputs as JSON values (a date input becomes its ISO text)."""
    return {
        k: v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)
        for k, v in inputs.items()
    }


class Engine:
    """One engine per workspace; both front ends drive it through `plan` and `run`."""

    def __init__(
        self,
        workspace: Workspace,
        store: RunStore,
        model_runner: ModelRunner | None = None,
        limiter_factory: Callable[[int], AbstractAsyncContextManager[Any]] | None = None,
        policy: Policy | None = None,
        model_config: ModelConfig | None = None,
        batch_limits: BatchLimits | None = None,
    ) -> None:
        arenas.limit()  # before the run's threads make arenas of their own (swath.arenas)
        self.workspace = workspace
        self.store = store
        self.model_runner = model_runner
        self.policy = policy
        self.model_config = model_config
        # Where `--batch` splits a step into several Message Batches (None: the API's limits).
        self.batch_limits = batch_limits
        self.limiter_factory = limiter_factory or (lambda n: AdaptiveLimiter(n))
        self._hashes_known = False  # the store's file hashes handed to the workspace

    def use_model(self, options: RunOptions) -> bool:
        if options.engine == "static":
            return False
        if options.engine == "model" and self.model_runner is None:
            raise EngineError(
                "--engine model needs a model: set ANTHROPIC_API_KEY (or the configured variable), "
                "or use --engine static"
            )
        return self.model_runner is not None

    async def _know_hashes(self, options: RunOptions) -> None:
        """Checking a cached result hashes every file it read: the hashes an earlier process
        took (the store's) stand for every file whose stat has not changed since."""
        if options.use_cache and not self._hashes_known:
            self.workspace.known_hashes(await self.store.file_hashes(str(self.workspace.root)))
            self._hashes_known = True

    async def plan(self, workflow: Workflow, options: RunOptions) -> RunPlan:
        await self._know_hashes(options)  # the plan counts the cached tasks
        inputs = resolve_inputs(workflow, options.inputs)
        limits = governed_limits(workflow, options, self.policy)
        planner = Planner(self, workflow, options, inputs, limits)
        await planner.discover()
        plan = await planner.plan()
        try:
            enforce_policy(
                self.policy, workflow, limits, self.model_config, self.use_model(options)
            )
        except PolicyRefused as exc:
            plan.policy_violations = str(exc).splitlines()[1:]
        return plan

    async def run(
        self,
        workflow: Workflow,
        options: RunOptions,
        sink: Sink | None = None,
        cancel: asyncio.Event | None = None,
    ) -> RunReport:
        """Run to the end (or cancellation) and return the report; never loses finished work."""
        inputs = resolve_inputs(workflow, options.inputs)
        limits = governed_limits(workflow, options, self.policy)
        enforce_policy(self.policy, workflow, limits, self.model_config, self.use_model(options))
        if options.resume and options.run_id:
            # Before any work, and before anything waits for the store's write lock, which
            # a live owner may hold (`swath resume` beside a run stopped inside a write).
            await self.store.check_lease(options.run_id)
        await self._know_hashes(options)
        planner = Planner(self, workflow, options, inputs, limits)
        await planner.discover()
        plan = await planner.plan()
        if plan.total_agents > limits.max_agents:
            raise PlanRefused(
                f"workflow {workflow.name!r} needs {plan.total_agents} agents, more than the limit of "
                f"{limits.max_agents}; narrow the paths, raise --max-agents, or batch more items per agent"
            )
        run = _Run(self, workflow, options, inputs, limits, planner, sink)
        return await run.execute(plan, cancel)


class _Run:
    def __init__(
        self,
        engine: Engine,
        workflow: Workflow,
        options: RunOptions,
        inputs: dict[str, Any],
        limits: Limits,
        planner: Planner,
        sink: Sink | None,
    ) -> None:
        self.engine = engine
        self.ws = engine.workspace
        self.store = engine.store
        self.workflow = workflow
        self.options = options
        self.inputs = inputs
        self.planner = planner
        self.sink = sink
        self.run_id = options.run_id or new_run_id()
        self.use_model = engine.use_model(options)
        keep = _kept(workflow)
        self.channels = {s.id: Channel(s.id, keep.get(s.id, "count")) for s in workflow.steps}
        self.ledger = RunLedger(limits.budget_usd)
        self.final: dict[str, Finding] = {}
        self.tasks = TaskRunner(
            run_id=self.run_id,
            workspace=self.ws,
            store=self.store,
            planner=planner,
            inputs=inputs,
            workflow_model=workflow.model,
            limits=limits,
            use_cache=options.use_cache,
            use_model=self.use_model,
            model_runner=engine.model_runner,
            limiter=engine.limiter_factory(limits.concurrency),
            ledger=self.ledger,
            sink=sink,
            findings_so_far=lambda: len(self.final),
        )
        self.tasks.verified_steps = _verified_steps(workflow)
        self._verifying = sum(isinstance(s, VerifyStep) for s in workflow.steps)
        self.rules: dict[str, RuleInfo] = {}
        self._declare_rules()
        self.started_at = _now_iso()

    def _declare_rules(self) -> None:
        """Every rule the workflow's analyzers can report, known before any task runs: a run
        served from the cache (where no analyzer runs) describes its rules all the same."""
        for step in self.workflow.steps:
            agent = getattr(step, "agent", None)
            name = getattr(agent, "analyzer", None)
            if not name:
                continue
            try:
                analyzer = analyzers.get(name)
            except Exception:  # an unknown analyzer fails its task, with its own message
                continue
            for rule in getattr(analyzer, "rules", []) or []:
                self.rules.setdefault(rule.id, rule)

    # -- events ------------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        deliver(self.sink, event)

    # -- the run -------------------------------------------------------------------------
    async def execute(self, plan: RunPlan, cancel: asyncio.Event | None) -> RunReport:
        self.ledger.planned(plan.total_agents)
        self.tasks.planned(plan)
        await self._open_run()
        heartbeat = self.store.start_heartbeat(self.run_id)
        self.emit(RunStarted(run_id=self.run_id, workflow=self.workflow.name, plan=plan))
        work = asyncio.create_task(self._steps(), name=f"swath-run-{self.run_id}")
        waiter = asyncio.create_task((cancel or asyncio.Event()).wait())
        cancelled = False
        try:
            await asyncio.wait({work, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                cancelled = True
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
            elif work.exception() is not None:
                raise work.exception()  # type: ignore[misc]
        except (
            asyncio.CancelledError
        ):  # our caller was cancelled (Ctrl-C, editor gone): keep what finished
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
            await self._finish(cancelled=True)
            raise
        except (
            Exception
        ) as exc:  # a bug, a broken step or a fatal API error: the run fails, finished work stays
            root = _root_cause(exc)
            if not isinstance(root, FatalRunError):
                log.exception("run %s failed", self.run_id)
            self.ledger.error(
                str(root) if isinstance(root, FatalRunError) else f"{type(root).__name__}: {root}"
            )
            return await self._finish(failed=True)
        finally:
            waiter.cancel()
            self.tasks.close()
            heartbeat.stop()
        return await self._finish(cancelled=cancelled)

    async def _open_run(self) -> None:
        if self.options.resume:
            await self.store.reopen_run(self.run_id)  # RunLeased while another process runs it
            self.tasks.resumed(await self.store.finished_tasks(self.run_id))
            self.ledger.resumed(await self.store.spent(self.run_id))
            return
        await self.store.create_run(
            self.run_id,
            self.workflow.name,
            self.workflow.model_dump(mode="json", by_alias=True),
            self.inputs,
            self.options.paths,
            self.options.engine,
            self.started_at,
            options=self.options.model_dump(mode="json", exclude={"run_id", "resume"}),
        )

    async def _steps(self) -> None:
        order = step_order(self.workflow)
        # Subscribe every inbox before any step publishes, so no record is missed.
        runners = [self._step_coro(self.workflow.step(sid)) for sid in order]
        async with asyncio.TaskGroup() as tg:
            for sid, coro in zip(order, runners, strict=True):
                tg.create_task(coro, name=f"swath-step-{sid}")

    def _step_coro(self, step: Step) -> Coroutine[Any, Any, None]:
        if isinstance(step, DiscoverStep):
            return self._discover(step)
        inbox = Inbox([self.channels[s] for s in _from(step)])
        if isinstance(step, MapStep):
            return self._map(step, inbox)
        if isinstance(step, FilterStep):
            return self._filter(step, inbox)
        if isinstance(step, VerifyStep):
            return self._verify(step, inbox)
        if isinstance(step, ReduceStep):
            return self._reduce(step, inbox)
        if isinstance(step, EmitStep):
            return self._emit_step(step, inbox)
        raise EngineError(f"step {step.id}: unknown kind")

    async def _wait_needs(self, step: Step) -> None:
        for dep in step.needs:
            await self.channels[dep].done.wait()

    def _close(self, step_id: str) -> None:
        ch = self.channels[step_id]
        ch.close()
        self.emit(StepFinished(run_id=self.run_id, step=step_id, records=ch.count))

    # -- step kinds ------------------------------------------------------------------------
    async def _discover(self, step: DiscoverStep) -> None:
        await self._wait_needs(step)
        for item in self.planner.discovered[step.id]:
            self.channels[step.id].publish(Record(step=step.id, key=item.id, items=[item]))
        self._close(step.id)

    async def _map(self, step: MapStep, inbox: Inbox) -> None:
        await self._wait_needs(step)
        ch = self.channels[step.id]
        async with asyncio.TaskGroup() as tg:
            if self._batch_mode(step.agent):
                # Message Batches: the step's tasks go out in as few batches as the API's
                # limits allow, at half price.
                items = [r.as_item() for r in await self.tasks.resolve(await inbox.collect())]
                # Imported here: it imports the Anthropic SDK, needed only when batches run.
                from swath.engine.message_batches import MessageBatchStep

                runner = self.engine.model_runner
                assert runner is not None  # _batch_mode checked it
                batch_step = MessageBatchStep(
                    self.tasks,
                    step,
                    ch,
                    runner,
                    poll_interval_s=self.options.batch_poll_s,
                    limits=self.engine.batch_limits,
                )
                await batch_step.execute(batches_of(items, step.batch))
            elif step.from_ in self.planner.discovered:
                # Discovered items are all known: batch them exactly as the plan (and cache) did.
                items = [r.as_item() for r in await inbox.collect()]  # items: no output
                for n, batch in enumerate(batches_of(items, step.batch), 1):
                    tg.create_task(self.tasks.run_task(step, step.agent, "map", batch, [], ch))
                    if n % 64 == 0:
                        await asyncio.sleep(0)  # let the first tasks (and the rest of the loop) run
            elif step.stream:
                buffer: list[Item] = []
                async for rec in inbox:
                    buffer.append((await self.tasks.resolve([rec]))[0].as_item())
                    if len(buffer) >= step.batch:
                        tg.create_task(self.tasks.run_task(step, step.agent, "map", buffer, [], ch))
                        buffer = []
                if buffer:
                    tg.create_task(self.tasks.run_task(step, step.agent, "map", buffer, [], ch))
            else:
                items = [r.as_item() for r in await self.tasks.resolve(await inbox.collect())]
                for start in range(0, len(items), step.batch):
                    tg.create_task(
                        self.tasks.run_task(
                            step, step.agent, "map", items[start : start + step.batch], [], ch
                        )
                    )
        self._close(step.id)

    async def _filter(self, step: FilterStep, inbox: Inbox) -> None:
        await self._wait_needs(step)
        predicate = compile_expression(step.where)
        async for stored in inbox:
            (rec,) = await self.tasks.resolve([stored])
            try:
                keep = predicate(_expression_context(rec, self.inputs))
            except Exception as exc:  # one bad record must not stop the stream
                self.ledger.error(f"{step.id}: filter failed on {rec.key}: {exc}")
                continue
            if keep:
                self.channels[step.id].publish(rec.model_copy(update={"step": step.id}))
        self._close(step.id)

    async def _verify(self, step: VerifyStep, inbox: Inbox) -> None:
        await self._wait_needs(step)
        verifier = EvidenceVerifier(self.ws, window=step.reanchor_window)
        opinion = SecondOpinion(self.tasks, step)
        seen: set[str] = set()
        async for rec in inbox:
            outcome = await self.tasks.memo.verify(verifier, rec.findings)
            self.ledger.verified(len(outcome.dropped), outcome.reanchored)
            kept = await opinion.review(rec.key, outcome.kept)
            if step.dedupe:
                kept = [f for f in kept if f.fingerprint not in seen]
                seen.update(f.fingerprint for f in kept)
            for finding, reason in outcome.dropped:
                self.tasks.audit_drop(step.id, rec.key, finding, reason)
            self.channels[step.id].publish(
                rec.model_copy(update={"step": step.id, "findings": kept})
            )
        self._verifying -= 1
        if self._verifying == 0:
            self.tasks.memo.release_handed()
        self._close(step.id)

    async def _reduce(self, step: ReduceStep, inbox: Inbox) -> None:
        await self._wait_needs(step)
        parts = self.tasks.partials_for(step)
        if parts is None:
            records = await inbox.collect()
        else:  # each record's contribution drawn as it arrives; its output is let go
            records = [await parts.arrived(rec) async for rec in inbox]
        records = _stable_order(records, self.tasks.digests)
        await self.tasks.run_task(step, step.agent, "reduce", [], records, self.channels[step.id])
        self._close(step.id)

    async def _emit_step(self, step: EmitStep, inbox: Inbox) -> None:
        await self._wait_needs(step)
        async for rec in inbox:
            self._finalise(step.id, rec.findings)
            self.channels[step.id].publish(rec.model_copy(update={"step": step.id}))
        self._close(step.id)

    def _finalise(self, step_id: str, findings: list[Finding]) -> None:
        fresh = [f for f in findings if f.fingerprint not in self.final]
        if not fresh:
            return
        for f in fresh:
            self.final[f.fingerprint] = f
        self.store.save_findings(self.run_id, step_id, fresh)
        self.emit(FindingsEmitted(run_id=self.run_id, step=step_id, findings=fresh))

    # -- one task ----------------------------------------------------------------------------
    def _batch_mode(self, agent: AgentSpec) -> bool:
        return (
            self.options.batch
            and self.use_model
            and bool(agent.instructions)
            and not agent.tools
            and self.engine.model_runner is not None
        )

    # -- the end -------------------------------------------------------------------------------
    async def _finish(self, cancelled: bool = False, failed: bool = False) -> RunReport:
        if not self.final:
            # A workflow without `emit`: the findings of its leaf steps are the run's (the
            # findings an emit step streamed are in the store already).
            late: dict[str, Finding] = {}
            for sid in leaf_steps(self.workflow):
                for f in self.channels[sid].kept_findings():
                    late.setdefault(f.fingerprint, f)
            self.final.update(late)
            self.store.save_findings(self.run_id, "final", list(late.values()))
        ledger = self.ledger
        outputs, output_records = await self._outputs()
        report = RunReport(
            run_id=self.run_id,
            workflow=self.workflow.name,
            status=ledger.status(cancelled=cancelled, failed=failed),
            agents=ledger.counts,
            usage=ledger.usage,
            # Column and fingerprint too: findings on one line (a union type naming 50 keys)
            # otherwise came in the order their tasks finished.
            findings=sorted(self.final.values(), key=finding_sort_key),
            outputs=outputs,
            dropped_findings=ledger.dropped,
            reanchored_findings=ledger.reanchored,
            checks=self.tasks.memo.checks,
            errors=ledger.errors,
            started_at=self.started_at,
            finished_at=_now_iso(),
            workspace=str(self.ws.root),
            rules=sorted(self.rules.values(), key=lambda r: r.id),
            peak_concurrency=ledger.peak_running,
            inputs=_json_safe(self.inputs),
            skipped=self.planner.skipped.as_dict(),
        )
        self.store.save_file_hashes(str(self.ws.root), self.ws.new_hashes())
        await self.store.finish_run(report, output_records)
        self.emit(RunFinished(run_id=self.run_id, report=report))
        return report

    async def _outputs(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The run's outputs, and {step: digest} of those that are a stored record's output
        (the store then points at the record instead of keeping the output twice)."""
        out: dict[str, Any] = {}
        stored: dict[str, str] = {}
        for sid in _wanted_outputs(self.workflow):
            recs = await self.tasks.resolve(self.channels[sid].records)
            step = self.workflow.step(sid)
            if isinstance(step, ReduceStep):
                out[sid] = _record_output(recs[0]) if recs else None
                digest = self.tasks.digests.get(recs[0]) if recs else None
                if digest is not None and recs[0].judgement is None:
                    stored[sid] = digest
            else:
                out[sid] = [_record_output(r) for r in recs]
        return out, stored


def _wanted_outputs(workflow: Workflow) -> list[str]:
    """The steps whose records make the run's outputs."""
    emit = next((s for s in workflow.steps if isinstance(s, EmitStep)), None)
    wanted = emit.outputs if emit else [s.id for s in workflow.steps if isinstance(s, ReduceStep)]
    if emit and emit.report and emit.report not in wanted:
        wanted = [*wanted, emit.report]
    return list(wanted)


def _kept(workflow: Workflow) -> dict[str, Keep]:
    """What each step's channel keeps to the end (engine.channels): the records of the
    steps the outputs are made of, the findings of leaf steps (the run's, when it has no
    `emit`), nothing of the rest."""
    keep: dict[str, Keep] = {sid: "findings" for sid in leaf_steps(workflow)}
    keep.update({sid: "records" for sid in _wanted_outputs(workflow)})
    return keep


def _record_output(rec: Record) -> Any:
    if rec.judgement is None:
        return rec.output
    return {"analyzer": rec.output, "model": rec.judgement}


def _stable_order(records: list[Record], digests: Digests) -> list[Record]:
    """Records arrive in the order tasks finish; sorted, a reduce sees (and caches on) the
    same input however the map was scheduled.

    Several upstream steps can share a key (passes mapping the same items, then one verify):
    their content breaks the tie, or the cache key would follow the schedule. Only those
    are serialised to compare: a map's records hold every file's facts (megabytes). The
    JSON made for that is the record's digest too (the reduce's cache key needs it next):
    noted, it is not made a second time (a verify step's copies have none noted yet).
    """
    out: list[Record] = []
    ordered = sorted(records, key=lambda r: (r.step, r.key))
    for _, same in itertools.groupby(ordered, key=lambda r: (r.step, r.key)):
        tied = list(same)
        if len(tied) == 1:
            out += tied
            continue
        texts = {id(r): r.model_dump_json() for r in tied}
        for r in tied:
            if digests.get(r) is None:
                digests.note(r, hashlib.sha256(texts[id(r)].encode("utf-8")).hexdigest())
        out += sorted(tied, key=lambda r: texts[id(r)])
    return out


def _verified_steps(workflow: Workflow) -> set[str]:
    """The steps whose records a verify step checks: its sources, and through a filter
    (which passes records on as they are) the filter's."""
    out: set[str] = set()
    pending = [src for s in workflow.steps if isinstance(s, VerifyStep) for src in _from(s)]
    while pending:
        sid = pending.pop()
        if sid in out:
            continue
        out.add(sid)
        step = workflow.step(sid)
        if isinstance(step, FilterStep):
            pending.extend(_from(step))
    return out


def _from(step: MapStep | FilterStep | VerifyStep | ReduceStep | EmitStep) -> list[str]:
    src = step.from_
    return [src] if isinstance(src, str) else list(src)


def _expression_context(rec: Record, inputs: dict[str, Any]) -> dict[str, Any]:
    item = rec.item
    return {
        "item": item.model_dump() if item else None,
        "items": [i.model_dump() for i in rec.items],
        "output": rec.output,
        "judgement": rec.judgement,
        "findings": [f.model_dump(mode="json") for f in rec.findings],
        "inputs": inputs,
        "key": rec.key,
    }


def _root_cause(exc: BaseException) -> BaseException:
    """The first real error inside (nested) task-group exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc
