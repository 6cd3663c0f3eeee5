"""Second opinions: a stronger model re-checks the serious findings of a `verify` step.

Each finding at or above `second_opinion_severity` becomes one agent task (cached, under
the limits and the budget like any other) whose answer follows the `second-opinion` schema:
`{keep, reason}`. A finding the second agent rejects is dropped and counted, with the reason
in the audit log; one it keeps carries the reason in `data.second_opinion`. Without a model
the step keeps its findings as they are: there is nobody to ask.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from swath.engine.channels import Channel
from swath.engine.tasks import TaskRunner
from swath.findings.model import Finding
from swath.spec.models import VerifyStep
from swath.spec.records import Item

RANK = {"hint": 0, "information": 1, "warning": 2, "error": 3}
SCHEMA = "second-opinion"


@dataclass(frozen=True)
class Verdict:
    """The second agent's answer: keep the finding or not, and why (the `second-opinion`
    schema's `{keep, reason}`). A judgement without `keep` keeps the finding; `reason` is
    as the agent gave it (text, under the shipped schema)."""

    keep: bool
    reason: Any

    @classmethod
    def of(cls, judgement: object) -> Verdict:
        if not isinstance(judgement, dict):
            return cls(keep=True, reason="no second opinion (the agent failed)")
        return cls(keep=bool(judgement.get("keep", True)), reason=judgement.get("reason", ""))


class SecondOpinion:
    def __init__(self, tasks: TaskRunner, step: VerifyStep) -> None:
        self.tasks = tasks
        self.step = step
        agent = step.second_opinion
        self.agent = agent.model_copy(update={"output": agent.output or SCHEMA}) if agent else None
        self.threshold = RANK[step.second_opinion_severity]

    @property
    def active(self) -> bool:
        return self.agent is not None and bool(self.agent.instructions) and self.tasks.use_model

    def wanted(self, finding: Finding) -> bool:
        return RANK[finding.severity.value] >= self.threshold

    async def review(self, record_key: str, findings: list[Finding]) -> list[Finding]:
        if not self.active:
            return findings
        verdicts = await asyncio.gather(
            *(self._ask(record_key, f) for f in findings if self.wanted(f))
        )
        by_fp = {fp: v for fp, v in verdicts}
        kept: list[Finding] = []
        for f in findings:
            verdict = by_fp.get(f.fingerprint)
            if verdict is None:
                kept.append(f)
            elif verdict.keep:
                kept.append(
                    f.model_copy(update={"data": f.data.with_(second_opinion=verdict.reason)})
                )
            else:
                reason = "second opinion: " + str(verdict.reason)
                self.tasks.drop_finding(self.step.id, record_key, f, reason)
        return kept

    async def _ask(self, record_key: str, finding: Finding) -> tuple[str, Verdict]:
        assert self.agent is not None
        item = Item(
            id=f"{record_key}#{finding.fingerprint[:12]}",
            kind="finding",
            path=finding.path,
            files=[finding.path],
            data={"finding": finding.model_dump(mode="json")},
        )
        inbox = Channel(self.step.id)  # private: the verdict is read here, not streamed on
        await self.tasks.run_task(self.step, self.agent, "verify", [item], [], inbox)
        judgement = inbox.records[0].judgement if inbox.records else None
        return finding.fingerprint, Verdict.of(judgement)
