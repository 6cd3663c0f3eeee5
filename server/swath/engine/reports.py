"""The Markdown report every run leaves in `.swath/reports/<run>.md` (CLI and editor alike)."""

from __future__ import annotations

from pathlib import Path

from swath.findings import render
from swath.findings.report import RunReport

REPORTS_DIR = "reports"


def report_path(root: Path, run_id: str) -> Path:
    return Path(root) / ".swath" / REPORTS_DIR / f"{run_id}.md"


def write_report_file(root: Path, report: RunReport) -> Path:
    """Write the run's Markdown report; blocking disk work (call it in a thread from async code)."""
    path = report_path(root, report.run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Links in the report are workspace-relative; the file sits two folders down.
    path.write_text(
        render(report, "markdown", body=report_body(report), link_prefix="../../"), encoding="utf-8"
    )
    return path


def report_body(report: RunReport) -> str | None:
    """The Markdown a reduce step produced, if any: the report's body."""
    for value in report.outputs.values():
        body = value.get("markdown") if isinstance(value, dict) else None
        if isinstance(value, dict) and body is None and isinstance(value.get("model"), dict):
            body = value["model"].get("markdown")
        if isinstance(body, str):
            return body
    return None
