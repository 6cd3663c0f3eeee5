"""Generic building blocks' shared parts: the match record and `finding:` rules.

Every block (`ast-grep`, `regex`, `catalogue`) produces *match records*, one per place in
a file, with the rule that matched and its captures as fields. A rule may carry a
`finding:` that turns each of its records into a Finding: the record's path, line and the
verbatim line text become the finding's location and evidence (so `verify` checks it like
any built-in finding), and `message` / `lens` are sandboxed Jinja2 templates over the
record's fields.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from swath.findings.model import Evidence, Finding, FindingData, Range, Severity
from swath.spec.templates import check_template, render_prompt

MAX_TEXT = 300  # a match's text is kept whole up to this many characters


class MatchRecord(BaseModel):
    """One match: where it is (1-based line and column), what matched, and its captures."""

    rule: str = Field(description="The id of the rule that matched.")
    path: str
    line: int = Field(ge=1, description="1-based line of the match's start.")
    column: int = Field(ge=1, description="1-based column of the match's start.")
    end_line: int = Field(ge=1)
    end_column: int = Field(ge=1)
    text: str = Field(description="What matched (cut at 300 characters).")
    quote: str = Field(description="The whole first line of the match, verbatim.")
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="Captures: `$KEY` as `KEY` (text), `$$$ARGS` as `ARGS` (list of texts), "
        "regex named groups by name; plus ast-grep `transform` results.",
    )

    def context(self) -> dict[str, Any]:
        """What `message` and `lens` templates see: the captures, then the record's own keys."""
        own = self.model_dump(exclude={"fields"})
        return {**self.fields, **own, "fields": self.fields}


def check_jinja(value: str | None) -> str | None:
    if value is None:
        return value
    problem = check_template(value)
    if problem is not None:
        raise ValueError(f"Jinja2 syntax error on template line {problem[0]}: {problem[1]}")
    return value


class FindingRule(BaseModel):
    """How a rule's records become findings (diagnostics and code lenses in the editor)."""

    model_config = ConfigDict(extra="forbid")
    rule: str | None = Field(
        None, description="Finding rule id, e.g. `env/undocumented` (default: the rule's id)."
    )
    severity: Severity = Field(Severity.warning, description="error, warning, information, hint.")
    message: str = Field(
        description="Jinja2 template over the record's fields, e.g. "
        "`{{ KEY }} is read but not documented`."
    )
    lens: str | None = Field(None, description="Code lens text (a Jinja2 template), if any.")
    tags: list[str] = Field(default_factory=list, description="`unnecessary` and/or `deprecated`.")

    _check = field_validator("message", "lens")(check_jinja)

    def make(self, rule_id: str, rec: MatchRecord, extra: dict[str, Any] | None = None) -> Finding:
        ctx = {**rec.context(), **(extra or {})}
        data: dict[str, Any] = {"fields": rec.fields, **(extra or {})}
        if self.lens:
            data["lens"] = render_prompt(self.lens, ctx).strip()
        line0 = rec.line - 1
        end_col = rec.end_column - 1 if rec.end_line == rec.line else len(rec.quote)
        return Finding(
            rule=self.rule or rule_id,
            severity=self.severity,
            path=rec.path,
            range=Range.of_line(line0, rec.column - 1, max(end_col, rec.column - 1)),
            message=render_prompt(self.message, ctx).strip(),
            evidence=[Evidence(path=rec.path, line=line0, quote=rec.quote.strip())],
            tags=self.tags,
            data=FindingData.model_validate(data),
        )


def cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def line_at(lines: list[str], line0: int) -> str:
    return lines[line0] if 0 <= line0 < len(lines) else ""
