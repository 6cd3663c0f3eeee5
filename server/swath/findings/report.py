"""The run summary: the JSON contract of DESIGN.md, and what every renderer reads."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from swath.findings.model import Finding


class RunStatus(str, Enum):
    running = "running"
    succeeded = "succeeded"
    partial = "partial"
    failed = "failed"
    cancelled = "cancelled"
    budget_exhausted = "budget_exhausted"
    # Stored as `running`, but the process that ran it is gone (killed, crashed, rebooted).
    interrupted = "interrupted"


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 10),
        )


class AgentCounts(BaseModel):
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    cached: int = 0


class FileChecks(BaseModel):
    """What the run drew from the files its findings name, and what it reused.

    A finding's fingerprint and its verification read the finding's files; a conclusion
    drawn by an earlier run about the same findings, with every file it read unchanged,
    is reused instead (engine.filememo). A fully cached re-run reuses every one.
    """

    identified: int = Field(0, description="Findings whose fingerprint was computed from the file")
    identity_reused: int = Field(0, description="Findings whose fingerprint was reused")
    verified: int = Field(0, description="Findings whose evidence was checked against the file")
    verify_reused: int = Field(0, description="Findings whose verification was reused")


class RuleInfo(BaseModel):
    """What a rule means, for SARIF `rules` and Markdown legends."""

    id: str
    description: str = ""
    help_uri: str | None = None
    help: str = Field("", description="Longer Markdown guidance; the description stands in")
    tags: list[str] = Field(default_factory=list)
    # GitHub's `security-severity` (0.0-10.0, as CVSS): >=7 high, >=4 medium, else low.
    security_severity: float | None = None
    # A pass or other part of a workflow whose results replace only their own alerts in
    # code scanning (SARIF `automationDetails.id` is `<workflow>/<category>/<run>`).
    category: str | None = None
    # False for summaries shown only as code lenses (a map's per-file purpose): they are
    # facts about the code, not problems, so SARIF never uploads them as alerts.
    alert: bool = True


class RunReport(BaseModel):
    run_id: str
    workflow: str
    status: RunStatus
    agents: AgentCounts = Field(default_factory=AgentCounts)
    usage: Usage = Field(default_factory=Usage)
    findings: list[Finding] = Field(default_factory=list)
    outputs: dict[str, Any] = Field(default_factory=dict)
    # Beyond the contract (extending it is allowed): verification counts, errors, timing.
    dropped_findings: int = 0
    reanchored_findings: int = 0
    checks: FileChecks = Field(default_factory=FileChecks)
    errors: list[str] = Field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    workspace: str | None = None
    rules: list[RuleInfo] = Field(default_factory=list)
    peak_concurrency: int = 0
    inputs: dict[str, Any] = Field(default_factory=dict)
    # Files the run's sources left out, by reason: what the findings did not cover.
    skipped: dict[str, int] = Field(default_factory=dict)

    def contract_json(self) -> dict[str, Any]:
        """The object `--format json` prints."""
        return self.model_dump(mode="json", exclude={"rules", "workspace"})
