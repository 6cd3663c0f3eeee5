from __future__ import annotations

import json

import pytest

from swath import __version__
from swath.findings import (
    FORMATS,
    render,
    render_json,
    render_markdown,
    render_sarif_text,
    render_text,
)
from swath.findings.model import Severity
from swath.findings.report import RunReport, RunStatus

from .conftest import finding


# -- text ----------------------------------------------------------------------------
def test_text_lines_are_one_based_and_sorted_by_path(report: RunReport) -> None:
    lines = render_text(report).splitlines()
    assert lines[:3] == [
        "src/a b/x.py:1:1: hint flag/fully-on Flag `beta` is on for everyone.",
        "src/db/query.py:10:5: error sec/sql-injection User input reaches SQL. Use a bound parameter.",
        "src/shop/checkout.py:42:8: information flag/fully-on Flag `new_checkout` is on for everyone.",
    ]


def test_text_sorts_by_line_within_a_file(report: RunReport) -> None:
    report.findings = [
        finding("r/x", "b.py", 50, message="late"),
        finding("r/x", "a.py", 7, message="other file"),
        finding("r/x", "b.py", 3, message="early"),
    ]
    lines = render_text(report).splitlines()
    assert [line.split(":")[0:2] for line in lines[:3]] == [
        ["a.py", "8"],
        ["b.py", "4"],
        ["b.py", "51"],
    ]


def test_text_summary_line(report: RunReport) -> None:
    summary = render_text(report).splitlines()[-1]
    assert summary == (
        "succeeded: 120 agents (118 succeeded, 2 failed, 5 cached), 3 findings, 2 dropped, cost $0.1235"
    )


def test_text_has_no_ansi_and_ends_with_one_newline(report: RunReport) -> None:
    out = render_text(report)
    assert "\x1b[" not in out
    assert out.endswith("\n") and not out.endswith("\n\n")


def test_text_without_findings_is_just_the_summary() -> None:
    out = render_text(RunReport(run_id="r", workflow="w", status=RunStatus.failed))
    assert (
        out
        == "failed: 0 agents (0 succeeded, 0 failed, 0 cached), 0 findings, 0 dropped, cost $0.0000\n"
    )


# -- json ----------------------------------------------------------------------------
CONTRACT_TOP = ["run_id", "workflow", "status", "agents", "usage", "findings", "outputs"]
CONTRACT_FINDING = [
    "id",
    "rule",
    "severity",
    "path",
    "range",
    "message",
    "evidence",
    "verified",
    "fingerprint",
    "data",
]


def test_json_top_level_keys_in_contract_order(report: RunReport) -> None:
    doc = json.loads(render_json(report))
    assert list(doc)[: len(CONTRACT_TOP)] == CONTRACT_TOP
    # Not part of the contract and not for CI logs: absolute paths, rule legends.
    assert "workspace" not in doc and "rules" not in doc


def test_json_types_match_the_contract(report: RunReport) -> None:
    doc = json.loads(render_json(report))
    assert isinstance(doc["run_id"], str) and doc["workflow"] == "flag-audit"
    assert doc["status"] in {"succeeded", "partial", "failed", "cancelled", "budget_exhausted"}
    assert doc["agents"] == {"total": 120, "succeeded": 118, "failed": 2, "cached": 5}
    assert list(doc["usage"]) == [
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "cost_usd",
    ]
    assert all(isinstance(doc["usage"][k], int) for k in list(doc["usage"])[:4])
    assert isinstance(doc["usage"]["cost_usd"], float)
    assert doc["outputs"] == {"report": "# Summary\n\nAll good."}


def test_json_finding_shape(report: RunReport) -> None:
    doc = json.loads(render_json(report))
    f = next(x for x in doc["findings"] if x["rule"] == "sec/sql-injection")
    assert list(f)[: len(CONTRACT_FINDING)] == CONTRACT_FINDING
    # Zero-based like the LSP, unlike the text format.
    assert f["range"] == {"start": {"line": 9, "character": 4}, "end": {"line": 9, "character": 60}}
    assert f["evidence"] == [
        {
            "path": "src/db/query.py",
            "line": 9,
            "quote": 'cur.execute("SELECT * FROM t WHERE id = " + user_id)',
        }
    ]
    assert f["severity"] == "error" and f["verified"] is False
    assert isinstance(f["id"], str) and isinstance(f["fingerprint"], str) and f["fingerprint"]
    assert isinstance(f["data"], dict) and isinstance(f["message"], str)


def test_json_is_indented_by_two(report: RunReport) -> None:
    out = render_json(report)
    assert out.startswith('{\n  "run_id": "run-7f3a",\n  "workflow": "flag-audit",')
    assert out.endswith("}\n")


# -- dispatch ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fmt,expected",
    [
        ("text", lambda r: render_text(r)),
        ("json", lambda r: render_json(r)),
        ("markdown", lambda r: render_markdown(r)),
        ("sarif", lambda r: render_sarif_text(r, __version__)),
    ],
)
def test_render_dispatches(report: RunReport, fmt: str, expected) -> None:  # type: ignore[no-untyped-def]
    assert render(report, fmt) == expected(report)  # type: ignore[arg-type]


def test_render_passes_body_and_version(report: RunReport) -> None:
    assert "Synthesis here" in render(report, "markdown", body="Synthesis here")
    assert "](../../src/db/query.py#L10)" in render(report, "markdown", link_prefix="../../")
    assert (
        json.loads(render(report, "sarif", tool_version="9.9.9"))["runs"][0]["tool"]["driver"][
            "semanticVersion"
        ]
        == "9.9.9"
    )


def test_render_rejects_unknown_format(report: RunReport) -> None:
    assert set(FORMATS) == {"text", "json", "markdown", "sarif"}
    with pytest.raises(ValueError, match="unknown format"):
        render(report, "html")  # type: ignore[arg-type]


def test_severity_values_render_as_words(report: RunReport) -> None:
    report.findings = [finding("r/x", "a.py", i, severity=s) for i, s in enumerate(Severity)]
    assert [line.split()[1] for line in render_text(report).splitlines()[:-1]] == [
        s.value for s in Severity
    ]


def test_text_output_cannot_drive_the_terminal() -> None:
    from swath.findings.model import Finding, Range
    from swath.findings.render_text import format_finding

    f = Finding(
        rule="todo/stale",
        path="odd\x1b[2Jname.py",
        range=Range.of_line(0),
        message="TODO \x1b]8;;http://x\x07click\x1b]8;;\x07 ok\fnext\u202eevil",
    )
    line = format_finding(f)
    assert "\x1b" not in line and "\x07" not in line and "\f" not in line
    assert "\u202e" not in line
    assert line.startswith("odd\\x1b[2Jname.py:1:1: ")
    assert "ok next" in line and "\\u202eevil" in line
