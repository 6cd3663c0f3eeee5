"""`workspace/executeCommand`: the commands of DESIGN.md, with typed, checked arguments.

Commands that start work answer at once with `{"runId": …}`; the work goes on in the
background (cancelling the request would not stop it: pygls keeps running the body).
Arguments are one JSON object; a bare string is accepted for the main argument, so
editors that pass positional strings (or nothing) still work.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, ClassVar

from lsprotocol import types as lsp
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from pygls.exceptions import JsonRpcInvalidParams

from swath.engine.inputs import InputError, resolve_inputs
from swath.engine.options import EngineError, EngineMode, RunOptions
from swath.engine.reports import report_path, write_report_file
from swath.engine.runner import new_run_id
from swath.findings.report import RunReport, RunStatus
from swath.lsp.folders import path_to_uri, uri_to_path
from swath.lsp.runs import summarise
from swath.spec.models import Workflow

if TYPE_CHECKING:
    from swath.lsp.server import SwathServer

log = logging.getLogger(__name__)


class CommandError(JsonRpcInvalidParams):
    """Bad arguments or a refused request: the client shows the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)
    MAIN: ClassVar[str | None] = None  # the field a bare string argument fills


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


class NewWorkflowArgs(Args):
    MAIN: ClassVar[str | None] = "prompt"
    prompt: str = Field(min_length=1)
    name: str | None = None
    folder: str | None = None
    wait: bool = Field(
        False,
        description="Answer when the file is written (with its uri), so the editor can plan it",
    )


class RunIdArgs(Args):
    MAIN: ClassVar[str | None] = "run_id"
    run_id: str


class ShowRunArgs(RunIdArgs):
    open: bool = False


class ListRunsArgs(Args):
    folder: str | None = None
    limit: int = Field(20, ge=1, le=500)


class FolderArgs(Args):
    MAIN: ClassVar[str | None] = "folder"
    folder: str | None = None


class ClearArgs(Args):
    MAIN: ClassVar[str | None] = "workflow"
    workflow: str | None = None
    uri: str | None = None


def parse(model: type[Args], args: tuple[Any, ...]) -> Any:
    raw: Any = args[0] if args else {}
    if len(args) > 1:
        raise CommandError(f"expected one argument object, got {len(args)} arguments")
    if isinstance(raw, str) and model.MAIN:
        raw = {model.MAIN: raw}
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise CommandError(f"expected an object argument, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'argument'}: {e['msg']}" for e in exc.errors()
        )
        raise CommandError(f"invalid arguments: {problems}") from None


# -- starting runs ---------------------------------------------------------------------------


async def _start(
    ls: "SwathServer",
    workflow_name: str,
    a: RunArgs,
    *,
    target: str | None = None,
    extra_inputs: dict[str, Any] | None = None,
    extra_paths: list[str] | None = None,
) -> dict[str, Any]:
    root = _root_of(ls, a.folder, target)
    workflow = await _load(ls, workflow_name, root)
    options = _options(ls, root, workflow, a, extra_inputs or {}, [*(extra_paths or []), *a.paths])
    run_id = ls.runs.start(root, workflow, options, target)
    return {"runId": run_id, "workflow": workflow.name, "folder": path_to_uri(root)}


def _root_of(ls: "SwathServer", folder: str | None, target: str | None) -> Path:
    try:
        if folder:
            return ls.folders.root_for(uri_to_path(folder))
        if target:
            return ls.folders.root_for(uri_to_path(target))
        return ls.folders.default_root()
    except (LookupError, ValueError) as exc:
        raise CommandError(str(exc)) from None


async def _load(ls: "SwathServer", name: str, root: Path) -> Workflow:
    from swath.spec.loader import WorkflowError, WorkflowNotFound, load_workflow, resolve_workflow

    if name.startswith("file:"):
        name = str(uri_to_path(name))
    names = await ls.names.get()

    def load() -> Workflow:
        return load_workflow(resolve_workflow(name, root), names, workspace_root=root)

    try:
        return await asyncio.to_thread(load)
    except (WorkflowError, WorkflowNotFound) as exc:
        raise CommandError(str(exc)) from None


def _relative(root: Path, p: str) -> str:
    path = uri_to_path(p) if p.startswith("file:") else (root / p)
    try:
        rel = path.resolve().relative_to(root).as_posix()
    except ValueError:
        raise CommandError(f"{p}: outside the workspace folder {root}") from None
    if not path.exists():  # a typo must not become a run over nothing
        raise CommandError(f"{p}: no such file or folder in {root}")
    return rel


def _options(
    ls: "SwathServer",
    root: Path,
    wf: Workflow,
    a: RunArgs,
    extra_inputs: dict[str, Any],
    paths: list[str],
) -> RunOptions:
    s = ls.settings
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


def _input_if_declared(
    wf_inputs: dict[str, Any], candidates: tuple[str, ...], value: Any
) -> dict[str, Any]:
    for name in candidates:
        if name in wf_inputs:
            return {name: value}
    return {}


