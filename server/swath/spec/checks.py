"""Checks pydantic cannot do: step references, cycles, registered names, templates.

They run on the raw YAML data, not on a validated `Workflow`, so a file with a type
error in one step still gets its references and templates checked: one pass reports
every problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from swath.spec.model_errors import Problem, problems_from
from swath.spec.positions import Span, YamlDoc
from swath.spec.templates import (
    AGENT_NAMES,
    FILTER_NAMES,
    check_expression,
    check_template,
    unknown_names,
)
from swath.spec.wording import describe_path, step_label, suggestion_text

PathT = tuple[str | int, ...]


@dataclass
class KnownNames:
    """Names registered outside the spec layer; None means "don't check".

    The spec layer must not import analyzers, agents or sources (layering), so the
    callers that do know them pass them in.
    """

    analyzers: set[str] | None = None
    tools: set[str] | None = None
    schemas: set[str] | None = None
    sources: set[str] | None = None
    # The declared options: a source's `with:` and an analyzer's `params:` models. A name
    # missing here (a plug-in that declares none) takes any options.
    # Looked up by name only, so a lazy mapping (importing what is asked for) will do.
    source_options: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    analyzer_params: Mapping[str, type[BaseModel]] = field(default_factory=dict)


@dataclass
class StepRef:
    """A mention of another step: `from`, `needs`, emit `outputs` and `report`."""

    owner: str | None  # None when the step has no usable id (reported on its own)
    target: str
    path: PathT

    @property
    def index(self) -> int:
        """Index of the owning step in `steps`."""
        return int(self.path[1])


@dataclass
class RawStep:
    index: int
    data: dict[str, Any]

    @property
    def id(self) -> str | None:
        sid = self.data.get("id")
        return sid if isinstance(sid, str) else None

    @property
    def kind(self) -> str | None:
        kind = self.data.get("kind")
        return kind if isinstance(kind, str) else None

    def path(self, *rest: str | int) -> PathT:
        return ("steps", self.index, *rest)


def raw_steps(doc: YamlDoc) -> list[RawStep]:
    steps = doc.data.get("steps") if isinstance(doc.data, dict) else None
    if not isinstance(steps, list):
        return []
    return [RawStep(i, s) for i, s in enumerate(steps) if isinstance(s, dict)]


def check_all(doc: YamlDoc, known: KnownNames | None) -> list[Problem]:
    steps = raw_steps(doc)
    problems = duplicate_steps(doc, steps)
    refs = list(step_refs(steps))
    problems += unknown_refs(doc, steps, refs)
    problems += cycles(doc, steps, refs)
    problems += templates(doc, steps)
    if known is not None:
        problems += registered_names(doc, steps, known)
        problems += declared_options(doc, steps, known)
    return problems


# -- ids and references --------------------------------------------------------------------


def duplicate_steps(doc: YamlDoc, steps: list[RawStep]) -> list[Problem]:
    first_line: dict[str, int] = {}
    problems: list[Problem] = []
    for step in steps:
        if step.id is None:
            continue
        span = doc.value_span(step.path("id"))
        if step.id in first_line:
            msg = (
                f"step id `{step.id}` is already used by the step on line {first_line[step.id] + 1}; "
                "give each step a unique id"
            )
            problems.append(Problem(span, msg, "duplicate-step"))
        else:
            first_line[step.id] = span.line
    return problems


def step_refs(steps: list[RawStep]) -> Iterator[StepRef]:
    """References in the shapes the models accept; other shapes get a type error instead."""
    for step in steps:
        yield from _refs_in(step, "needs", one=False, many=True)
        if step.kind != "discover":  # a discover step's `from` is an unknown key, reported as such
            yield from _refs_in(
                step, "from", one=True, many=step.kind in ("verify", "reduce", "emit")
            )
        if step.kind == "emit":
            yield from _refs_in(step, "outputs", one=False, many=True)
            yield from _refs_in(step, "report", one=True, many=False)


def _refs_in(step: RawStep, name: str, *, one: bool, many: bool) -> Iterator[StepRef]:
    value = step.data.get(name)
    if isinstance(value, str) and one:
        yield StepRef(step.id, value, step.path(name))
    elif isinstance(value, list) and many:
        for i, target in enumerate(value):
            if isinstance(target, str):
                yield StepRef(step.id, target, step.path(name, i))


def unknown_refs(doc: YamlDoc, steps: list[RawStep], refs: list[StepRef]) -> list[Problem]:
    ids = [s.id for s in steps if s.id is not None]
    problems: list[Problem] = []
    for ref in refs:
        if ref.target in ids:
            continue
        key = next(str(e) for e in reversed(ref.path) if isinstance(e, str))
        owner = f"step `{ref.owner}`" if ref.owner else step_label(ref.index, doc.data)
        msg = f"`{key}` of {owner} names step `{ref.target}`, which does not exist"
        msg += suggestion_text(ref.target, [i for i in ids if i != ref.owner], "steps")
        problems.append(Problem(doc.value_span(ref.path), msg, "unknown-step"))
    return problems


def cycles(doc: YamlDoc, steps: list[RawStep], refs: list[StepRef]) -> list[Problem]:
    """Each cycle once, at the reference that closes it.

    The search follows data flow (producer -> consumer) from steps in file order, so in
    the usual mistake, a step referring to a later step that already consumes it, the
    problem lands on that back-reference.
    """
    ids = list(dict.fromkeys(s.id for s in steps if s.id is not None))
    # A duplicated id is reported on its own; only the first step of that id takes part
    # here, else two unrelated steps would merge into one node and look like a loop.
    firsts = {s.id: s.index for s in reversed(steps) if s.id is not None}
    consumers: dict[str, list[StepRef]] = {i: [] for i in ids}
    for ref in refs:
        if ref.owner is None or firsts.get(ref.owner) != ref.index:
            continue
        if ref.target in consumers and all(r.owner != ref.owner for r in consumers[ref.target]):
            consumers[ref.target].append(ref)
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1 = on the DFS stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for ref in consumers[node]:
            owner = ref.owner or ""  # refs without an owner id were left out above
            if state.get(owner) == 1:
                loop = stack[stack.index(owner) :] + [owner]
                problems.append(_cycle_problem(doc, ref, loop))
            elif owner not in state:
                visit(owner)
        stack.pop()
        state[node] = 2

    for sid in ids:
        if sid not in state:
            visit(sid)
    return problems


def _cycle_problem(doc: YamlDoc, ref: StepRef, loop: list[str]) -> Problem:
    path = " -> ".join(loop)
    msg = (
        f"steps depend on each other in a cycle: {path}; a step cannot wait for its own results, "
        f"remove `{ref.target}` from step `{ref.owner}` or another reference in the loop"
    )
    return Problem(doc.value_span(ref.path), msg, "cycle")


# -- names registered elsewhere ------------------------------------------------------------


def agent_paths(step: RawStep) -> list[PathT]:
    """Where agent specs sit in a step (map/reduce `agent`, verify `second_opinion`)."""
    keys = {"map": ["agent"], "reduce": ["agent"], "verify": ["second_opinion"]}.get(
        step.kind or "", []
    )
    return [step.path(k) for k in keys if isinstance(step.data.get(k), dict)]


def _get(doc: YamlDoc, path: PathT) -> Any:
    value: Any = doc.data
    for elem in path:
        if isinstance(value, dict):
            value = value.get(elem)
        elif isinstance(value, list) and isinstance(elem, int) and elem < len(value):
            value = value[elem]
        else:
            return None
    return value


def registered_names(doc: YamlDoc, steps: list[RawStep], known: KnownNames) -> list[Problem]:
    problems: list[Problem] = []
    for step in steps:
        if step.kind == "discover":
            problems += _name_check(
                doc, step.path("source"), known.sources, "sources", "unknown-source"
            )
        for agent in agent_paths(step):
            problems += _name_check(
                doc, agent + ("analyzer",), known.analyzers, "analyzers", "unknown-analyzer"
            )
            problems += _name_check(
                doc, agent + ("output",), known.schemas, "schemas", "unknown-schema"
            )
            tools = _get(doc, agent + ("tools",))
            if isinstance(tools, list):
                for i in range(len(tools)):
                    problems += _name_check(
                        doc, agent + ("tools", i), known.tools, "tools", "unknown-tool"
                    )
    return problems


def declared_options(doc: YamlDoc, steps: list[RawStep], known: KnownNames) -> list[Problem]:
    """A source's `with:` and an analyzer's `params:` against the models they declare."""
    problems: list[Problem] = []
    for step in steps:
        if step.kind == "discover":
            source = step.data.get("source")
            model = known.source_options.get(source) if isinstance(source, str) else None
            problems += _options_check(doc, step.path("with"), model)
        for agent in agent_paths(step):
            analyzer = _get(doc, agent + ("analyzer",))
            model = known.analyzer_params.get(analyzer) if isinstance(analyzer, str) else None
            problems += _options_check(doc, agent + ("params",), model)
    return problems


def _options_check(doc: YamlDoc, path: PathT, model: type[BaseModel] | None) -> list[Problem]:
    value = _get(doc, path)
    if model is None or not isinstance(value, dict):
        return []  # a non-mapping is a type error of the workflow model itself
    try:
        model.model_validate(value)
    except ValidationError as exc:
        return problems_from(exc, doc, model, path)
    return []


def _name_check(
    doc: YamlDoc, path: PathT, names: set[str] | None, noun: str, code: str
) -> list[Problem]:
    value = _get(doc, path)
    if names is None or not isinstance(value, str) or value in names:
        return []
    singular = noun[:-1]
    msg = f"{describe_path(path, doc.data)} names {singular} `{value}`, which is not registered"
    msg += suggestion_text(value, names, noun)
    return [Problem(doc.value_span(path), msg, code)]


# -- templates -----------------------------------------------------------------------------


def templates(doc: YamlDoc, steps: list[RawStep]) -> list[Problem]:
    problems: list[Problem] = []
    inputs = _declared_inputs(doc)
    for step in steps:
        for agent in agent_paths(step):
            for key in ("instructions", "system"):
                problems += _template_check(doc, agent + (key,), check_template, "template")
            # `system` is sent as written; only `instructions` is rendered with a context.
            problems += _names_check(doc, agent + ("instructions",), AGENT_NAMES, inputs, False)
        if step.kind == "filter":
            problems += _template_check(doc, step.path("where"), check_expression, "expression")
            problems += _names_check(doc, step.path("where"), FILTER_NAMES, inputs, True)
    return problems


def _declared_inputs(doc: YamlDoc) -> set[str] | None:
    declared = doc.data.get("inputs", {}) if isinstance(doc.data, dict) else None
    if declared is None:
        return set()
    return {str(k) for k in declared} if isinstance(declared, dict) else None


def _names_check(
    doc: YamlDoc,
    path: PathT,
    allowed: frozenset[str],
    inputs: set[str] | None,
    expression: bool,
) -> list[Problem]:
    text = _get(doc, path)
    if not isinstance(text, str):
        return []
    what = "expression" if expression else "template"
    where = describe_path(path, doc.data)
    problems: list[Problem] = []
    for line, name, sort in unknown_names(text, allowed, inputs, expression=expression):
        if sort == "input":
            msg = (
                f"{what} {where} reads `inputs.{name}`, but the workflow declares no input `{name}`"
            )
            msg += suggestion_text(name, inputs or (), "inputs")
            msg += "; declare it under `inputs:` or fix the name"
        else:
            msg = f"{what} {where} uses `{name}`, which is not defined when it is rendered"
            msg += suggestion_text(name, allowed, "names")
        span = _word_span(doc, template_line_span(doc, path, line), name)
        problems.append(Problem(span, msg, "template-name"))
    return problems


def _word_span(doc: YamlDoc, span: Span, word: str) -> Span:
    """The first `word` on the span's first line, at or after its start; else the span."""
    found = re.compile(rf"(?<![\w.]){re.escape(word)}\b|(?<=\.){re.escape(word)}\b").search(
        doc.line_text(span.line, span.file), span.col
    )
    if found is None:
        return span
    return Span(span.line, found.start(), span.line, found.end(), span.file)


def _template_check(
    doc: YamlDoc, path: PathT, checker: Callable[[str], tuple[int, str] | None], what: str
) -> list[Problem]:
    text = _get(doc, path)
    if not isinstance(text, str):
        return []
    found = checker(text)
    if found is None:
        return []
    line, message = found
    where = describe_path(path, doc.data)
    msg = f"Jinja2 syntax error in {what} {where} ({what} line {line}): {message.rstrip('.')}; fix the {what} syntax"
    return [Problem(template_line_span(doc, path, line), msg, "template")]


def template_line_span(doc: YamlDoc, path: PathT, template_line: int) -> Span:
    """Where line `template_line` (1-based) of a YAML string value is in the file.

    A literal block (`|`) starts on the line after the indicator, one template line per
    file line; other styles fold or escape newlines, so use the value's start.
    """
    loc = doc.index.get(doc.deepest(path))
    value_span = doc.value_span(path)
    style = getattr(loc.value, "style", None) if loc is not None else None
    if style != "|" or loc is None:
        return value_span
    line = value_span.line + template_line
    text = doc.line_text(line, value_span.file)
    col = len(text) - len(text.lstrip())
    return Span(line, col, line, max(len(text.rstrip()), col + 1), value_span.file)
