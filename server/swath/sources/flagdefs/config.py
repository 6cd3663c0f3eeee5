"""`.swath/flags.yaml` and the step's `with:` options: where flags live and how to read them.

The file is optional. Everything in it may also be given in the discover step's `with:`
(which wins, key by key at the top level). Unknown keys are errors with a line, so a
typo never silently disables a part of the audit.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from swath.items.flags import CallName, DefinitionError, FlagState, KeyCase
from swath.sources.flagdefs import formats
from swath.sources.flagdefs.preset_names import preset_names
from swath.sources.flagdefs.structured import Document, DocumentError, load_yaml

CONFIG_PATHS = (".swath/flags.yaml", ".swath/flags.yml")

# Files whose name says they hold flags, whatever their format (each format adds its own
# names: see formats/). Exports have no fixed name, so JSON files are also sniffed.
GENERIC_INCLUDE = [
    "**/flags*.json",
    "**/flags*.yaml",
    "**/flags*.yml",
    "**/feature-flags*.json",
    "**/feature-flags*.yaml",
    "**/feature_flags*.json",
    "**/feature_flags*.yaml",
    "**/features*.json",
    "**/features*.yaml",
]
DEFAULT_EXCLUDE = [
    "**/node_modules/**",
    "**/vendor/**",
    "**/.swath/**",
    "**/package.json",
    "**/package-lock.json",
]


def default_include() -> list[str]:
    return [*GENERIC_INCLUDE, *formats.include_globs()]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FileSelection(Strict):
    include: list[str] = Field(
        default_factory=lambda: default_include(), description="Globs of flag files."
    )
    extra: list[str] = Field(default_factory=list, description="Globs added to the defaults.")
    exclude: list[str] = Field(default_factory=list, description="Globs never read as flag files.")
    sniff: bool = Field(
        default=True, description="Also read other *.json files that look like flag exports."
    )
    environments: dict[str, str] = Field(
        default_factory=dict, description="Glob -> environment the files under it describe."
    )


class StateMapping(Strict):
    """How a captured state text maps to on/off/partial. `re:` entries are regexes."""

    on: list[str] = Field(
        description="State texts that mean on.",
        default_factory=lambda: [
            "true",
            "on",
            "enabled",
            "enable",
            "yes",
            "1",
            "100",
            "active",
            "ga",
            "released",
            "live",
            "full",
        ],
    )
    off: list[str] = Field(
        description="State texts that mean off.",
        default_factory=lambda: [
            "false",
            "off",
            "disabled",
            "disable",
            "no",
            "0",
            "inactive",
            "none",
            "dark",
            "killed",
        ],
    )
    partial: list[str] = Field(
        description="State texts that mean partly on.",
        default_factory=lambda: ["partial", "beta", "canary", "rollout", "experiment"],
    )
    numeric: bool = Field(
        default=True, description="Numbers are percentages: 0 off, 100 on, between partial."
    )


class PatternSpec(Strict):
    """One ast-grep pattern (or rule) or regex, and which captures give what."""

    pattern: str | dict[str, Any] | None = Field(
        default=None, description="ast-grep pattern, or {context, selector}."
    )
    rule: dict[str, Any] | None = Field(
        default=None, description="A full ast-grep rule (kind/inside/has/…)."
    )
    regex: str | None = Field(
        default=None, description="Python regex with named groups key/state/version."
    )
    language: str | None = Field(
        default=None, description="ast-grep language; default from the file extension."
    )
    key: str = Field(default="KEY", description="Metavariable (or regex group) holding the key.")
    state: str | None = Field(
        default="STATE", description="Metavariable (or regex group) holding the state."
    )
    state_value: FlagState | None = Field(
        default=None, description="A fixed state for every match."
    )
    version: str | None = Field(
        default="VERSION", description="Metavariable ordering versioned entries."
    )
    kind: str | None = Field(
        default=None, description="Flag type of every match, e.g. kill-switch."
    )
    is_check: bool | None = Field(
        default=None, description="References: the match is itself the yes/no check."
    )
    prefilter: str | None = Field(
        default=None,
        description="References: a Python regex every read with a key built at run time "
        "through this pattern matches (`Feature\\s*\\[`); files it does not match are not "
        "parsed for such reads (default: the files holding the words the pattern names).",
    )
    optional: bool = Field(
        default=False,
        description="References: a way code may read flags that a repository need not use "
        "(`Feature[name]`): `swath flags test` does not fail when it matches nothing.",
    )
    key_case: KeyCase = Field(
        default="as-is",
        description="References: how the code spells a key. `camel`: `new-onboarding` is read "
        "as `newOnboarding` (LaunchDarkly's React SDK camel-cases keys by default); `snake`: "
        "`new_onboarding`; `kebab`: `newOnboarding` is read as `new-onboarding`.",
    )

    @field_validator("prefilter")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"`prefilter` is not a valid regex: {exc}") from exc
        return v

    @model_validator(mode="after")
    def _one_matcher(self) -> PatternSpec:
        given = [n for n in ("pattern", "rule", "regex") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `pattern`, `rule` or `regex`")
        return self


class SystemSpec(Strict):
    """A homegrown flag system."""

    name: str = Field(description="Name of the system, shown in the catalogue.")
    files: list[str] = Field(
        default_factory=list,
        description="Globs of the files that define the flags (none for a system that only "
        "describes how code reads flags defined by `formats`).",
    )
    contains: list[str] = Field(
        default_factory=list,
        description="Only files of `files` whose text holds one of these strings (a cheap "
        "filter before parsing: `**/*.go` alone would parse every Go file).",
    )
    exclude: list[str] = Field(
        default_factory=list, description="Globs among `files` never read by this system."
    )
    optional: bool = Field(
        default=False,
        description="No file matching `files` is not an error (an export that may be absent).",
    )
    formats: list[str] = Field(
        default_factory=list,
        description="Definitions read from these file formats (launchdarkly, unleash, flagd, "
        "plainmap) are this system's too, so its `reference` patterns find their uses.",
    )
    language: str | None = Field(
        default=None, description="ast-grep language; default from the file extension."
    )
    definitions: list[PatternSpec] = Field(
        default_factory=list, alias="definition", description="Patterns of a flag's definition."
    )
    references: list[PatternSpec] = Field(
        default_factory=list, alias="reference", description="Patterns of a flag's use in code."
    )
    states: StateMapping = Field(
        default_factory=StateMapping, description="How captured state texts map to on/off."
    )
    default_state: FlagState = Field(
        default="unknown", description="State of a definition that captures none."
    )
    order: Literal["last", "first"] = Field(
        default="last", description="Which of several entries of one key decides."
    )
    kill_switches: list[str] = Field(
        default_factory=list, description="Key globs that are kill switches."
    )
    permanent: list[str] = Field(default_factory=list, description="Key globs that are permanent.")

    @field_validator("definitions", "references", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return [v] if isinstance(v, dict) else v

    @model_validator(mode="after")
    def _files_or_formats(self) -> SystemSpec:
        if not self.files and not self.formats:
            raise ValueError("give `files` (where flags are defined) or `formats`")
        if self.definitions and not self.files:
            raise ValueError("`definition` patterns need `files` to run on")
        return self


class DetectSpec(Strict):
    """A flag system's signature: the preset applies by itself where it is found."""

    files: list[str] = Field(description="Globs of the files that may carry the signature.")
    contains: list[str] = Field(
        default_factory=list, description="Strings of which one file must hold one."
    )
    regex: str | None = Field(
        default=None, description="Or a Python regex (multiline) one file must match."
    )

    @model_validator(mode="after")
    def _something(self) -> DetectSpec:
        if not self.contains and self.regex is None:
            raise ValueError("give `contains` or `regex`")
        return self


