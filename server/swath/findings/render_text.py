"""Plain-text report: one `path:line:col: severity rule message` line per finding.

The shape is the one compilers and linters print, so editors' "problem matchers",
`grep` and terminal hyperlinkers pick it up. Lines and columns are ONE-based here
(the model is zero-based like the LSP). No colours: the CLI adds them.
"""

from __future__ import annotations

from swath.findings.model import Finding
from swath.findings.report import RunReport
from swath.findings.wording import plural


def finding_sort_key(f: Finding) -> tuple[str, int, int, str, str]:
    """Path, then position, then rule: a stable order a reader can scan file by file."""
    return (f.path, f.range.start.line, f.range.start.character, f.rule, f.fingerprint)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` safe for a terminal: control characters (an ESC from a quoted file, a form
    feed, a bidi override) shown escaped, never acted on."""
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def one_line(text: str) -> str:
    # A message spanning lines would break the one-finding-per-line contract that
    # problem matchers and `grep` rely on; \f, \v and the like are whitespace too.
    return printable(" ".join(text.split()))


def format_finding(f: Finding) -> str:
    start = f.range.start
    return (
        f"{printable(f.path)}:{start.line + 1}:{start.character + 1}: "
        f"{f.severity.value} {printable(f.rule)} {one_line(f.message)}"
    )


def format_cost(cost_usd: float) -> str:
    # Four decimals: a static run costs $0.0000, a small model run a few cents.
    return f"${cost_usd:.4f}"


def summary_line(report: RunReport) -> str:
    a = report.agents
    findings = len(report.findings)
    parts = [
        f"{report.status.value}:",
        f"{plural(a.total, 'agent')} ({a.succeeded} succeeded, {a.failed} failed, {a.cached} cached),",
        f"{plural(findings, 'finding')},",
        f"{report.dropped_findings} dropped,",
        f"cost {format_cost(report.usage.cost_usd)}",
    ]
    return " ".join(parts)


def render_text(report: RunReport) -> str:
    """Finding lines sorted by path and line, then the summary line; ends with a newline."""
    lines = [format_finding(f) for f in sorted(report.findings, key=finding_sort_key)]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
