"""Homegrown flag systems described in `.swath/flags.yaml` (see docs/flags.md).

Each system names its definition files and one or more patterns: ast-grep patterns or
rules for code (enum members, map entries, constants), regexes for text (comment
annotations, ini files). Captures give the key and, optionally, the state and a version;
when a key is defined several times the last entry (or the highest version) decides.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
from dataclasses import dataclass
from typing import Any, Final, cast

from ast_grep_py import Config, SgNode, SgRoot

from swath.items.flags import (
    DefinitionError,
    EnvState,
    FlagDefinition,
    FlagState,
    ParseResult,
)
from swath.sources.flagdefs import globs
from swath.sources.flagdefs.common import (
    language_of,
    looks_like_kill_switch,
    looks_permanent,
    state_from_percent,
)
from swath.sources.flagdefs.config import PatternSpec, StateMapping, SystemSpec
from swath.sources.flagdefs.structured import split_lines

FORMAT: Final = "homegrown"
_QUOTES = "\"'`"


@dataclass
class Match:
    key: str
    line: int
    end_line: int
    state_text: str | None
    state_line: int
    version: str | None
    kind: str | None
    order: tuple[str, int]


def short_error(exc: Exception) -> str:
    """ast-grep's errors carry a Rust backtrace: keep the explanation."""
    text = str(exc).split("Stack backtrace:")[0]
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def strip_quotes(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] == text[0]:
        return text[1:-1]
    return text


def map_state(
    text: str | None, mapping: StateMapping, default: FlagState
) -> tuple[FlagState, float | None]:
    if text is None:
        return default, None
    value = strip_quotes(text).strip()
    low = value.lower()
    if low.endswith("%"):
        low = low[:-1].strip()
    states: tuple[FlagState, ...] = ("on", "off", "partial")
    for state in states:
        for entry in getattr(mapping, state):
            if entry.startswith("re:"):
                if re.fullmatch(entry[3:], value):
                    return state, None
            elif entry.lower() == low:
                return state, None
    if mapping.numeric:
        try:
            pct = float(low)
        except ValueError:
            pass
        else:
            if 0 <= pct <= 100:
                st = state_from_percent("", pct, "", [])
                return st.state, pct
    return "unknown", None


def _capture(node: SgNode, name: str | None) -> SgNode | None:
    if not name:
        return None
    name = name.lstrip("$")
    hit = node.get_match(name)
    if hit is not None:
        return hit
    many = node.get_multiple_matches(name)
    return many[0] if many else None


def ast_matches(spec: PatternSpec, path: str, text: str, lang: str) -> list[Match]:
    root = SgRoot(text, lang).root()
    if spec.rule is not None:
        nodes = root.find_all(cast(Config, {"rule": spec.rule}))
    else:
        assert spec.pattern is not None
        nodes = root.find_all(pattern=cast(Any, spec.pattern))  # a string or {context, selector}
    out: list[Match] = []
    for node in nodes:
        key_node = _capture(node, spec.key)
        if key_node is None:
            continue
        state_node = _capture(node, spec.state)
        version_node = _capture(node, spec.version)
        r = node.range()
        out.append(
            Match(
                key=strip_quotes(key_node.text()),
                line=r.start.line,
                end_line=r.end.line,
                state_text=state_node.text() if state_node is not None else None,
                state_line=(state_node or node).range().start.line,
                version=version_node.text() if version_node is not None else None,
                kind=spec.kind,
                order=(path, r.start.index),
            )
        )
    return out


def _group(m: re.Match[str], name: str | None) -> tuple[str | None, int | None]:
    if not name:
        return None, None
    for candidate in (name.lstrip("$"), name.lstrip("$").lower()):
        if candidate in m.re.groupindex and m.group(candidate) is not None:
            return m.group(candidate), m.start(candidate)
    return None, None


def regex_matches(spec: PatternSpec, path: str, text: str) -> list[Match]:
    assert spec.regex is not None
    rx = re.compile(spec.regex, re.MULTILINE)
    breaks = [mm.start() for mm in re.finditer("\n", text)]

    def line_at(offset: int) -> int:
        return bisect.bisect_right(breaks, offset - 1)

    out = []
    for m in rx.finditer(text):
        key, _ = _group(m, spec.key)
        if not key:
            continue
        state, state_at = _group(m, spec.state or "state")
        version, _ = _group(m, spec.version or "version")
        kind, _ = _group(m, "kind")
        out.append(
            Match(
                key=strip_quotes(key),
                line=line_at(m.start()),
                end_line=line_at(max(m.end() - 1, m.start())),
                state_text=state,
                state_line=line_at(state_at if state_at is not None else m.start()),
                version=version,
                kind=spec.kind or kind,
                order=(path, m.start()),
            )
        )
    return out


_DOTTED = re.compile(r"\d+(?:\.\d+)+")


