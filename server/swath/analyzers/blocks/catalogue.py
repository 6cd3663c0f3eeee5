"""`catalogue`: the reduce of the building blocks: group match records, count, compare.

It reads the `matches` of the `ast-grep` and `regex` steps it comes `from`, groups them
by a field (a capture such as `KEY`, or `path`, `folder`, `file`, `rule`), and lists each
group's count and locations. With `compare`, the records split into two sides by rule id,
`used` and `defined` (env vars read in code vs listed in `.env.example`; functions defined
vs named in tests), and each side's leftovers (keys the other side lacks) can become
findings at their own locations.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import PurePosixPath
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.analyzers.blocks.emit import FindingRule, MatchRecord
from swath.findings.model import Finding
from swath.findings.report import RuleInfo
from swath.spec.records import Record

DERIVED = ("path", "file", "folder", "rule", "line", "text")
QUOTES = ("'", '"', "`")


class Replace(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pattern: str = Field(description="Python regular expression searched in each key.")
    replace: str = Field("", description="What each match becomes (`\\1` for a group).")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return value


class Compare(BaseModel):
    """Two sides, by rule id; a key on one side only is that side's leftover."""

    model_config = ConfigDict(extra="forbid")
    used: list[str] = Field(min_length=1, description="Rule ids of the `used` side (e.g. reads).")
    defined: list[str] = Field(
        min_length=1, description="Rule ids of the `defined` side (e.g. documentation)."
    )
    used_label: str = Field("used", description="What the report calls the `used` side.")
    defined_label: str = Field("defined", description="What the report calls the `defined` side.")
    used_only: FindingRule | None = Field(
        None,
        description="A finding at each place a key is used but never defined; templates see "
        "`key` and `count` besides the record's fields.",
    )
    defined_only: FindingRule | None = Field(
        None, description="A finding at each place a key is defined but never used."
    )


