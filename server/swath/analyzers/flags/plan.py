"""`flag-plan`: the reduce step of the flag audit — a deprecation plan and the catalogue.

Output: `{"markdown": str, "catalogue": [...every flag...], "patch": str, "summary": {...},
"disagreements": [...]}`. `patch` is one unified diff removing every candidate's checks,
then its definitions once nothing reads it (what `--fix-preview` prints, `--fix` writes). In model mode the map records may also carry the model's
`assessments`; where a model and the analyzer disagree on a flag, the plan says so.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ValidationError

from swath.analyzers.base import AnalyzerContext, AnalyzerOutput, NoParams
from swath.analyzers.flags import findings as findings_mod
from swath.analyzers.flags.classify import state_words
from swath.analyzers.flags.facts import FlagFacts, definition_advice, lines_words
from swath.analyzers.flags.pins import PinningTest, pinning_tests
from swath.analyzers.flags.removal_patch import build_patch
from swath.findings.report import RuleInfo
from swath.items.flags import FlagErrorData
from swath.spec.records import Record

MAX_REFS_LISTED = 25
CATEGORY_ORDER = {"fully-on": 0, "fully-off": 1, "unreferenced": 2, "undefined": 3}


def collect(
    records: list[Record],
) -> tuple[list[FlagFacts], list[FlagErrorData], dict[str, list[dict[str, Any]]]]:
    """Flags, errors and model assessments (by key) from the map records, whatever their wrapping."""
    flags: dict[str, FlagFacts] = {}
    errors: list[FlagErrorData] = []
    assessments: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        # The analyzer's facts are in `output`; a model's assessments, when one ran, in `judgement`.
        for out in _outputs(rec.output) + _outputs(rec.judgement):
            for raw in out.get("flags") or []:
                try:
                    f = FlagFacts.model_validate(raw)
                except ValidationError:
                    continue
                flags.setdefault(f.key, f)
            for raw in out.get("errors") or []:
                try:
                    errors.append(FlagErrorData.model_validate(raw))
                except ValidationError:
                    continue
            for a in out.get("assessments") or []:
                if isinstance(a, dict) and isinstance(a.get("key"), str):
                    assessments.setdefault(a["key"], []).append(a)
    return sorted(flags.values(), key=lambda f: f.key), errors, assessments


def _outputs(output: Any) -> list[dict[str, Any]]:
    if not isinstance(output, dict):
        return []
    found = [output]
    for k in ("facts", "analyzer", "model", "output"):
        if isinstance(output.get(k), dict):
            found += _outputs(output[k])
    return found


def disagreements(
    flags: list[FlagFacts], assessments: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    by_key = {f.key: f for f in flags}
    out = []
    for key, items in sorted(assessments.items()):
        facts = by_key.get(key)
        for a in items:
            model_state = a.get("state")
            model_candidate = a.get("candidate")
            differs = []
            if facts is None:
                differs.append("the analyzer has no such flag")
            else:
                if model_state and model_state != facts.state:
                    differs.append(f"state: model {model_state}, analyzer {facts.state}")
                if isinstance(model_candidate, bool) and model_candidate != facts.candidate:
                    differs.append(
                        f"candidate: model {model_candidate}, analyzer {facts.candidate}"
                    )
            if differs:
                out.append(
                    {"key": key, "differences": differs, "model_reason": a.get("reason", "")}
                )
    return out


def _md_code(text: str) -> str:
    text = text.replace("\n", " ")
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _since(f: FlagFacts) -> str:
    if f.history.since:
        return f" since {f.history.since}"
    return " (uncommitted)" if f.history.uncommitted else ""


def _heading(f: FlagFacts) -> str:
    if f.category == "undefined":
        return f"### `{f.key}`: referenced, defined nowhere"
    if f.category == "unreferenced":
        return f"### `{f.key}`: defined ({state_words(f.state, f.percent)}), referenced nowhere"
    env = f" in {f.environment}" if f.environment and f.environment != "default" else ""
    return f"### `{f.key}`: {state_words(f.state, f.percent)}{env}{_since(f)}"


def _pins_md(pins: list[PinningTest]) -> str:
    return ", ".join(
        f"`{p.path}:{p.line + 1}`" + (f" (`{p.name}`)" if p.name else "") for p in pins
    )


def _definitions_md(f: FlagFacts) -> list[str]:
    """What to do with each definition, as the finding at it says (`definition_advice`):
    the whole entries to delete (a gate's `X: {…},`, not only the lines that hold its
    state, which would not build), or why it stays."""
    lines = []
    keep: dict[str, list[str]] = {}
    for d in f.definitions:
        delete, words = definition_advice(f, d)
        if not delete:
            keep.setdefault(words, []).append(f"`{d.path}:{d.line + 1}`")
        elif d.whole_file:
            lines.append(f"- **Delete** the file `{d.path}`: the definition is the whole of it")
        else:
            shown = d.units or d.entries or [(d.line, d.end_line)]
            lines.append(
                f"- **Delete** the definition entr{'ies' if len(shown) > 1 else 'y'}: `{d.path}` "
                f"{lines_words(shown)}"
            )
    lines += [f"- **Keep** the definition ({', '.join(w)}): {why}" for why, w in keep.items()]
    return lines


def _references_md(f: FlagFacts) -> list[str]:
    """The uses counted (a constant holding the key is no use: it has its own "Delete"
    line), so that the count and the bullets under it agree."""
    lines: list[str] = []
    uses = [r for r in f.references if r.kind != "constant-def"]
    if uses or f.ref_count:
        lines.append(
            f"- **References** ({f.ref_count} in {f.file_count} file{'s' if f.file_count != 1 else ''}):"
        )
        for r in uses[:MAX_REFS_LISTED]:
            tags = [
                t
                for t in (
                    "check" if r.check else r.kind,
                    "automatic edit" if r.edit else None,
                    "test" if r.test else None,
                )
                if t
            ]
            lines.append(f"  - `{r.path}:{r.line + 1}` {_md_code(r.quote)} ({', '.join(tags)})")
        shown = min(len(uses), MAX_REFS_LISTED)
        if f.ref_count > shown:
            in_catalogue = len(uses) - shown
            where = [
                f"{in_catalogue} in the catalogue" if in_catalogue else "",
                f"{f.ref_count - len(uses)} not listed (`max_references_per_flag`)"
                if f.ref_count > len(uses)
                else "",
            ]
            lines.append(
                f"  - … and {f.ref_count - shown} more ({', '.join(w for w in where if w)})"
            )
    return lines


def _candidate_md(
    f: FlagFacts,
    assessments: list[dict[str, Any]],
    pins: list[PinningTest] | None = None,
) -> list[str]:
    lines = [_heading(f), ""]
    for d in f.definitions:
        label = d.system or d.format
        lines.append(f"- **Defined** in {label}: `{d.path}:{d.line + 1}` {_md_code(d.quote)}")
    if f.reason:
        lines.append(f"- **State**: {f.reason}")
    if f.keep:
        lines.append(f"- **Keep**: {f.keep}")
    lines += _references_md(f)
    if f.category != "undefined":
        lines += _definitions_md(f)
    for c in f.constants:
        lines.append(f"- **Delete** constant `{c.name}` at `{c.path}:{c.line + 1}` once unused")
    # The other declarations of the key (an enum member: `FAST_SHIPPING = enum.auto()`),
    # which are not among the References either.
    held = {(c.path, c.line) for c in f.constants}
    for r in f.references:
        if r.kind == "constant-def" and (r.path, r.line) not in held:
            lines.append(
                f"- **Delete** the declaration {_md_code(r.quote)} at `{r.path}:{r.line + 1}` "
                "once unused"
            )
    if pins:
        # Named, so the reviewer of the removal knows which cases to update or delete.
        lines.append(f"- **Tests** pinning it (update or delete them with it): {_pins_md(pins)}")
    elif f.tests:
        lines.append(f"- **Tests** touching it: {', '.join(f'`{t}`' for t in f.tests)}")
    if f.docs:
        lines.append(
            "- **Docs** to update: " + ", ".join(f"`{d.path}:{d.line + 1}`" for d in f.docs)
        )
    if f.risks:
        lines.append("- **Risks**:")
        lines += [f"  - {r}" for r in f.risks]
    for a in assessments:
        verdict = a.get("verdict") or ("candidate" if a.get("candidate") else "keep")
        lines.append(f"- **Model review**: {verdict}; {a.get('reason', '')}".rstrip("; "))
    lines.append("")
    return lines


def markdown(
    flags: list[FlagFacts],
    errors: list[FlagErrorData],
    assessments: dict[str, list[dict[str, Any]]],
    disagree: list[dict[str, Any]],
    patch_notes: list[str],
    pins: dict[str, list[PinningTest]] | None = None,
) -> str:
    cands = sorted(
        (f for f in flags if f.candidate),
        key=lambda f: (CATEGORY_ORDER.get(f.category or "", 9), f.key),
    )
    count = {c: sum(1 for f in cands if f.category == c) for c in CATEGORY_ORDER}
    partial = sum(1 for f in flags if f.state == "partial" and not f.candidate)
    kept = sum(1 for f in flags if f.kill_switch or f.permanent)
    sources = sorted({d.path for f in flags for d in f.definitions})
    envs = sorted({f.environment for f in flags if f.environment})
    lines = ["# Feature flag audit", ""]
    lines.append(
        f"**{len(flags)} flags** from {len(sources)} definition file(s); **{len(cands)} removal "
        f"candidates**: {count['fully-on']} fully on, {count['fully-off']} fully off, "
        f"{count['unreferenced']} unreferenced, {count['undefined']} undefined. {partial} partially "
        f"rolled out, {kept} kill switches or permanent flags kept"
        + (f", {len(errors)} definition error(s)." if errors else ".")
    )
    if envs:
        lines.append(f"Deciding environment: {', '.join(envs)}.")
    lines.append("")
    if disagree:
        lines += ["## Model and analyzer disagree", ""]
        for d in disagree:
            lines.append(
                f"- `{d['key']}`: {'; '.join(d['differences'])}. Model: {d['model_reason']}".rstrip(
                    " :."
                )
            )
        lines.append("")
    if not flags and not errors:
        lines += [
            "No feature flags found: no flag file (flagd, LaunchDarkly or Unleash export, plain map) matched, "
            "no homegrown system is described in `.swath/flags.yaml`, and no SDK call names a key. "
            "See docs/flags.md for where Swath looks and how to describe your flags.",
            "",
        ]
        return "\n".join(lines)
    lines += ["## Removal candidates", ""]
    if not cands:
        lines += [
            "None: every flag is partially rolled out, kept on purpose, or of unknown state.",
            "",
        ]
    for f in cands:
        lines += _candidate_md(f, assessments.get(f.key, []), (pins or {}).get(f.key))
    rest = [f for f in flags if not f.candidate]
    if rest:
        lines += [
            "## Other flags",
            "",
            "| flag | state | environment | references | why not a candidate |",
            "| --- | --- | --- | --- | --- |",
        ]
        for f in rest:
            lines.append(
                f"| `{f.key}` | {state_words(f.state, f.percent)} | {f.environment or '-'} | {f.ref_count} "
                f"| {(f.not_candidate_because or '').replace('|', '/')} |"
            )
        lines.append("")
    if errors:
        lines += ["## Definition errors", ""]
        lines += [f"- `{e.path}:{e.line + 1}`: {e.message}" for e in errors]
        lines.append("")
    if patch_notes:
        lines += ["## Not rewritten automatically", ""] + [f"- {n}" for n in patch_notes] + [""]
    return "\n".join(lines)


def catalogue(
    flags: list[FlagFacts],
    assessments: dict[str, list[dict[str, Any]]],
    pins: dict[str, list[PinningTest]] | None = None,
) -> list[dict[str, Any]]:
    out = []
    for f in flags:
        evidence = [{"path": d.path, "line": d.line, "quote": d.quote} for d in f.definitions]
        out.append(
            {
                "key": f.key,
                "defined": f.defined,
                "state": f.state,
                "environment": f.environment,
                "percent": f.percent,
                "value": f.value,
                "reason": f.reason,
                "environments": {k: v.model_dump() for k, v in f.env_states.items()},
                "since": f.history.since,
                "age_days": f.history.age_days,
                "candidate": f.candidate,
                "category": f.category,
                "not_candidate_because": f.not_candidate_because,
                "kill_switch": f.kill_switch,
                "permanent": f.permanent,
                "kind": f.kind,
                "keep": f.keep,
                "definitions": [
                    {
                        "format": d.format,
                        "system": d.system,
                        "path": d.path,
                        "line": d.line,
                        "end_line": d.end_line,
                        "entries": d.entries,
                        "quote": d.quote,
                    }
                    for d in f.definitions
                ],
                "references": [
                    {
                        "path": r.path,
                        "line": r.line,
                        "kind": r.kind,
                        "call": r.call,
                        "check": r.check,
                        "test": r.test,
                        "quote": r.quote,
                        "editable": r.edit is not None,
                    }
                    for r in f.references
                ],
                "ref_count": f.ref_count,
                "file_count": f.file_count,
                "tests": f.tests,
                "test_cases": [p.model_dump() for p in (pins or {}).get(f.key, [])],
                "docs": [d.model_dump() for d in f.docs],
                "risks": f.risks,
                "dynamic_reads": f.dynamic_reads,
                "dynamic_read": f.dynamic_read.model_dump() if f.dynamic_read else None,
                "ordinary_uses": f.ordinary_uses,
                "evidence": evidence,
                "model": assessments.get(f.key, []),
            }
        )
    return out


class FlagPlan:
    name: ClassVar[str] = "flag-plan"
    kind: ClassVar[Literal["reduce"]] = "reduce"
    description: ClassVar[str] = (
        "Deprecation plan for stale feature flags (branch to keep, references, definitions to delete, tests, "
        "risks) as Markdown, the catalogue of all flags, and one patch removing every candidate's checks."
    )
    params_model: ClassVar[type[BaseModel]] = NoParams
    # 2: the definitions' advice as the findings give it, a Go name still used, counts.
    version: ClassVar[str] = "2"
    rules: ClassVar[list[RuleInfo]] = findings_mod.RULES

    def reduce(self, records: list[Record], ctx: AnalyzerContext) -> AnalyzerOutput:
        flags, errors, assessments = collect(records)
        disagree = disagreements(flags, assessments)
        patch, notes = build_patch(ctx.workspace, flags)
        pins = {f.key: pinning_tests(ctx.workspace, f) for f in flags if f.tests}
        cands = [f for f in flags if f.candidate]
        summary = {
            "flags": len(flags),
            "candidates": len(cands),
            "fully_on": sum(1 for f in cands if f.category == "fully-on"),
            "fully_off": sum(1 for f in cands if f.category == "fully-off"),
            "unreferenced": sum(1 for f in cands if f.category == "unreferenced"),
            "undefined": sum(1 for f in cands if f.category == "undefined"),
            "partial": sum(1 for f in flags if f.state == "partial"),
            "errors": len(errors),
            "disagreements": len(disagree),
        }
        output = {
            "markdown": markdown(flags, errors, assessments, disagree, notes, pins),
            "catalogue": catalogue(flags, assessments, pins),
            "patch": patch,
            "summary": summary,
            "disagreements": disagree,
        }
        return AnalyzerOutput(output=output)
