"""Loading and validating workflow files, with every problem at its exact line and column.

    wf, issues = validate_text(text, "flags.yaml", KnownNames(analyzers={...}))
    wf = load_workflow(Path(".swath/workflows/flags.yaml"))      # raises WorkflowError

Validation is one pass that reports everything it can: YAML syntax (only the first
error, the parser cannot go on), then model errors from pydantic mapped back to YAML
positions, plus the checks a model cannot do (references, cycles, registered names,
template syntax), which run even when the model fails.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import Field

from swath.spec.checks import KnownNames, check_all
from swath.spec.compiled import compiled_workflow
from swath.spec.discovery import (
    WorkflowInfo,
    builtin_workflows_dir,
    list_workflows,
    repo_workflows_dir,
    resolve_workflow,
)
from swath.spec.extends import expand, shown_path
from swath.spec.errors import SpecIssue, WorkflowError, WorkflowNotFound
from swath.spec.model_errors import Problem, validate_model
from swath.spec.models import InputSpec, Workflow
from swath.spec.positions import Span, YamlDoc, parse_yaml
from swath.spec.schema_registry import load_schema, schema_names

__all__ = [
    "KnownNames",
    "SpecIssue",
    "WorkflowError",
    "WorkflowEntry",
    "WorkflowInfo",
    "WorkflowNotFound",
    "builtin_workflows_dir",
    "describe_workflows",
    "downstream",
    "list_workflows",
    "load_schema",
    "load_workflow",
    "load_workflow_text",
    "repo_workflows_dir",
    "resolve_workflow",
    "schema_names",
    "shown_in",
    "step_order",
    "validate_text",
]


def validate_text(
    text: str,
    filename: str,
    known: KnownNames | None = None,
    *,
    workspace_root: Path | None = None,
) -> tuple[Workflow | None, list[SpecIssue]]:
    """Validate a workflow's text; the Workflow is returned only when there are no issues.

    `workspace_root` is where `extends:` looks for saved workflows when the file is not
    itself in a `.swath/workflows/` folder. Issues in a base workflow carry its file name.
    """
    doc, yaml_problems = parse_yaml(text)
    if doc is None:
        return None, _issues(filename, [Problem(p.span, p.message, p.code) for p in yaml_problems])
    problems = [Problem(p.span, p.message, p.code) for p in yaml_problems]
    if not isinstance(doc.data, dict):
        problems.append(_not_a_mapping(doc))
        return None, _issues(filename, problems)
    expanded, extend_problems = expand(doc, filename, workspace_root)
    problems += extend_problems
    if expanded is None:
        return None, _issues(filename, problems)
    doc = expanded
    wf, model_problems = validate_model(doc)
    problems += model_problems
    problems += check_all(doc, known)
    issues = _issues(filename, problems)
    if wf is not None and not issues:
        _locate_templates(wf, doc, filename)
    return (wf if not issues else None), issues


def shown_in(filename: str, text: str, issues: list[SpecIssue]) -> list[SpecIssue]:
    """The issues an editor can show on `filename`'s own text.

    Those found in a base the file extends are at lines of another file; they are moved
    to this file's `extends:` line, with where they really are in the message.
    """
    lines = text.splitlines()
    at = next((i for i, line in enumerate(lines) if line.startswith("extends:")), 0)
    width = max(1, len(lines[at].rstrip())) if lines else 1
    shown: list[SpecIssue] = []
    for issue in issues:
        if issue.file == filename:
            shown.append(issue)
            continue
        shown.append(
            issue.model_copy(
                update={
                    "file": filename,
                    "line": at + 1,
                    "column": 1,
                    "end_line": at + 1,
                    "end_column": width + 1,
                    "message": f"{issue.file}:{issue.line}:{issue.column}: {issue.message}",
                }
            )
        )
    return shown


def _locate_templates(wf: Workflow, doc: YamlDoc, filename: str) -> None:
    """Remember where each step's instructions template starts in the file."""
    for i, step in enumerate(wf.steps):
        agent = getattr(step, "agent", None)
        if agent is None or not agent.instructions:
            continue
        path = ("steps", i, "agent", "instructions")
        loc = doc.index.get(path)
        if loc is None:
            continue
        line = loc.value.start_mark.line + 1
        if getattr(loc.value, "style", None) in ("|", ">"):
            line += 1  # a block scalar's text starts on the line after its `|`
        # An inherited template is in the base's file.
        agent.locate_instructions(doc.value_span(path).file or filename, line)


def load_workflow_text(
    text: str,
    filename: str,
    known: KnownNames | None = None,
    *,
    workspace_root: Path | None = None,
) -> Workflow:
    wf, issues = validate_text(text, filename, known, workspace_root=workspace_root)
    if wf is None:
        raise WorkflowError(issues)
    return wf


