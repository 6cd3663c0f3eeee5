"""What the flag source hands to the analyzers: definitions, references, errors.

The `flags` source (`swath.sources.flagdefs`) builds these models and dumps them into
`Item.data` (plain JSON, so results can be stored and cached); the flag analyzers
(`swath.analyzers.flags`) validate that JSON back into the same models. Unknown fields
are ignored on the way in, so stored items of an older version still load.
Positions are zero-based lines and code-point columns, as in the LSP.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

FlagState = Literal["on", "off", "partial", "unknown"]
ValueType = Literal["boolean", "string", "number", "object", "unknown"]
RefKind = Literal["literal", "call", "constant-def", "constant-use", "identifier"]

# The environment that decides when none is configured; the aliases are tried in order.
PRODUCTION_NAMES = ("production", "prod", "live", "prd")


# How a system's code spells a flag's key: as written, or renamed by a convention (an SDK
# that camel-cases keys for JavaScript property access, a settings object that snake-cases
# them for Python attributes, a dashboard that shows camelCase keys kebab-cased).
KeyCase = Literal["as-is", "camel", "snake", "kebab"]


class EnvState(BaseModel):
    """What one environment serves."""

    env: str
    state: FlagState
    percent: float | None = Field(
        default=None,
        description="Share (0-100) of evaluations served the 'on' (truthy) value, when known.",
    )
    value: Any = Field(
        default=None, description="The one value everybody gets, when state is on/off."
    )
    code_default: bool = Field(
        default=False,
        description="Nothing is served: the SDK returns the default value given at the call site.",
    )
    reason: str = Field(
        default="", description="Why: in words a reviewer can check against the definition."
    )
    lines: list[int] = Field(
        default_factory=list, description="Zero-based lines that carry this state."
    )
    path: str | None = Field(
        default=None,
        description="File of `lines` when it is not the definition's (an override file).",
    )


class FlagDefinition(BaseModel):
    key: str
    format: str = Field(
        description="A registered file format's name (flagd, launchdarkly, …), homegrown or override."
    )
    system: str | None = Field(
        default=None, description="Homegrown system name from .swath/flags.yaml."
    )
    path: str
    line: int = Field(ge=0, description="Line of the definition's key.")
    end_line: int = Field(
        ge=0, description="Last line of the definition entry (what a removal deletes)."
    )
    quote: str = Field(description="Text of `line`, stripped: the evidence.")
    name: str = ""
    description: str = ""
    kind: str = Field(
        default="",
        description="Flag type as the source names it: release, experiment, kill-switch, …",
    )
    kill_switch: bool = False
    permanent: bool = False
    value_type: ValueType = "unknown"
    variants: dict[str, Any] = Field(default_factory=dict)
    environments: dict[str, EnvState] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list, description="Prerequisite flags.")
    notes: list[str] = Field(default_factory=list)
    entries: list[tuple[int, int]] = Field(
        default_factory=list,
        description="Every (line, end_line) entry of the key in `path` (versioned entries).",
    )


class DefinitionError(BaseModel):
    path: str
    line: int = Field(default=0, ge=0)
    col: int = Field(default=0, ge=0)
    message: str
    format: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line + 1}:{self.col + 1}: {self.message}"


class ParseResult(BaseModel):
    definitions: list[FlagDefinition] = Field(default_factory=list)
    errors: list[DefinitionError] = Field(default_factory=list)

    def extend(self, other: ParseResult) -> None:
        self.definitions += other.definitions
        self.errors += other.errors


class ReferenceHit(BaseModel):
    """A place the key occurs, found by the text scan (the analyzer adds structure)."""

    path: str
    line: int
    col: int = Field(description="Start of the occurrence, quotes included.")
    end_col: int
    text: str = Field(description="The whole line, without its line break.")
    kind: RefKind
    call: str | None = Field(default=None, description="SDK call name seen right before the key.")
    via: str | None = Field(
        default=None, description="Constant the key is held in, for constant uses."
    )
    test: bool = Field(default=False, description="The file looks like a test.")
    lang: str | None = None


class ConstantDef(BaseModel):
    name: str
    key: str
    path: str
    line: int
    # "global": exported (seen in other files through an import or qualified); "file": seen
    # only in its file, in its block for one declared in a function or block.
    scope: Literal["global", "file"]


class DynamicRead(BaseModel):
    """An SDK call whose key is built at run time (`variation(prefix + name)`,
    `is_enabled(f"new-{x}")`, `variation(key)` with `key` no constant), or a homegrown
    system's reference pattern whose key capture is such an expression (`Feature[name]`,
    `getattr(Feature, name)`): it may read any flag (of that `system`, for a pattern) whose
    key has its literal `prefix` and `suffix`, so no such flag's definition is deleted."""

    path: str
    line: int
    col: int = 0
    quote: str = Field(description="The line, stripped.")
    call: str = Field(description="The SDK call, or the reference pattern that matched.")
    prefix: str = ""
    suffix: str = ""
    why: str = Field(
        default="",
        description="Another reason the read's key cannot be seen (a bulk read under another "
        "spelling); empty for a key built at run time.",
    )
    system: str | None = Field(
        default=None,
        description="The homegrown system whose reference pattern matched: only its flags "
        "may be read (None: an SDK call, any flag).",
    )
    key_case: KeyCase = Field(
        default="as-is", description="How the pattern spells keys: the literal parts are of that."
    )

    def may_read(self, key: str) -> bool:
        spelled = spell_key(key, self.key_case)
        return (
            spelled.startswith(self.prefix)
            and spelled.endswith(self.suffix)
            and len(spelled) >= len(self.prefix) + len(self.suffix)
        )

    def where(self) -> str:
        return f"{self.path}:{self.line + 1}"


