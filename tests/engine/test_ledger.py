"""The run ledger: the budget holds with agents in flight, and the status follows the counts."""

from __future__ import annotations

import pytest

from swath.engine.ledger import BudgetExhausted, RunLedger
from swath.findings.report import RunStatus, Usage


def test_the_budget_counts_what_is_in_flight_and_what_is_spent() -> None:
    ledger = RunLedger(budget_usd=1.0)
    first = ledger.reserve(0.4)
    ledger.reserve(0.4)
    with pytest.raises(BudgetExhausted, match=r"in flight \$0\.8000"):
        ledger.reserve(0.4)
    ledger.release(first)
    ledger.spent(Usage(cost_usd=0.5))  # the first agent cost more than its estimate
    with pytest.raises(BudgetExhausted):
        ledger.reserve(0.2)
    assert ledger.reserve(0.1) == 0.1


def test_without_a_budget_nothing_is_reserved() -> None:
    ledger = RunLedger(budget_usd=None)
    assert not ledger.has_budget
    assert ledger.reserve(1e9) == 0.0


@pytest.mark.parametrize(
    ("events", "status"),
    [
        ([], RunStatus.succeeded),
        (["ok", "fail"], RunStatus.partial),
        (["fail"], RunStatus.failed),
        (["ok", "error"], RunStatus.partial),  # a filter error, no failed task
        (["ok", "budget"], RunStatus.budget_exhausted),
        (["fail", "budget"], RunStatus.budget_exhausted),
        # every task of one step failed (a flag audit's plan, after its scan): nothing came
        # of the step the rest needed, so the run did not do its job
        (["ok", "ok", "fail plan"], RunStatus.failed),
        (["ok", "fail", "ok plan"], RunStatus.partial),
    ],
)
def test_the_status_follows_the_counts(events: list[str], status: RunStatus) -> None:
    ledger = RunLedger(budget_usd=1.0)
    for e in events:
        what, _, step = e.partition(" ")
        if what == "ok":
            ledger.succeeded(step or "map", cached=False)
        elif what == "fail":
            ledger.failed(step or "map", "step/key: boom")
        elif e == "error":
            ledger.error("filter failed")
        else:
            ledger.budget_stop()
    assert ledger.status(cancelled=False, failed=False) is status
    assert ledger.status(cancelled=True, failed=False) is RunStatus.cancelled
    assert ledger.status(cancelled=True, failed=True) is RunStatus.failed


def test_counts_are_read_as_copies() -> None:
    ledger = RunLedger(budget_usd=None)
    ledger.succeeded("map", cached=True)
    ledger.failed("map", None)  # a fatal error: the run reports it once, not as a task's line
    counts = ledger.counts
    counts.total = 99
    assert ledger.counts.total == 2 and ledger.counts.cached == 1 and ledger.counts.failed == 1
    assert ledger.errors == [] and ledger.done == 2
    ledger.planned(5)
    assert ledger.total == 5


def test_the_peak_of_agents_running_at_once() -> None:
    ledger = RunLedger(budget_usd=None)
    with ledger.agent_running():
        with ledger.agent_running():
            pass
        with ledger.agent_running():
            pass
    assert ledger.peak_running == 2
