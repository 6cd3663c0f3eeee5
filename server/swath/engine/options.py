"""What a caller (CLI, LSP) asks of one run."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from swath.spec.models import Limits, Workflow

EngineMode = Literal["auto", "static", "model"]


class RunOptions(BaseModel):
    inputs: dict[str, Any] = Field(default_factory=dict)
    paths: list[str] = Field(
        default_factory=list, description="Workspace-relative paths the run is limited to"
    )
    engine: EngineMode = "auto"
    concurrency: int | None = Field(None, ge=1, le=256)
    max_agents: int | None = Field(None, ge=1)
    budget_usd: float | None = Field(None, ge=0)
    task_timeout_s: float | None = Field(None, gt=0)
    use_cache: bool = True
    batch: bool = False
    batch_poll_s: float = Field(
        10.0, gt=0, description="How often a submitted Message Batch is polled"
    )
    run_id: str | None = None
    resume: bool = False

    def limits_for(self, workflow: Workflow) -> Limits:
        base = workflow.limits
        return Limits(
            concurrency=self.concurrency or base.concurrency,
            max_agents=self.max_agents or base.max_agents,
            budget_usd=self.budget_usd if self.budget_usd is not None else base.budget_usd,
            task_timeout_s=self.task_timeout_s or base.task_timeout_s,
        )


class PlanRefused(RuntimeError):
    """The run would exceed a limit; nothing was started."""


class EngineError(RuntimeError):
    """A problem with the workflow or the workspace found before any agent ran."""
