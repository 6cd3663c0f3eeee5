"""Find the flag definition files of a workspace and parse them all.

A file is a flag file when its name matches the configured globs, or (with `sniff`)
when it is a JSON/YAML file whose head carries the marks of a LaunchDarkly or Unleash
export or a flagd file. A file that matched by name but is none of the formats is an
error the user can silence with `files.exclude`; a sniffed file that turns out to be
something else is silently skipped.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field

from swath.items.flags import DefinitionError, EnvState, FlagDefinition, ParseResult
from swath.sources.flagdefs import formats, globs, homegrown
from swath.sources.flagdefs.common import env_from_path
from swath.sources.flagdefs.config import DEFAULT_EXCLUDE, FlagsConfig, OverrideSpec
from swath.sources.flagdefs.structured import (
    Document,
    DocumentError,
    load_document,
    load_json,
    load_yaml,
)

SNIFF_BYTES = 65_536
MAX_DEFINITION_BYTES = 50_000_000


@dataclass
class Catalogue:
    definitions: list[FlagDefinition] = field(default_factory=list)
    errors: list[DefinitionError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file that contributed definitions

    def keys(self) -> set[str]:
        return {d.key for d in self.definitions}


def definition_files(
    paths: list[str], cfg: FlagsConfig, read_head: Callable[[str], bytes]
) -> tuple[list[str], set[str]]:
    """(files to parse, those matched by name rather than sniffed)."""
    exclude = [*DEFAULT_EXCLUDE, *cfg.files.exclude]
    include = [*cfg.files.include, *cfg.files.extra]
    named = {p for p in globs.select(paths, include) if not globs.matches(p, exclude)}
    sniffed: set[str] = set()
    if cfg.files.sniff:
        for p in paths:
            if p in named or not p.endswith(".json") or globs.matches(p, exclude):
                continue
            try:
                head = read_head(p)
            except OSError:
                continue
            if formats.looks_sniffable(head):
                sniffed.add(p)
    return sorted(named | sniffed), named


def environment_for(path: str, cfg: FlagsConfig) -> str:
    for pattern, env in cfg.files.environments.items():
        if globs.matches(path, [pattern]):
            return env
    return env_from_path(path) or "default"


def parse_file(path: str, text: str, env: str, by_name: bool) -> ParseResult:
    out = ParseResult()
    try:
        doc = load_document(path, text)
    except DocumentError as exc:
        if by_name:
            out.errors.append(DefinitionError(path=path, line=exc.line, message=str(exc)))
        return out
    for fmt in formats.registered():
        if fmt.looks_like(doc.data):
            return fmt.parse(doc, path, env)
    if by_name and doc.data not in (None, {}, []):
        out.errors.append(
            DefinitionError(
                path=path,
                line=0,
                message="matches a flag-file glob but is not a flagd file, a LaunchDarkly or Unleash export, or a map "
                "of name -> {enabled, rollout}; add it to `files.exclude` in .swath/flags.yaml if it is not "
                "a flag file",
            )
        )
    return out


def build(
    paths: list[str],
    cfg: FlagsConfig,
    read_text: Callable[[str], str],
    read_head: Callable[[str], bytes],
    config_path: str | None,
) -> Catalogue:
    cat = Catalogue()
    files, named = definition_files(paths, cfg, read_head)
    for path in files:
        try:
            text = read_text(path)
        except (OSError, ValueError) as exc:
            cat.errors.append(DefinitionError(path=path, line=0, message=f"cannot be read: {exc}"))
            continue
        result = parse_file(path, text, environment_for(path, cfg), path in named)
        _collect(cat, result, path)
    for system in cfg.systems:
        if not system.files:
            continue  # reference patterns only, for definitions of its `formats`
        sys_files = homegrown.system_files(system, paths)
        if not sys_files and system.optional:
            continue
        if not sys_files:
            cat.errors.append(
                DefinitionError(
                    path=config_path or ".swath/flags.yaml",
                    line=0,
                    format="homegrown",
                    message=f"system {system.name!r}: no file matches {system.files}",
                )
            )
            continue
        texts = []
        for p in sys_files:
            try:
                text = read_text(p)
            except (OSError, ValueError) as exc:
                cat.errors.append(DefinitionError(path=p, line=0, message=f"cannot be read: {exc}"))
                continue
            if homegrown.holds_signature(system, text):
                texts.append((p, text))
        result = homegrown.parse_system(system, texts, cfg.environment or "default")
        for p in {d.path for d in result.definitions}:
            _collect(
                cat, ParseResult(definitions=[d for d in result.definitions if d.path == p]), p
            )
        cat.errors += result.errors
    _apply_overrides(cat, cfg, read_text, config_path)
    _apply_key_globs(cat, cfg)
    return cat


def _collect(cat: Catalogue, result: ParseResult, path: str) -> None:
    cat.definitions += result.definitions
    cat.errors += result.errors
    if result.definitions and path not in cat.files:
        cat.files.append(path)


def _apply_key_globs(cat: Catalogue, cfg: FlagsConfig) -> None:
    for d in cat.definitions:
        if any(fnmatch.fnmatchcase(d.key, g) for g in cfg.kill_switches):
            d.kill_switch = d.permanent = True
        if any(fnmatch.fnmatchcase(d.key, g) for g in cfg.permanent):
            d.permanent = True
    if cfg.ignore_keys:
        cat.definitions = [
            d
            for d in cat.definitions
            if not any(fnmatch.fnmatchcase(d.key, g) for g in cfg.ignore_keys)
        ]


def _override_entries(
    cfg: FlagsConfig,
    read_text: Callable[[str], str],
    config_path: str | None,
    errors: list[DefinitionError],
) -> list[tuple[str, OverrideSpec, str, int, str]]:
    """(key, override, path, line, quote) from the config and the override file."""
    out: list[tuple[str, OverrideSpec, str, int, str]] = []
    cfg_path = config_path or ".swath/flags.yaml"
    cfg_doc: Document | None = None
    if config_path:
        try:
            cfg_doc = load_yaml(read_text(config_path))
        except (OSError, DocumentError):
            cfg_doc = None
    for key in cfg.overrides:
        spec = cfg.override_for(key)
        assert spec is not None
        line = cfg_doc.line_of(("overrides", key)) if cfg_doc else 0
        out.append((key, spec, cfg_path, line, cfg_doc.quote(line) if cfg_doc else f"{key}:"))
    if cfg.override_file:
        try:
            text = read_text(cfg.override_file)
            doc = load_json(text) if cfg.override_file.endswith(".json") else load_yaml(text)
        except (OSError, FileNotFoundError) as exc:
            errors.append(
                DefinitionError(
                    path=cfg.override_file,
                    line=0,
                    format="override",
                    message=f"override file cannot be read: {exc}",
                )
            )
            return out
        except DocumentError as exc:
            errors.append(
                DefinitionError(
                    path=cfg.override_file, line=exc.line, format="override", message=str(exc)
                )
            )
            return out
        if not isinstance(doc.data, dict):
            errors.append(
                DefinitionError(
                    path=cfg.override_file,
                    line=0,
                    format="override",
                    message="expected a map of key -> state",
                )
            )
            return out
        for key, raw in doc.data.items():
            line = doc.line_of((key,))
            try:
                spec = OverrideSpec.model_validate({"state": raw} if isinstance(raw, str) else raw)
            except ValueError as exc:
                errors.append(
                    DefinitionError(
                        path=cfg.override_file,
                        line=line,
                        format="override",
                        message=f"{key}: {_first_line(exc)}",
                    )
                )
                continue
            out.append((str(key), spec, cfg.override_file, line, doc.quote(line)))
    return out


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _apply_overrides(
    cat: Catalogue, cfg: FlagsConfig, read_text: Callable[[str], str], config_path: str | None
) -> None:
    """State that lives outside the repository: replaces what the files say."""
    by_key: dict[str, list[FlagDefinition]] = {}
    for d in cat.definitions:
        by_key.setdefault(d.key, []).append(d)
    for key, spec, path, line, quote in _override_entries(cfg, read_text, config_path, cat.errors):
        envs: dict[str, EnvState] = {}
        why = spec.reason or f"override in {path}"
        if spec.state is not None:
            env = cfg.environment or "production"
            envs[env] = _override_state(env, spec.state, spec.percent, why, line, path)
        for env, state in spec.environments.items():
            envs[env] = _override_state(env, state, None, why, line, path)
        defs = by_key.get(key)
        if defs:
            for d in defs:
                d.environments = {**({} if spec.state is not None else d.environments), **envs}
                d.notes.append(f"state overridden in {path}:{line + 1}")
                if spec.kill_switch is not None:
                    d.kill_switch = spec.kill_switch
                if spec.permanent is not None:
                    d.permanent = spec.permanent
            continue
        cat.definitions.append(
            FlagDefinition(
                key=key,
                format="override",
                path=path,
                line=line,
                end_line=line,
                quote=quote,
                environments=envs,
                kill_switch=bool(spec.kill_switch),
                permanent=bool(spec.permanent),
                value_type="boolean",
                notes=[
                    "defined only by an override: its real definition lives outside the repository"
                ],
            )
        )
        if path not in cat.files:
            cat.files.append(path)


def _override_state(
    env: str, state: str, percent: float | None, why: str, line: int, path: str
) -> EnvState:
    value = {"on": True, "off": False}.get(state)
    pct = percent if percent is not None else {"on": 100.0, "off": 0.0}.get(state)
    return EnvState(
        env=env,
        state=state,  # type: ignore[arg-type]  # the override parser yields only the four states
        percent=pct,
        value=value,
        reason=why,
        lines=[line],
        path=path,
    )
