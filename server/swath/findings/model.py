"""The Finding: what every analyzer, agent and front end agrees on.

Positions follow the LSP: zero-based lines and UTF-16-agnostic "characters" (we count
code points; the LSP layer converts with the document's codec).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from swath.findings.identity import provisional_fingerprint


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
    data: dict[str, Any] = Field(default_factory=dict)

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
    return provisional_fingerprint(f)
