"""The commands that start runs: `swath.mapModule`, `swath.auditFlags`, `swath.reviewDiff`,
`swath.runWorkflow`, `swath.rerun`, and `swath.plan`, which plans one and runs nothing.

Each checks its arguments and the workflow's inputs before anything starts (a typo must
not become a progress bar that fails later), then hands the run to the runs feature.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar, NotRequired, TypedDict

from pydantic import Field
from pygls.lsp.server import LanguageServer

from swath.engine.inputs import InputError, resolve_inputs
from swath.engine.options import EngineError, EngineMode, RunOptions
from swath.engine.runner import new_run_id
from swath.lsp.commands import (
    Args,
    CommandError,
    find_run,
    folder_root,
    load_workflow,
    parse,
    register_commands,
)
from swath.lsp.feature import LanguageFeature
from swath.lsp.features.runs import RunIdArgs, RunsFeature
from swath.lsp.folders import path_to_uri, uri_to_path
from swath.lsp.server import SwathServer
from swath.spec.models import Workflow


class RunStartedReply(TypedDict):
    """What a command that starts a run answers at once (the run goes on in the worker)."""

    runId: str
    workflow: str
    folder: str  # the workspace folder's URI
    rerunOf: NotRequired[str]  # `swath.rerun`: the run it repeats


class PlanReply(TypedDict):
    plan: dict[str, Any]  # RunPlan as JSON
    refused: bool  # more agents than the limit: a run would be refused


class RunArgs(Args):
    """What every command that starts a run accepts besides its own arguments."""

    inputs: dict[str, Any] = Field(default_factory=dict)
    paths: list[str] = Field(
        default_factory=list, description="Workspace-relative paths or file URIs"
    )
    folder: str | None = Field(
        None, description="Workspace folder URI (default: the file's, else the first)"
    )
    engine: EngineMode | None = None
    concurrency: int | None = Field(None, ge=1, le=1024)
    max_agents: int | None = Field(None, ge=1)
    budget_usd: float | None = Field(None, ge=0)
    use_cache: bool = True


class MapModuleArgs(RunArgs):
    MAIN: ClassVar[str | None] = "uri"
    uri: str


class AuditFlagsArgs(RunArgs):
    MAIN: ClassVar[str | None] = "uri"
    uri: str | None = None


class ReviewDiffArgs(RunArgs):
    MAIN: ClassVar[str | None] = "base"
    base: str | None = None
    passes: list[str] | str | None = None  # e.g. ["security", "correctness"]; default all


class RunWorkflowArgs(RunArgs):
    MAIN: ClassVar[str | None] = "workflow"
    workflow: str
    uri: str | None = None


class RunCommandsFeature(LanguageFeature):
    name = "run commands"

    def __init__(self, server: SwathServer, runs: RunsFeature) -> None:
        self.server = server
        self.runs = runs

    def register(self, server: LanguageServer) -> None:
        register_commands(
            server,
            {
                "swath.mapModule": self.map_module,
                "swath.auditFlags": self.audit_flags,
                "swath.reviewDiff": self.review_diff,
                "swath.runWorkflow": self.run_workflow,
                "swath.plan": self.plan,
                "swath.rerun": self.rerun,
            },
        )

    async def map_module(self, args: tuple[Any, ...]) -> RunStartedReply:
        """Map the module at `uri`: a folder, or the folder (package) of the file given."""
        a: MapModuleArgs = parse(MapModuleArgs, args)
        try:
            path = uri_to_path(a.uri)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if not await asyncio.to_thread(path.is_dir):
            path = path.parent
        return await self._start("map-module", a, target=a.uri, extra_paths=[path_to_uri(path)])

    async def audit_flags(self, args: tuple[Any, ...]) -> RunStartedReply:
        a: AuditFlagsArgs = parse(AuditFlagsArgs, args)
        return await self._start(
            "flag-audit", a, target=a.uri, extra_paths=[a.uri] if a.uri else []
        )

    async def review_diff(self, args: tuple[Any, ...]) -> RunStartedReply:
        a: ReviewDiffArgs = parse(ReviewDiffArgs, args)
        root = folder_root(self.server.folders, a.folder, None)
        wf = await load_workflow(self.server.names, "review-diff", root)
        extra = (
            _input_if_declared(wf.inputs, ("base", "base_ref", "against"), a.base) if a.base else {}
        )
        if a.base and not extra:
            raise CommandError(
                f"review-diff declares no `base` input (it has: {', '.join(wf.inputs) or 'none'})"
            )
        if a.passes:
            if "passes" not in wf.inputs:
                raise CommandError("this review-diff declares no `passes` input")
            names = a.passes if isinstance(a.passes, str) else ",".join(a.passes)
            extra["passes"] = names
        return await self._start("review-diff", a, extra_inputs=extra)

    async def run_workflow(self, args: tuple[Any, ...]) -> RunStartedReply:
        a: RunWorkflowArgs = parse(RunWorkflowArgs, args)
        return await self._start(a.workflow, a, target=a.uri, extra_paths=[a.uri] if a.uri else [])

    async def plan(self, args: tuple[Any, ...]) -> PlanReply:
        """The plan of a run (steps, agent counts, cost estimate); runs nothing."""
        a: RunWorkflowArgs = parse(RunWorkflowArgs, args)
        root = folder_root(self.server.folders, a.folder, a.uri)
        wf = await load_workflow(self.server.names, a.workflow, root)
        options = self._options(root, wf, a, {}, [a.uri] if a.uri else list(a.paths))
        session = await self.server.folders.session(root)
        try:
            p = await session.engine.plan(wf, options)
        except (EngineError, InputError) as exc:
            raise CommandError(f"{wf.name}: {exc}") from None
        return {"plan": p.model_dump(mode="json"), "refused": p.total_agents > p.max_agents}

    async def rerun(self, args: tuple[Any, ...]) -> RunStartedReply:
        """Run a recorded run's workflow again with the same inputs, paths and engine, on the
        files as they are now (the cache serves whatever did not change)."""
        a: RunIdArgs = parse(RunIdArgs, args)
        root, _, row = await find_run(self.server.folders, a.run_id)
        workflow = await load_workflow(self.server.names, row.workflow, root)
        again = RunArgs(
            inputs=row.inputs,
            paths=row.paths,
            engine=row.options.get("engine"),
            concurrency=row.options.get("concurrency"),
            max_agents=row.options.get("max_agents"),
            budget_usd=row.options.get("budget_usd"),
        )
        options = self._options(root, workflow, again, {}, list(row.paths))
        run_id = self.runs.start(root, workflow, options, None)
        return {
            "runId": run_id,
            "workflow": workflow.name,
            "folder": path_to_uri(root),
            "rerunOf": row.id,
        }

    async def _start(
        self,
        workflow_name: str,
        a: RunArgs,
        *,
        target: str | None = None,
        extra_inputs: dict[str, Any] | None = None,
        extra_paths: list[str] | None = None,
    ) -> RunStartedReply:
        root = folder_root(self.server.folders, a.folder, target)
        workflow = await load_workflow(self.server.names, workflow_name, root)
        paths = [*(extra_paths or []), *a.paths]
        options = self._options(root, workflow, a, extra_inputs or {}, paths)
        run_id = self.runs.start(root, workflow, options, target)
        return {"runId": run_id, "workflow": workflow.name, "folder": path_to_uri(root)}

    def _options(
        self,
        root: Path,
        wf: Workflow,
        a: RunArgs,
        extra_inputs: dict[str, Any],
        paths: list[str],
    ) -> RunOptions:
        s = self.server.settings
        inputs = {**extra_inputs, **a.inputs}
        try:
            resolve_inputs(wf, inputs)  # refuse bad inputs now, not in a progress bar later
            rel = [_relative(root, p) for p in paths]
            return RunOptions(
                inputs=inputs,
                paths=[p for p in rel if p not in ("", ".")],
                engine=a.engine or s.engine,
                concurrency=a.concurrency or s.concurrency,
                max_agents=a.max_agents or s.max_agents,
                budget_usd=a.budget_usd if a.budget_usd is not None else s.budget_usd,
                use_cache=a.use_cache,
                run_id=new_run_id(),
            )
        except (InputError, ValueError) as exc:
            raise CommandError(f"{wf.name}: {exc}") from None


def _relative(root: Path, p: str) -> str:
    path = uri_to_path(p) if p.startswith("file:") else (root / p)
    try:
        rel = path.resolve().relative_to(root).as_posix()
    except ValueError:
        raise CommandError(f"{p}: outside the workspace folder {root}") from None
    if not path.exists():  # a typo must not become a run over nothing
        raise CommandError(f"{p}: no such file or folder in {root}")
    return rel


def _input_if_declared(
    wf_inputs: dict[str, Any], candidates: tuple[str, ...], value: Any
) -> dict[str, Any]:
    for name in candidates:
        if name in wf_inputs:
            return {name: value}
    return {}
