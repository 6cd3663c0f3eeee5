"""A Markdown report a reviewer can read top to bottom (PR comment, `.swath/reports/`).

Findings are grouped by rule, then by file, because a reviewer decides per rule
("are all these flags really dead?") and then walks the files. Every location is a
relative `path#Lline` link, which GitHub and VS Code's preview both follow.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from itertools import groupby
from urllib.parse import quote as url_quote

from swath.findings.model import Evidence, Finding, Severity
from swath.findings.render_text import finding_sort_key, format_cost
from swath.findings.report import RunReport
from swath.findings.wording import plural, skipped_sentence

SEVERITY_RANK = {Severity.error: 0, Severity.warning: 1, Severity.information: 2, Severity.hint: 3}

# Enough to colour the common cases; an unknown extension gets a plain fence.
FENCE_LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "jsx",
    ".mjs": "javascript",
    ".ts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".kt": "kotlin",
    ".rb": "ruby",
    ".php": "php",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".hpp": "cpp",
    ".cs": "csharp",
    ".swift": "swift",
    ".sh": "bash",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".toml": "toml",
    ".sql": "sql",
    ".md": "markdown",
    ".html": "html",
    ".css": "css",
}


# -- small formatting helpers --------------------------------------------------------
def fence_for(text: str) -> str:
    """A backtick fence longer than any backtick run in `text`, so quotes can't close it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def code_block(text: str, path: str, indent: str = "") -> list[str]:
    fence = fence_for(text)
    lang = FENCE_LANGUAGES.get(posixpath.splitext(path)[1].lower(), "")
    body = [indent + line if line else "" for line in text.splitlines() or [""]]
    return [f"{indent}{fence}{lang}", *body, f"{indent}{fence}"]


def location_link(path: str, line: int, link_prefix: str) -> str:
    """`[path:line](prefix/path#Lline)` with a one-based line, as people and GitHub count."""
    target = f"{link_prefix}{url_quote(path, safe='/')}#L{line + 1}"
    label = path.replace("[", r"\[").replace("]", r"\]")  # brackets would end the link text
    return f"[{label}:{line + 1}]({target})"


def indent_continuation(text: str, indent: str) -> str:
    # A multi-line message must stay inside its list item.
    first, *rest = text.strip().splitlines() or [""]
    return "\n".join([first, *(indent + line if line.strip() else "" for line in rest)])


# -- sections ------------------------------------------------------------------------
def header(report: RunReport) -> list[str]:
    lines = [f"# Swath report: {report.workflow}", "", f"- **Run:** `{report.run_id}`"]
    lines.append(f"- **Status:** {report.status.value}")
    if report.started_at:
        lines.append(f"- **Started:** {report.started_at}")
    if report.finished_at:
        lines.append(f"- **Finished:** {report.finished_at}")
    return lines


