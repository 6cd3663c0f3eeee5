"""The Finding: what every analyzer, agent and front end agrees on.

Positions follow the LSP: zero-based lines and UTF-16-agnostic "characters" (we count
code points; the LSP layer converts with the document's codec).
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)

from swath.findings.as_written import AsWritten
from swath.places import fingerprint

log = logging.getLogger(__name__)


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    information = "information"
    hint = "hint"


class Position(BaseModel):
    model_config = ConfigDict(frozen=True)
    line: int = Field(ge=0)
    character: int = Field(ge=0)


class Range(BaseModel):
    model_config = ConfigDict(frozen=True)
    start: Position
    end: Position

    @classmethod
    def of_line(cls, line: int, start_char: int = 0, end_char: int | None = None) -> "Range":
        return cls(
            start=Position(line=line, character=start_char),
            end=Position(line=line, character=end_char if end_char is not None else start_char),
        )


class Evidence(BaseModel):
    """A verbatim quote that must stand in `path` at `line` (zero-based)."""

    path: str
    line: int = Field(ge=0)
    quote: str


class TextEdit(AsWritten):
    """An LSP-style edit: a zero-based range in the file as it is now, and its new text.

    The one edit model: analyzers make it, `--fix-preview`/`--fix` apply it and the editor
    offers it as a quick fix. `path` is relative to the workspace; a finding's edit without one
    edits the finding's own file. `newText` (the LSP's spelling) is read as `new_text`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    path: str | None = None
    range: Range
    new_text: str = Field(validation_alias=AliasChoices("new_text", "newText"))
    title: str | None = Field(default=None, description="The quick fix's title in an editor.")


class FindingData(AsWritten):
    """`Finding.data`: three keys every front end relies on are typed; any other key an analyzer
    or a model adds travels along as given (`extra`)."""

    model_config = ConfigDict(extra="allow")

    key: str | None = Field(
        default=None, description="What the finding is about (a flag's key); part of its identity."
    )
    lens: str | None = Field(default=None, description="The code lens text shown above it.")
    edit: TextEdit | None = Field(
        default=None, description="The change that resolves it (quick fix, --fix-preview, --fix)."
    )

    @model_validator(mode="wrap")
    @classmethod
    def _drop_ill_typed(cls, value: Any, handler: ModelWrapValidatorHandler[FindingData]) -> Any:
        """A typed key whose value does not fit (a number as `key`, an `edit` without a range)
        is dropped, not the finding: data may come from a model, a plugin or a run stored
        before these keys were typed, and none of those should make a report unreadable."""
        try:
            return handler(value)
        except ValidationError as exc:
            typed = set(cls.model_fields)
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"] and e["loc"][0] in typed}
            if not bad or not isinstance(value, dict):
                raise
            log.info("dropped finding data keys that do not fit their type: %s", sorted(bad))
            return handler({k: v for k, v in value.items() if k not in bad})

    def extra(self, name: str, default: Any = None) -> Any:
        """An untyped key's value; the typed ones are attributes."""
        assert name not in type(self).model_fields, f"data.{name} is typed: read the attribute"
        return (self.__pydantic_extra__ or {}).get(name, default)

    def __contains__(self, name: object) -> bool:
        # As for the dict it replaced: was the key given? (A model's own `in` would look for
        # (name, value) pairs and say False to every name.)
        return name in self.model_fields_set or name in (self.__pydantic_extra__ or {})

    def with_(self, **changes: Any) -> FindingData:
        """A copy with these keys set (a new one after the others), validated like the original."""
        return type(self).model_validate({**self.model_dump(), **changes})


class Finding(BaseModel):
    id: str = ""
    rule: str
    severity: Severity = Severity.warning
    path: str
    range: Range
    message: str
    evidence: list[Evidence] = Field(default_factory=list)
    verified: bool = False
    fingerprint: str = ""
    tags: list[str] = Field(default_factory=list, description="'unnecessary' and/or 'deprecated'")
    data: FindingData = Field(default_factory=FindingData)

    def model_post_init(self, __context: Any) -> None:
        if not self.fingerprint:
            self.fingerprint = fingerprint_of(self)
        if not self.id:
            self.id = self.fingerprint[:16]


def fingerprint_of(f: Finding) -> str:
    """The provisional fingerprint a finding is born with (see `swath.findings.identity`).

    It names the place by line number; the engine swaps it for the stable one (line text +
    occurrence index) once it holds the file, so edits above a finding do not make it new.
    """
    start = f.range.start
    place = f"L{start.line}:{start.character}"
    return fingerprint(f.rule, f.path, quoted_line(f), place, f.data.key or "")


def quoted_line(f: Finding) -> str:
    """The finding's line as its own evidence quotes it, or its message when it quotes none."""
    for ev in f.evidence:
        if ev.path == f.path and ev.quote.strip():
            return ev.quote.strip().splitlines()[0]
    return f.message
