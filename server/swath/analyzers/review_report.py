"""review-diff's reduce analyzers: the passes merged into one review, and its report.

`review-merge`: the verified findings of every pass; findings of different passes on the
same line about the same thing (the same rule name after the pass) become one finding
that carries every pass in `data.passes`. The first finding of each file carries the
file's code lens (`review: 1 security · 2 correctness`) on its first changed line.

`review-summary`: `{markdown, counts, verdict, files, passes}`: a section per pass, and a
verdict that says what was and was not checked.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar, Literal, cast

from pydantic import BaseModel

from swath.analyzers.base import AnalyzerContext, AnalyzerOutput, NoParams
from swath.analyzers.review_output import (
    MergedReview,
    ReviewCounts,
    ReviewedFile,
    ReviewSummaryOutput,
)
from swath.analyzers.review_passes import PASSES, parse_passes, pass_of_rule
from swath.findings.model import Finding
from swath.findings.report import RuleInfo
from swath.items.diff import DiffItemData
from swath.spec.records import Record

SEVERITY_ORDER = ["error", "warning", "information", "hint"]
ICONS = {"error": "🔴", "warning": "🟠", "information": "🔵", "hint": "⚪"}
SHOWN_PER_PASS = 60


def _pass_of(f: Finding, fallback: str | None) -> str:
    p = f.data.extra("pass") or pass_of_rule(f.rule) or fallback
    return str(p) if p in PASSES else "correctness"


def _topic(f: Finding) -> str:
    return f.rule.rsplit("/", 1)[-1].lower()


def merge_passes(findings: list[tuple[Finding, str]]) -> list[Finding]:
    """One finding per (file, line, topic) across passes, the most severe one's words first."""
    groups: dict[tuple[str, int, str], list[tuple[Finding, str]]] = {}
    for f, p in findings:
        groups.setdefault((f.path, f.range.start.line, _topic(f)), []).append((f, p))
    out = []
    for group in groups.values():
        group.sort(key=lambda fp: (SEVERITY_ORDER.index(fp[0].severity.value), PASSES.index(fp[1])))
        passes = sorted({p for _, p in group}, key=PASSES.index)
        head, head_pass = group[0]
        same_pass_dupes = [f for f, p in group[1:] if p == head_pass]
        others = [(f, p) for f, p in group[1:] if p != head_pass]
        merged: dict[str, Any] = {
            "pass": head_pass,
            "passes": passes,
            "source": "swath/" + "+".join(passes),
        }
        if others:
            merged["also"] = [{"pass": p, "rule": f.rule, "message": f.message} for f, p in others]
        out.append(head.model_copy(update={"data": head.data.with_(**merged)}))
        # Two findings of one pass on one line are two things (two `except:` on one line is rare
        # but real); only across passes is the same topic the same problem.
        out += [
            f.model_copy(update={"data": f.data.with_(**{"pass": head_pass})})
            for f in same_pass_dupes
        ]
    return sorted(out, key=lambda f: (f.path, f.range.start.line, f.rule))


def _first_changed_lines(records: list[Record]) -> dict[str, int]:
    first: dict[str, int] = {}
    for rec in records:
        for it in rec.items:
            starts = [h.new_start for h in DiffItemData.read(it.data).hunks if h.new_count]
            if it.path and starts:
                first[it.path] = min(starts + ([first[it.path]] if it.path in first else []))
    return first


def _lens_text(findings: list[Finding]) -> str:
    counts = Counter(str(f.data.extra("pass")) for f in findings)
    return "review: " + " · ".join(f"{counts[p]} {p}" for p in PASSES if counts[p])


class ReviewMerge:
    name: ClassVar[str] = "review-merge"
    kind: ClassVar[Literal["reduce"]] = "reduce"
    description: ClassVar[str] = (
        "The findings of every review pass as one review: the same problem seen by several passes "
        "becomes one finding tagged with each; a code lens per file."
    )
    params_model: ClassVar[type[BaseModel]] = NoParams
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = []

    def reduce(self, records: list[Record], ctx: AnalyzerContext) -> AnalyzerOutput:
        files: dict[str, ReviewedFile] = {}
        tagged: list[tuple[Finding, str]] = []
        seen: set[str] = set()
        ran: set[str] = set()
        switched_off: dict[str, str] = {}
        base = None
        for rec in records:
            out = rec.output if isinstance(rec.output, dict) else {}
            rec_pass = out.get("pass") if out.get("pass") in PASSES else None
            if rec_pass and out.get("ran", True):
                ran.add(rec_pass)
            switched_off.update(out.get("switched_off") or {})
            for f in out.get("files") or []:
                files.setdefault(
                    f["path"], cast(ReviewedFile, {k: v for k, v in f.items() if k != "hits"})
                )
            for it in rec.items:
                base = base or DiffItemData.read(it.data).base or None
            for f in rec.findings:
                if f.fingerprint in seen:
                    continue
                seen.add(f.fingerprint)
                tagged.append((f, _pass_of(f, rec_pass)))
        merged = merge_passes(tagged)
        first = _first_changed_lines(records)
        by_file: dict[str, list[Finding]] = {}
        for f in merged:
            by_file.setdefault(f.path, []).append(f)
        final = []
        for path, fs in by_file.items():
            lens_on = fs[0].model_copy(
                update={
                    "data": fs[0].data.with_(
                        lens=_lens_text(fs), lens_line=first.get(path, fs[0].range.start.line)
                    )
                }
            )
            final += [lens_on, *fs[1:]]
        selected = parse_passes(ctx.inputs.get("passes"))
        output: MergedReview = {
            "base": base or "HEAD",
            "passes": [p for p in PASSES if p in ran or (not records and p in selected)],
            "switched_off": switched_off,
            "files": [files[p] for p in sorted(files)],
        }
        return AnalyzerOutput(output=output, findings=final)


