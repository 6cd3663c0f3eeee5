"""`swath new "PROMPT"`: a workflow file drafted from a sentence, validated, planned, saved.

With a model, the draft is grounded (generate_grounding.py) and checked twice before
anything is written: it must validate, and its plan must stay inside the limits (agents,
policy, templates that render). Each problem goes back with its exact `file:line:col`, for
up to three repair rounds; a draft that never passes saves nothing. Without a model, the
closest shipped workflow is copied as a starting point (generate_offline.py), and the
caller is told that a new shape needs a model. Nothing here runs a workflow: the CLI and
the editor show the plan and ask first.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from swath.agents.base import AgentEnv, ModelTask
from swath.engine import generate_offline as fallback
from swath.engine.generate_offline import OfflineChoice
from swath.engine.catalog import known_names
from swath.engine.events import RunPlan
from swath.engine.generate_grounding import example_files, grounding
from swath.engine.inputs import InputError
from swath.engine.options import EngineError, RunOptions
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import KnownNames, WorkflowError, load_workflow_text
from swath.spec.models import AgentSpec, Workflow

if TYPE_CHECKING:
    from swath.engine.session import Session

MAX_ROUNDS = 3  # the first draft and two repairs

OUTPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
        "yaml": {"type": "string", "description": "the complete workflow file"},
    },
    "required": ["name", "yaml"],
}

INSTRUCTIONS = """Write a Swath workflow file (YAML) for this job:

{{ inputs.prompt }}

