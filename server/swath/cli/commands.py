"""The CLI's subcommands: thin shells over the engine and the store."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from swath import __version__
from swath.engine.catalog import known_names
from swath.engine.events import RunPlan
from swath.engine.inputs import InputError, parse_assignments
from swath.engine.reports import report_body, write_report_file
from swath.engine.options import EngineError, PlanRefused, RunOptions
from swath.engine.session import Session, find_root
from swath.store import RunRow, RunStore, RunSummary, retention
from swath.findings import Format, render, render_json
from swath.findings.model import Severity
from swath.findings.report import RunReport, RunStatus
from swath.workspace import Workspace
from swath.findings.wording import plural, skipped_sentence
from swath.spec.loader import (
    WorkflowError,
    WorkflowNotFound,
    describe_workflows,
    load_workflow,
    resolve_workflow,
)
from swath.spec.models import InputSpec, Workflow
from swath.store import RunLeased
from swath.cli.progress import PlainProgress, Quiet, RichProgress
from swath.cli.usage import FAIL_ON as FAIL_ON
from swath.cli.usage import UsageError as UsageError

if TYPE_CHECKING:  # imported when `swath new` runs: generation pulls in the model grounding
    from swath.engine.generate import Draft
# Imported where used, not here: rich (tables), PyYAML and the edit machinery cost a
# one-shot `swath run` start-up time it does not need.

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_FINDINGS = 0, 1, 2, 3
_LEVEL_OF = {"error": 0, "warning": 1, "information": 2, "hint": 2}


def workspace_of(args: argparse.Namespace) -> Path:
    """The workspace: `-C DIR`, else the current directory's git work tree (never `/`)."""
    start = Path(args.workspace) if args.workspace else Path.cwd()
    if not start.is_dir():
        what = "does not exist" if not start.exists() else "is a file, not a folder"
        raise UsageError(f"-C {start}: {what}; pass the folder of a project")
    root = find_root(start)
    if root == Path(root.anchor):
        raise UsageError(
            "refusing to use the filesystem root as the workspace; "
            "run swath inside a project or pass -C DIR"
        )
    return root


def _load(name: str, root: Path) -> Workflow:
    try:
        return load_workflow(resolve_workflow(name, root), known_names(), workspace_root=root)
    except (WorkflowError, WorkflowNotFound) as exc:
        raise UsageError(str(exc)) from None


