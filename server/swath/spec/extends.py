"""`extends:`: a workflow written as the changes it makes to another one.

    extends: review-diff
    name: review-security
    steps:
      - id: correctness
        remove: true
      - id: security
        agent: {params: {ruff: "off"}}

The base (a built-in, or a workflow saved in `.swath/workflows/`) is loaded, itself
expanded if it extends another, and the changes are merged into it. The result is one
`MergedDoc`: the data the models validate plus, for every path, the YAML node it came
from in whichever file wrote it, so a problem in an overriding part points into the
extending file and one in an inherited part into the base.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from swath.spec.discovery import WorkflowInfo, extendable_workflows, workflow_named
from swath.spec.model_errors import Problem, problems_from
from swath.spec.models import STEP_ID_PATTERN
from swath.spec.positions import Located, Path_, Span, YamlDoc, parse_yaml
from swath.spec.wording import suggestion_text

EXTENDS_KEY = "extends"
# Keys only a step change may carry; they say where the step goes, not what it does.
PLACEMENT_KEYS = ("after", "remove")
REPO_WORKFLOWS_PARTS = (".swath", "workflows")
# Bases of bases: deep enough for any real layering, and it bounds the work a file can ask.
MAX_DEPTH = 16


@dataclass
class MergedDoc(YamlDoc):
    """A document assembled from several files; spans carry the file they are in."""

    sources: list[YamlDoc] = field(default_factory=list)
    owners: dict[int, YamlDoc] = field(default_factory=dict)

    def node_span(self, node: Any) -> Span:
        owner = self.owners.get(id(node))
        if owner is None or owner is self:
            return super().node_span(node)
        return owner.node_span(node)

    def line_text(self, line: int, file: str | None = None) -> str:
        for src in self.sources:
            if src.source == file:
                return src.line_text(line, file)
        return super().line_text(line)


@dataclass
class Unusable(Problem):
    """A base that cannot be had; `cause` is the first reason, passed up the chain."""

    cause: str = ""


@dataclass
class Part:
    """A value with the node it was written as: what merging moves around."""

    value: Any  # dict[str, Part], list[Part] or a scalar
    loc: Located | None


def extends_target(doc: YamlDoc) -> bool:
    return isinstance(doc.data, dict) and EXTENDS_KEY in doc.data


def workspace_of(filename: str) -> Path | None:
    """The workspace of a file saved in `<workspace>/.swath/workflows/`, else None."""
    path = Path(filename).absolute()
    if tuple(path.parent.parts[-2:]) == REPO_WORKFLOWS_PARTS:
        return path.parent.parent.parent
    return None


def expand(
    doc: YamlDoc,
    filename: str,
    workspace_root: Path | None,
    *,
    builtin_dir: Path | None = None,
    chain: tuple[Path, ...] = (),
    scanned: dict[Path | None, list[WorkflowInfo]] | None = None,
) -> tuple[YamlDoc | None, list[Problem]]:
    """`doc` with its base merged in (itself when it extends nothing).

    None when the base cannot be had (unknown, unreadable, a cycle): the problems then
    say why, at the `extends:` value, and nothing else is checked.
    """
    if not extends_target(doc):
        return doc, []
    here = Path(filename)
    chain = chain + (here.absolute().resolve(),)
    problems = _shape_problems(doc)
    target = doc.data.get(EXTENDS_KEY)
    at = doc.value_span((EXTENDS_KEY,))
    if not isinstance(target, str) or not target:
        return None, problems  # the shape check said what `extends` must be
    if len(chain) > MAX_DEPTH:
        msg = (
            f"`extends` goes more than {MAX_DEPTH} workflows deep; extend a workflow nearer the end"
        )
        return None, problems + [Unusable(at, msg, "unusable-base", msg)]
    root = workspace_of(filename) or workspace_root
    scanned = {} if scanned is None else scanned
    if root not in scanned:
        scanned[root] = extendable_workflows(root, builtin_dir=builtin_dir)
    base_path, names = workflow_named(target, scanned[root], exclude=here)
    if base_path is None:
        msg = f"`extends` names workflow `{target}`, which does not exist"
        msg += suggestion_text(target, names, "workflows")
        return None, problems + [Problem(at, msg, "unknown-workflow")]
    resolved = base_path.absolute().resolve()
    if resolved in chain:
        loop = " -> ".join(p.name for p in chain[chain.index(resolved) :]) + f" -> {base_path.name}"
        msg = f"workflows extend each other in a cycle: {loop}; one of them must stop extending"
        return None, problems + [Unusable(at, msg, "extends-cycle", msg)]
    base, base_problems = _load_base(base_path, root, builtin_dir, chain, scanned)
    if base is None:
        shown = shown_path(base_path)
        last = base_problems[-1] if base_problems else None
        if isinstance(last, Unusable):
            # Said once, as the first cause, however many bases it is passed up through.
            cause, code = last.cause, last.code
        else:
            first = next((p for p in base_problems if p.span.file == shown), None)
            cause = f"{shown}:{first.span.line + 1}: {first.message}" if first else "see above"
            code = "unusable-base"
        msg = f"cannot extend `{target}`, its file {shown} is not usable: {cause}"
        return None, problems + base_problems + [Unusable(at, msg, code, cause)]
    merged, merge_problems = merge(base, doc, target)
    return merged, problems + base_problems + merge_problems


def shown_path(path: Path) -> str:
    """The path as problems show it: relative to the current folder when under it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load_base(
    path: Path,
    root: Path | None,
    builtin_dir: Path | None,
    chain: tuple[Path, ...],
    scanned: dict[Path | None, list[WorkflowInfo]],
) -> tuple[YamlDoc | None, list[Problem]]:
    filename = shown_path(path)
    whole = Span(0, 0, 0, 1, filename)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(whole, f"cannot read workflow file: {exc}", "io")]
    doc, yaml_problems = parse_yaml(text)
    problems = [Problem(_in(p.span, filename), p.message, p.code) for p in yaml_problems]
    if doc is None:
        return None, problems
    doc.source = filename
    if not isinstance(doc.data, dict):
        return None, problems + [Problem(whole, "not a workflow: not a YAML mapping", "type")]
    expanded, more = expand(
        doc, filename, root, builtin_dir=builtin_dir, chain=chain, scanned=scanned
    )
    return expanded, problems + more