def load_workflow(
    path: Path, known: KnownNames | None = None, *, workspace_root: Path | None = None
) -> Workflow:
    """Load a workflow file; problems are reported with `path` as given (keep it relative).

    A missing file raises FileNotFoundError as usual; a file that exists but cannot be
    read as UTF-8 text is a WorkflowError with code `io`.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        issue = SpecIssue(
            file=str(path),
            line=1,
            column=1,
            end_line=1,
            end_column=1,
            message=f"cannot read workflow file: {reason}; check the path and that it is UTF-8 text",
            code="io",
        )
        raise WorkflowError([issue]) from exc
    # A built-in as shipped: its validated form, without parsing it again (spec.compiled).
    wf = compiled_workflow(path, text, known)
    if wf is not None:
        return wf
    return load_workflow_text(text, str(path), known, workspace_root=workspace_root)


log = logging.getLogger(__name__)


class WorkflowEntry(WorkflowInfo):
    """A workflow as `swath workflows list` and an editor's picker show it."""

    inputs: dict[str, InputSpec] = Field(
        default_factory=dict, description="What `-i KEY=VALUE` can set; empty when unusable."
    )


def describe_workflows(
    workspace_root: Path | None, known: KnownNames | None = None
) -> list[WorkflowEntry]:
    """Every available workflow, loaded to learn its inputs.

    A file that does not load is listed with its problems in `error` rather than left out
    or stopping the listing: the listing is where one finds out a saved workflow is broken.
    """
    entries: list[WorkflowEntry] = []
    for info in list_workflows(workspace_root):
        entry = WorkflowEntry(**dict(info))
        if entry.error is None:
            try:
                # Problems name the file as the user would type it, not its absolute path.
                path = Path(shown_path(info.path))
                wf = load_workflow(path, known, workspace_root=workspace_root)
            except WorkflowError as exc:
                entry.error = str(exc)
            except Exception as exc:  # one file's surprise must not hide every other workflow
                log.exception("loading %s for the listing failed", info.path)
                entry.error = f"cannot load workflow: {type(exc).__name__}: {exc}"
            else:
                entry.inputs = dict(wf.inputs)
                # An extending file often has no description of its own; its base's applies.
                entry.description = entry.description or wf.description.strip()
        entries.append(entry)
    return entries


def _not_a_mapping(doc: YamlDoc) -> Problem:
    what = "empty" if doc.data is None else f"a {type(doc.data).__name__}"
    msg = (
        f"a workflow file must be a YAML mapping, but this one is {what}; "
        "start with `name: my-workflow` and a `steps:` list"
    )
    return Problem(doc.first_line_span(), msg, "type")


def _issues(filename: str, problems: list[Problem]) -> list[SpecIssue]:
    seen: set[tuple[str, int, int, str]] = set()
    issues: list[SpecIssue] = []
    # The file's own problems first; those in a base it extends after them.
    order = sorted(
        problems,
        key=lambda p: (
            p.span.file is not None,
            p.span.file or "",
            p.span.line,
            p.span.col,
            p.code,
            p.message,
        ),
    )
    for p in order:
        key = (p.span.file or "", p.span.line, p.span.col, p.message)
        if key in seen:
            continue
        seen.add(key)
        message = p.message
        if p.span.file is not None and p.span.file != filename:
            # Found in an inherited part: say whose it is, the fix may be an override here.
            message += f" (in a workflow that {filename} extends)"
        issues.append(_issue(p.span.file or filename, p.span, message, p.code))
    return issues


def _issue(filename: str, span: Span, message: str, code: str) -> SpecIssue:
    end_line, end_col = span.end_line, span.end_col
    end_line, end_col = max((end_line, end_col), (span.line, span.col))
    return SpecIssue(
        file=filename,
        line=span.line + 1,
        column=span.col + 1,
        end_line=end_line + 1,
        end_column=end_col + 1,
        message=message,
        code=code,
    )


# -- the step graph ------------------------------------------------------------------------


def step_order(wf: Workflow) -> list[str]:
    """Step ids in an order where every step comes after all it depends on.

    Stable: among the steps that are ready, the one written first in the file goes first,
    so plans and progress read in the order the author wrote. Raises ValueError for an
    unknown reference or a cycle (a loaded workflow has neither).
    """
    ids = [s.id for s in wf.steps]
    deps = {s.id: set(s.upstream()) for s in wf.steps}
    for sid, ups in deps.items():
        missing = sorted(ups - set(ids))
        if missing:
            raise ValueError(f"step {sid!r} depends on unknown step(s): {', '.join(missing)}")
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(ids):
        ready = next((sid for sid in ids if sid not in done and deps[sid] <= done), None)
        if ready is None:
            stuck = [sid for sid in ids if sid not in done]
            raise ValueError(f"steps form a cycle among: {', '.join(stuck)}")
        order.append(ready)
        done.add(ready)
    return order


def downstream(wf: Workflow) -> dict[str, list[str]]:
    """For each step, the steps that directly depend on it, in file order."""
    result: dict[str, list[str]] = {s.id: [] for s in wf.steps}
    for step in wf.steps:
        for up in step.upstream():
            if up in result and step.id not in result[up]:
                result[up].append(step.id)
    return result
