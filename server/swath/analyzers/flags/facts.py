"""The analyzers' view of a flag item, and the facts they produce about it.

The input models mirror `swath.items.flags` (the layering keeps the two
packages apart, so the item data travels as JSON and is read back here); they ignore
fields they do not use, so the source may grow without breaking the analyzers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from swath.findings.model import TextEdit
from swath.items.flags import FlagErrorData, FlagState

Category = Literal["fully-on", "fully-off", "unreferenced", "undefined"]


# -- what the map analyzer says about each flag ---------------------------------------------


class ReferenceFact(BaseModel):
    path: str
    line: int
    col: int
    end_col: int
    quote: str
    kind: str = Field(description="call, literal, constant-def, constant-use, identifier, pattern")
    call: str | None = None
    via: str | None = None
    test: bool = False
    check: bool = Field(
        default=False, description="The reference is a yes/no check whose branch can be chosen."
    )
    check_range: dict[str, Any] | None = None
    edit: TextEdit | None = None
    dead_ranges: list[dict[str, Any]] = Field(
        default_factory=list,
        description="[{range, quote}]: code the edit deletes, with its first line's text.",
    )
    rewrite_note: str | None = None
    context: tuple[int, str] | None = Field(
        default=None,
        description="(line, text) of the enclosing definition, to tell identical lines apart.",
    )


class DefinitionFact(BaseModel):
    format: str
    system: str | None = None
    path: str
    line: int
    end_line: int
    col: int = Field(default=0, description="Indentation of the definition line.")
    quote: str
    kind: str = ""
    environments: dict[str, dict[str, Any]] = Field(default_factory=dict)
    entries: list[tuple[int, int]] = Field(
        default_factory=list, description="(line, end_line) of every entry."
    )


class History(BaseModel):
    since: str | None = Field(
        default=None, description="ISO date the state-carrying lines last changed."
    )
    commit: str | None = None
    author: str | None = None
    age_days: int | None = None
    uncommitted: bool = False


class FlagFacts(BaseModel):
    key: str
    defined: bool
    state: FlagState
    environment: str | None = None
    percent: float | None = None
    value: Any = None
    code_default: bool = False
    reason: str = ""
    env_states: dict[str, dict[str, Any]] = Field(default_factory=dict)
    kill_switch: bool = False
    permanent: bool = False
    kind: str = ""
    value_type: str = "unknown"
    candidate: bool = False
    category: Category | None = None
    not_candidate_because: str | None = None
    keep: str | None = Field(default=None, description="Which branch survives, in words.")
    history: History = Field(default_factory=History)
    definitions: list[DefinitionFact] = Field(default_factory=list)
    references: list[ReferenceFact] = Field(default_factory=list)
    ref_count: int = 0
    file_count: int = 0
    tests: list[str] = Field(default_factory=list)
    constants: list[dict[str, Any]] = Field(default_factory=list)
    mentions: list[dict[str, Any]] = Field(default_factory=list)
    docs: list[dict[str, Any]] = Field(
        default_factory=list, description="Mentions in documentation."
    )
    risks: list[str] = Field(default_factory=list)
    lens: str = ""
    removal: RemovalSpec | None = Field(
        default=None, description="How to rewrite the flag's checks away, file by file."
    )


class RemovalSpec(BaseModel):
    """What `rewrite_file` needs to remove every check of one flag (used by the plan's patch)."""

    value: bool
    call_names: list[str] = Field(default_factory=list)
    negated_calls: list[str] = Field(default_factory=list)
    key_aliases: list[str] = Field(default_factory=list)
    check_texts: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)


FlagFacts.model_rebuild()


class BatchFacts(BaseModel):
    """Output of one `flag-classify` task."""

    flags: list[FlagFacts] = Field(default_factory=list)
    errors: list[FlagErrorData] = Field(default_factory=list)