def _options(args: argparse.Namespace, root: Path, **extra: Any) -> RunOptions:
    try:
        inputs = parse_assignments(args.inputs)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    paths = []
    for p in args.paths:
        # Relative to the current folder, which `-C DIR` has made DIR (as `git -C` does).
        full = (Path.cwd() / p).resolve()
        if not full.exists():
            raise UsageError(f"{p}: no such file or directory")
        try:
            paths.append(full.relative_to(root).as_posix())
        except ValueError:
            raise UsageError(f"{p}: outside the workspace {root}") from None
    try:
        return RunOptions(
            inputs=inputs,
            paths=paths,
            engine=args.engine,
            concurrency=args.concurrency,
            max_agents=args.max_agents,
            budget_usd=args.budget,
            use_cache=not args.no_cache,
            **extra,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _session(root: Path, *, model: bool = True, read_only: bool = False) -> Session:
    try:
        return Session.open(root, model=model, read_only=read_only)
    except EngineError as exc:
        raise UsageError(str(exc)) from None


def _progress(fmt: str, output: str | None) -> Any:
    """Live progress on a terminal's stderr whatever the format; plain lines on a
    redirected stderr, unless stdout carries machine output and stderr goes with it."""
    if sys.stderr.isatty():
        return RichProgress()
    if fmt in ("json", "sarif") and not output:
        return Quiet()
    return PlainProgress()


def alerts_at(report: RunReport, level: str) -> int:
    """Findings at `level` or worse that are alerts (a map's summaries are not)."""
    if level == "never":
        return 0
    summaries = {r.id for r in report.rules if not r.alert}
    worst = FAIL_ON.index(level)
    return sum(
        1
        for f in report.findings
        if f.rule not in summaries and _LEVEL_OF[f.severity.value] <= worst
    )


# Enough failed tasks to see the pattern; the rest are in `swath show RUN`.
_ERRORS_SHOWN = 10


def _tell_problems(report: RunReport) -> None:
    """Which tasks failed and why, and what was not read: on stderr, whatever the format,
    so the machine output on stdout stays one shape."""
    for err in report.errors[:_ERRORS_SHOWN]:
        first = err.strip().splitlines()[0] if err.strip() else "error"
        print(f"swath: failed: {first}", file=sys.stderr)
    if len(report.errors) > _ERRORS_SHOWN:
        more = len(report.errors) - _ERRORS_SHOWN
        print(
            f"swath: … and {plural(more, 'more error')}; `swath show {report.run_id}` lists all",
            file=sys.stderr,
        )
    sentence = skipped_sentence(report.skipped)
    if sentence:
        print(f"swath: {sentence}", file=sys.stderr)


def exit_code(report: RunReport, fail_on: str = "never") -> int:
    if report.status not in (RunStatus.succeeded, RunStatus.partial):
        return EXIT_FAILED
    n = alerts_at(report, fail_on)
    if n:
        print(
            f"swath: {plural(n, 'finding')} at {fail_on} or above (--fail-on {fail_on})",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    return EXIT_OK


def _emit(
    report: RunReport, fmt: str, output: str | None, *, fix_preview_of: Path | None = None
) -> None:
    """The report on stdout (or in `output`). With `--fix-preview` and the report in a
    file, the diff is what stdout shows; with the report on stdout, the diff joins a JSON
    report as `fix_preview`, goes to stderr beside SARIF, and follows text or Markdown."""
    _tell_problems(report)
    diff = None
    if fix_preview_of is not None:
        from swath.engine.edits import fix_preview

        diff = fix_preview(fix_preview_of, report)
    if fmt == "json":
        field = {"fix_preview": diff} if diff is not None else None
        text = render_json(report, field)
    else:
        # argparse's `choices` already limited fmt to the renderers' formats.
        text = render(report, cast(Format, fmt), body=report_body(report), tool_version=__version__)
    if not text.endswith("\n"):
        text += "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
        if diff:
            sys.stdout.write(diff)
        return
    if diff and fmt == "sarif":
        sys.stderr.write(diff)
    elif diff and fmt != "json":
        text += diff
    sys.stdout.write(text)
    sys.stdout.flush()


async def _execute(
    session: Session,
    wf: Workflow,
    options: RunOptions,
    fmt: str,
    cancel: asyncio.Event,
    output: str | None = None,
) -> RunReport:
    """Run, close the session, and leave the Markdown report in .swath/reports/."""
    try:
        with _progress(fmt, output) as sink:
            report = await session.engine.run(wf, options, sink=sink, cancel=cancel)
    except (PlanRefused, EngineError, InputError, RunLeased) as exc:
        raise UsageError(str(exc)) from None
    finally:
        await session.aclose()
    write_report_file(session.workspace.root, report)
    if report.status in (RunStatus.cancelled, RunStatus.budget_exhausted):
        # Always said on stderr, even with -o FILE or machine output on stdout.
        why = "cancelled" if report.status == RunStatus.cancelled else "stopped by its budget"
        print(
            f"swath: run {report.run_id} {why}; finished tasks are kept. "
            f"Continue it with: swath resume {report.run_id}",
            file=sys.stderr,
            flush=True,
        )
    return report


def _check_fixable(root: Path, allow_dirty: bool) -> None:
    """`--fix` writes into the working tree: only over committed work, so that `git diff`
    shows exactly the fix and `git checkout .` takes it back. Swath's own state under
    `.swath/` (the run store, reports) does not count; a tracked file there does."""
    if allow_dirty:
        return
    ws = Workspace(root)
    if not ws.is_git():
        raise UsageError(
            f"--fix: {root} is not a git work tree, so the change could not be reviewed or "
            "undone with git; give --allow-dirty to write anyway"
        )
    status = ws.git("status", "--porcelain", "--untracked-files=all", check=False)
    dirty = [
        line[3:]
        for line in status.splitlines()
        if line.strip() and not (line.startswith("?? ") and line[3:].startswith(".swath/"))
    ]
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise UsageError(
            f"--fix: the working tree has uncommitted changes ({shown}); commit or stash "
            "them first, or give --allow-dirty"
        )


def _write_fix(root: Path, report: RunReport) -> None:
    """The fix preview's change, written; what was and was not written, on stderr."""
    from swath.engine.edits import fix_preview, write_fix

    diff = fix_preview(root, report)
    if not diff:
        print("swath: --fix: no finding carries an edit; nothing written", file=sys.stderr)
        return
    result = write_fix(root, diff)
    for path, why in sorted(result.refused.items()):
        print(f"swath: --fix: {path} not written: {why}", file=sys.stderr)
    manual = sum(
        1
        for f in report.findings
        if f.severity != Severity.hint and f.data.edit is None and "cannot rewrite" in f.message
    )
    tail = (
        f"; {plural(manual, 'reference')} Swath cannot rewrite (each finding says so at its line)"
        if manual
        else ""
    )
    deleted = (
        f", deleted {plural(len(result.deleted), 'file')} ({', '.join(result.deleted)})"
        if result.deleted
        else ""
    )
    print(
        f"swath: --fix wrote {plural(len(result.written), 'file')}"
        + (f" ({', '.join(result.written)})" if result.written else "")
        + deleted
        + tail
        + ("; review with `git diff`" if result.written or result.deleted else ""),
        file=sys.stderr,
    )


async def cmd_run(args: argparse.Namespace, cancel: asyncio.Event) -> int:
    root = workspace_of(args)
    wf = _load(args.workflow, root)
    if getattr(args, "fix", False):
        _check_fixable(root, args.allow_dirty)
    options = _options(args, root, batch=args.batch)
    report = await _execute(
        _session(root, model=args.engine != "static"),
        wf,
        options,
        args.format,
        cancel,
        args.output,
    )
    _emit(report, args.format, args.output, fix_preview_of=root if args.fix_preview else None)
    if getattr(args, "fix", False) and report.status in (RunStatus.succeeded, RunStatus.partial):
        _write_fix(root, report)
    return exit_code(report, args.fail_on)


def _has_store(root: Path) -> bool:
    """Read-only commands look, and never create `.swath/` where there is none."""
    return (root / ".swath" / "swath.db").is_file()


async def _find_run(store: RunStore, run_id: str, root: Path) -> RunRow:
    row = await store.get_run(run_id)
    if row is not None:
        return row
    matches = await store.run_ids_with_prefix(run_id, 6)
    if len(matches) > 1:
        shown = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
        raise UsageError(f"run id {run_id!r} is ambiguous: {shown} start with it; give more of it")
    raise UsageError(f"no run {run_id!r} in {root / '.swath'}; `swath runs` lists them")


# Only a succeeded run has nothing left to do. A failed one may have been stopped by the API
# (the spend cap, a refused key): its finished tasks are kept and resume runs the rest.
FINISHED = (RunStatus.succeeded.value,)


async def cmd_resume(args: argparse.Namespace, cancel: asyncio.Event) -> int:
    root = workspace_of(args)
    if not _has_store(root):
        raise UsageError(f"no runs in {root}; `swath run WORKFLOW` starts one")
    session = _session(root)
    try:
        row = await _find_run(session.store, args.run_id, root)
    except UsageError:
        await session.aclose()
        raise
    # The spec and options as run, not today's workflow file: resume finishes that run.
    wf = Workflow.model_validate(row.spec)
    changed = {
        k: v
        for k, v in (("budget_usd", args.budget), ("concurrency", args.concurrency))
        if v is not None
    }
    try:
        opts = RunOptions.model_validate(
            {**row.options, **changed, "run_id": row.id, "resume": True}
        )
    except ValueError as exc:
        await session.aclose()
        raise UsageError(str(exc)) from None
    # Checked after the options: a bad --budget is a usage error whatever the run.
    if row.status in FINISHED:
        await session.aclose()
        print(
            f"swath: run {row.id} already finished ({row.status}); nothing to resume. "
            f"`swath show {row.id}` shows it, `swath run {row.workflow}` starts a new run",
            file=sys.stderr,
        )
        return EXIT_OK
    report = await _execute(session, wf, opts, args.format, cancel, args.output)
    _emit(report, args.format, args.output)
    return exit_code(report, args.fail_on)


async def cmd_plan(args: argparse.Namespace, cancel: asyncio.Event) -> int:
    root = workspace_of(args)
    wf = _load(args.workflow, root)
    options = _options(args, root)
    session = _session(root, model=args.engine != "static", read_only=True)
    try:
        plan = await session.engine.plan(wf, options)
    except (EngineError, InputError) as exc:
        raise UsageError(str(exc)) from None
    finally:
        await session.aclose()
    if args.format == "json":
        print(json.dumps(plan.model_dump(mode="json"), indent=2))
    else:
        _print_plan(plan)
    refused = False
    if plan.total_agents > plan.max_agents:
        print(
            f"swath: this plan needs {plan.total_agents} agents, over the limit of {plan.max_agents}",
            file=sys.stderr,
        )
        refused = True
    for warning in plan.warnings:
        print(f"swath: warning: {warning}", file=sys.stderr)
    for violation in plan.policy_violations:
        print(f"swath: {violation.strip()}", file=sys.stderr)
        refused = True
    return EXIT_USAGE if refused else EXIT_OK


def _print_plan(plan: RunPlan) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{plan.workflow} · engine {plan.engine} · concurrency {plan.concurrency}")
    for col in ("step", "kind", "items", "agents", "cached", "est. tokens", "est. cost"):
        table.add_column(col, justify="right" if col not in ("step", "kind") else "left")
    for s in plan.steps:
        bound = "" if s.exact else "≤"
        table.add_row(
            s.id,
            s.kind,
            f"{bound}{s.items}",
            f"{bound}{s.agents}" if s.agents else "-",
            str(s.cached) if s.agents else "-",
            f"{s.est_input_tokens + s.est_output_tokens:,}",
            f"${s.est_cost_usd:.4f}",
        )
    Console(width=120).print(table)
    print(
        f"total: {plan.total_agents} agents ({plan.cached_agents} cached) of max {plan.max_agents}; "
        f"estimated cost ${plan.est_cost_usd:.4f}"
    )


async def cmd_runs(args: argparse.Namespace, cancel: asyncio.Event) -> int:
    root = workspace_of(args)
    rows: list[RunSummary] = []
    if _has_store(root):
        session = _session(root, model=False)
        try:
            rows = await session.store.list_runs(args.limit)
        finally:
            await session.aclose()
    if args.format == "json":
        print(json.dumps([_run_summary(r) for r in rows], indent=2))
        return EXIT_OK
    if not rows:
        print("no runs yet; start one with `swath run WORKFLOW`")
    for r in rows:
        s = _run_summary(r)
        print(
            f"{s['run_id']}  {s['workflow']:<14} {s['status']:<17} {plural(s['agents'], 'agent'):>11} "
            f"{plural(s['findings'], 'finding'):>14}  ${s['cost_usd']:.4f}  {s['started_at']}"
        )
    return EXIT_OK


def _run_summary(r: RunSummary) -> dict[str, Any]:
    return {"run_id": r.id} | r.model_dump(exclude={"id", "engine"})


async def cmd_show(args: argparse.Namespace, cancel: asyncio.Event) -> int:
    root = workspace_of(args)
    if not _has_store(root):
        raise UsageError(f"no runs in {root}; `swath run WORKFLOW` starts one")
    session = _session(root, model=False)
    try:
        row = await _find_run(session.store, args.run_id, root)
        report = row.report
        if report is None:  # interrupted: rebuild what is known from the store
            report = RunReport(
                run_id=row.id,
                workflow=row.workflow,
                status=RunStatus(row.status),
                findings=await session.store.findings(row.id),
                started_at=row.started_at,
            )
    finally:
        await session.aclose()
    _emit(report, args.format, None)
    return EXIT_OK


async def cmd_workflows(args: argparse.Namespace, cancel: asyncio.Event) -> int:
    root = workspace_of(args)
    if args.wf_command == "list":
        entries = describe_workflows(root, known_names())
        if args.format == "json":
            print(json.dumps([e.model_dump(mode="json") for e in entries], indent=2))
            return EXIT_OK
        for e in entries:
            where = (
                "built-in"
                if e.builtin
                else str(Path(e.path).relative_to(root))
                if _under(e.path, root)
                else e.path
            )
            about = e.description.strip().splitlines()[0] if e.description else ""
            if e.error:  # a broken file is listed with what is wrong, never hidden
                about = f"(unusable: {_first_problem(e.error)})"
            print(f"{e.name:<16} {where:<32} {about}")
            for name, spec in e.inputs.items():
                print(f"{'':<16} {_input_line(name, spec)}")
        return EXIT_OK
    if args.wf_command == "show":
        try:
            path = resolve_workflow(args.name, root)
        except WorkflowNotFound as exc:
            raise UsageError(str(exc)) from None
        print(f"# {path}")
        # A terminal command with nothing else to do meanwhile: blocking here is harmless.
        text = Path(path).read_text(encoding="utf-8")  # noqa: ASYNC240
        sys.stdout.write(text)
        if re.search(r"(?m)^extends:", text):
            # The file says only what differs: show what actually runs as well.
            try:
                wf = load_workflow(Path(path), known_names(), workspace_root=root)
            except WorkflowError as exc:
                print(str(exc), file=sys.stderr)
                return EXIT_USAGE
            merged = wf.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            print("\n# as it runs, merged with what it extends:")
            import yaml

            sys.stdout.write(yaml.safe_dump(merged, sort_keys=False, allow_unicode=True))
        return EXIT_OK
    # validate
    bad = 0
    known = known_names()
    for f in args.files:
        try:
            load_workflow(Path(f), known, workspace_root=root)
            print(f"{f}: ok")
        except FileNotFoundError:
            print(f"{f}: no such file", file=sys.stderr)
            bad += 1
        except WorkflowError as exc:
            print(str(exc), file=sys.stderr)
            bad += 1
    return EXIT_USAGE if bad else EXIT_OK


def _first_problem(error: str) -> str:
    lines = error.splitlines() or [""]
    more = len(lines) - 1
    return lines[0] + (f" (and {plural(more, 'more problem')})" if more else "")


def _input_line(name: str, spec: InputSpec) -> str:
    """`input passes (string, default all, several of: all, security, ...): what it is`."""
    facts: list[str] = [spec.type]
    if spec.required:
        facts.append("required")
    if spec.default is not None:
        default = json.dumps(spec.default) if not isinstance(spec.default, str) else spec.default
        facts.append(f"default {default}")
    if spec.choices:
        facts.append(("several of: " if spec.many else "one of: ") + ", ".join(spec.choices))
    about = " ".join(spec.description.split())
    return f"input {name} ({', '.join(facts)})" + (f": {about}" if about else "")


def _under(path: str | Path, root: Path) -> bool:
    try:
        Path(path).resolve().relative_to(root)
        return True
    except ValueError:
        return False


async def cmd_new(args: argparse.Namespace, cancel: asyncio.Event) -> int:
    from swath.engine import generate

    root = workspace_of(args)
    session = _session(root, model=not args.offline)
    try:
        if session.engine.model_runner is not None:
            print("swath: drafting a workflow with the model…", file=sys.stderr)
        draft = await generate.draft_workflow(session, args.prompt, args.name)
        path = generate.save(session, draft)
    except EngineError as exc:
        raise UsageError(str(exc)) from None
    finally:
        await session.aclose()
    _say_draft(draft, path, root)
    if draft.plan is None or not _confirmed(args, draft.name):
        print(f"run it with `swath run {draft.name}`; inspect it with `swath plan {draft.name}`")
        return EXIT_OK
    from swath.cli.parser import build_parser, parse

    run_args = parse(build_parser(), ["-C", str(root), "run", draft.name])
    return await cmd_run(run_args, cancel)


def _say_draft(draft: Draft, path: Path, root: Path) -> None:
    rel = path.relative_to(root) if _under(path, root) else path
    if draft.offline is not None:
        print(
            f"swath: no model is configured, so this is not a new workflow: {rel} is a copy of "
            f"{draft.offline.name}, {draft.offline.reason()}.",
            file=sys.stderr,
        )
        for what in draft.fills:
            print(f"swath: filled from the prompt: {what}", file=sys.stderr)
        print(
            "swath: a new kind of job needs a model (set ANTHROPIC_API_KEY, see docs/models.md); "
            "edit this one as a starting point.",
            file=sys.stderr,
        )
    else:
        fixed = f", {len(draft.repaired)} repair round(s)" if draft.repaired else ""
        print(f"swath: the draft validated in {draft.rounds} round(s){fixed}", file=sys.stderr)
    print(f"wrote {rel}")
    if draft.plan is not None:
        _print_plan(draft.plan)
    elif draft.plan_note:
        print(f"swath: {draft.plan_note}", file=sys.stderr)


def _confirmed(args: argparse.Namespace, name: str) -> bool:
    """Nothing runs until the user says so: --yes, or "y" at a terminal."""
    if args.yes:
        return True
    if not sys.stdin.isatty():
        return False
    # The question goes to stderr, beside the other messages: stdout may be a file or a pipe.
    print(f"Run {name} now? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


async def cmd_gc(args: argparse.Namespace, cancel: asyncio.Event) -> int:
    root = workspace_of(args)
    keep = args.keep if args.keep is not None else retention.keep_from_env()
    if keep < 1:
        raise UsageError("--keep: keep at least 1 run per workflow")
    db = root / ".swath" / "swath.db"
    if not _has_store(root):
        print(f"no store in {root}; nothing to do")
        return EXIT_OK
    before = retention.store_bytes(db)
    session = _session(root, model=False)
    try:
        pruned = await session.store.prune(keep)
    finally:
        await session.aclose()
    # A plain connection after the store's own has closed: VACUUM needs no transaction.
    await asyncio.to_thread(retention.vacuum, db)
    after = retention.store_bytes(db)
    print(
        f"kept the newest {plural(keep, 'run')} of each workflow; dropped "
        f"{plural(pruned.runs, 'run')}, {plural(pruned.records, 'task result')}, "
        f"{plural(pruned.blobs, 'report blob')}, {pruned.cache:,} cache {'entry' if pruned.cache == 1 else 'entries'}; "
        f"store {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB"
    )
    return EXIT_OK
