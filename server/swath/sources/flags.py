"""The `flags` source: every feature flag of the workspace, one item per key.

Definitions come from flag files (flagd, LaunchDarkly and Unleash exports, plain maps)
and homegrown systems described in `.swath/flags.yaml`; references from one scan of
the tree (see `flagdefs/scan.py` for why the scan happens here). Keys that SDK calls
name but no definition has become items too (`defined: false`), and every malformed
definition becomes an item of kind `flag-error` naming its file and line, so one broken
file never stops the audit.

Step options (`with:`) take the keys of `.swath/flags.yaml` (they win over the file),
plus `config: PATH` to read another configuration file.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
from typing import ClassVar, cast

import ahocorasick_rs as ac
from pydantic import BaseModel

from swath.items.flags import (
    CallName,
    DefinitionError,
    DynamicRead,
    FlagDefinition,
    FlagErrorData,
    FlagItemData,
    ReferencePattern,
    one_word_key,
    pattern_words,
)
from swath.sources.base import SourceContext
from swath.sources.flagdefs import catalogue as catalogue_mod
from swath.sources.flagdefs import globs, presets
from swath.sources.flagdefs.common import language_of, spell_key
from swath.sources.flagdefs.config import CONFIG_PATHS, FlagsConfig, FlagsOptions, load_config
from swath.sources.flagdefs.listing import scan_paths
from swath.sources.flagdefs.scan import (
    DefinitionSpan,
    ScanIndex,
    is_test_path,
    prestart,
    scan_references,
)
from swath.sources.flagdefs.patternreads import PatternRead
from swath.sources.flagdefs.scanworker import CODE_EXTENSIONS
from swath.sources.flagdefs.sdk import merge_call_names
from swath.spec.records import Item
from swath.workspace import PathRefused, Workspace
from swath.workspace.roles import linguist_marks
from swath.workspace.skips import SKIP_REASONS, SkipReason

log = logging.getLogger(__name__)


class FlagsConfigError(ValueError):
    """`.swath/flags.yaml` (or the step's `with:`) is invalid: a usage error, not a finding."""

    def __init__(self, errors: list[DefinitionError]) -> None:
        self.errors = errors
        lines = "\n".join(str(e) for e in errors)
        super().__init__(f"invalid flag configuration (see docs/flags.md):\n{lines}")


def _attributed(ctx: SourceContext, files: list[str]) -> tuple[list[str], list[str] | None]:
    """The repository's .gitattributes have the last word on what is generated, as in a
    review: `linguist-generated`/`-vendored` set, the file is not read (said under "Not
    read"); unset or false, it is read whatever its text says. (files to read, those)."""
    marks = linguist_marks(ctx.workspace, files)
    if not marks:
        return files, None
    for path in sorted(p for p, gen in marks.items() if gen):
        ctx.skipped.add("generated", path)
    kept = sorted(p for p, gen in marks.items() if not gen)
    return [f for f in files if not marks.get(f)], kept or None


class FlagsSource:
    name: ClassVar[str] = "flags"
    description: ClassVar[str] = (
        "Feature flags: definitions (flagd, LaunchDarkly, Unleash, plain maps, homegrown systems) with their "
        "state per environment, and every reference in the tree."
    )

    options_model: ClassVar[type[BaseModel]] = FlagsOptions
    last_scan: ClassVar[ScanIndex | None] = None  # for benchmarks and `swath plan`

    def discover(self, ctx: SourceContext) -> list[Item]:
        ws = ctx.workspace
        cfg, config_path, errors = self._config(ws, ctx)
        broken = [e for e in errors if e.format == "config"]
        if broken:
            # Running on defaults would quietly audit something else than what was described.
            raise FlagsConfigError(broken)
        all_files = scan_paths(ws)
        prestart(len(all_files), cfg.workers)
        resolution = presets.resolve(cfg, all_files, presets.fast_reader(str(ws.root)))
        cfg = resolution.config
        for a in resolution.applied:
            log.info("flags: preset %s (%s)", a.name, a.why)
        cat = catalogue_mod.build(all_files, cfg, ws.read_text, lambda p: _head(ws, p), config_path)
        errors += cat.errors

        ref_files = scan_paths(ws, ctx.paths) if ctx.paths else all_files
        if cfg.references:
            ref_files = globs.select(ref_files, cfg.references)
        # The user's own state and configuration files name every flag they touch: they
        # are where the state comes from, not code that reads it.
        not_code = {p for p in (cfg.override_file, config_path) if p}
        ref_files = [f for f in ref_files if f not in not_code]
        ref_files, not_generated = _attributed(ctx, ref_files)
        call_names = merge_call_names(cfg.call_name_specs())
        by_key: dict[str, list[FlagDefinition]] = {}
        for d in cat.definitions:
            by_key.setdefault(d.key, []).append(d)
        patterns = self._reference_patterns(cfg)
        by_format = _systems_by_format(cfg)
        bare: set[str] = set()
        aliases: dict[str, str] = {}
        for d in cat.definitions:
            for system in _systems_of(d, by_format):
                for p in patterns.get(system, []):
                    spelled = spell_key(d.key, p.key_case)
                    if spelled == d.key:
                        bare.add(d.key)
                    elif spelled not in by_key:  # another flag's own key is that flag's
                        aliases[spelled] = d.key
        plain = _plain_keys(cat.definitions, by_format, patterns, call_names)
        index = scan_references(
            str(ws.root),
            ref_files,
            sorted(by_key),
            call_names,
            [
                DefinitionSpan(key=d.key, path=d.path, line=a, end_line=b)
                for d in cat.definitions
                for a, b in (d.entries or [(d.line, d.end_line)])
            ],
            bare_keys=sorted(bare),
            bare_aliases=aliases,
            defined=set(by_key),
            max_bytes=cfg.max_file_bytes,
            workers=cfg.workers,
            max_per_key=cfg.max_references_per_flag,
            pattern_reads=pattern_reads(cfg, cat.definitions),
            plain_keys=plain,
            tree_files=all_files,
            not_generated=not_generated,
        )
        FlagsSource.last_scan = index
        for path, reason in index.skipped.items():
            if reason in SKIP_REASONS:
                ctx.skipped.add(cast(SkipReason, reason), path)

        report_undefined = cfg.report_undefined is True or (
            cfg.report_undefined == "auto" and bool(by_key)
        )
        external = {c.name: c for c in call_names if c.external}
        for k, hits in sorted(index.undefined.items()):
            if k in by_key or not hits or not all(h.call in external for h in hits):
                continue
            # The state of this key lives outside the repository (django-waffle's database):
            # not undefined, but unknown until an export says otherwise.
            first = hits[0]
            family = external[first.call or ""].family
            by_key[k] = [
                FlagDefinition(
                    key=k,
                    format="external",
                    system=family,
                    path=first.path,
                    line=first.line,
                    end_line=first.line,
                    quote=first.text.strip(),
                    value_type="boolean",
                    notes=[
                        f"{family} keeps its state outside the repository: export it (see "
                        "docs/flags.md) to classify this flag"
                    ],
                )
            ]
            index.references[k] = hits
        keys = list(by_key)
        if report_undefined:
            keys += [
                k
                for k in sorted(index.undefined)
                if k not in by_key and not any(fnmatch.fnmatchcase(k, g) for g in cfg.ignore_keys)
            ]
        hidden = _uncovered_bulk_read(ws, cat.definitions, patterns, by_format)
        environment = cfg.environment or ctx.inputs.get("environment") or None
        names_in = _NamesIn([c.name for c in call_names])
        items = [
            self._item(
                k,
                by_key.get(k, []),
                index,
                cfg,
                environment,
                call_names,
                patterns,
                cat.files,
                config_path,
                names_in,
                hidden,
            )
            for k in keys
        ]
        items += [_error_item(e) for e in errors]
        return items

    # -- pieces ----------------------------------------------------------------------------
    @staticmethod
    def _config(
        ws: Workspace, ctx: SourceContext
    ) -> tuple[FlagsConfig, str | None, list[DefinitionError]]:
        explicit = ctx.options.get("config")
        candidates = [explicit] if explicit else list(CONFIG_PATHS)
        for rel in candidates:
            try:
                text = ws.read_text(rel)
            except (FileNotFoundError, PathRefused, OSError):
                continue
            cfg, errors = load_config(text, rel, ctx.options)
            return cfg, rel, errors
        cfg, errors = load_config(None, explicit or CONFIG_PATHS[0], ctx.options)
        if explicit:
            errors.append(
                DefinitionError(
                    path=explicit,
                    line=0,
                    format="config",
                    message="configuration file given in `with: config` does not exist",
                )
            )
        return cfg, None, errors

    @staticmethod
    def _reference_patterns(cfg: FlagsConfig) -> dict[str, list[ReferencePattern]]:
        out: dict[str, list[ReferencePattern]] = {}
        for system in cfg.systems:
            for spec in system.references:
                out.setdefault(system.name, []).append(
                    ReferencePattern(
                        system=system.name,
                        language=spec.language or None,
                        pattern=spec.pattern,
                        rule=spec.rule,
                        regex=spec.regex,
                        key=spec.key,
                        is_check=spec.is_check,
                        key_case=spec.key_case,
                    )
                )
        return out

    @staticmethod
    def _item(
        key: str,
        defs: list[FlagDefinition],
        index: ScanIndex,
        cfg: FlagsConfig,
        environment: str | None,
        call_names: list[CallName],
        patterns: dict[str, list[ReferencePattern]],
        sources: list[str],
        config_path: str | None,
        names_in: _NamesIn,
        hidden: dict[str, DynamicRead] | None = None,
    ) -> Item:
        refs = index.references.get(key, []) if defs else index.undefined.get(key, [])
        by_format = _systems_by_format(cfg)
        systems = {s for d in defs for s in _systems_of(d, by_format)}
        # Only the SDK names this flag's references use: the analyzer needs no more, and
        # 500 items each carrying all ~70 names would dominate the items' size.
        used = {r.call for r in refs if r.call}
        on_lines = {n for r in refs for n in names_in(r.text)}
        relevant = [c for c in call_names if c.name in used or c.name in on_lines]
        dynamic, first_dynamic = index.dynamic_reads_of(key, systems) if defs else (0, None)
        for fmt in {d.format for d in defs}:
            bulk = (hidden or {}).get(fmt)
            if bulk is not None:
                # Reads under another spelling that no system describes ("aliases off").
                dynamic += 1
                first_dynamic = first_dynamic or bulk
        data = FlagItemData(
            key=key,
            defined=bool(defs),
            definitions=defs,
            references=refs,
            min_age_days=cfg.min_age_days,
            unlisted_references=index.unlisted.get(key, 0) if defs else 0,
            constants=index.constants.get(key, []),
            mentions=index.mentions.get(key, []),
            ordinary_uses=index.ordinary[key][0] if key in index.ordinary and defs else 0,
            ordinary_example=index.ordinary[key][1] if key in index.ordinary and defs else None,
            environment=environment,
            call_names=relevant,
            reference_patterns=[p for s in sorted(systems) for p in patterns.get(s, [])],
            catalogue_sources=sources,
            dynamic_reads=dynamic,
            dynamic_read=first_dynamic,
        )
        files = {d.path for d in defs} | {r.path for r in refs} | {c.path for c in data.constants}
        if config_path:
            files.add(config_path)
        return Item(
            id=key,
            kind="flag",
            path=defs[0].path if defs else (refs[0].path if refs else None),
            files=sorted(files),
            data=data.model_dump(mode="json"),
        )


def _plain_keys(
    definitions: list[FlagDefinition],
    by_format: dict[str, list[str]],
    patterns: dict[str, list[ReferencePattern]],
    call_names: list[CallName],
) -> dict[str, list[str]]:
    """The one-word keys whose occurrences count only where their system may read them:
    on a line holding an SDK call name, a membership test (see `scan._MEMBERSHIP_CALL`) or
    a word of the system's reference pattern (`isEnabled`, `flagResolver`). A key of a system with a pattern that
    spells no word (a `rule:`, a `regex:`) is left as it was: no line can be ruled out."""
    calls = [c.name for c in call_names]
    out: dict[str, list[str]] = {}
    for d in definitions:
        if not one_word_key(d.key) or out.get(d.key) == []:
            continue
        words = out.setdefault(d.key, list(calls))
        for system in _systems_of(d, by_format):
            for p in patterns.get(system, []):
                spelled = pattern_words(p.pattern) if isinstance(p.pattern, str) else []
                if p.rule or p.regex or not spelled:
                    out[d.key] = []  # cannot tell: every occurrence stays a reference
                    break
                words += spelled
            if out[d.key] == []:
                break
    return {k: sorted(set(w)) for k, w in out.items() if w}


def pattern_reads(cfg: FlagsConfig, definitions: list[FlagDefinition]) -> list[PatternRead]:
    """Each system's ast-grep reference patterns, for the search of reads whose key is built
    at run time. A pattern without a `language` is tried on files of the languages the
    system's flags are defined in (a Python enum's `Feature[$KEY]` is no TypeScript read)."""
    langs: dict[str, set[str]] = {}
    for d in definitions:
        lang = language_of(d.path) if d.path.endswith(CODE_EXTENSIONS) else None
        if d.system and lang:
            langs.setdefault(d.system, set()).add(lang)
    out: list[PatternRead] = []
    for system in cfg.systems:
        for spec in system.references:
            if spec.regex is not None:
                continue
            lang = spec.language or system.language
            languages = frozenset(langs[system.name]) if system.name in langs else None
            out.append(PatternRead.of(system.name, spec, lang, languages))
    return out


# SDK calls that hand every flag to the code under another spelling than its key: the
# LaunchDarkly React SDK's `useFlags()` (camel-cased). Without a system reading those
# spellings (the `launchdarkly` preset's `key_case: camel` patterns), no read of them is seen.
BULK_READS: dict[str, tuple[str, str]] = {"launchdarkly": ("useFlags(", "camel")}


def _uncovered_bulk_read(
    ws: Workspace,
    definitions: list[FlagDefinition],
    patterns: dict[str, list[ReferencePattern]],
    by_format: dict[str, list[str]],
) -> dict[str, DynamicRead]:
    """Per flag format, the first bulk read in code (outside tests) that no reference
    pattern of that format's systems reads with the SDK's spelling."""
    out: dict[str, DynamicRead] = {}
    formats = {d.format for d in definitions}
    for fmt, (needle, case) in BULK_READS.items():
        if fmt not in formats or not ws.is_git():
            continue
        systems = by_format.get(fmt, [])
        if any(p.key_case == case for s in systems for p in patterns.get(s, [])):
            continue
        found = ws.git("grep", "-n", "-F", "-e", needle, check=False)
        for row in found.splitlines():
            path, _, rest = row.partition(":")
            line, _, text = rest.partition(":")
            if not line.isdigit() or is_test_path(path) or language_of(path) is None:
                continue
            out[fmt] = DynamicRead(
                path=path,
                line=int(line) - 1,
                col=max(text.find(needle), 0),
                quote=text.strip(),
                call=needle.rstrip("("),
                why=f"hands out every flag {case}-cased, and no system reads those spellings "
                "(the launchdarkly preset's `key_case: camel` patterns do): Swath cannot see "
                "whether it reads this flag",
            )
            break
    return out


class _NamesIn:
    """Which call names a line holds, each distinct line searched once (one Aho-Corasick
    pass): a minified bundle's line is megabytes, shared by the flags it names."""

    def __init__(self, names: list[str]) -> None:
        self.automaton = ac.AhoCorasick(names) if names else None
        self.seen: dict[str, frozenset[str]] = {}

    def __call__(self, text: str) -> frozenset[str]:
        found = self.seen.get(text)
        if found is None:
            found = frozenset(
                self.automaton.find_matches_as_strings(text, overlapping=True)
                if self.automaton is not None
                else ()
            )
            self.seen[text] = found
        return found


def _systems_by_format(cfg: FlagsConfig) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for system in cfg.systems:
        for fmt in system.formats:
            out.setdefault(fmt, []).append(system.name)
    return out


def _systems_of(d: FlagDefinition, by_format: dict[str, list[str]]) -> list[str]:
    """The systems whose reference patterns find this definition's uses: its own, and those
    that read its file format (LaunchDarkly's React hooks for a LaunchDarkly export)."""
    return ([d.system] if d.system else []) + by_format.get(d.format, [])


def _error_item(e: DefinitionError) -> Item:
    # Stable across runs (the engine caches by item id): no salted hash().
    digest = hashlib.sha256(e.message.encode("utf-8")).hexdigest()[:8]
    return Item(
        id=f"error:{e.path}:{e.line + 1}:{digest}",
        kind="flag-error",
        path=e.path,
        files=[e.path],
        data=FlagErrorData(path=e.path, line=e.line, message=e.message, format=e.format).model_dump(
            mode="json"
        ),
    )


def _head(ws: Workspace, rel: str) -> bytes:
    with open(ws.resolve(rel), "rb") as fh:
        return fh.read(catalogue_mod.SNIFF_BYTES)
