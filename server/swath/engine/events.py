"""Typed events the engine emits while a run goes on.

Front ends (CLI progress bar, LSP progress/diagnostics) differ only in the sink that
consumes these. A sink is a plain callable; it must be cheap and must not raise.
"""

from __future__ import annotations

from typing import Callable, Literal, Union

from pydantic import BaseModel, Field

from swath.findings.model import Finding
from swath.findings.report import AgentCounts, RunReport, Usage


class StepPlan(BaseModel):
    id: str
    kind: str
    title: str = ""
    items: int = 0  # items the step will see (upper bound when upstream filters)
    agents: int = 0  # tasks that will run an agent (upper bound)
    cached: int = 0  # of those, served from the cache or an earlier attempt of this run
    model_agents: int = 0  # tasks that would call a model
    est_input_tokens: int = 0
    est_output_tokens: int = 0
    est_cost_usd: float = 0.0
    exact: bool = True  # False when the count is an upper bound


class RunPlan(BaseModel):
    workflow: str
    steps: list[StepPlan]
    total_agents: int
    cached_agents: int
    max_agents: int
    concurrency: int
    est_cost_usd: float = 0.0
    engine: str = "static"
    policy_violations: list[str] = Field(default_factory=list)
    # Files the sources left out, by reason (binary, too_large, symlink_loop, ...).
    skipped: dict[str, int] = Field(default_factory=dict)
    # What the plan found wrong without refusing it (e.g. a template that fails to render).
    warnings: list[str] = Field(default_factory=list)


class RunStarted(BaseModel):
    type: Literal["run_started"] = "run_started"
    run_id: str
    workflow: str
    plan: RunPlan


class TaskStarted(BaseModel):
    type: Literal["task_started"] = "task_started"
    run_id: str
    step: str
    key: str


class TaskFinished(BaseModel):
    type: Literal["task_finished"] = "task_finished"
    run_id: str
    step: str
    key: str
    status: Literal["succeeded", "failed", "cancelled"]
    cached: bool = False
    error: str | None = None
    findings: int = 0
    usage: Usage = Field(default_factory=Usage)
    # running totals, so a progress line needs no state of its own
    done: int = 0
    total: int = 0
    agents: AgentCounts = Field(default_factory=AgentCounts)
    run_usage: Usage = Field(default_factory=Usage)
    run_findings: int = 0


class FindingsEmitted(BaseModel):
    """Verified findings as they become final (streamed, long before the run ends)."""

    type: Literal["findings"] = "findings"
    run_id: str
    step: str
    findings: list[Finding]


class StepProgress(BaseModel):
    """Progress inside a step that is not a task finishing, e.g. a Message Batch being processed."""

    type: Literal["step_progress"] = "step_progress"
    run_id: str
    step: str
    message: str
    done: int = 0
    total: int = 0


class StepFinished(BaseModel):
    type: Literal["step_finished"] = "step_finished"
    run_id: str
    step: str
    records: int


class RunFinished(BaseModel):
    type: Literal["run_finished"] = "run_finished"
    run_id: str
    report: RunReport


Event = Union[
    RunStarted, TaskStarted, TaskFinished, FindingsEmitted, StepProgress, StepFinished, RunFinished
]
Sink = Callable[[Event], None]
