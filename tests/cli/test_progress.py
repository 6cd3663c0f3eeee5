"""The live progress line: true findings count, 80 columns, bar and N/M always there."""

from __future__ import annotations

import io

from rich.console import Console

from swath.cli.progress import PlainProgress, RichProgress
from swath.engine.events import FindingsEmitted, RunPlan, RunStarted, TaskFinished
from swath.findings.model import Finding, Range
from swath.findings.report import AgentCounts, Usage


def _finding(n: int) -> Finding:
    return Finding(rule="todo/stale", path=f"f{n}.py", range=Range.of_line(n), message="m")


def _events(total: int, findings: int) -> list[object]:
    plan = RunPlan(workflow="map-module-with-a-long-name", steps=[], total_agents=total,
                   cached_agents=0, max_agents=1000, concurrency=16)  # fmt: skip
    evs: list[object] = [
        RunStarted(run_id="20261202-120000-abcdef", workflow=plan.workflow, plan=plan)
    ]
    for done in range(1, total + 1):
        evs.append(
            TaskFinished(
                run_id="r",
                step="map",
                key=str(done),
                status="succeeded",
                done=done,
                total=total,
                agents=AgentCounts(total=total, succeeded=done, cached=done // 2, failed=1),
                run_usage=Usage(cost_usd=1.5),
                run_findings=0,
            )  # fmt: skip
        )
    # The findings become final after every task: verify and emit stream them.
    evs.append(
        FindingsEmitted(run_id="r", step="report", findings=[_finding(i) for i in range(findings)])
    )
    evs.append(FindingsEmitted(run_id="r", step="report", findings=[_finding(findings)]))
    return evs


def test_80_columns_keep_bar_count_and_true_findings() -> None:
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=False, color_system=None)
    bar = RichProgress(console)
    for ev in _events(366, 2582):
        bar(ev)  # type: ignore[arg-type]
    table = bar.progress.make_tasks_table(bar.progress.tasks)
    console.print(table)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    assert lines[0] == "swath: run 20261202-120000-abcdef of map-module-with-a-long-name"
    line = lines[-1]
    assert len(line) <= 80, line
    assert "366/366" in line and "2,583 findings" in line, line
    assert "━" in line  # the bar
    assert "map-module-with…" in line


def test_a_wide_terminal_shows_the_rest() -> None:
    out = io.StringIO()
    console = Console(file=out, width=140, force_terminal=False, color_system=None)
    bar = RichProgress(console)
    for ev in _events(10, 0):
        bar(ev)  # type: ignore[arg-type]
    console.print(bar.progress.make_tasks_table(bar.progress.tasks))
    line = [ln for ln in out.getvalue().splitlines() if ln.strip()][-1]
    assert "1 finding ·" in line and "1 failed" in line and "$1.5000" in line and "5 cached" in line


def test_plain_lines_count_findings_and_say_plurals() -> None:
    out = io.StringIO()
    plain = PlainProgress(out, interval=0)
    for ev in _events(1, 1):
        plain(ev)  # type: ignore[arg-type]
    text = out.getvalue()
    assert "1 agent planned" in text and "1/1 agents · 0 findings" in text
