"""The workflow language: a workflow is a DAG of typed steps.

Every model forbids unknown keys so a typo in a workflow file is an error with a
position, never a silently ignored setting.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import PrivateAttr, BaseModel, ConfigDict, Field, field_validator, model_validator

STEP_ID_PATTERN = r"^[a-z][a-z0-9_-]*$"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputSpec(StrictModel):
    """A value the user may pass with `-i KEY=VALUE`."""

    type: Literal["string", "integer", "number", "boolean", "path"] = Field(
        "string", description="How the value given on the command line is converted."
    )
    default: Any = Field(None, description="Used when the input is not given.")
    description: str = Field("", description="Shown by `swath workflows show`.")
    required: bool = Field(
        False, description="The run is refused when a required input is missing."
    )
    choices: list[str] | None = Field(
        None,
        description="The values allowed (compared case-insensitively); any other is refused "
        "before the run starts.",
    )
    many: bool = Field(
        False,
        description="With `choices`: a comma-separated list of them (or a list), not just one.",
    )

    @model_validator(mode="after")
    def _default_is_a_choice(self) -> InputSpec:
        # A default the run itself would refuse is the workflow file's mistake: said on load.
        if self.choices is None or self.default is None:
            return self
        given = self.default
        items = (given.split(",") if isinstance(given, str) else given) if self.many else [given]
        allowed = {c.lower() for c in self.choices}
        wrong = [str(v).strip() for v in items if str(v).strip().lower() not in allowed]
        if wrong:
            raise ValueError(f"default {wrong[0]!r} is not one of the choices {self.choices}")
        return self


class Limits(StrictModel):
    """Hard limits of a run."""

    concurrency: int = Field(16, ge=1, le=256, description="Agents running at once.")
    max_agents: int = Field(
        1000,
        ge=1,
        description="Total agents one run may start; a larger plan is refused before it runs.",
    )
    budget_usd: float | None = Field(
        None, ge=0, description="Stop starting agents past this spend."
    )
    task_timeout_s: float = Field(300.0, gt=0, description="A task running longer than this fails.")


class AgentSpec(StrictModel):
    """One unit of work: an offline analyzer, a model agent, or both.

    The analyzer always runs (cheap, deterministic, gives facts); when a model is configured
    and `instructions` are given, the model gets those facts as grounding and adds judgement.
    """

    analyzer: str | None = Field(
        None, description="Name of an offline analyzer (see `swath workflows list`)."
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Options passed to the analyzer."
    )
    instructions: str | None = Field(
        None, description="Sandboxed Jinja2 prompt template for the model agent."
    )
    _instructions_at: tuple[str, int] | None = PrivateAttr(default=None)
    system: str | None = Field(
        None, description="Extra system prompt text shared by all agents of the step."
    )
    tools: list[str] = Field(
        default_factory=list, description="Read-only workspace tools the model may call."
    )
    output: str | dict[str, Any] | None = Field(
        None, description="Output schema: a registered schema name or an inline JSON Schema."
    )
    model: str | None = Field(
        None, description="Model for this step; defaults by tier (map: fast, reduce: strong)."
    )
    max_turns: int = Field(
        8, ge=1, le=100, description="Tool-use rounds before the agent must answer."
    )
    max_tokens: int | None = Field(
        None,
        ge=1,
        description="Output tokens per model reply, thinking included; default per tier "
        "(model.max_tokens_map / _reduce / _verify), capped at the model's maximum.",
    )

    @property
    def instructions_at(self) -> tuple[str, int] | None:
        """Where the template's first line is in its workflow file (path, 1-based line), so
        a rendering error at run time can point there; None when not loaded from a file."""
        return self._instructions_at

    def locate_instructions(self, path: str, line: int) -> None:
        """The loader says where the template stands (see `instructions_at`)."""
        self._instructions_at = (path, line)


class StepBase(StrictModel):
    id: str = Field(
        pattern=STEP_ID_PATTERN, description="Unique name of the step; other steps refer to it."
    )
    title: str = Field("", description="Human-readable title shown in plans and progress.")
    needs: list[str] = Field(
        default_factory=list,
        description="Steps that must finish before this one starts (besides `from`).",
    )

    def upstream(self) -> list[str]:
        """Every step this one depends on."""
        deps = list(self.needs)
        src = getattr(self, "from_", None)
        if isinstance(src, str):
            deps.append(src)
        elif isinstance(src, list):
            deps.extend(src)
        return list(dict.fromkeys(deps))


class DiscoverStep(StepBase):
    kind: Literal["discover"] = Field(
        description="`discover`: a built-in source produces the work items."
    )
    source: str = Field(
        description="The source: a built-in one (files, diff, flags, grep) or one a plugin registers."
    )
    with_: dict[str, Any] = Field(
        default_factory=dict, alias="with", description="Options of the source."
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MapStep(StepBase):
    kind: Literal["map"] = Field(
        description="`map`: one agent per item (or per `batch` of items), in parallel."
    )
    from_: str = Field(alias="from", description="Step whose items this step maps over.")
    batch: int = Field(
        1,
        ge=1,
        le=1000,
        description="Items per agent, on average (at most twice this). Discovered items are batched by their ids,"
        " so adding one item re-runs about one batch instead of shifting all of them.",
    )
    agent: AgentSpec = Field(
        description="What each task runs: an offline analyzer and/or a model agent."
    )
    stream: bool = Field(True, description="Start agents as upstream items arrive.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FilterStep(StepBase):
    kind: Literal["filter"] = Field(
        description="`filter`: keep the records for which `where` is true."
    )
    from_: str = Field(alias="from", description="Step whose records are filtered.")
    where: str = Field(
        description="Sandboxed Jinja2 expression over `item`, `output`, `findings`, `inputs`."
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class VerifyStep(StepBase):
    kind: Literal["verify"] = Field(
        description="`verify`: keep findings whose quoted evidence stands in the file; dedupe."
    )
    from_: str | list[str] = Field(alias="from", description="Step(s) whose findings are verified.")
    reanchor_window: int = Field(
        3, ge=0, le=50, description="Lines searched around a cited place for a moved quote."
    )
    dedupe: bool = Field(True, description="Drop findings with the same fingerprint.")
    second_opinion: AgentSpec | None = Field(
        None, description="Agent that re-checks findings of `second_opinion_severity` or worse."
    )
    second_opinion_severity: Literal["error", "warning", "information", "hint"] = Field(
        "error", description="Findings of this severity or worse get a second opinion."
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ReduceStep(StepBase):
    kind: Literal["reduce"] = Field(
        description="`reduce`: one agent synthesises many results into one record."
    )
    from_: str | list[str] = Field(
        alias="from", description="Step(s) whose results are synthesised."
    )
    agent: AgentSpec = Field(
        description="The agent that writes the synthesis: a report, catalogue or plan."
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class EmitStep(StepBase):
    kind: Literal["emit"] = Field(
        description="`emit`: choose the run's findings, outputs and report."
    )
    from_: str | list[str] = Field(
        alias="from", description="Step(s) whose findings become the run's findings."
    )
    outputs: list[str] = Field(
        default_factory=list, description="Steps whose outputs appear in `outputs`."
    )
    report: str | None = Field(None, description="Step whose output is the Markdown report's body.")
    diagnostics: bool = Field(True, description="Show findings as editor diagnostics.")
    code_lenses: bool = Field(
        True, description="Show code lenses from findings that carry a `lens` in data."
    )

    def upstream(self) -> list[str]:
        """An emit also waits for the steps it takes `outputs` and the `report` from."""
        deps = super().upstream() + list(self.outputs)
        if self.report:
            deps.append(self.report)
        return list(dict.fromkeys(deps))

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


Step = Annotated[
    Union[DiscoverStep, MapStep, FilterStep, VerifyStep, ReduceStep, EmitStep],
    Field(discriminator="kind"),
]

STEP_KINDS = ("discover", "map", "filter", "verify", "reduce", "emit")


class Workflow(StrictModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="Name used on the command line.")
    description: str = Field("", description="What the workflow is for.")
    version: int = Field(
        1, description="Bump when the meaning of results changes (invalidates the cache)."
    )
    inputs: dict[str, InputSpec] = Field(
        default_factory=dict,
        description="Values the user may pass with `-i KEY=VALUE`; templates see them as `inputs`.",
    )
    limits: Limits = Field(
        default_factory=Limits, description="Hard limits of a run: concurrency, agents, budget."
    )
    model: str | None = Field(
        None, description="Default model for every model step of the workflow."
    )
    steps: list[Step] = Field(
        min_length=1, description="The steps of the workflow; a DAG through `from` and `needs`."
    )

    @field_validator("steps")
    @classmethod
    def _unique_ids(cls, steps: list[Any]) -> list[Any]:
        seen: set[str] = set()
        for s in steps:
            if s.id in seen:
                raise ValueError(f"step id {s.id!r} is used twice")
            seen.add(s.id)
        return steps

    def step(self, step_id: str) -> Any:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)


class StepChange(BaseModel):
    """A `steps:` entry of a workflow that `extends:` another one.

    An entry whose `id` is a step of the base changes that step: its keys are merged into
    the base step (mappings key by key, lists and scalars replaced). An entry with a new
    `id` and a `kind` is a new step. The other keys are those of the step kind; they are
    checked once the result is merged.
    """

    model_config = ConfigDict(extra="allow")

    id: str = Field(
        pattern=STEP_ID_PATTERN,
        description="The base step to change or remove, or the id of a new step.",
    )
    after: str | None = Field(
        None,
        description="Place this step right after the step with this id "
        "(default: a changed step stays where it is, a new step goes last).",
    )
    remove: bool = Field(
        False,
        description="Drop the base step with this id (steps that refer to it must be changed too).",
    )


class WorkflowExtension(StrictModel):
    """A workflow written as changes to another: `extends: review-diff` plus what differs.

    Top-level mappings (`inputs`, `limits`) are merged key by key into the base's, other
    values replace them; `name` is this workflow's own.
    """

    extends: str = Field(
        min_length=1,
        description="The workflow this one changes: a built-in's name or a saved workflow's.",
    )
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="Name used on the command line.")
    description: str | None = Field(None, description="What the workflow is for.")
    version: int | None = Field(
        None, description="Bump when the meaning of results changes (invalidates the cache)."
    )
    inputs: dict[str, dict[str, Any]] | None = Field(
        None, description="Inputs to add, or keys of the base's inputs to change."
    )
    limits: dict[str, Any] | None = Field(None, description="Limits of the base to change.")
    model: str | None = Field(
        None, description="Default model for every model step of the workflow."
    )
    steps: list[StepChange] = Field(
        default_factory=list, description="Base steps to change or remove, and new steps."
    )
