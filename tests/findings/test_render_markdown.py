from __future__ import annotations

import re

from swath.findings.render_markdown import fence_for, render_markdown
from swath.findings.report import RunReport, RunStatus

from .conftest import finding


def section(md: str, title: str) -> str:
    """The text of the `## title` section, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", md, re.S | re.M)
    assert match, f"no section {title!r} in:\n{md}"
    return match.group(1)


def test_title_names_workflow_and_run(report: RunReport) -> None:
    md = render_markdown(report)
    assert md.startswith("# Swath report: flag-audit\n")
    assert "- **Run:** `run-7f3a`" in md
    assert "- **Status:** succeeded" in md
    assert "- **Started:** 2025-01-02T03:04:05+00:00" in md


def test_counts_table(report: RunReport) -> None:
    summary = section(render_markdown(report), "Summary")
    assert "| Agents | 120 |" in summary
    assert "| Succeeded | 118 |" in summary
    assert "| Failed | 2 |" in summary
    assert "| Served from cache | 5 |" in summary
    assert "| Findings | 3 (1 error, 1 information, 1 hint) |" in summary


def test_usage_and_cost(report: RunReport) -> None:
    usage = section(render_markdown(report), "Usage")
    assert "| 12,345 | 678 | 9,000 | 100 | $0.1235 |" in usage


def test_body_goes_before_findings(report: RunReport) -> None:
    md = render_markdown(report, body="## Deprecation plan\n\nRemove `beta` first.\n")
    assert "Remove `beta` first." in md
    assert md.index("## Deprecation plan") < md.index("## Findings")
    assert md.index("## Usage") < md.index("## Deprecation plan")


def test_no_body_no_blank_section(report: RunReport) -> None:
    assert "\n\n\n" not in render_markdown(report, body="   ")


def test_findings_grouped_by_rule_worst_first_then_file(report: RunReport) -> None:
    findings = section(render_markdown(report), "Findings")
    headings = re.findall(r"^#{3,4} .*$", findings, re.M)
    assert headings == [
        "### `sec/sql-injection` (1 finding)",
        "#### `src/db/query.py`",
        "### `flag/fully-on` (2 findings)",
        "#### `src/a b/x.py`",
        "#### `src/shop/checkout.py`",
    ]
    # The rule's description from report.rules explains the group.
    assert "Flag is fully rolled out. Remove the check and the dead branch." in findings


def test_finding_item_has_severity_relative_link_and_message(report: RunReport) -> None:
    findings = section(render_markdown(report), "Findings")
    assert (
        "- **information** [src/shop/checkout.py:42](src/shop/checkout.py#L42): "
        "Flag `new_checkout` is on for everyone." in findings
    )
    # Spaces in paths must not break the link target.
    assert "[src/a b/x.py:1](src/a%20b/x.py#L1)" in findings
    # A multi-line message stays inside its list item.
    assert "User input reaches SQL.\n  Use a bound parameter." in findings


def test_unverified_findings_are_marked(report: RunReport) -> None:
    findings = section(render_markdown(report), "Findings")
    assert "[src/db/query.py:10](src/db/query.py#L10) *(unverified)*:" in findings
    assert "[src/shop/checkout.py:42](src/shop/checkout.py#L42) *(unverified)*" not in findings


def test_evidence_in_code_blocks(report: RunReport) -> None:
    findings = section(render_markdown(report), "Findings")
    assert '  ```python\n  if flags.enabled("new_checkout"):\n  ```' in findings


def test_evidence_elsewhere_names_its_place(report: RunReport) -> None:
    f = finding("r/x", "src/a.py", 3, quote="x = 1")
    f.evidence[0] = f.evidence[0].model_copy(update={"path": "src/b.py", "line": 7})
    report.findings = [f]
    md = render_markdown(report)
    assert "Evidence at [src/b.py:8](src/b.py#L8):" in md


def test_quote_with_backticks_gets_a_longer_fence(report: RunReport) -> None:
    report.findings = [finding("r/x", "README.md", 0, quote="```bash\nrm -rf /\n```")]
    md = render_markdown(report)
    assert "  ````markdown\n  ```bash\n  rm -rf /\n  ```\n  ````" in md
    assert fence_for("a ````` b") == "``````"


def test_link_prefix_for_reports_saved_elsewhere(report: RunReport) -> None:
    md = render_markdown(report, link_prefix="../../")
    assert "[src/db/query.py:10](../../src/db/query.py#L10)" in md


def test_brackets_in_paths_do_not_break_links(report: RunReport) -> None:
    report.findings = [finding("r/x", "app/[id]/page.tsx", 4)]
    assert r"[app/\[id\]/page.tsx:5](app/%5Bid%5D/page.tsx#L5)" in render_markdown(report)


def test_verification_counts(report: RunReport) -> None:
    verification = section(render_markdown(report), "Verification")
    assert "- Dropped (evidence not found): 2" in verification
    assert "- Re-anchored (quote found nearby): 1" in verification
    assert "- Kept but unverified: 1" in verification


def test_errors_section(report: RunReport) -> None:
    report.errors.append("step reduce failed\nTraceback: boom")
    errors = section(render_markdown(report), "Errors")
    assert "- agent map:src/x.py failed: timed out after 120s" in errors
    assert "- step reduce failed\n\n  ```\n  Traceback: boom\n  ```" in errors


def test_empty_run() -> None:
    md = render_markdown(RunReport(run_id="r1", workflow="map-module", status=RunStatus.cancelled))
    assert "No findings." in section(md, "Findings")
    assert "## Errors" not in md
    assert "- **Status:** cancelled" in md
    assert md.endswith("\n") and not md.endswith("\n\n")


def test_code_lens_hints_are_counted_not_listed() -> None:
    # preact's map: 514 lens hints were 1,580 of the report's 1,811 lines
    from swath.findings.model import FindingData, Severity

    lens = [
        finding("map/summary", f"src/f{i}.js", 0, severity=Severity.hint, quote="x")
        for i in range(3)
    ]
    lens = [f.model_copy(update={"data": FindingData(lens="used by 2")}) for f in lens]
    plain_hint = finding("flag/dead-branch", "src/a.py", 4, severity=Severity.hint)
    cycle = finding("map/import-cycle", "src/a.js", 1)
    report = RunReport(
        run_id="r1",
        workflow="map-module",
        status=RunStatus.succeeded,
        findings=[*lens, plain_hint, cycle],
    )
    findings = section(render_markdown(report), "Findings")
    assert "src/f0.js" not in findings and "### `map/summary`" not in findings
    assert "3 code-lens hints (`map/summary` 3) are not listed here" in findings
    assert "### `map/import-cycle` (1 finding)" in findings
    assert "### `flag/dead-branch` (1 finding)" in findings  # a hint without a lens stays
    assert "| Findings | 5 (1 warning, 4 hint) |" in render_markdown(report)


def test_a_quote_given_twice_is_printed_once(report: RunReport) -> None:
    """etcd's interceptors: the dead branch starts at its own check's line, and the check's
    line joins a dead hint's evidence; the report printed the same line twice."""
    from swath.findings.model import Evidence

    check = "if !api.IsCapabilityEnabled(api.V3rpcCapability) {"
    f = finding("flag/fully-on", "v3rpc/interceptor.go", 46, quote=check)
    f.evidence.append(Evidence(path="v3rpc/interceptor.go", line=46, quote=check))
    f.evidence.append(Evidence(path="v3rpc/interceptor.go", line=44, quote="func f() {"))
    report.findings = [f]
    findings = section(render_markdown(report), "Findings")
    assert findings.count(check) == 1, findings
    assert "Evidence at [v3rpc/interceptor.go:45](v3rpc/interceptor.go#L45):" in findings
