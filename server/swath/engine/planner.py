"""Discovery and the plan: how many agents each step will run, how many are cached,
what the model steps would cost — all before any agent starts."""

from __future__ import annotations

import asyncio
import hashlib
import math
from datetime import UTC, datetime
from typing import Any, Protocol

from swath.agents.base import AgentEnv, ModelRunner, ModelTask, ModelTaskFailed
from swath.analyzers import registry as analyzers
from swath.engine import cache
from swath.engine.events import RunPlan, StepPlan
from swath.engine.options import EngineError, RunOptions
from swath.sources import registry as sources
from swath.sources.base import SourceContext
from swath.spec.loader import step_order
from swath.spec.models import (
    AgentSpec,
    DiscoverStep,
    EmitStep,
    FilterStep,
    Limits,
    MapStep,
    ReduceStep,
    VerifyStep,
    Workflow,
)
from swath.spec.records import Item
from swath.store import RunStore
from swath.workspace import Workspace
from swath.workspace.skips import SkipCounts


def today() -> str:
    """The day (UTC) a dated analyzer's cached results are keyed on."""
    return datetime.now(tz=UTC).date().isoformat()


# Estimating every task of a large step through the API would cost a call per task;
# a sample is enough for a preview.
ESTIMATE_SAMPLE = 20


def batches_of(items: list[Item], size: int) -> list[list[Item]]:
    """Content-defined batches of `size` items on average, never more than twice that.

    Plain fixed-size chunks would shift every later batch when one file is added, and the
    cache would miss for all of them. A batch here ends after an item whose id hashes to a
    cut (one in `size`), so the other batches stay identical and adding a file re-runs
    about one batch.
    """
    if size <= 1:
        return [[i] for i in items]
    out: list[list[Item]] = []
    cur: list[Item] = []
    for item in items:
        cur.append(item)
        digest = hashlib.blake2b(item.id.encode("utf-8"), digest_size=4).digest()
        if len(cur) >= 2 * size or int.from_bytes(digest, "big") % size == 0:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def leaf_steps(workflow: Workflow) -> list[str]:
    used = {u for s in workflow.steps for u in s.upstream()}
    return [s.id for s in workflow.steps if s.id not in used]


class PlanningEngine(Protocol):
    """What planning needs of the engine: the workspace to discover in, the store whose
    cache says what is done, and the model (if any) that prices the rest."""

    @property
    def workspace(self) -> Workspace: ...
    @property
    def store(self) -> RunStore: ...
    @property
    def model_runner(self) -> ModelRunner | None: ...

    def use_model(self, options: RunOptions) -> bool: ...