def _in(span: Span, filename: str) -> Span:
    return Span(span.line, span.col, span.end_line, span.end_col, filename)


class _StepShape(BaseModel):
    id: str = Field(pattern=STEP_ID_PATTERN)
    after: str | None = None
    remove: bool = False


class _Shape(BaseModel):
    extends: str = Field(min_length=1)
    steps: list[_StepShape] = Field(default_factory=list)


def _shape_problems(doc: YamlDoc) -> list[Problem]:
    """What an extending file itself gets wrong: `extends`, step ids, `after`, `remove`.

    Only those keys are checked here; everything else is checked once merged, and
    checking it twice would report it twice.
    """
    data: dict[str, Any] = doc.data
    shape: dict[str, Any] = {EXTENDS_KEY: data.get(EXTENDS_KEY)}
    steps = data.get("steps")
    if isinstance(steps, list):
        shape["steps"] = [
            {k: v for k, v in s.items() if k in ("id", *PLACEMENT_KEYS)}
            if isinstance(s, dict)
            else s
            for s in steps
        ]
    try:
        _Shape.model_validate(shape)
    except ValidationError as exc:
        return problems_from(exc, doc, _Shape)
    return []


# -- merging -------------------------------------------------------------------------------


def merge(base: YamlDoc, over: YamlDoc, base_name: str) -> tuple[MergedDoc, list[Problem]]:
    base_top = _part(base, base.data, ())
    over_top = _part(over, over.data, ())
    top: dict[str, Part] = dict(base_top.value)
    top.pop("name", None)  # the extending workflow is a new one, under its own name
    problems: list[Problem] = []
    for key, part in over_top.value.items():
        if key == EXTENDS_KEY:
            continue
        if key == "steps" and isinstance(part.value, list) and "steps" in top:
            top["steps"], found = _merge_steps(top["steps"], part, over, base_name)
            problems += found
        else:
            top[key] = _merge(top[key], part) if key in top else part
    index: dict[Path_, Located] = {}
    data = _flatten(Part(top, over_top.loc), (), index)
    sources = [over, *(base.sources if isinstance(base, MergedDoc) else [base])]
    owners: dict[int, YamlDoc] = dict(base.owners) if isinstance(base, MergedDoc) else {}
    for src in (over, base) if not isinstance(base, MergedDoc) else (over,):
        for loc in src.index.values():
            for node in (loc.key, loc.value):
                if node is not None:
                    owners[id(node)] = src
    merged = MergedDoc(
        text=over.text,
        data=data,
        root=None,
        index=index,
        source=over.source,
        sources=sources,
        owners=owners,
    )
    return merged, problems


