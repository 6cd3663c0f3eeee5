"""The Finding: what every analyzer, agent and front end agrees on.

Positions follow the LSP: zero-based lines and UTF-16-agnostic "characters" (we count
code points; the LSP layer converts with the document's codec).
"""

from __future__ import annotations

import hashlib
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
    """Stable across runs and line shifts: rule, file and the quoted text, not the line number.

    Line numbers move with every edit above a finding; keying on them would make the same
    problem look new (SARIF partialFingerprints, LSP de-duplication, re-run replacement).
    """
    quotes = "\n".join(e.quote.strip() for e in f.evidence) or f.message
    key = "\x1f".join([f.rule, f.path, quotes, str(f.data.get("key", ""))])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