def _version_key(v: str | None) -> tuple[int, tuple[float, ...], str]:
    if v is None:
        return (0, (), "")
    text = strip_quotes(v)
    # `version.MustParse("1.33")`, `"1.9"`, `v1.9.2`: versions compare number by number, so
    # 1.9 < 1.33 (as text, or read as one decimal, it would be the other way round).
    dotted = _DOTTED.search(text)
    if dotted is not None:
        return (1, tuple(float(p) for p in dotted.group(0).split(".")), "")
    try:
        return (1, (float(text),), "")
    except ValueError:
        pass
    return (2, (), text)


def parse_system(system: SystemSpec, files: list[tuple[str, str]], env: str) -> ParseResult:  # noqa: C901 - matching, then one branch per kind of state a definition may carry
    """Definitions of one system from `files` ([(path, text)], any order)."""
    out = ParseResult()
    matches: list[tuple[Match, str, list[str]]] = []
    for path, text in sorted(files):
        lines = split_lines(text)
        for spec in system.definitions:
            lang = spec.language or system.language or language_of(path)
            try:
                if spec.regex is not None:
                    found = regex_matches(spec, path, text)
                elif lang is None:
                    out.errors.append(
                        DefinitionError(
                            path=path,
                            line=0,
                            format=FORMAT,
                            message=f"system {system.name!r}: no ast-grep language for "
                            "this file; set `language`",
                        )
                    )
                    continue
                else:
                    found = ast_matches(spec, path, text, lang)
            except (re.error, RuntimeError, ValueError) as exc:
                out.errors.append(
                    DefinitionError(
                        path=path,
                        line=0,
                        format=FORMAT,
                        message=f"system {system.name!r}: bad pattern: {short_error(exc)}",
                    )
                )
                continue
            for m in found:
                if spec.state_value is not None and m.state_text is None:
                    m.state_text = spec.state_value
                matches.append((m, path, lines))
    # Order: by version when captured, then position; the last entry of a key decides.
    matches.sort(key=lambda t: (_version_key(t[0].version), t[0].order))
    if system.order == "first":
        matches.reverse()
    chosen: dict[str, tuple[Match, str, list[str], int]] = {}
    entries: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for m, path, lines in matches:
        count = chosen[m.key][3] + 1 if m.key in chosen else 1
        chosen[m.key] = (m, path, lines, count)
        entries.setdefault((m.key, path), []).append((m.line, m.end_line))
    for key, (m, path, lines, count) in chosen.items():
        state, pct = map_state(m.state_text, system.states, system.default_state)
        reason = (
            f"{system.name}: state {strip_quotes(m.state_text)!r}"
            if m.state_text is not None
            else f"{system.name}: no state captured (default {system.default_state})"
        )
        if count > 1:
            reason += (
                f"; the {'last' if system.order == 'last' else 'first'} of {count} entries decides"
            )
        if state == "unknown" and m.state_text is not None:
            reason += " (not in the system's `states` mapping)"
        env_state = EnvState(env=env, state=state, reason=reason, lines=[m.state_line])
        if state == "on":
            env_state.percent, env_state.value = 100.0, True
        elif state == "off":
            env_state.percent, env_state.value = 0.0, False
        elif pct is not None:
            env_state.percent = pct
        kind = m.kind or ""
        kill = any(
            fnmatch.fnmatchcase(key, g) for g in system.kill_switches
        ) or looks_like_kill_switch(key, [], kind)
        # A kind such as GitLab's `type: ops` names a long-lived operational flag.
        permanent = (
            kill
            or any(fnmatch.fnmatchcase(key, g) for g in system.permanent)
            or looks_permanent([kind] if kind else [], kind)
        )
        out.definitions.append(
            FlagDefinition(
                key=key,
                format=FORMAT,
                system=system.name,
                path=path,
                line=m.line,
                end_line=m.end_line,
                quote=lines[m.line].strip() if m.line < len(lines) else "",
                kind=kind,
                kill_switch=kill,
                permanent=permanent,
                value_type="boolean",
                environments={env: env_state},
                notes=[f"{count} entries for this key"] if count > 1 else [],
                entries=sorted(entries.get((key, path), [])),
            )
        )
        # Superseded entries in other files are definitions too: a removal deletes them all.
        for (k, other), spans in entries.items():
            if k == key and other != path:
                out.definitions[-1].notes.append(
                    f"older entries in {other}: lines " + ", ".join(str(a + 1) for a, _ in spans)
                )
    return out


def system_files(system: SystemSpec, files: list[str]) -> list[str]:
    """The files the system's `files` globs select, less its `exclude` (before `contains`)."""
    chosen = globs.select(files, system.files)
    return [f for f in chosen if not globs.matches(f, system.exclude)] if system.exclude else chosen


def holds_signature(system: SystemSpec, text: str) -> bool:
    """`contains`: the cheap filter that keeps a `**/*.go` system from parsing every Go file."""
    return not system.contains or any(s in text for s in system.contains)
