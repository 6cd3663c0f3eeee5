"""SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`) and other
SARIF viewers.

What GitHub needs beyond schema validity, and why it is done this way:
- URIs relative to the repository root, with `uriBaseId` `%SRCROOT%`: GitHub maps
  them onto the checkout; absolute or `./`-prefixed paths show as "file not found".
- `partialFingerprints`: GitHub tracks an alert across commits by it; ours ignores line
  numbers (see `fingerprint_of`), so an edit above a finding doesn't reopen the alert.
- `automationDetails.id` `"<workflow>/<run_id>"`: the part before the last slash is the
  analysis category, so each workflow's results replace only that workflow's alerts. A
  workflow whose rules name a `category` (review-diff's passes) gets one SARIF run per
  category, `"<workflow>/<category>/<run_id>"`: a review of one pass replaces that pass's
  alerts and leaves the others' alone.
- Every rule has `shortDescription`, `fullDescription`, `help` (text and Markdown, with a
  link to its docs) and `properties.tags`; security rules carry `security-severity`, which
  is what makes GitHub show them as security alerts with a severity.
- Summaries (`RuleInfo.alert` false: a map's per-file purpose) are not alerts: left out.
- Positions are ONE-based and `endColumn` is exclusive, like the LSP's end character.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote as url_quote

from swath.findings.model import Finding, Range, Severity
from swath.findings.render_text import finding_sort_key
from swath.findings.report import RuleInfo, RunReport, RunStatus
from swath.findings.sarif_log import (
    Driver,
    Invocation,
    Location,
    Region,
    Result,
    ResultProperties,
    Rule,
    RuleProperties,
    Run,
    RunProperties,
    SarifLog,
    UriBase,
)

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "swath"
# Where a user of the report learns about the tool. Placeholder until the project has
# a public home; callers can pass their own.
DEFAULT_INFORMATION_URI = "https://github.com/swath-dev/swath"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "swath/v1"

LEVELS = {
    Severity.error: "error",
    Severity.warning: "warning",
    Severity.information: "note",
    Severity.hint: "note",
}
LEVEL_RANK = {"error": 0, "warning": 1, "note": 2}


# -- locations -----------------------------------------------------------------------
def sarif_uri(path: str) -> str:
    """A repo-relative URI: forward slashes, no leading `./` or `/`, percent-encoded."""
    p = path.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    p = p.lstrip("/")
    # Percent-encoding keeps spaces, `#` and `%` in file names valid as a URI reference.
    return url_quote(p, safe="/")


def sarif_region(r: Range) -> Region:
    """ONE-based region; the end is clamped so a malformed range still validates."""
    start_line, start_col = r.start.line + 1, r.start.character + 1
    end_line, end_col = r.end.line + 1, r.end.character + 1
    if (end_line, end_col) < (start_line, start_col):
        end_line, end_col = start_line, start_col
    return {
        "startLine": start_line,
        "startColumn": start_col,
        "endLine": end_line,
        "endColumn": end_col,
    }


def sarif_location(f: Finding) -> Location:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": sarif_uri(f.path), "uriBaseId": SRCROOT},
            "region": sarif_region(f.range),
        }
    }


def original_uri_base_ids(report: RunReport) -> dict[str, UriBase]:
    # GitHub ignores the absolute root (it knows its checkout); local viewers use it to
    # open files. Without a known workspace, a description keeps the base id declared.
    if report.workspace:
        return {SRCROOT: {"uri": Path(report.workspace).resolve().as_uri().rstrip("/") + "/"}}
    return {SRCROOT: {"description": {"text": "The root of the workspace Swath analysed."}}}


# -- rules ---------------------------------------------------------------------------
# Where each family of rules is explained, relative to the repository's home.
DOCS_SECTIONS = {
    "flag/": "docs/flags.md#classification",
    "map/": "docs/builtin-workflows.md#map-module",
    "todo/": "docs/builtin-workflows.md#todo-audit",
    "review/": "docs/review.md#what-is-checked-where",
    "ruff/": "docs/review.md#what-is-checked-where",
}
# GitHub's bands: >= 7.0 high, >= 4.0 medium, else low. A security rule without its own
# score gets one from its level.
SECURITY_SEVERITY_OF_LEVEL = {"error": 8.0, "warning": 5.5, "note": 3.0}


def first_sentence(text: str) -> str:
    head = text.strip().split("\n\n", 1)[0]
    dot = head.find(". ")
    return " ".join((head[: dot + 1] if dot >= 0 else head).split())


def rule_level(rule_id: str, findings: list[Finding]) -> str:
    """The most severe level the rule reported in this run; `warning` (SARIF's default) if none."""
    levels = [LEVELS[f.severity] for f in findings if f.rule == rule_id]
    return min(levels, key=LEVEL_RANK.__getitem__) if levels else "warning"


def rule_ids(report: RunReport) -> list[str]:
    return sorted({r.id for r in report.rules} | {f.rule for f in report.findings})


def rule_infos(report: RunReport) -> dict[str, RuleInfo]:
    """A RuleInfo for every rule of the run; one the run does not describe gets its id."""
    known = {r.id: r for r in report.rules}
    cats = {r.category for r in report.rules if r.category}
    out = {}
    for rid in rule_ids(report):
        info = known.get(rid)
        if info is None:
            # A model's own rule (`review/security/...`) joins the category its id names.
            parts = rid.split("/")
            cat = parts[1] if len(parts) >= 3 and parts[1] in cats else None
            info = RuleInfo(id=rid, category=cat)
        out[rid] = info
    return out


def help_uri(info: RuleInfo, findings: list[Finding], information_uri: str) -> str:
    if info.help_uri:
        return info.help_uri
    for f in findings:  # ruff's findings carry the rule's page
        url = f.data.extra("url") if f.rule == info.id else None
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            return url
    section = next((v for k, v in DOCS_SECTIONS.items() if info.id.startswith(k)), "README.md")
    return f"{information_uri.rstrip('/')}/blob/main/{section}"


def rule_tags(info: RuleInfo) -> list[str]:
    family = info.id.split("/", 1)[0]
    tags = list(dict.fromkeys([family, *info.tags, *([info.category] if info.category else [])]))
    if info.security_severity is not None and "security" not in tags:
        tags.append("security")
    return tags


def sarif_rule(
    info: RuleInfo, findings: list[Finding], information_uri: str = DEFAULT_INFORMATION_URI
) -> Rule:
    description = info.description.strip() or info.id
    level = rule_level(info.id, findings)
    uri = help_uri(info, findings, information_uri)
    guidance = info.help.strip() or description
    tags = rule_tags(info)
    properties: RuleProperties = {"tags": tags}
    if "security" in tags:
        score = info.security_severity
        if score is None:
            score = SECURITY_SEVERITY_OF_LEVEL[level]
        # GitHub reads a string holding a number.
        properties["security-severity"] = f"{score:.1f}"
    return {
        "id": info.id,
        "shortDescription": {"text": first_sentence(description) or info.id},
        "fullDescription": {"text": description},
        "help": {
            "text": f"{guidance}\n\nMore: {uri}",
            "markdown": f"{guidance}\n\n[More about `{info.id}`]({uri})",
        },
        "helpUri": uri,
        "defaultConfiguration": {"level": level},
        "properties": properties,
    }


# -- results -------------------------------------------------------------------------
def sarif_result(f: Finding, rule_index: int) -> Result:
    result: Result = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        # SARIF requires a non-empty message; a bare rule id is better than nothing.
        "message": {"text": f.message.strip() or f.rule},
        "locations": [sarif_location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
    }
    properties: ResultProperties = {}
    if not f.verified:
        properties["verified"] = False
    if f.tags:
        properties["tags"] = list(f.tags)
    if properties:
        result["properties"] = properties
    return result


# -- invocation ----------------------------------------------------------------------
def utc_timestamp(value: str | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as SARIF's date-time wants; None when unparseable."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def invocation(report: RunReport) -> Invocation:
    # Only a fully succeeded run is "successful": partial, cancelled and over-budget runs
    # produced incomplete results, and code scanning should not read them as complete.
    inv: Invocation = {"executionSuccessful": report.status == RunStatus.succeeded}
    started, finished = utc_timestamp(report.started_at), utc_timestamp(report.finished_at)
    if started:
        inv["startTimeUtc"] = started
    if finished:
        inv["endTimeUtc"] = finished
    if report.errors:
        inv["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": err.strip() or "error"}} for err in report.errors
        ]
    return inv