async def map_module(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    """Map the module at `uri`: a folder, or the folder (package) of the file given."""
    a: MapModuleArgs = parse(MapModuleArgs, args)
    try:
        path = uri_to_path(a.uri)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if not await asyncio.to_thread(path.is_dir):
        path = path.parent
    return await _start(ls, "map-module", a, target=a.uri, extra_paths=[path_to_uri(path)])


async def audit_flags(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    a: AuditFlagsArgs = parse(AuditFlagsArgs, args)
    return await _start(ls, "flag-audit", a, target=a.uri, extra_paths=[a.uri] if a.uri else [])


async def review_diff(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    a: ReviewDiffArgs = parse(ReviewDiffArgs, args)
    root = _root_of(ls, a.folder, None)
    wf = await _load(ls, "review-diff", root)
    extra = _input_if_declared(wf.inputs, ("base", "base_ref", "against"), a.base) if a.base else {}
    if a.base and not extra:
        raise CommandError(
            f"review-diff declares no `base` input (it has: {', '.join(wf.inputs) or 'none'})"
        )
    if a.passes:
        if "passes" not in wf.inputs:
            raise CommandError("this review-diff declares no `passes` input")
        names = a.passes if isinstance(a.passes, str) else ",".join(a.passes)
        extra["passes"] = names
    return await _start(ls, "review-diff", a, extra_inputs=extra)


async def run_workflow(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    a: RunWorkflowArgs = parse(RunWorkflowArgs, args)
    return await _start(ls, a.workflow, a, target=a.uri, extra_paths=[a.uri] if a.uri else [])


async def plan(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    """The plan of a run (steps, agent counts, cost estimate); runs nothing."""
    a: RunWorkflowArgs = parse(RunWorkflowArgs, args)
    root = _root_of(ls, a.folder, a.uri)
    wf = await _load(ls, a.workflow, root)
    options = _options(ls, root, wf, a, {}, [a.uri] if a.uri else list(a.paths))
    session = await ls.folders.session(root)
    try:
        p = await session.engine.plan(wf, options)
    except (EngineError, InputError) as exc:
        raise CommandError(f"{wf.name}: {exc}") from None
    return {"plan": p.model_dump(mode="json"), "refused": p.total_agents > p.max_agents}


async def new_workflow(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    """A workflow drafted from a prompt (a model, or offline the closest shipped one); it is
    validated, planned, saved and opened, never run: the answer carries the plan so the
    client can ask before running it. In the background unless `wait`."""
    a: NewWorkflowArgs = parse(NewWorkflowArgs, args)
    root = _root_of(ls, a.folder, None)
    run_id = "new-" + new_run_id()
    if not a.wait:
        ls.spawn(_generate(ls, root, a, run_id), name=f"swath-new-{run_id}")
        return {"runId": run_id}
    made = await _generate(ls, root, a, run_id)
    if isinstance(made, str):
        raise CommandError(f"could not write a workflow: {made}")
    path, draft = made
    return {
        "runId": run_id,
        "uri": path_to_uri(path),
        "folder": path_to_uri(root),
        "workflow": draft["name"],
        **{k: draft[k] for k in ("plan", "plan_note", "rounds", "offline", "fills")},
    }


async def _generate(
    ls: "SwathServer", root: Path, a: NewWorkflowArgs, run_id: str
) -> tuple[Path, dict[str, Any]] | str:
    """The file written and the draft's description, or what went wrong (already shown to
    the user unless the caller waits for it)."""
    from swath.engine import generate
    from swath.lsp.progress import RunProgress

    progress = RunProgress(
        ls,
        f"swath-{run_id}",
        "Swath: new workflow",
        ls.features.work_done_progress,
        on_cancel=lambda: None,
    )
    await progress.begin(f"drafting from: {a.prompt[:60]}")
    try:
        session = await ls.folders.session(root)
        draft = await generate.draft_workflow(session, a.prompt, a.name)
        path = generate.save(session, draft)
    except Exception as exc:  # EngineError, a model failure, a draft that never validated
        progress.end(f"failed: {exc}")
        if not a.wait:  # a waiting caller gets the error as the command's answer instead
            ls.tell(f"Swath: could not write a workflow: {exc}", lsp.MessageType.Error)
        return str(exc)
    progress.end(f"wrote {path}")
    if not a.wait:
        how = (
            f"no model: a copy of {draft.offline.name}, the closest shipped workflow"
            if draft.offline
            else f"validated in {draft.rounds} round(s)"
        )
        cost = (
            f"; its plan: {draft.plan.total_agents} agents, est. ${draft.plan.est_cost_usd:.4f}"
            if draft.plan
            else ""
        )
        ls.tell(
            f"Swath: wrote {path} ({how}){cost}; check it, then run it with swath.runWorkflow",
            lsp.MessageType.Info,
        )
    ls.show_document(Path(path), focus=True)
    return Path(path), generate.describe(draft)


async def rerun(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    """Run a recorded run's workflow again with the same inputs, paths and engine, on the
    files as they are now (the cache serves whatever did not change)."""
    a: RunIdArgs = parse(RunIdArgs, args)
    for root in ls.folders.roots:
        session = await ls.folders.session(root)
        row = await session.store.get_run(a.run_id)
        if row is None:
            continue
        workflow = await _load(ls, row.workflow, root)
        again = RunArgs(
            inputs=row.inputs,
            paths=row.paths,
            engine=row.options.get("engine"),
            concurrency=row.options.get("concurrency"),
            max_agents=row.options.get("max_agents"),
            budget_usd=row.options.get("budget_usd"),
        )
        options = _options(ls, root, workflow, again, {}, list(row.paths))
        run_id = ls.runs.start(root, workflow, options, None)
        return {
            "runId": run_id,
            "workflow": workflow.name,
            "folder": path_to_uri(root),
            "rerunOf": row.id,
        }
    raise CommandError(f"no run {a.run_id!r} in any workspace folder; swath.listRuns lists them")


async def cancel(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    a: RunIdArgs = parse(RunIdArgs, args)
    return {"runId": a.run_id, "cancelled": ls.runs.cancel(a.run_id)}


async def list_runs(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    a: ListRunsArgs = parse(ListRunsArgs, args)
    roots = [_root_of(ls, a.folder, None)] if a.folder else ls.folders.roots
    out: list[dict[str, Any]] = []
    for root in roots:
        session = await ls.folders.session(root)
        for row in await session.store.list_runs(a.limit):
            out.append(
                {
                    "runId": row.id,
                    "workflow": row.workflow,
                    "folder": path_to_uri(root),
                    "status": "running" if row.id in ls.runs.active else row.status,
                    "startedAt": row.started_at,
                    "finishedAt": row.finished_at,
                    "agents": row.agents,
                    "findings": row.findings,
                    "costUsd": row.cost_usd,
                }
            )
    out.sort(key=lambda r: r["startedAt"] or "", reverse=True)
    return {"runs": out[: a.limit]}


async def show_run(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    a: ShowRunArgs = parse(ShowRunArgs, args)
    for root in ls.folders.roots:
        session = await ls.folders.session(root)
        row = await session.store.get_run(a.run_id)
        if row is None:
            continue
        report = row.report or RunReport(
            run_id=row.id,
            workflow=row.workflow,
            status=RunStatus(row.status),
            findings=await session.store.findings(row.id),
            started_at=row.started_at,
        )
        path = report_path(root, row.id)
        if not await asyncio.to_thread(path.is_file):
            path = await asyncio.to_thread(write_report_file, root, report)
        if a.open:
            ls.show_document(path, focus=True)
        active = ls.runs.active.get(row.id)
        return {
            "runId": row.id,
            "workflow": row.workflow,
            "status": "running" if active else row.status,
            "summary": summarise(report),
            "report": path_to_uri(path),
            "findings": len(report.findings),
            "agents": report.agents.model_dump(),
            "usage": report.usage.model_dump(),
            "errors": report.errors,
        }
    raise CommandError(f"no run {a.run_id!r} in any workspace folder; swath.listRuns lists them")


async def list_workflows(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    """Built-in and saved workflows with what an editor needs to ask for their inputs."""
    from swath.spec.loader import describe_workflows

    a: FolderArgs = parse(FolderArgs, args)
    root = _root_of(ls, a.folder, None)
    names = await ls.names.get()

    def describe() -> list[dict[str, Any]]:
        return [
            {
                "name": entry.name,
                "description": entry.description,
                "builtin": entry.builtin,
                "overridesBuiltin": entry.overrides_builtin,
                "uri": path_to_uri(entry.path),
                "inputs": {k: v.model_dump(mode="json") for k, v in entry.inputs.items()},
                "error": entry.error,
            }
            for entry in describe_workflows(root, names)
            if not entry.ignored
        ]

    return {"folder": path_to_uri(root), "workflows": await asyncio.to_thread(describe)}


async def active_runs(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    """The runs going now, with their live counts and spend (an editor's status line)."""
    parse(Args, args)
    runs = [
        {
            "runId": run.run_id,
            "workflow": run.workflow.name,
            "folder": path_to_uri(run.root),
            "done": run.progress.state.done,
            "total": run.progress.state.total,
            "findings": run.progress.state.findings,
            "costUsd": run.progress.state.cost_usd,
        }
        for run in ls.runs.active.values()
    ]
    return {"runs": runs, "costUsd": sum(r["costUsd"] for r in runs)}


async def clear_findings(ls: "SwathServer", args: tuple[Any, ...]) -> Any:
    a: ClearArgs = parse(ClearArgs, args)
    return {"cleared": await ls.clear_findings(a.workflow, a.uri)}


COMMANDS: dict[str, Callable[["SwathServer", tuple[Any, ...]], Awaitable[Any]]] = {
    "swath.mapModule": map_module,
    "swath.auditFlags": audit_flags,
    "swath.reviewDiff": review_diff,
    "swath.runWorkflow": run_workflow,
    "swath.newWorkflow": new_workflow,
    "swath.plan": plan,
    "swath.rerun": rerun,
    "swath.cancel": cancel,
    "swath.listRuns": list_runs,
    "swath.showRun": show_run,
    "swath.clearFindings": clear_findings,
    "swath.listWorkflows": list_workflows,
    "swath.activeRuns": active_runs,
}
