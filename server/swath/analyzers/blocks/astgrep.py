"""`ast-grep`: structural search with rules written as data in the workflow.

Each rule is ast-grep's own rule YAML (`rule:` with `pattern`, `kind`, `inside`, `has`,
`regex`, `any`/`all`/`not`, ...; `constraints:`, `utils:`, `transform:`), plus an `id`,
the languages it applies to, and an optional `finding:`. One match record per match,
with every metavariable the rule names as a field: `$KEY` as its text, `$$$ARGS` as the
list of texts, and `transform` results under their names.

Rules are compiled when the workflow is loaded, so a misspelt rule key or an unknown node
kind is a problem at its line and column, not a failed run.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar, Literal, cast

from ast_grep_py import Config, SgNode, SgRoot
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.analyzers.blocks.emit import FindingRule, MatchRecord, cut, line_at
from swath.findings.model import Finding
from swath.findings.report import RuleInfo
from swath.spec.records import Item
from swath.workspace.languages import LANGUAGE_BY_EXTENSION, language_of

LANGUAGES = sorted(set(LANGUAGE_BY_EXTENSION.values()))
METAVAR = re.compile(r"\$(\$\$)?([A-Z_][A-Z0-9_]*)")


class AstGrepRule(BaseModel):
    """One rule: ast-grep's rule YAML plus an id, its languages and an optional finding."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z][\w./-]*$", description="Names the rule in records.")
    language: str | list[str] = Field(
        description="ast-grep language(s) the rule applies to (a file's language comes from its "
        "extension; `.jsx` is tsx): " + ", ".join(LANGUAGES)
    )
    constraints: dict[str, Any] = Field(
        default_factory=dict, description="ast-grep constraints on metavariables."
    )
    utils: dict[str, Any] = Field(default_factory=dict, description="ast-grep utility rules.")
    transform: dict[str, Any] = Field(
        default_factory=dict,
        description="ast-grep transforms; results become fields (e.g. a string without quotes).",
    )
    # After the settings above, so the validator below sees them (pydantic validates fields in
    # order) and a rule that does not compile is reported at `rule:` itself.
    rule: dict[str, Any] = Field(
        description="ast-grep rule object: pattern, kind, regex, inside, has, any, all, not, ..."
    )
    unique: bool = Field(
        False,
        description="One record per distinct set of captures in each file (e.g. names a test "
        "mentions), instead of one per match.",
    )
    finding: FindingRule | None = Field(
        None, description="Make a finding of every match (message and lens are templates)."
    )

    @property
    def languages(self) -> list[str]:
        return [self.language] if isinstance(self.language, str) else list(self.language)

    def config(self) -> Config:
        return sg_config(self.rule, self.model_dump(include={"constraints", "utils", "transform"}))

    def metavariables(self) -> tuple[list[str], list[str]]:
        """(single, multiple) metavariable names the rule mentions, plus transform names."""
        text = json.dumps([self.rule, self.constraints, self.utils])
        single: list[str] = []
        multi: list[str] = []
        for m in METAVAR.finditer(text):
            (multi if m.group(1) else single).append(m.group(2))
        single = [n for n in dict.fromkeys(single) if n not in multi and n != "_"]
        return single, list(dict.fromkeys(n for n in multi if n != "_"))

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | list[str]) -> str | list[str]:
        for lang in [value] if isinstance(value, str) else value:
            if lang not in LANGUAGES:
                raise ValueError(f"unknown language `{lang}`; known: {', '.join(LANGUAGES)}")
        return value

    @field_validator("rule")
    @classmethod
    def _compiles(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        language = info.data.get("language")
        if language is None:
            return value  # the language is wrong, and reported on its own
        config = sg_config(value, info.data)
        for lang in [language] if isinstance(language, str) else language:
            try:
                SgRoot("", lang).root().find_all(config)
            except BaseException as exc:  # pyo3 raises plain Exception/RuntimeError
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                raise ValueError(
                    f"ast-grep cannot use this rule for {lang}: {sg_error(exc)}"
                ) from None
        return value


class AstGrepParams(BaseModel):
    """Params of the `ast-grep` analyzer."""

    model_config = ConfigDict(extra="forbid")
    rules: list[AstGrepRule] = Field(min_length=1, description="The rules, run on every file.")


def sg_config(rule: dict[str, Any], extra: dict[str, Any]) -> Config:
    """ast-grep's config object: the rule plus whichever of its companions are set."""
    cfg: dict[str, Any] = {"rule": rule}
    for key in ("constraints", "utils", "transform"):
        if extra.get(key):
            cfg[key] = extra[key]
    return cast(Config, cfg)


def sg_error(exc: BaseException) -> str:
    """ast-grep's message without its Rust backtrace: the error and its causes, one line."""
    lines = []
    for line in str(exc).splitlines():
        if line.startswith("Stack backtrace"):
            break
        line = re.sub(r"^\s*\d+:\s*", "", line).strip()
        if line and line != "Caused by:":
            lines.append(line)
    return "; ".join(lines) or type(exc).__name__


def captures(node: SgNode, rule: AstGrepRule) -> dict[str, Any]:
    single, multi = rule.metavariables()
    fields: dict[str, Any] = {}
    for name in single:
        got = node.get_match(name)
        if got is not None:
            fields[name] = got.text()
    for name in multi:
        fields[name] = [n.text() for n in node.get_multiple_matches(name) if n.text() != ","]
    for name in rule.transform:
        value = node.get_transformed(name)
        if value is not None:
            fields[name] = value
    return fields


def match_record(rule: AstGrepRule, path: str, node: SgNode, lines: list[str]) -> MatchRecord:
    r = node.range()
    return MatchRecord(
        rule=rule.id,
        path=path,
        line=r.start.line + 1,
        column=r.start.column + 1,
        end_line=r.end.line + 1,
        end_column=r.end.column + 1,
        text=cut(node.text()),
        quote=line_at(lines, r.start.line),
        fields=captures(node, rule),
    )


def scan_file(path: str, text: str, lang: str, rules: list[AstGrepRule]) -> list[MatchRecord]:
    mine = [r for r in rules if lang in r.languages]
    if not mine:
        return []
    root = SgRoot(text, lang).root()
    lines = text.splitlines()
    out: list[MatchRecord] = []
    for rule in mine:
        seen: set[str] = set()
        for node in root.find_all(rule.config()):
            rec = match_record(rule, path, node, lines)
            if rule.unique:
                key = json.dumps(rec.fields, sort_keys=True)
                if key in seen:
                    continue
                seen.add(key)
            out.append(rec)
    return out


def findings_of(records: list[MatchRecord], rules: list[Any]) -> list[Finding]:
    by_id = {r.id: r for r in rules if r.finding is not None}
    return [by_id[rec.rule].finding.make(rec.rule, rec) for rec in records if rec.rule in by_id]


class AstGrep:
    name: ClassVar[str] = "ast-grep"
    kind: ClassVar[Literal["map"]] = "map"
    description: ClassVar[str] = (
        "Structural search with ast-grep rules written in the workflow (pattern, kind, inside, "
        "has, regex, constraints, transform): one record per match with its captures, and a "
        "finding per match where the rule has `finding:`."
    )
    params_model: ClassVar[type[BaseModel]] = AstGrepParams
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = []

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        params = AstGrepParams.model_validate(ctx.params)
        records: list[MatchRecord] = []
        for item in items:
            lang = language_of(item.path) if item.path else None
            if lang is None or item.path is None:
                continue
            text = ctx.workspace.read_text(item.path)
            records += scan_file(item.path, text, lang, params.rules)
        return AnalyzerOutput(
            output={"matches": [r.model_dump() for r in records]},
            findings=findings_of(records, params.rules),
            skip_model=not records,
        )