def run_properties(report: RunReport) -> RunProperties:
    return {
        "status": report.status.value,
        "agents": report.agents.model_dump(mode="json"),
        "usage": report.usage.model_dump(mode="json"),
        "droppedFindings": report.dropped_findings,
        "reanchoredFindings": report.reanchored_findings,
    }


# -- the log -------------------------------------------------------------------------
def categories(report: RunReport, infos: dict[str, RuleInfo]) -> list[str]:
    """The categories of the run's rules that ran: an input `passes` other than `all`
    narrows them to the passes it names."""
    found = sorted({i.category for i in infos.values() if i.category})
    chosen = report.inputs.get("passes")
    if isinstance(chosen, str) and chosen.strip() and chosen.strip().lower() != "all":
        wanted = {p.strip().lower() for p in chosen.split(",")}
        found = [c for c in found if c in wanted]
    return found


def split_runs(report: RunReport, infos: dict[str, RuleInfo]) -> list[tuple[str, list[str]]]:
    """(category, rule ids) per SARIF run: one run per category, and one for the rules
    without a category (all of them when no rule has one). Summaries are left out."""
    alerts = [rid for rid, info in infos.items() if info.alert]
    cats = categories(report, infos)
    if not cats:
        return [("", alerts)]
    runs = [(c, [rid for rid in alerts if infos[rid].category == c]) for c in cats]
    rest = [rid for rid in alerts if not infos[rid].category]
    if any(f.rule in rest for f in report.findings):
        runs.append(("", rest))
    return runs