class CatalogueParams(BaseModel):
    """Params of the `catalogue` reduce."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(
        description="Field to group by: a capture (`KEY`) or one of path, file, folder, rule."
    )
    rules: list[str] = Field(
        default_factory=list, description="Only records of these rule ids (default: all)."
    )
    folder_depth: int = Field(1, ge=1, le=20, description="Path parts `folder` keeps.")
    unquote: bool = Field(True, description="Strip the quotes of a string literal key.")
    normalize: list[Replace] = Field(
        default_factory=list, description="Replacements applied to each key, in order."
    )
    compare: Compare | None = Field(None, description="Split the records into used vs defined.")
    title: str = Field("Catalogue", description="Heading of the Markdown report.")
    top: int = Field(100, ge=1, description="Groups listed in the report.")


def derived(rec: MatchRecord, name: str, depth: int) -> Any:
    if name in rec.fields:
        return rec.fields[name]
    if name == "folder":
        parts = PurePosixPath(rec.path).parent.parts
        return "/".join(parts[:depth]) or "."
    if name == "file":
        return PurePosixPath(rec.path).name
    if name in DERIVED:
        return getattr(rec, name)
    return None


def key_of(rec: MatchRecord, p: CatalogueParams) -> str | None:
    value = derived(rec, p.key, p.folder_depth)
    if value is None or isinstance(value, list):
        return None
    key = str(value)
    if p.unquote and len(key) >= 2 and key[0] in QUOTES and key[-1] == key[0]:
        key = key[1:-1]
    for r in p.normalize:
        key = re.sub(r.pattern, r.replace, key)
    return key or None


def match_records(records: list[Record]) -> list[MatchRecord]:
    out: list[MatchRecord] = []
    for r in records:
        matches = r.output.get("matches") if isinstance(r.output, dict) else None
        for m in matches or []:
            try:
                out.append(MatchRecord.model_validate(m))
            except ValidationError:
                continue  # a record of another analyzer: not a match
    return out


class Grouped(BaseModel):
    key: str
    count: int
    files: int
    by_rule: dict[str, int]
    locations: list[str]


def group(recs: list[tuple[str, MatchRecord]]) -> list[Grouped]:
    groups: dict[str, list[MatchRecord]] = defaultdict(list)
    for key, rec in recs:
        groups[key].append(rec)
    out = []
    for key, members in groups.items():
        members.sort(key=lambda r: (r.path, r.line, r.column))
        by_rule: dict[str, int] = defaultdict(int)
        for r in members:
            by_rule[r.rule] += 1
        out.append(
            Grouped(
                key=key,
                count=len(members),
                files=len({r.path for r in members}),
                by_rule=dict(sorted(by_rule.items())),
                locations=[f"{r.path}:{r.line}" for r in members],
            )
        )
    return sorted(out, key=lambda g: (-g.count, g.key))


class Catalogue:
    name: ClassVar[str] = "catalogue"
    kind: ClassVar[Literal["reduce"]] = "reduce"
    description: ClassVar[str] = (
        "Group the match records of ast-grep/regex steps by a field, count them and list their "
        "locations; optionally compare a `used` and a `defined` side with findings for each "
        "side's leftovers."
    )
    params_model: ClassVar[type[BaseModel]] = CatalogueParams
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = []

    def reduce(self, records: list[Record], ctx: AnalyzerContext) -> AnalyzerOutput:
        p = CatalogueParams.model_validate(ctx.params)
        keyed: list[tuple[str, MatchRecord]] = []
        missing = 0
        for rec in match_records(records):
            if p.rules and rec.rule not in p.rules:
                continue
            key = key_of(rec, p)
            if key is None:
                missing += 1
            else:
                keyed.append((key, rec))
        groups = group(keyed)
        output: dict[str, Any] = {
            "total": len(keyed),
            "keys": len(groups),
            "without_key": missing,
            "groups": [g.model_dump() for g in groups],
        }
        findings: list[Finding] = []
        if p.compare is not None:
            output["compare"], findings = compare(keyed, p.compare)
        output["markdown"] = markdown(p, output)
        return AnalyzerOutput(output=output, findings=findings)


def compare(
    keyed: list[tuple[str, MatchRecord]], c: Compare
) -> tuple[dict[str, Any], list[Finding]]:
    used = {k for k, r in keyed if r.rule in c.used}
    defined = {k for k, r in keyed if r.rule in c.defined}
    result = {
        "used_label": c.used_label,
        "defined_label": c.defined_label,
        "both": sorted(used & defined),
        "used_only": sorted(used - defined),
        "defined_only": sorted(defined - used),
    }
    counts: dict[str, int] = defaultdict(int)
    for k, _ in keyed:
        counts[k] += 1
    findings: list[Finding] = []
    for key, rec in sorted(keyed, key=lambda kr: (kr[1].path, kr[1].line, kr[0])):
        extra = {"key": key, "count": counts[key]}
        if c.used_only and rec.rule in c.used and key not in defined:
            findings.append(c.used_only.make(rec.rule, rec, extra))
        if c.defined_only and rec.rule in c.defined and key not in used:
            findings.append(c.defined_only.make(rec.rule, rec, extra))
    return result, findings


def markdown(p: CatalogueParams, out: dict[str, Any]) -> str:
    lines = [
        f"## {p.title}: {out['total']} matches, {out['keys']} distinct `{p.key}`",
        "",
        f"| {p.key} | count | files | where |",
        "| --- | ---: | ---: | --- |",
    ]
    for g in out["groups"][: p.top]:
        where = ", ".join(f"`{loc}`" for loc in g["locations"][:5])
        if len(g["locations"]) > 5:
            where += f", … {len(g['locations']) - 5} more"
        lines.append(f"| `{g['key']}` | {g['count']} | {g['files']} | {where} |")
    if len(out["groups"]) > p.top:
        lines.append(f"| … {len(out['groups']) - p.top} more | | | |")
    cmp = out.get("compare")
    if cmp:
        for side, label in (
            ("used_only", f"{cmp['used_label']}, not {cmp['defined_label']}"),
            ("defined_only", f"{cmp['defined_label']}, not {cmp['used_label']}"),
        ):
            keys = cmp[side]
            lines += ["", f"### {label}: {len(keys)}", ""]
            lines += [f"- `{k}`" for k in keys[: p.top]] or ["- none"]
    return "\n".join(lines) + "\n"
