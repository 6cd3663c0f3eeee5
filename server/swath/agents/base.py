"""The contract between the engine and a model agent runner.

The engine owns scheduling, budget, caching and storage; the runner owns one conversation
with a model. The engine hands the runner an `AgentEnv` of callbacks so that the runner
never needs to know about runs, steps or stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Literal, Protocol

from pydantic import BaseModel, Field

from swath.findings.model import Finding
from swath.findings.report import Usage
from swath.spec.models import AgentSpec
from swath.spec.records import Item, Record
from swath.workspace import Workspace

Tier = Literal["map", "reduce", "verify"]


class ToolCall(BaseModel):
    """One tool call an agent made: recorded in the run's audit log."""

    tool: str
    arguments: dict[str, Any]
    ok: bool
    result_chars: int = 0
    error: str | None = None
    duration_ms: float = 0.0


class ModelTask(BaseModel):
    run_id: str
    step_id: str
    task_key: str
    tier: Tier
    agent: AgentSpec
    workflow_model: str | None = None
    items: list[Item] = Field(default_factory=list)
    records: list[Record] = Field(default_factory=list)  # reduce: upstream records
    facts: Any = None  # the analyzer's output for these items: grounding for the model
    inputs: dict[str, Any] = Field(default_factory=dict)


class ModelResult(BaseModel):
    output: Any = None
    findings: list[Finding] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    files_read: list[str] = Field(default_factory=list)
    model: str = ""
    turns: int = 0
    raw: str | None = None


class ModelEstimate(BaseModel):
    input_tokens: int
    output_tokens: int
    cost_usd: float


@dataclass
class AgentEnv:
    workspace: Workspace
    audit: Callable[[ToolCall], None] = lambda call: None
    # Called when the API pushes back (429/529) so the engine can lower its concurrency.
    on_pushback: Callable[[float], None] = lambda retry_after: None
    # Called with usage as it is incurred (each turn), for live cost and the budget.
    on_usage: Callable[[Usage], None] = lambda usage: None
    extra: dict[str, Any] = field(default_factory=dict)


class ModelTaskFailed(RuntimeError):
    """The task failed; `raw` keeps the model's last reply for the store."""

    def __init__(
        self,
        message: str,
        raw: str | None = None,
        usage: Usage | None = None,
        fatal: bool = False,
    ) -> None:
        super().__init__(message)
        self.raw = raw
        self.usage = usage or Usage()
        # An error no retry can fix (a refused key, the spend cap) seen where it cannot be
        # raised at once, in a batch's results: the step stops the run once it has stored
        # the batch's other results.
        self.fatal = fatal


class ModelRunner(Protocol):
    """Implemented by `swath.agents.llm` (the Anthropic tool-use loop)."""

    async def run(self, task: ModelTask, env: AgentEnv) -> ModelResult: ...

    async def estimate(self, task: ModelTask, env: AgentEnv) -> ModelEstimate: ...

    async def aclose(self) -> None: ...


ModelRunnerFactory = Callable[[], Awaitable[ModelRunner | None]]