class OverrideSpec(Strict):
    state: FlagState | None = Field(default=None, description="The state that decides.")
    percent: float | None = Field(default=None, ge=0, le=100, description="Rollout percentage.")
    environments: dict[str, FlagState] = Field(
        default_factory=dict, description="State per environment."
    )
    reason: str = Field(default="", description="Why the state is overridden (shown in reports).")
    kill_switch: bool | None = Field(default=None, description="The flag is a kill switch.")
    permanent: bool | None = Field(default=None, description="The flag is meant to stay.")


class FlagsConfig(Strict):
    description: str = Field(
        default="", description="What this configuration describes (shown by `swath flags test`)."
    )
    preset: list[str] = Field(
        default_factory=list,
        description="Presets (shipped flag-system descriptions) to apply, by name: "
        "`swath flags test --preset NAME` shows what one matches.",
    )
    detect_presets: bool = Field(
        default=True, description="Also apply every preset whose `detect` signature is found."
    )
    detect: DetectSpec | None = Field(
        default=None,
        description="A preset's signature (read only from presets; kept in the file so that "
        "a preset copied into .swath/flags.yaml stays valid).",
    )
    files: FileSelection = Field(
        default_factory=FileSelection, description="Which files hold flag definitions."
    )
    environment: str | None = Field(
        default=None, description="Environment that decides; default production."
    )
    call_names: list[str | CallName] = Field(
        default_factory=list, description="Extra SDK call names."
    )
    systems: list[SystemSpec] = Field(
        default_factory=list, description="Homegrown flag systems, described by patterns."
    )
    overrides: dict[str, FlagState | OverrideSpec] = Field(
        default_factory=dict, description="Key -> state (or override object) that wins."
    )
    override_file: str | None = Field(
        default=None, description="JSON/YAML map key -> state (or override object)."
    )
    kill_switches: list[str] = Field(
        default_factory=list, description="Key globs that are kill switches."
    )
    permanent: list[str] = Field(default_factory=list, description="Key globs that are permanent.")
    report_undefined: bool | Literal["auto"] = Field(
        default="auto",
        description="Report SDK calls to undefined keys; auto: only when definitions were found.",
    )
    ignore_keys: list[str] = Field(
        default_factory=list, description="Key globs left out of the audit."
    )
    references: list[str] = Field(
        default_factory=list, description="Globs limiting where references are scanned."
    )
    max_file_bytes: int = Field(
        default=5_000_000, ge=1, description="Bigger files are not scanned for references."
    )
    min_age_days: int = Field(
        default=30,
        ge=0,
        description="Days a flag must have been fully on/off before it is a removal candidate.",
    )
    max_references_per_flag: int = Field(
        default=2000,
        ge=1,
        description="References listed per flag; more are counted, not listed (bounds memory).",
    )
    workers: int | None = Field(
        default=None, ge=1, description="Scan processes; default: one per core."
    )

    @field_validator("preset", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("preset")
    @classmethod
    def _known_presets(cls, v: list[str]) -> list[str]:
        names = preset_names()
        for name in v:
            if name not in names:
                raise ValueError(f"no preset {name!r}; there are: {', '.join(sorted(names))}")
        return v

    def call_name_specs(self) -> list[CallName]:
        return [c if isinstance(c, CallName) else CallName(name=c) for c in self.call_names]

    def override_for(self, key: str) -> OverrideSpec | None:
        raw = self.overrides.get(key)
        if raw is None:
            return None
        return raw if isinstance(raw, OverrideSpec) else OverrideSpec(state=raw)


class FlagsOptions(FlagsConfig):
    """Options of the `flags` source: everything `.swath/flags.yaml` may hold, plus where it is."""

    config: str | None = Field(
        default=None,
        description="Path of the flags configuration file (default .swath/flags.yaml).",
    )


def config_errors(exc: ValidationError, doc: Document | None, path: str) -> list[DefinitionError]:
    """pydantic's errors with the line of the offending key."""
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        found = _doc_path(loc, doc) if doc is not None else ()
        line = doc.line_of(found) if doc is not None else 0
        col = 0
        if doc is not None and found and 0 <= line < len(doc.lines):
            col = max(0, doc.lines[line].find(str(found[-1])))
        where = ".".join(str(p) for p in loc)
        out.append(
            DefinitionError(
                path=path, line=line, col=col, message=f"{where}: {err['msg']}", format="config"
            )
        )
    return out


def _doc_path(loc: tuple[Any, ...], doc: Document) -> tuple[Any, ...]:
    # pydantic adds union branch names ('OverrideSpec', 'str') to locations; keep the
    # prefix that exists in the document.
    out: tuple[Any, ...] = ()
    for part in loc:
        if (*out, part) in doc.positions:
            out = (*out, part)
    return out


def load_config(
    text: str | None, path: str, options: dict[str, Any]
) -> tuple[FlagsConfig, list[DefinitionError]]:
    """The merged configuration and any errors; on error the defaults (plus what parsed) apply."""
    errors: list[DefinitionError] = []
    raw: dict[str, Any] = {}
    doc: Document | None = None
    if text is not None:
        try:
            doc = load_yaml(text)
        except DocumentError as exc:
            errors.append(
                DefinitionError(
                    path=path, line=exc.line, col=exc.col, message=str(exc), format="config"
                )
            )
        else:
            if isinstance(doc.data, dict):
                raw = dict(doc.data)
            elif doc.data is not None:
                errors.append(
                    DefinitionError(
                        path=path, line=0, message="expected a mapping at the top", format="config"
                    )
                )
    step_opts = {k: v for k, v in options.items() if k not in {"config"}}
    merged = {**raw, **step_opts}
    try:
        return FlagsConfig.model_validate(merged), errors
    except ValidationError as exc:
        errors += config_errors(exc, doc, path)
    # Keep what validates, key by key (and system by system), so one typo does not
    # disable the rest of the audit.
    good: dict[str, Any] = {}
    for k, v in merged.items():
        if k == "systems" and isinstance(v, list):
            v = [s for s in v if _valid({"systems": [s]})]
        if _valid({k: v}):
            good[k] = v
    return FlagsConfig.model_validate(good), errors


def _valid(raw: dict[str, Any]) -> bool:
    try:
        FlagsConfig.model_validate(raw)
    except ValidationError:
        return False
    return True