class ReviewSummary:
    name: ClassVar[str] = "review-summary"
    kind: ClassVar[Literal["reduce"]] = "reduce"
    description: ClassVar[str] = (
        "The Markdown review of the diff: a section per pass and a verdict."
    )
    params_model: ClassVar[type[BaseModel]] = NoParams
    version: ClassVar[str] = "2"
    rules: ClassVar[list[RuleInfo]] = []

    def reduce(self, records: list[Record], ctx: AnalyzerContext) -> AnalyzerOutput:
        merged: MergedReview = {"files": [], "passes": [], "switched_off": {}, "base": "HEAD"}
        findings: dict[str, Finding] = {}
        for rec in records:
            out = rec.output if isinstance(rec.output, dict) else {}
            if "passes" in out:
                merged = cast(MergedReview, out)
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
        files = {f["path"]: f for f in merged["files"]}
        counts = _counts(ordered, files)
        verdict, caveats = _verdict(counts, files, merged)
        output: ReviewSummaryOutput = {
            "base": merged["base"],
            "verdict": verdict,
            "caveats": caveats,
            "passes": merged["passes"],
            "switched_off": merged["switched_off"],
            "counts": counts,
            "files": [
                {**files[p], "findings": sum(1 for f in ordered if f.path == p)}
                for p in sorted(files)
            ],
        }
        output["markdown"] = _markdown(output, ordered)
        return AnalyzerOutput(output=output)


def _counts(findings: list[Finding], files: dict[str, ReviewedFile]) -> ReviewCounts:
    by_sev = {s: 0 for s in SEVERITY_ORDER}
    by_sev.update(Counter(f.severity.value for f in findings))
    by_pass = {p: 0 for p in PASSES}
    by_pass.update(Counter(str(f.data.extra("pass", "correctness")) for f in findings))
    return {
        "findings": len(findings),
        "by_severity": by_sev,
        "by_pass": by_pass,
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


def _verdict(
    counts: ReviewCounts, files: dict[str, ReviewedFile], merged: MergedReview
) -> tuple[str, list[str]]:
    sev = counts["by_severity"]
    verdict = (
        "changes requested" if sev["error"] else "needs a look" if sev["warning"] else "looks good"
    )
    caveats = []
    ruff_problems = sorted({f["ruff"] for f in files.values() if f.get("ruff")})
    if ruff_problems:
        caveats.append(f"ruff did not check the Python files ({ruff_problems[0]})")
    partial = [p for p, f in files.items() if f.get("notes")]
    if partial:
        caveats.append(f"{len(partial)} file(s) only partly checked (see the files table)")
    not_run = [p for p in PASSES if p not in merged["passes"]]
    if not_run:
        caveats.append("not run: " + ", ".join(not_run))
    return verdict, caveats


def _markdown(out: ReviewSummaryOutput, findings: list[Finding]) -> str:
    c = out["counts"]
    sev = c["by_severity"]
    tally = " · ".join(f"{sev[s]} {s if sev[s] == 1 else s + 's'}" for s in SEVERITY_ORDER[:3])
    lines = [
        f"## Review of the diff against {out['base']}",
        "",
        f"**{out['verdict'].capitalize()}** — {tally} in {len(c['by_file'])} of "
        f"{c['files_changed']} changed files (+{c['added_lines']} lines); passes: "
        f"{', '.join(out['passes']) or 'none'}.",
        "",
    ]
    for caveat in out["caveats"]:
        lines.append(f"- Note: {caveat}.")
    if out["caveats"]:
        lines.append("")
    for p in out["passes"]:
        mine = [f for f in findings if f.data.extra("pass", "correctness") == p]
        lines += [f"### {p.capitalize()} ({len(mine)})", ""]
        if not mine:
            lines += ["No findings.", ""]
            continue
        for f in mine[:SHOWN_PER_PASS]:
            s = f.severity.value
            also = [a["pass"] for a in f.data.extra("also") or []]
            tag = f" (also {', '.join(also)})" if also else ""
            lines.append(
                f"- {ICONS[s]} **{s}** `{f.path}:{f.range.start.line + 1}` `{f.rule}`{tag}: {f.message}"
            )
            if f.evidence:
                lines.append(f"  `{f.evidence[0].quote.replace('`', 'ˋ')}`")
        if len(mine) > SHOWN_PER_PASS:
            lines.append(f"- … {len(mine) - SHOWN_PER_PASS} more")
        lines.append("")
    for p, where in sorted(out["switched_off"].items()):
        lines += [f"### {p.capitalize()}", "", f"Switched off in `{where}`.", ""]
    skipped = [f for f in out["files"] if f.get("skipped")]
    if skipped:
        lines += ["### Not reviewed", ""]
        lines += [f"- `{f['path']}` ({f['skipped']})" for f in skipped]
        lines.append("")
    return "\n".join(lines)
