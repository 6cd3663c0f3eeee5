"""A run's ledger: what its agents did, what they cost, and the status that follows.

The counters change only through these methods, from the one run that owns the ledger;
everything else reads copies. Budget is claimed before an agent starts (`reserve`) and
given back when it ends (`release`), while the money actually spent arrives reply by
reply (`spent`), so the cap holds with many agents in flight.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from swath.findings.report import AgentCounts, RunStatus, Usage


class BudgetExhausted(RuntimeError):
    pass


class RunLedger:
    def __init__(self, budget_usd: float | None) -> None:
        self.budget_usd = budget_usd
        self._counts = AgentCounts()
        self._usage = Usage()
        self._inflight_usd = 0.0
        self._planned = 0
        self._done = 0
        self._running = 0
        self._peak_running = 0
        self._errors: list[str] = []
        self._dropped = 0
        self._reanchored = 0
        self._budget_hit = False
        # {step: [succeeded, failed]}: a step of which every task failed gave nothing on
        # (a flag audit's plan, a review's pass), and a run without it did not do its job.
        self._per_step: dict[str, list[int]] = {}

    # -- the plan and the tasks ----------------------------------------------------------------
    def planned(self, total_agents: int) -> None:
        self._planned = total_agents

    def resumed(self, spent: Usage) -> None:
        """A resumed run starts from what its earlier attempts spent."""
        self._usage = spent

    @contextmanager
    def agent_running(self) -> Iterator[None]:
        """Around an agent that holds a concurrency slot: the peak goes in the report."""
        self._running += 1
        self._peak_running = max(self._peak_running, self._running)
        try:
            yield
        finally:
            self._running -= 1

    def succeeded(self, step: str, cached: bool) -> None:
        self._per_step.setdefault(step, [0, 0])[0] += 1
        self._counts.total += 1
        self._counts.succeeded += 1
        self._counts.cached += int(cached)
        self._done += 1

    def failed(self, step: str, error: str | None) -> None:
        """A task failed; `error` is its line in the report (None: the run reports it once)."""
        self._per_step.setdefault(step, [0, 0])[1] += 1
        self._counts.total += 1
        self._counts.failed += 1
        self._done += 1
        if error is not None:
            self.error(error)

    def error(self, message: str) -> None:
        self._errors.append(message)

    def verified(self, dropped: int, reanchored: int) -> None:
        self._dropped += dropped
        self._reanchored += reanchored

    # -- money -----------------------------------------------------------------------------
    @property
    def has_budget(self) -> bool:
        return self.budget_usd is not None

    def reserve(self, estimate_usd: float) -> float:
        """Claim budget for an agent about to start (what to `release` after), or raise
        BudgetExhausted."""
        budget = self.budget_usd
        if budget is None:
            return 0.0
        if self._usage.cost_usd + self._inflight_usd + estimate_usd > budget:
            raise BudgetExhausted(
                f"budget ${budget:.2f} reached (spent ${self._usage.cost_usd:.4f}, in flight "
                f"${self._inflight_usd:.4f}, next agent ~${estimate_usd:.4f})"
            )
        self._inflight_usd += estimate_usd
        return estimate_usd

    def release(self, reserved_usd: float) -> None:
        self._inflight_usd -= reserved_usd

    def spent(self, usage: Usage) -> None:
        # Every model reply is counted as it arrives, so the progress line and the budget see
        # money as it is spent, failed tasks' tokens included; tasks never add it again.
        self._usage = self._usage + usage

    def budget_stop(self) -> None:
        """A task was not started because the budget ran out: the run ends budget_exhausted."""
        self._budget_hit = True

    # -- reading -----------------------------------------------------------------------------
    @property
    def counts(self) -> AgentCounts:
        return self._counts.model_copy()

    @property
    def usage(self) -> Usage:
        return self._usage

    @property
    def done(self) -> int:
        return self._done

    @property
    def total(self) -> int:
        """The agents planned, or more when a step started more than the plan counted."""
        return max(self._planned, self._done)

    @property
    def peak_running(self) -> int:
        return self._peak_running

    @property
    def errors(self) -> list[str]:
        return list(self._errors)

    @property
    def failed_steps(self) -> list[str]:
        """The steps of which every task failed, in the order they first ran a task."""
        return [step for step, (ok, bad) in self._per_step.items() if bad and not ok]

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def reanchored(self) -> int:
        return self._reanchored

    def status(self, *, cancelled: bool, failed: bool) -> RunStatus:
        if failed:
            return RunStatus.failed
        if cancelled:
            return RunStatus.cancelled
        if self._budget_hit:
            return RunStatus.budget_exhausted
        if self.failed_steps:  # every task failed, or every task of a step the rest needed
            return RunStatus.failed
        if self._counts.failed or self._errors:
            return RunStatus.partial
        return RunStatus.succeeded