class Planner:
    def __init__(
        self,
        engine: PlanningEngine,
        workflow: Workflow,
        options: RunOptions,
        inputs: dict[str, Any],
        limits: Limits,
    ) -> None:
        self.engine = engine
        self.workflow = workflow
        self.options = options
        self.inputs = inputs
        self.limits = limits
        self.discovered: dict[str, list[Item]] = {}
        self.skipped = SkipCounts()
        self.warnings: list[str] = []
        self._analyzer_versions: dict[str, str] = {}
        self.today = today()  # one day for the whole run, however long it takes
        self._step_digests: dict[tuple[str, int], str] = {}
        # Each item's JSON for the tasks' keys, by the item object: every step over a
        # discovered source (review-diff's five passes) keys its tasks on the same items.
        self._item_json: dict[int, tuple[Item, bytes]] = {}

    async def discover(self) -> None:
        paths = [self.engine.workspace.relpath(p) for p in self.options.paths]
        for step in self.workflow.steps:
            if not isinstance(step, DiscoverStep):
                continue
            try:
                source = sources.get(step.source)
            except KeyError as exc:
                raise EngineError(str(exc)) from None
            ctx = SourceContext(
                workspace=self.engine.workspace,
                paths=paths,
                inputs=self.inputs,
                options=dict(step.with_),
                skipped=self.skipped,
            )
            try:
                self.discovered[step.id] = await asyncio.to_thread(source.discover, ctx)
            except (OSError, ValueError, RuntimeError, LookupError) as exc:
                # A source that cannot start (not a git repo, unknown base, bad option) is a
                # problem with how the run was asked for, not a crash.
                raise EngineError(f"step {step.id!r} (source {step.source}): {exc}") from exc

    def analyzer_version(self, name: str | None) -> str:
        if not name:
            return ""
        if name not in self._analyzer_versions:
            a = analyzers.get(name)
            version = f"{name}@{getattr(a, 'version', '0')}"
            # Ages and git-log windows are counted from today: such a result holds for the
            # day it was made, however long the files it read stay the same.
            if getattr(a, "dated", False):
                version += f"+{self.today}"
            self._analyzer_versions[name] = version
        return self._analyzer_versions[name]

    def task_hash(
        self,
        step: MapStep | ReduceStep | VerifyStep,
        agent: AgentSpec,
        *,
        items: list[Item],
        digests: list[str] | None = None,
    ) -> str:
        key = (step.id, id(agent))
        base = self._step_digests.get(key)
        if base is None:
            model_used = bool(agent.instructions) and self.engine.use_model(self.options)
            base = self._step_digests[key] = cache.step_digest(
                workflow=self.workflow.name,
                workflow_version=self.workflow.version,
                step_spec=step.model_dump(mode="json", by_alias=True),
                analyzer_version=self.analyzer_version(agent.analyzer),
                inputs=self.inputs,
                model=(agent.model or self.workflow.model or "default") if model_used else None,
            )
        return cache.input_hash(base, items, digests, self._json_of)

    def _json_of(self, item: Item) -> bytes:
        hit = self._item_json.get(id(item))
        if hit is not None and hit[0] is item:
            return hit[1]
        data = item.model_dump_json().encode("utf-8")
        self._item_json[id(item)] = (item, data)  # the item held: its id stays its own
        return data

    async def plan(self) -> RunPlan:
        limits = self.limits
        use_model = self.engine.use_model(self.options)
        counts: dict[str, int] = {}
        exact: dict[str, bool] = {}
        steps: list[StepPlan] = []
        for sid in step_order(self.workflow):
            step = self.workflow.step(sid)
            sp = StepPlan(id=sid, kind=step.kind, title=step.title)
            if isinstance(step, DiscoverStep):
                counts[sid] = sp.items = len(self.discovered.get(sid, []))
                exact[sid] = True
            elif isinstance(step, MapStep):
                sp.items = counts[step.from_]
                sp.exact = exact[step.from_]
                sp.agents = math.ceil(sp.items / step.batch)
                if step.from_ in self.discovered:
                    batches = batches_of(self.discovered[step.from_], step.batch)
                    sp.agents = len(batches)
                    sp.cached = await self._cached(step, batches)
                    await self._estimate(sp, step, step.agent, batches, use_model)
                elif use_model and step.agent.instructions:
                    sp.model_agents = sp.agents
                counts[sid] = sp.agents
                exact[sid] = sp.exact
            elif isinstance(step, ReduceStep):
                sp.items = sum(counts[s] for s in _sources(step))
                sp.agents = 1
                sp.model_agents = 1 if use_model and step.agent.instructions else 0
                counts[sid] = 1
                exact[sid] = True
            elif isinstance(step, FilterStep):
                sp.items = counts[step.from_]
                counts[sid] = sp.items  # an upper bound: the filter runs on results
                exact[sid] = False
                sp.exact = False
            elif isinstance(step, (VerifyStep, EmitStep)):
                sp.items = sum(counts[s] for s in _sources(step))
                counts[sid] = sp.items
                exact[sid] = all(exact[s] for s in _sources(step))
            steps.append(sp)
        return RunPlan(
            workflow=self.workflow.name,
            steps=steps,
            total_agents=sum(s.agents for s in steps),
            cached_agents=sum(s.cached for s in steps),
            max_agents=limits.max_agents,
            concurrency=limits.concurrency,
            est_cost_usd=round(sum(s.est_cost_usd for s in steps), 6),
            engine="model" if use_model else "static",
            skipped=self.skipped.as_dict(),
            warnings=list(self.warnings),
        )

    async def _cached(self, step: MapStep, batches: list[list[Item]]) -> int:
        if not self.options.use_cache and not self.options.resume:
            return 0
        store = self.engine.store
        ws = self.engine.workspace
        prior = (
            await store.finished_tasks(self.options.run_id)
            if self.options.resume and self.options.run_id
            else {}
        )
        hits = 0
        for batch in batches:
            ihash = self.task_hash(step, step.agent, items=batch)
            p = prior.get((step.id, cache.task_key(batch)))
            if p is not None and p.input_hash == ihash:
                hits += 1
                continue
            if not self.options.use_cache:
                continue
            deps = await store.cache_deps(ihash)
            if deps is not None and await asyncio.to_thread(cache.deps_unchanged, ws, deps):
                hits += 1
        return hits

    async def _estimate(
        self,
        sp: StepPlan,
        step: MapStep,
        agent: AgentSpec,
        batches: list[list[Item]],
        use_model: bool,
    ) -> None:
        runner = self.engine.model_runner
        if not (use_model and agent.instructions and runner is not None and batches):
            return
        sp.model_agents = sp.agents - sp.cached
        sample = batches[:ESTIMATE_SAMPLE]
        env = AgentEnv(workspace=self.engine.workspace)
        total_in = total_out = 0
        cost = 0.0
        for batch in sample:
            task = ModelTask(
                run_id="plan",
                step_id=step.id,
                task_key=cache.task_key(batch),
                tier="map",
                agent=agent,
                workflow_model=self.workflow.model,
                items=batch,
                inputs=self.inputs,
            )
            try:
                est = await runner.estimate(task, env)
            except ModelTaskFailed as exc:
                # The run would fail these tasks the same way: say so now, estimate nothing.
                self.warnings.append(f"step {step.id!r}: {exc}")
                sp.est_cost_usd = 0.0
                return
            total_in += est.input_tokens
            total_out += est.output_tokens
            cost += est.cost_usd
        scale = sp.model_agents / len(sample)
        sp.est_input_tokens = int(total_in * scale)
        sp.est_output_tokens = int(total_out * scale)
        sp.est_cost_usd = round(cost * scale, 6)


def _sources(step: Any) -> list[str]:
    src = step.from_
    return [src] if isinstance(src, str) else list(src)