The file must validate against this JSON Schema (every source's `with:` options and every
analyzer's `params:` are in it):
{{ inputs.schema }}

What each name is for:
{{ inputs.catalogue }}

Complete example workflows, valid as they are:
{{ inputs.examples }}

Prefer an offline analyzer (ast-grep, regex, catalogue, or a built-in one) for every map
step, so the workflow runs without a model; add model instructions only where judgement is
needed. Verify findings before emitting them, keep limits modest, and give every input a
default when one makes sense.
{% if inputs.problems %}
Your previous draft had these problems (repair round {{ inputs.round }}); fix every one and
answer with the whole corrected file:
{{ inputs.problems }}
{% endif %}"""


class Draft(BaseModel):
    """A workflow ready to save: valid, planned (unless it needs inputs), with its history."""

    name: str
    filename: str  # workspace-relative, under .swath/workflows/
    text: str  # the file as it will be saved, the prompt as a comment on top
    plan: RunPlan | None = None
    plan_note: str = ""  # why there is no plan, when there is none
    rounds: int = 0  # model requests made; 0 offline
    repaired: list[str] = Field(default_factory=list)  # the problems each repair fixed
    offline: OfflineChoice | None = None
    fills: list[str] = Field(default_factory=list)


class GenerationFailed(EngineError):
    """No draft passed within the rounds; nothing was saved."""


def slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:5]
    return "-".join(words) or "workflow"


def header(prompt: str, how: str) -> str:
    lines = textwrap.wrap(" ".join(prompt.split()), 86) or [""]
    quoted = "\n".join(f"#   {line}" for line in lines)
    return f"# Written by `swath new` ({how}) from the prompt:\n{quoted}\n"


def _plan_problems(plan: RunPlan) -> list[str]:
    problems = []
    if plan.total_agents > plan.max_agents:
        by_step = ", ".join(f"{s.id}: {s.agents}" for s in plan.steps if s.agents)
        problems.append(
            f"the plan needs {plan.total_agents} agents ({by_step}), over the limit of "
            f"{plan.max_agents}: narrow the discover step (include/exclude), batch more "
            "items per agent, or use an offline analyzer"
        )
    problems += [v.strip() for v in plan.policy_violations]
    problems += [f"plan warning: {w}" for w in plan.warnings]
    return problems


async def _plan(session: "Session", wf: Workflow) -> tuple[RunPlan | None, str]:
    try:
        return await session.engine.plan(wf, RunOptions()), ""
    except InputError as exc:  # a required input: the plan waits for the user's value
        return None, f"not planned: {exc}"


async def _check(
    session: "Session", text: str, filename: str, known: KnownNames
) -> tuple[Workflow | None, RunPlan | None, str, list[str]]:
    """The workflow, its plan, a note, and every problem (empty when it may be saved)."""
    try:
        wf = load_workflow_text(text, filename, known)
    except WorkflowError as exc:
        return None, None, "", [str(exc)]
    plan, note = await _plan(session, wf)
    return wf, plan, note, _plan_problems(plan) if plan else []


def _free_filename(root: Path, name: str) -> tuple[str, str]:
    """A name and file under .swath/workflows/ that overwrite nothing, nor shadow a built-in."""
    taken = {p.stem for p in builtin_workflows_dir().glob("*.yaml")}
    base, n = name, 1
    while name in taken or (root / f".swath/workflows/{name}.yaml").exists():
        n += 1
        name = f"{base}-{n}"
    return name, f".swath/workflows/{name}.yaml"


def _named(text: str, name: str) -> str:
    return re.sub(r"(?m)^name:.*$", f"name: {name}", text, count=1)


async def draft_workflow(
    session: "Session", prompt: str, name: str | None = None, *, rounds: int = MAX_ROUNDS
) -> Draft:
    """A draft that validates and plans; saves nothing (see `save`)."""
    if not prompt.strip():
        raise EngineError("`swath new` needs a prompt: a sentence saying what to find")
    if session.engine.model_runner is None:
        return await offline_draft(session, prompt, name)
    return await model_draft(session, prompt, name, rounds)


async def model_draft(session: "Session", prompt: str, name: str | None, rounds: int) -> Draft:
    runner = session.engine.model_runner
    assert runner is not None
    known = known_names()
    ground = grounding()
    inputs = {
        "prompt": prompt,
        "schema": ground.schema_text,
        "catalogue": ground.catalogue,
        "examples": ground.examples,
        "problems": "",
        "round": 0,
    }
    agent = AgentSpec(instructions=INSTRUCTIONS, output=OUTPUT_SCHEMA, tools=[], max_turns=2)
    env = AgentEnv(workspace=session.workspace)
    repaired: list[str] = []
    problems: list[str] = []
    for attempt in range(1, rounds + 1):
        task = ModelTask(
            run_id="new",
            step_id="generate",
            task_key=f"round-{attempt}",
            tier="reduce",
            agent=agent,
            inputs=inputs,
        )
        result = await runner.run(task, env)
        out = result.output if isinstance(result.output, dict) else {}
        wanted = name or str(out.get("name") or slug(prompt))
        final_name, filename = _free_filename(session.workspace.root, wanted)
        body = _named(str(out.get("yaml", "")), final_name).rstrip("\n") + "\n"
        # Checked without the comment header, so the lines quoted in a repair request are the
        # lines of the model's own draft.
        wf, plan, note, problems = await _check(session, body, filename, known)
        if wf is not None and not problems:
            text = header(prompt, f"{result.model or 'a model'}, {attempt} round(s)") + body
            load_workflow_text(text, filename, known)  # the saved form is valid too
            return Draft(
                name=final_name,
                filename=filename,
                text=text,
                plan=plan,
                plan_note=note,
                rounds=attempt,
                repaired=repaired,
            )
        joined = "\n".join(problems)
        repaired.append(joined)
        inputs = {**inputs, "problems": joined, "round": attempt}
    raise GenerationFailed(
        f"the model's workflow was still invalid after {rounds} rounds; nothing was saved. "
        f"The last problems:\n" + "\n".join(problems)
    )


async def offline_draft(session: "Session", prompt: str, name: str | None) -> Draft:
    candidates = [
        c
        for path in example_files()
        if (c := fallback.candidate(path, builtin=path.parent == builtin_workflows_dir()))
    ]
    try:
        best, choice = fallback.choose(prompt, candidates)
    except fallback.NoCloseWorkflow as exc:
        raise EngineError(
            f"`swath new` without a model: {exc}. A new kind of job needs a model: set "
            "ANTHROPIC_API_KEY (docs/models.md), or start from `swath workflows list`."
        ) from None
    final_name, filename = _free_filename(session.workspace.root, name or slug(prompt))
    text, fills = fallback.fill(prompt, best, final_name)
    choice.fills = fills
    body = fallback.body_of(text)
    text = header(prompt, f"no model: a copy of {best.name}") + body
    known = known_names()
    wf, plan, note, problems = await _check(session, text, filename, known)
    if wf is None:  # a shipped workflow that does not load is Swath's bug, not the user's
        raise EngineError(f"the closest workflow, {best.name}, did not load: {problems}")
    return Draft(
        name=final_name,
        filename=filename,
        text=text,
        plan=plan,
        plan_note=note or "; ".join(problems),
        offline=choice,
        fills=[f.what for f in fills],
    )


def save(session: "Session", draft: Draft) -> Path:
    path = session.workspace.root / draft.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(draft.text, encoding="utf-8")
    return path


def describe(draft: Draft) -> dict[str, Any]:
    """The draft as the editor gets it (beside the file's uri)."""
    described: dict[str, Any] = draft.model_dump(mode="json", exclude={"text"})
    return described
