from __future__ import annotations

from pathlib import Path

import pytest

from swath.findings.model import Evidence, Finding, Range, Severity
from swath.findings.report import AgentCounts, RuleInfo, RunReport, RunStatus, Usage


def finding(
    rule: str,
    path: str,
    line: int,
    *,
    severity: Severity = Severity.warning,
    start: int = 0,
    end: int | None = None,
    message: str = "something is off",
    quote: str | None = None,
    verified: bool = True,
    tags: list[str] | None = None,
) -> Finding:
    evidence = [Evidence(path=path, line=line, quote=quote)] if quote is not None else []
    return Finding(
        rule=rule,
        severity=severity,
        path=path,
        range=Range.of_line(line, start, end),
        message=message,
        evidence=evidence,
        verified=verified,
        tags=tags or [],
    )


@pytest.fixture
def report(tmp_path: Path) -> RunReport:
    """A run with findings of every kind a renderer has to handle, in no particular order."""
    findings = [
        finding(
            "flag/fully-on",
            "src/shop/checkout.py",
            41,
            severity=Severity.information,
            start=7,
            end=40,
            message="Flag `new_checkout` is on for everyone.",
            quote='if flags.enabled("new_checkout"):',
            tags=["unnecessary"],
        ),
        finding(
            "sec/sql-injection",
            "src/db/query.py",
            9,
            severity=Severity.error,
            start=4,
            end=60,
            message="User input reaches SQL.\nUse a bound parameter.",
            quote='cur.execute("SELECT * FROM t WHERE id = " + user_id)',
            verified=False,
        ),
        finding(
            "flag/fully-on",
            "src/a b/x.py",
            0,
            severity=Severity.hint,
            message="Flag `beta` is on for everyone.",
            quote="BETA = True",
        ),
    ]
    return RunReport(
        run_id="run-7f3a",
        workflow="flag-audit",
        status=RunStatus.succeeded,
        agents=AgentCounts(total=120, succeeded=118, failed=2, cached=5),
        usage=Usage(
            input_tokens=12345,
            output_tokens=678,
            cache_read_tokens=9000,
            cache_write_tokens=100,
            cost_usd=0.12345,
        ),
        findings=findings,
        outputs={"report": "# Summary\n\nAll good."},
        dropped_findings=2,
        reanchored_findings=1,
        errors=["agent map:src/x.py failed: timed out after 120s"],
        started_at="2025-01-02T03:04:05+00:00",
        finished_at="2025-01-02T03:05:06+00:00",
        workspace=str(tmp_path),
        rules=[
            RuleInfo(
                id="flag/fully-on",
                description="Flag is fully rolled out. Remove the check and the dead branch.",
            ),
            RuleInfo(id="unused/rule", description="A rule that found nothing this run."),
        ],
    )
