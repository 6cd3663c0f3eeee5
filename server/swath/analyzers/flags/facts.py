"""The facts the flag analyzers produce about each flag (`flag-classify`'s output, read back by
`flag-plan` and the findings). What they read, the flag item, is `swath.items.flags`: the one
model the flag source writes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from swath.findings.model import Range, TextEdit
from swath.items.flags import ConstantDef, DynamicRead, FlagErrorData, FlagState

Category = Literal["fully-on", "fully-off", "unreferenced", "undefined"]


# -- what the map analyzer says about each flag ---------------------------------------------


class DeadRange(BaseModel):
    """Code a removal deletes, with its first line's text (the faded branch's evidence)."""

    range: Range
    quote: str = ""


class EnvSummary(BaseModel):
    """What one environment serves, in short."""

    state: FlagState
    percent: float | None = None
    reason: str = ""


class Mention(BaseModel):
    """Where the key is named outside code: another flag's definition, or documentation."""

    path: str
    line: int
    quote: str


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
    check_range: Range | None = None
    edit: TextEdit | None = None
    dead_ranges: list[DeadRange] = Field(
        default_factory=list, description="Code the edit deletes, with its first line's text."
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
    environments: dict[str, EnvSummary] = Field(default_factory=dict)
    entries: list[tuple[int, int]] = Field(
        default_factory=list, description="(line, end_line) of every entry."
    )
    # Set for removal candidates (`removal_patch.mark_units`): what deleting it means.
    units: list[tuple[int, int]] = Field(
        default_factory=list,
        description="(line, end_line) of the whole entries a removal deletes, comments above "
        "included; empty when none was found.",
    )
    whole_file: bool = Field(default=False, description="The definition is the whole file.")
    removable: bool = Field(
        default=True, description="Swath deletes definitions in files of this type."
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
    env_states: dict[str, EnvSummary] = Field(default_factory=dict)
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
    constants: list[ConstantDef] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list)
    ordinary_uses: int = Field(
        default=0,
        description="Occurrences of a one-word key where its system reads no key: not references.",
    )
    ordinary_example: Mention | None = Field(
        default=None, description="The first of `ordinary_uses`, in code where there is one."
    )
    docs: list[Mention] = Field(default_factory=list, description="Mentions in documentation.")
    risks: list[str] = Field(default_factory=list)
    dynamic_reads: int = Field(
        default=0, description="SDK calls with a key built at run time that may be this flag's."
    )
    dynamic_read: DynamicRead | None = None
    lens: str = ""
    removal: RemovalSpec | None = Field(
        default=None, description="How to rewrite the flag's checks away, file by file."
    )


def ordinary_words(f: FlagFacts) -> str | None:
    """Why no deletion of a one-word flag's definition can be advised: the occurrences of the
    word that were not counted may hold a read through a helper (`{ featureName: 'demo' }`)."""
    o = f.ordinary_example
    if not f.ordinary_uses or o is None:
        return None
    return (
        f"{f.ordinary_uses} occurrence(s) of the word `{f.key}` where no check of its system "
        f"reads a key, e.g. {o.path}:{o.line + 1} (`{o.quote[:80]}`), were not counted as "
        "references: a one-word key is also an ordinary word, but a read through a helper "
        "Swath is not told of would be among them"
    )


def dynamic_words(f: FlagFacts) -> str | None:
    """Why no deletion of the flag's definition can be advised: reads Swath cannot see."""
    read = f.dynamic_read
    if not f.dynamic_reads or read is None:
        return None
    more = f" (and {f.dynamic_reads - 1} more)" if f.dynamic_reads > 1 else ""
    if read.why:
        return f"{read.where()}{more} (`{read.quote}`) {read.why}"
    parts = " and ".join(
        p
        for p in (
            f"starts with {read.prefix!r}" if read.prefix else "",
            f"ends with {read.suffix!r}" if read.suffix else "",
        )
        if p
    )
    if read.system is not None:
        which = f"any of its flags whose key {parts}" if parts else "any of its flags"
        return (
            f"{read.where()}{more} reads a flag of {read.system} by a key built at run time "
            f"(`{read.quote}`, through its reference pattern `{read.call}`), which may be {which}: "
            "Swath cannot see whether it reads this flag"
        )
    which = f"a key that {parts}" if parts else "any key"
    return (
        f"{read.where()}{more} reads a key built at run time (`{read.quote}`), which may be "
        f"{which}: Swath cannot see whether it reads this flag"
    )


def lines_words(spans: list[tuple[int, int]]) -> str:
    """`line 5`, `lines 4-8`, `lines 3, 9-12` (one-based)."""
    parts = [f"{a + 1}-{b + 1}" if b > a else f"{a + 1}" for a, b in spans]
    many = len(parts) > 1 or "-" in parts[0]
    return f"line{'s' if many else ''} {', '.join(parts)}"


def definition_advice(f: FlagFacts, d: DefinitionFact) -> tuple[bool, str]:
    """(whether to delete the definition once the flag's reads are gone, and in words: the
    lines, or why it stays). The finding at the definition, the plan's bullet and the
    patch all start from this, so none says delete where another says keep. (The patch may
    keep more, for what only the whole change shows: a read it did not rewrite, a Go name
    still used; its note says why and to delete it by hand after.)"""
    why = dynamic_words(f)
    if why is not None:
        return False, why
    why = ordinary_words(f)
    if why is not None:
        return False, f"{why}; delete it by hand once none is"
    listed = sum(1 for r in f.references if r.kind != "constant-def")
    if f.ref_count > listed:
        return False, f"{f.ref_count - listed} reference(s) beyond those listed were not examined"
    if d.whole_file:
        return True, f"the file {d.path}: the definition is the whole of it"
    if d.units:
        return True, lines_words(d.units)
    if not d.removable:
        # Swath deletes nothing in such a file; a human can, by the definition's own lines.
        return True, lines_words(d.entries or [(d.line, d.end_line)])
    return False, f"{d.path}:{d.line + 1} is no whole entry (of a map, a list, an enum, a block)"


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