def severity_breakdown(findings: list[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    parts = [f"{counts[s]} {s.value}" for s in Severity if counts[s]]
    return f" ({', '.join(parts)})" if parts else ""


def counts_table(report: RunReport) -> list[str]:
    a = report.agents
    rows = [
        ("Agents", f"{a.total:,}"),
        ("Succeeded", f"{a.succeeded:,}"),
        ("Failed", f"{a.failed:,}"),
        ("Served from cache", f"{a.cached:,}"),
        ("Findings", f"{len(report.findings):,}{severity_breakdown(report.findings)}"),
    ]
    return ["## Summary", "", "| | Count |", "| --- | ---: |", *(f"| {k} | {v} |" for k, v in rows)]


def usage_table(report: RunReport) -> list[str]:
    u = report.usage
    return [
        "## Usage",
        "",
        "| Input tokens | Output tokens | Cache read tokens | Cache write tokens | Cost (USD) |",
        "| ---: | ---: | ---: | ---: | ---: |",
        f"| {u.input_tokens:,} | {u.output_tokens:,} | {u.cache_read_tokens:,} "
        f"| {u.cache_write_tokens:,} | {format_cost(u.cost_usd)} |",
    ]


def verification_section(report: RunReport) -> list[str]:
    unverified = sum(1 for f in report.findings if not f.verified)
    lines = [
        "## Verification",
        "",
        "Every finding must quote the file verbatim at the place it names; what does not "
        "match is dropped, and a quote found a few lines away moves the finding there.",
        "",
        f"- Dropped (evidence not found): {report.dropped_findings:,}",
        f"- Re-anchored (quote found nearby): {report.reanchored_findings:,}",
        f"- Kept but unverified: {unverified:,}",
    ]
    return lines


def evidence_lines(f: Finding, ev: Evidence, link_prefix: str) -> list[str]:
    indent = "  "
    lines: list[str] = []
    # The finding's own link already names its place; only say where a quote comes
    # from when it is somewhere else.
    if ev.path != f.path or ev.line != f.range.start.line:
        lines += ["", f"{indent}Evidence at {location_link(ev.path, ev.line, link_prefix)}:"]
    lines += ["", *code_block(ev.quote.strip("\n"), ev.path, indent)]
    return lines


def finding_item(f: Finding, link_prefix: str) -> list[str]:
    where = location_link(f.path, f.range.start.line, link_prefix)
    unverified = " *(unverified)*" if not f.verified else ""
    message = indent_continuation(f.message, "  ")
    lines = [f"- **{f.severity.value}** {where}{unverified}: {message}"]
    shown: set[tuple[str, int, str]] = set()
    for ev in f.evidence:
        # A quote given twice (a dead branch that starts at its own check's line: the
        # check's line joins a dead hint's evidence) is printed once.
        seen = (ev.path, ev.line, ev.quote.strip())
        if seen in shown:
            continue
        shown.add(seen)
        lines += evidence_lines(f, ev, link_prefix)
    return lines


def rule_rank(findings: list[Finding]) -> int:
    return min(SEVERITY_RANK[f.severity] for f in findings)


def rule_section(
    rule: str, findings: list[Finding], description: str, link_prefix: str
) -> list[str]:
    lines = [f"### `{rule}` ({plural(len(findings), 'finding')})", ""]
    if description:
        lines += [description, ""]
    for path, in_file in groupby(findings, key=lambda f: f.path):
        lines += [f"#### `{path}`", ""]
        for f in in_file:
            lines += [*finding_item(f, link_prefix), ""]
    return lines


def is_lens_hint(f: Finding) -> bool:
    """A hint that only carries a code lens (a file's purpose, a symbol's use count)."""
    return f.severity is Severity.hint and bool(f.data.lens)


def lens_hints_note(lens_hints: list[Finding]) -> list[str]:
    counts = Counter(f.rule for f in lens_hints)
    per_rule = ", ".join(f"`{rule}` {n:,}" for rule, n in sorted(counts.items()))
    return [
        f"{plural(len(lens_hints), 'code-lens hint')} ({per_rule}) "
        f"{'is' if len(lens_hints) == 1 else 'are'} not listed here: "
        "they are the lenses an editor shows above files and symbols, and the JSON "
        "output (`findings`) holds every one.",
        "",
    ]


def findings_section(report: RunReport, link_prefix: str) -> list[str]:
    if not report.findings:
        return ["## Findings", "", "No findings."]
    descriptions = {r.id: r.description for r in report.rules}
    # A map's per-file and per-symbol lenses are one hint per file and per top-level
    # symbol: listed, they made 1,580 of the 1,811 lines of a 68-file map's report.
    lens_hints = [f for f in report.findings if is_lens_hint(f)]
    by_rule: dict[str, list[Finding]] = {}
    for f in sorted(report.findings, key=finding_sort_key):
        if not is_lens_hint(f):
            by_rule.setdefault(f.rule, []).append(f)
    # Worst severity first: the reader's attention goes where the errors are.
    order = sorted(by_rule, key=lambda r: (rule_rank(by_rule[r]), r))
    lines = ["## Findings", ""]
    for rule in order:
        lines += rule_section(rule, by_rule[rule], descriptions.get(rule, ""), link_prefix)
    if lens_hints:
        lines += lens_hints_note(lens_hints)
    return lines


def skipped_section(report: RunReport) -> list[str]:
    sentence = skipped_sentence(report.skipped)
    return [sentence] if sentence else []


def errors_section(report: RunReport) -> list[str]:
    if not report.errors:
        return []
    lines = ["## Errors", ""]
    for err in report.errors:
        first, *rest = err.strip().splitlines() or [""]
        lines.append(f"- {first}")
        if rest:
            lines += ["", *code_block("\n".join(rest), "", "  ")]
    return lines


def render_markdown(report: RunReport, body: str | None = None, *, link_prefix: str = "") -> str:
    """The whole report, ending with a newline.

    `body` is a reduce step's Markdown, placed before the findings. `link_prefix` is
    prepended to every file link: the default makes links relative to the workspace
    root; a report saved in `.swath/reports/` wants `"../../"`.
    """
    sections = [header(report), counts_table(report), usage_table(report)]
    if body and body.strip():
        sections.append([body.strip()])
    sections += [findings_section(report, link_prefix), verification_section(report)]
    sections += [skipped_section(report), errors_section(report)]
    text = "\n\n".join("\n".join(s).strip("\n") for s in sections if s)
    return text + "\n"
