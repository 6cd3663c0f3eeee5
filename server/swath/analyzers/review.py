"""review-diff's analyzers.

`diff-review` (map): for each changed file of the `diff` source, the rules of
`review_rules` on the *added* lines only — Python through `ast`, TypeScript/JavaScript
through ast-grep, credentials and conflict markers in any text file, and ruff's S/B/PERF
rules when ruff happens to be installed. A rule fires only when the exact token it is
about stands on an added line, so old code around a change is never blamed on it. Every
finding quotes its added line verbatim (a secret only up to its first characters).

`review-summary` (reduce): the verified findings by severity, rule and file, as
`{markdown, counts, verdict, files}`.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from swath.analyzers.base import AnalyzerContext, AnalyzerOutput, NoParams
from swath.analyzers.review_python import python_hits
from swath.analyzers.review_rules import RULES, Hit, rule_infos
from swath.analyzers.review_ruff import ruff_command, ruff_hits
from swath.analyzers.review_script import script_hits
from swath.analyzers.review_text import text_hits
from swath.analyzers.sourcetext import SCRIPT_LANGUAGES, language_of, split_lines
from swath.findings.model import Evidence, Finding, Range, Severity
from swath.findings.report import RuleInfo
from swath.spec.records import Item, Record

log = logging.getLogger(__name__)

SEVERITY_ORDER = ["error", "warning", "information", "hint"]
ICONS = {"error": "🔴", "warning": "🟠", "information": "🔵", "hint": "⚪"}
SHOWN_PER_FILE = 50


def added_lines(item: Item) -> set[int]:
    """Zero-based working-tree lines the diff added (complete even when the text was capped)."""
    out: set[int] = set()
    for h in item.data.get("hunks") or []:
        start = int(h.get("new_start") or 0)
        out.update(range(start, start + int(h.get("new_count") or 0)))
    return out


class DiffReviewParams(BaseModel):
    """Params of `diff-review`."""

    model_config = ConfigDict(extra="forbid")
    ruff: str | bool = Field(
        "auto",
        description="`auto` runs ruff when it is installed, `off` never; anything else is the ruff executable.",
    )
    disable: list[str] = Field(
        default_factory=list, description="Rule ids to leave out, e.g. `review/print-call`."
    )


class DiffReview:
    name: ClassVar[str] = "diff-review"
    kind: ClassVar[Literal["map"]] = "map"
    description: ClassVar[str] = (
        "Security, performance and bug rules on the added lines of a diff (Python via ast, TS/JS via ast-grep, "
        "secrets and conflict markers in any file; ruff's S/B/PERF rules when ruff is installed)."
    )
    params_model: ClassVar[type[BaseModel]] = DiffReviewParams
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = rule_infos()

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        ws = ctx.workspace
        ruff = ruff_command(ctx.params.get("ruff", "auto"))
        disabled = set(ctx.params.get("disable") or [])
        files: list[dict[str, Any]] = []
        pending: list[tuple[dict[str, Any], list[Hit], list[str], set[int]]] = []
        for item in items:
            if not item.path:
                continue
            entry: dict[str, Any] = {
                "path": item.path,
                "status": item.data.get("status"),
                "language": language_of(item.path),
                "added_lines": int(item.data.get("added") or 0),
                "checks": [],
                "skipped": None,
                "hits": [],
            }
            files.append(entry)
            reason = self._skip_reason(item)
            if reason:
                entry["skipped"] = reason
                continue
            try:
                text = ws.read_text(item.path)
            except (OSError, ValueError) as exc:  # gone since discovery, or refused
                entry["skipped"] = f"unreadable: {exc}"
                continue
            lines = split_lines(text)
            added = added_lines(item)
            try:
                hits, checks = self._hits(item.path, text, lines, entry["language"], added)
            except RecursionError:  # absurdly nested code: the line rules still apply
                hits, checks = text_hits(lines, added, generic=True), ["secrets"]
                entry["error"] = "too deeply nested to parse"
            entry["checks"] = checks
            pending.append((entry, hits, lines, added))
        if ruff:
            py = [e["path"] for e, *_ in pending if e["language"] == "python"]
            by_path, problem = ruff_hits(ruff, ws.root, py)
            for entry, hits, _, _ in pending:
                if entry["language"] == "python":
                    if problem:
                        entry["ruff"] = problem
                    else:
                        entry["checks"].append("ruff")
                        hits += by_path.get(entry["path"], [])
        findings: list[Finding] = []
        for entry, hits, lines, added in pending:
            kept = self._keep(hits, added, disabled)
            for h in kept:
                findings.append(self._finding(entry["path"], h, lines))
            entry["hits"] = [
                {
                    "rule": h.rule,
                    "line": h.line,
                    "severity": self._severity(h).value,
                    "message": h.message,
                }
                for h in kept
            ]
        return AnalyzerOutput(output={"files": files}, findings=findings)

    @staticmethod
    def _skip_reason(item: Item) -> str | None:
        d = item.data
        if d.get("status") == "deleted":
            return "deleted"
        if d.get("binary"):
            return "binary"
        if d.get("symlink"):
            return "symlink"
        if not d.get("hunks"):
            return "no added lines"
        return None

    @staticmethod
    def _hits(
        path: str, text: str, lines: list[str], language: str | None, added: set[int]
    ) -> tuple[list[Hit], list[str]]:
        hits: list[Hit] = []
        checks: list[str] = []
        if language == "python":
            found, error = python_hits(path, text, lines)
            hits += found
            checks.append("python-ast")
            if error is not None:
                line = min(int(error["line"]), max(len(lines) - 1, 0))
                hits.append(
                    Hit(
                        "review/bug/syntax-error",
                        line,
                        0,
                        len(lines[line]) if lines else 0,
                        f"The file no longer parses: {error['message']}.",
                        data={"anywhere": True},
                    )
                )
        elif language in SCRIPT_LANGUAGES:
            try:
                hits += script_hits(text, language)
                checks.append("ast-grep")
            except Exception as exc:  # a grammar problem must not cost the text rules
                log.warning("ast-grep failed on %s: %s", path, exc)
        checks.append("secrets")
        hits += text_hits(lines, added, generic=language != "python")
        return hits, checks

    @staticmethod
    def _keep(hits: list[Hit], added: set[int], disabled: set[str]) -> list[Hit]:
        seen: set[tuple[str, int]] = set()
        kept = []
        for h in sorted(hits, key=lambda h: (h.line, h.start, h.rule)):
            if h.rule in disabled or any(
                h.rule.startswith(d.rstrip("*")) for d in disabled if d.endswith("*")
            ):
                continue
            # A syntax error is the file's, wherever the parser noticed it; all else only on added lines.
            if h.line not in added and not h.data.get("anywhere"):
                continue
            if (h.rule, h.line) in seen:
                continue
            seen.add((h.rule, h.line))
            kept.append(h)
        return kept

    @staticmethod
    def _severity(h: Hit) -> Severity:
        if h.severity is not None:
            return h.severity
        rule = RULES.get(h.rule)
        return rule.severity if rule else Severity.warning

    def _finding(self, path: str, h: Hit, lines: list[str]) -> Finding:
        text = lines[h.line] if h.line < len(lines) else ""
        quote = h.quote if h.quote is not None else text.strip()
        category = h.rule.split("/")[1] if h.rule.count("/") >= 2 else "other"
        return Finding(
            rule=h.rule,
            severity=self._severity(h),
            path=path,
            range=Range.of_line(h.line, h.start, max(h.end, h.start)),
            message=h.message,
            evidence=[Evidence(path=path, line=h.line, quote=quote)] if quote else [],
            data={"category": category, **h.data},
        )


class ReviewSummary:
    name: ClassVar[str] = "review-summary"
    kind: ClassVar[Literal["reduce"]] = "reduce"
    description: ClassVar[str] = (
        "A Markdown review of the diff: findings by severity and file, with counts."
    )
    params_model: ClassVar[type[BaseModel]] = NoParams
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = []

    def reduce(self, records: list[Record], ctx: AnalyzerContext) -> AnalyzerOutput:
        files: dict[str, dict[str, Any]] = {}
        findings: dict[str, Finding] = {}
        base = None
        for rec in records:
            for it in rec.items:
                base = (
                    base
                    or it.data.get("base")
                    or (it.data.get("items") or [{}])[0].get("data", {}).get("base")
                )
            out = rec.output if isinstance(rec.output, dict) else {}
            for f in out.get("files") or []:
                files[f["path"]] = f
            for f in rec.findings:
                findings.setdefault(f.fingerprint, f)
        ordered = sorted(
            findings.values(),
            key=lambda f: (
                SEVERITY_ORDER.index(f.severity.value),
                f.path,
                f.range.start.line,
                f.rule,
            ),
        )
        counts = self._counts(ordered, files)
        verdict = (
            "changes requested"
            if counts["by_severity"]["error"]
            else "needs a look"
            if counts["by_severity"]["warning"]
            else "looks good"
        )
        output = {
            "base": base or "HEAD",
            "verdict": verdict,
            "counts": counts,
            "files": [
                {
                    **{k: v for k, v in files[p].items() if k != "hits"},
                    "findings": sum(1 for f in ordered if f.path == p),
                }
                for p in sorted(files)
            ],
        }
        output["markdown"] = self._markdown(output, ordered)
        return AnalyzerOutput(output=output)

    @staticmethod
    def _counts(findings: list[Finding], files: dict[str, dict[str, Any]]) -> dict[str, Any]:
        by_sev = {s: 0 for s in SEVERITY_ORDER}
        by_sev.update(Counter(f.severity.value for f in findings))
        return {
            "findings": len(findings),
            "by_severity": by_sev,
            "by_category": dict(
                sorted(
                    Counter(
                        (f.rule.split("/")[1] if f.rule.count("/") >= 2 else "other")
                        for f in findings
                    ).items()
                )
            ),
            "by_rule": dict(
                sorted(Counter(f.rule for f in findings).items(), key=lambda kv: (-kv[1], kv[0]))
            ),
            "by_file": dict(
                sorted(Counter(f.path for f in findings).items(), key=lambda kv: (-kv[1], kv[0]))
            ),
            "files_changed": len(files),
            "files_reviewed": sum(1 for f in files.values() if not f.get("skipped")),
            "files_skipped": sum(1 for f in files.values() if f.get("skipped")),
            "added_lines": sum(int(f.get("added_lines") or 0) for f in files.values()),
        }

    @staticmethod
    def _markdown(out: dict[str, Any], findings: list[Finding]) -> str:
        c = out["counts"]
        sev = c["by_severity"]
        tally = " · ".join(f"{sev[s]} {s if sev[s] == 1 else s + 's'}" for s in SEVERITY_ORDER[:3])
        lines = [
            f"## Review of the diff against {out['base']}",
            "",
            f"**{out['verdict'].capitalize()}** — {tally} in {len(c['by_file'])} of {c['files_changed']} changed "
            f"files (+{c['added_lines']} lines).",
            "",
        ]
        if not findings:
            lines += [f"No problems found on the {c['added_lines']} added lines.", ""]
        else:
            lines += ["| severity | findings |", "| --- | ---: |"]
            lines += [f"| {ICONS[s]} {s} | {n} |" for s, n in sev.items() if n]
            lines += ["", "| rule | findings |", "| --- | ---: |"]
            lines += [f"| `{r}` | {n} |" for r, n in c["by_rule"].items()]
            lines.append("")
            by_file: dict[str, list[Finding]] = {}
            for f in findings:
                by_file.setdefault(f.path, []).append(f)
            meta = {f["path"]: f for f in out["files"]}
            for path in sorted(
                by_file,
                key=lambda p: (min(SEVERITY_ORDER.index(f.severity.value) for f in by_file[p]), p),
            ):
                info = meta.get(path, {})
                lines += [
                    f"### `{path}` ({info.get('status', 'changed')}, +{info.get('added_lines', 0)}; "
                    f"{len(by_file[path])} findings)",
                    "",
                ]
                for f in sorted(by_file[path], key=lambda f: (f.range.start.line, f.rule))[
                    :SHOWN_PER_FILE
                ]:
                    s = f.severity.value
                    lines.append(
                        f"- {ICONS[s]} **{s}** line {f.range.start.line + 1} `{f.rule}`: {f.message}"
                    )
                    if f.evidence:
                        lines.append(f"  `{f.evidence[0].quote.replace('`', 'ˋ')}`")
                if len(by_file[path]) > SHOWN_PER_FILE:
                    lines.append(f"- … {len(by_file[path]) - SHOWN_PER_FILE} more")
                lines.append("")
        skipped = [f for f in out["files"] if f.get("skipped")]
        if skipped:
            lines += ["### Not reviewed", ""]
            lines += [f"- `{f['path']}` ({f['skipped']})" for f in skipped]
            lines.append("")
        return "\n".join(lines)
