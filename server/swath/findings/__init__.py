"""Findings: the model every producer and front end shares, and its renderings."""

from __future__ import annotations

from typing import Literal, get_args

from swath import __version__
from swath.findings.model import Evidence, Finding, Position, Range, Severity, fingerprint_of
from swath.findings.render_json import render_json
from swath.findings.render_markdown import render_markdown
from swath.findings.render_sarif import render_sarif, render_sarif_text
from swath.findings.render_text import render_text
from swath.findings.report import AgentCounts, RuleInfo, RunReport, RunStatus, Usage

Format = Literal["text", "json", "markdown", "sarif"]
FORMATS: tuple[str, ...] = get_args(Format)


def render(
    report: RunReport,
    fmt: Format,
    body: str | None = None,
    tool_version: str = __version__,
    *,
    link_prefix: str = "",
) -> str:
    """`report` in the given `--format`; every rendering ends with a newline.

    `body` (a reduce step's Markdown) only shows in the Markdown report; the other
    formats are machine-read and carry step outputs in their own fields.
    `link_prefix` goes before every file link of the Markdown report: a report saved
    in `.swath/reports/` wants `"../../"` so its links resolve from where it lies.
    """
    if fmt == "text":
        return render_text(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report, body, link_prefix=link_prefix)
    if fmt == "sarif":
        return render_sarif_text(report, tool_version)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


__all__ = [
    "FORMATS",
    "AgentCounts",
    "Evidence",
    "Finding",
    "Format",
    "Position",
    "Range",
    "RuleInfo",
    "RunReport",
    "RunStatus",
    "Severity",
    "Usage",
    "fingerprint_of",
    "render",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_sarif_text",
    "render_text",
]
