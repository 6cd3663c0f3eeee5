"""`regex`: line-by-line regular expressions over text files, named groups as fields.

For what has no syntax tree: `.env.example`, Markdown docs, config files, templates. The
files are the step's items (a `files` discover step, which honours .gitignore); a file
that looks binary is skipped. `(?P<KEY>...)` becomes the record's field `KEY`.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

import pathspec
from pydantic import BaseModel, ConfigDict, Field, field_validator

from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.analyzers.blocks.astgrep import findings_of
from swath.analyzers.blocks.emit import FindingRule, MatchRecord, cut
from swath.findings.report import RuleInfo
from swath.spec.records import Item


class RegexRule(BaseModel):
    """One regular expression, tried on every line of the files it applies to."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z][\w./-]*$", description="Names the rule in records.")
    pattern: str = Field(
        description="Python regular expression; named groups `(?P<KEY>...)` become fields."
    )
    ignore_case: bool = Field(False, description="Match letters of either case.")
    files: list[str] = Field(
        default_factory=list,
        description="gitignore-style globs of the files this rule applies to (default: all).",
    )
    unique: bool = Field(False, description="One record per distinct set of captures in each file.")
    finding: FindingRule | None = Field(None, description="Make a finding of every match.")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE if self.ignore_case else 0)

    def applies_to(self) -> pathspec.GitIgnoreSpec | None:
        return pathspec.GitIgnoreSpec.from_lines(self.files) if self.files else None


Compiled = tuple[RegexRule, re.Pattern[str], pathspec.GitIgnoreSpec | None]


class RegexParams(BaseModel):
    """Params of the `regex` analyzer."""

    model_config = ConfigDict(extra="forbid")
    rules: list[RegexRule] = Field(min_length=1, description="The expressions, run on every file.")


def compile_rules(rules: list[RegexRule]) -> list[Compiled]:
    return [(r, r.compiled(), r.applies_to()) for r in rules]


def scan_text(path: str, text: str, rules: list[Compiled]) -> list[MatchRecord]:
    out: list[MatchRecord] = []
    lines = text.splitlines()
    for rule, rx, spec in rules:
        if spec is not None and not spec.match_file(path):
            continue
        seen: set[tuple[tuple[str, str], ...]] = set()
        for n, line in enumerate(lines):
            for m in rx.finditer(line):
                fields = {k: v for k, v in m.groupdict().items() if v is not None}
                if rule.unique:
                    key = tuple(sorted(fields.items()))
                    if key in seen:
                        continue
                    seen.add(key)
                out.append(
                    MatchRecord(
                        rule=rule.id,
                        path=path,
                        line=n + 1,
                        column=m.start() + 1,
                        end_line=n + 1,
                        end_column=m.end() + 1,
                        text=cut(m.group(0)),
                        quote=line,
                        fields=fields,
                    )
                )
    return out


class Regex:
    name: ClassVar[str] = "regex"
    kind: ClassVar[Literal["map"]] = "map"
    description: ClassVar[str] = (
        "Regular expressions over text files, line by line: one record per match with its "
        "named groups as fields, and a finding per match where the rule has `finding:`."
    )
    params_model: ClassVar[type[BaseModel]] = RegexParams
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = []

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        params = RegexParams.model_validate(ctx.params)
        compiled = compile_rules(params.rules)
        records: list[MatchRecord] = []
        for item in items:
            if not item.path:
                continue
            data = ctx.workspace.read_bytes(item.path)
            if ctx.workspace.looks_binary(data[:8192]):
                continue
            records += scan_text(item.path, data.decode("utf-8", errors="replace"), compiled)
        return AnalyzerOutput(
            output={"matches": [r.model_dump() for r in records]},
            findings=findings_of(records, params.rules),
            skip_model=not records,
        )