def sarif_run(
    report: RunReport,
    tool_version: str,
    category: str,
    ids: list[str],
    infos: dict[str, RuleInfo],
    information_uri: str,
) -> Run:
    index = {rule_id: i for i, rule_id in enumerate(ids)}
    findings = [f for f in report.findings if f.rule in index]
    driver: Driver = {
        "name": TOOL_NAME,
        "informationUri": information_uri,
        "semanticVersion": tool_version,
        "version": tool_version,
        "rules": [sarif_rule(infos[rule_id], findings, information_uri) for rule_id in ids],
    }
    where = f"{report.workflow}/{category}" if category else report.workflow
    return {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"{where}/{report.run_id}"},
        "originalUriBaseIds": original_uri_base_ids(report),
        "invocations": [invocation(report)],
        # Our characters are code points (see findings.model), not UTF-16 units.
        "columnKind": "unicodeCodePoints",
        "results": [sarif_result(f, index[f.rule]) for f in sorted(findings, key=finding_sort_key)],
        "properties": run_properties(report),
    }


def render_sarif(
    report: RunReport,
    tool_version: str,
    *,
    information_uri: str = DEFAULT_INFORMATION_URI,
) -> SarifLog:
    """The SARIF log as a JSON-ready dict: a run per category, one result per alert."""
    infos = rule_infos(report)
    runs = [
        sarif_run(report, tool_version, category, ids, infos, information_uri)
        for category, ids in split_runs(report, infos)
    ]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}


def render_sarif_text(
    report: RunReport,
    tool_version: str,
    *,
    information_uri: str = DEFAULT_INFORMATION_URI,
) -> str:
    """`render_sarif` serialised with indent 2, ending with a newline."""
    doc = render_sarif(report, tool_version, information_uri=information_uri)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