def _part(doc: YamlDoc, value: Any, path: Path_) -> Part:
    loc = doc.index.get(path)
    if isinstance(value, dict):
        return Part({k: _part(doc, v, path + (k,)) for k, v in value.items()}, loc)
    if isinstance(value, list):
        return Part([_part(doc, v, path + (i,)) for i, v in enumerate(value)], loc)
    return Part(value, loc)


def _merge(base: Part, over: Part) -> Part:
    """Mappings key by key; anything else (lists too) is replaced by the override."""
    if not (isinstance(base.value, dict) and isinstance(over.value, dict)):
        return over
    out = dict(base.value)
    for key, part in over.value.items():
        out[key] = _merge(out[key], part) if key in out else part
    return Part(out, over.loc)


def _flatten(part: Part, path: Path_, index: dict[Path_, Located]) -> Any:
    if part.loc is not None:
        index[path] = part.loc
    if isinstance(part.value, dict):
        return {k: _flatten(v, path + (k,), index) for k, v in part.value.items()}
    if isinstance(part.value, list):
        return [_flatten(v, path + (i,), index) for i, v in enumerate(part.value)]
    return part.value


def _merge_steps(
    base_steps: Part, changes: Part, over: YamlDoc, base_name: str
) -> tuple[Part, list[Problem]]:
    steps: list[Part] = list(base_steps.value) if isinstance(base_steps.value, list) else []
    base_ids = [_id(s) for s in steps]
    problems: list[Problem] = []
    for i, change in enumerate(changes.value):
        path: Path_ = ("steps", i)
        sid = _id(change)
        if sid is None:
            continue  # no usable id: the shape check reported it
        fields: dict[str, Part] = change.value
        remove = fields.get("remove")
        after = fields.get("after")
        body = Part({k: v for k, v in fields.items() if k not in PLACEMENT_KEYS}, change.loc)
        ids = [_id(s) for s in steps]
        if remove is not None and remove.value is True:
            if sid in ids:
                del steps[ids.index(sid)]
            else:
                problems.append(_not_in_base(over, path, sid, base_name, base_ids, "remove"))
            continue
        if sid in ids:
            step = _merge(steps.pop(ids.index(sid)), body)
            position = ids.index(sid)
        elif "kind" in fields:
            step, position = body, len(steps)
        else:
            # No `kind`: this was meant as a change to a base step, not a new one.
            problems.append(_not_in_base(over, path, sid, base_name, base_ids, "change"))
            continue
        ids = [_id(s) for s in steps]
        if after is not None and isinstance(after.value, str):
            if after.value in ids:
                position = ids.index(after.value) + 1
            else:
                msg = f"`after` of step `{sid}` names step `{after.value}`, which does not exist"
                msg += suggestion_text(after.value, [x for x in ids if x], "steps")
                problems.append(Problem(over.value_span(path + ("after",)), msg, "unknown-step"))
        steps.insert(position, step)
    return Part(steps, changes.loc), problems


def _id(step: Part) -> str | None:
    if not isinstance(step.value, dict):
        return None
    sid = step.value.get("id")
    return sid.value if sid is not None and isinstance(sid.value, str) else None


def _not_in_base(
    over: YamlDoc, path: Path_, sid: str, base_name: str, base_ids: list[str | None], what: str
) -> Problem:
    msg = f"step `{sid}` is not a step of `{base_name}`, so there is nothing to {what}"
    msg += suggestion_text(sid, [x for x in base_ids if x], "steps")
    if what == "change":
        msg += "; a new step needs a `kind:`"
    return Problem(over.value_span(path + ("id",)), msg, "unknown-step")