class CallName(BaseModel):
    """An SDK method whose first string argument (or second, after a context) is a key."""

    name: str = Field(description="Method or function name, e.g. `is_enabled`.")
    family: str = Field(default="custom", description="SDK family shown in the catalogue.")
    negated: bool = Field(
        default=False, description="True when the call answers 'is it off?' (GrowthBook is_off)."
    )
    returns: Literal["bool", "value"] = Field(
        default="bool", description="`bool` for a yes/no check, `value` for a variation."
    )
    external: bool = Field(
        default=False,
        description="The state of keys read through this call lives outside the repository "
        "(django-waffle's database): a key no definition has is of unknown state, not undefined.",
    )


class ReferencePattern(BaseModel):
    """A homegrown system's reference pattern, passed through to the analyzer."""

    system: str
    language: str | None = None
    pattern: Any = None
    rule: dict[str, Any] | None = None
    regex: str | None = None
    key: str = "KEY"
    is_check: bool | None = None
    key_case: KeyCase = "as-is"


class FlagItemData(BaseModel):
    """`Item.data` of kind 'flag'."""

    key: str
    defined: bool
    definitions: list[FlagDefinition] = Field(default_factory=list)
    references: list[ReferenceHit] = Field(default_factory=list)
    unlisted_references: int = Field(
        default=0, ge=0, description="References found beyond the per-flag cap: counted only."
    )
    constants: list[ConstantDef] = Field(default_factory=list)
    mentions: list[ReferenceHit] = Field(
        default_factory=list,
        description="Occurrences inside other flags' definition files (prerequisites…).",
    )
    ordinary_uses: int = Field(
        default=0,
        ge=0,
        description="A one-word key's occurrences where its system reads no key (the word "
        "`enabled` in `{ enabled: false }`): counted, not references.",
    )
    ordinary_example: ReferenceHit | None = None
    environment: str | None = Field(
        default=None, description="Environment configured to decide; None: production."
    )
    call_names: list[CallName] = Field(default_factory=list)
    reference_patterns: list[ReferencePattern] = Field(default_factory=list)
    min_age_days: int = Field(
        default=30, ge=0, description="Days a state must hold before the flag is a candidate."
    )
    catalogue_sources: list[str] = Field(
        default_factory=list, description="Every definition file found."
    )
    dynamic_reads: int = Field(
        default=0,
        ge=0,
        description="SDK calls whose key is built at run time and may be this flag's.",
    )
    dynamic_read: DynamicRead | None = Field(
        default=None, description="The first of those (by path and line)."
    )


class FlagErrorData(BaseModel):
    """`Item.data` of kind 'flag-error'."""

    path: str
    line: int = 0
    message: str
    format: str = ""


_WORDS = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|[^A-Za-z]|$)|[A-Z]?[a-z]+|[A-Z]+|\d+")


def camel_case(key: str) -> str:
    """A key as LaunchDarkly's React SDK spells it (lodash's camelCase, which it uses):
    `new-onboarding` -> `newOnboarding`, `dark_mode_v2` -> `darkModeV2`."""
    words: list[str] = _WORDS.findall(key)
    if not words:
        return key
    return words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])


def _joined(key: str, sep: str) -> str:
    """The key's words (as `camel_case` splits them) lower-cased and joined by `sep`:
    `newOnboarding` -> `new_onboarding` / `new-onboarding`."""
    words: list[str] = _WORDS.findall(key)
    return sep.join(w.lower() for w in words) if words else key


_METAVARIABLE = re.compile(r"\$\$?\$?[A-Z_][A-Z0-9_]*")
_PATTERN_WORD = re.compile(r"[A-Za-z_]\w*")


# Prose: docs neither keep a flag alive nor get findings, but are listed as docs to update.
DOC_EXTENSIONS = (".md", ".markdown", ".rst", ".txt", ".adoc", ".org")
_ONE_WORD = re.compile(r"[A-Za-z][a-z]*")


def one_word_key(key: str) -> bool:
    """A key that is one plain word (`enabled`, `demo`, `Signals`), spelled like the
    ordinary names, columns and prose of any code base; compound keys (`newCheckout`,
    `new-checkout`, `NEW_CHECKOUT`) are not written by accident."""
    return bool(_ONE_WORD.fullmatch(key))


def pattern_words(pattern: str) -> list[str]:
    """The identifiers an ast-grep pattern spells out, in order (`flagResolver`,
    `isEnabled` of `flagResolver.isEnabled($KEY)`; metavariables left out). ast-grep
    matches them literally, so a file without one of them holds no match: the scan picks
    files for dynamic reads by them, the analyzer skips parsing files for a pattern."""
    return _PATTERN_WORD.findall(_METAVARIABLE.sub(" ", pattern))


def spell_key(key: str, case: str) -> str:
    """How code that renames keys by a convention spells `key` (see `KeyCase`)."""
    if case == "camel":
        return camel_case(key)
    if case == "snake":
        return _joined(key, "_")
    if case == "kebab":
        return _joined(key, "-")
    return key
