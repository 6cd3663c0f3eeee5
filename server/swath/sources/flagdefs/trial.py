"""`swath flags test`: what each pattern of a flag configuration matches, on real files.

Writing a homegrown system's patterns is guesswork without seeing what they match, and
a pattern that matches nothing says nothing. For each definition and reference pattern
this lists the matches (key, state, file:line); for a pattern that matches nothing it
prints the syntax tree (node kinds) of the lines it was meant for, the way ast-grep's
playground does, so the right node names can be read off instead of guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ast_grep_py import SgNode, SgRoot

from swath.sources.flagdefs import homegrown
from swath.items.flags import pattern_words
from swath.sources.flagdefs.common import language_of, spell_key
from swath.sources.flagdefs.config import FlagsConfig, PatternSpec, SystemSpec
from swath.sources.flagdefs.patternreads import (
    PatternRead,
    find_captures,
    key_is_a_name,
    summary,
)
from swath.sources.flagdefs.scan import is_test_path
from swath.sources.flagdefs.structured import split_lines

SAMPLE_LINES = 6  # lines whose tree is shown for a pattern without matches
MAX_REFERENCE_FILES = 400  # reference patterns are tried on files that hold a key
MAX_TREE_NODES = 60


@dataclass
class TrialMatch:
    key: str
    path: str
    line: int
    state: str | None = None
    state_text: str | None = None


@dataclass
class SampleTree:
    path: str
    lines: list[int]  # zero-based
    why: str
    tree: list[str]  # indented "kind [line:col-line:col] `text`"


@dataclass
class TrialDynamic:
    """A read through a reference pattern whose key is built at run time."""

    path: str
    line: int
    quote: str
    prefix: str
    suffix: str

    def scope(self) -> str:
        parts = " and ".join(
            p
            for p in (
                f"starts with {self.prefix!r}" if self.prefix else "",
                f"ends with {self.suffix!r}" if self.suffix else "",
            )
            if p
        )
        return f"any flag of the system whose key {parts}" if parts else "any flag of the system"


@dataclass
class PatternTrial:
    system: str
    role: Literal["definition", "reference", "call"]
    number: int  # 1-based among the system's patterns of this role
    summary: str
    files: list[str]
    matches: list[TrialMatch] = field(default_factory=list)
    error: str | None = None
    samples: list[SampleTree] = field(default_factory=list)
    pattern_tree: list[str] = field(default_factory=list)  # how the pattern alone parses
    # References: reads whose key is built at run time, and the words that pick the files
    # they are looked for in (None: not looked for, a regex).
    dynamic: list[TrialDynamic] = field(default_factory=list)
    anchors: list[list[str]] | None = None
    key_is_a_name: bool = False  # `Feature.$KEY`: no key built at run time can stand there
    optional: bool = False


@dataclass
class TrialReport:
    trials: list[PatternTrial] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def all_match(self) -> bool:
        """Every pattern matched, and some call name (when there are any): an SDK preset
        lists every call its SDK has, and a repository uses a few of them."""
        patterns = [t for t in self.trials if t.role != "call"]
        calls = [t for t in self.trials if t.role == "call"]
        return all((t.matches or t.dynamic or t.optional) and not t.error for t in patterns) and (
            not calls or any(t.matches for t in calls)
        )


def run_trial(
    cfg: FlagsConfig,
    files: list[str],
    read_text: Callable[[str], str],
    only: list[str] | None = None,
) -> TrialReport:
    """Try every system's patterns. `files`: the workspace's files; `only`: limit to these."""
    report = TrialReport()
    if not cfg.systems and not cfg.call_names:
        report.notes.append("no `systems` in this configuration: nothing to test")
    for system in cfg.systems:
        defs_files = homegrown.system_files(system, files)
        if only:
            defs_files = [f for f in defs_files if f in only] or defs_files
        texts = {
            p: t
            for p, t in _texts(defs_files, read_text).items()
            if homegrown.holds_signature(system, t)
        }
        keys: set[str] = set()
        if system.formats:
            # A reference-only system reads the keys of its formats' definition files.
            keys |= _format_keys(cfg, system, files, read_text)
        # Keys known without the definition patterns: the lines a pattern that matches
        # nothing was meant for are the lines that name them.
        known = _Keys()
        known.add(keys, "from the system's formats")
        known.add(_configured_keys(cfg, system), "configured in flags.yaml")
        unmatched: list[tuple[PatternSpec, PatternTrial]] = []
        for n, spec in enumerate(system.definitions, 1):
            trial = _try(system, spec, "definition", n, texts)
            keys |= {m.key for m in trial.matches}
            known.add({m.key for m in trial.matches}, f"matched by definition {n}")
            if not trial.matches and not trial.error:
                unmatched.append((spec, trial))
            report.trials.append(trial)
        ref_trials: list[PatternTrial] = []
        if system.references:
            ref_trials = _try_references(system, keys, known, files, only, read_text)
            report.trials += ref_trials
        # Definitions last: a key the reference patterns found names the definition's lines.
        known.add({m.key for t in ref_trials for m in t.matches}, "found by the reference patterns")
        for spec, trial in unmatched:
            first = next(iter(texts), None)
            trial.pattern_tree = _pattern_tree(
                spec, _lang(spec, system, first) if first else spec.language or system.language
            )
            for p, t in list(texts.items())[:2]:
                lang = _lang(spec, system, p)
                if lang is not None:
                    trial.samples.append(_aimed_sample(p, t, lang, spec, known))
    _try_calls(cfg, files if not only else only, read_text, report)
    return report


def _try_references(
    system: SystemSpec,
    keys: set[str],
    known: _Keys,
    files: list[str],
    only: list[str] | None,
    read_text: Callable[[str], str],
) -> list[PatternTrial]:
    out = []
    # Regexes read any text (template tags); ast-grep patterns only code.
    any_regex = any(spec.regex is not None for spec in system.references)
    ref_files = [f for f in (only or files) if any_regex or language_of(f) is not None]
    ref_texts = _texts_holding(ref_files, read_text, keys)
    for n, spec in enumerate(system.references, 1):
        trial = _try(system, spec, "reference", n, ref_texts)
        trial.optional = spec.optional
        if spec.regex is None and not trial.error:
            _try_dynamic(system, spec, trial, ref_files, read_text, keys)
        if not trial.matches and not trial.dynamic and not trial.error:
            first = next(iter(ref_texts), None)
            trial.pattern_tree = _pattern_tree(
                spec, _lang(spec, system, first) if first else spec.language or system.language
            )
            for p, t in _naming_first(ref_texts, known)[:2]:
                lang = _lang(spec, system, p)
                if lang is not None:
                    trial.samples.append(_aimed_sample(p, t, lang, spec, known))
        out.append(trial)
    return out


class _Keys:
    """Keys known so far, each with where it came from (said beside a sample)."""

    def __init__(self) -> None:
        self.source: dict[str, str] = {}

    def add(self, keys: set[str], source: str) -> None:
        for k in sorted(keys):
            self.source.setdefault(k, source)


def _configured_keys(cfg: FlagsConfig, system: SystemSpec) -> set[str]:
    """Keys flags.yaml names outright: `overrides:`, and the system's kill switches and
    permanent flags that are names, not globs."""
    names = set(cfg.overrides)
    names |= {k for k in (*system.kill_switches, *system.permanent) if not set(k) & set("*?[")}
    return {k for k in names if k}


def _naming_first(texts: dict[str, str], known: _Keys) -> list[tuple[str, str]]:
    """The files, those naming a known key first."""
    items = list(texts.items())
    return sorted(items, key=lambda pt: not any(k in pt[1] for k in known.source))


def _aimed_sample(path: str, text: str, lang: str, spec: PatternSpec, known: _Keys) -> SampleTree:
    """The tree of the lines the pattern was meant for, as near as can be told: the lines
    naming a known key (one of each shape: a map's ten `"3.0.0": {A: true},` rows are one),
    else the nodes of the kind its rule or selector names, else the lines holding its
    words, else the first code lines."""
    lines, why = _key_lines(text, known)
    if not lines:
        lines, why = _kind_lines(text, lang, spec)
    if not lines:
        lines, why = _word_lines(text, spec)
    if not lines:
        lines, why = (
            _first_code_lines(text),
            "first code lines: no known key, kind or word to look for",
        )
    return _sample(path, text, lang, lines, why)


_STRING = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`[^`]*`")


def _shape(line: str, names: list[str]) -> str:
    out = _STRING.sub('""', line)
    for k in names:
        out = re.sub(rf"(?<![\w$]){re.escape(k)}(?![\w$])", "K", out)
    return " ".join(re.sub(r"\d+", "0", out).split())


def _key_lines(text: str, known: _Keys) -> tuple[list[int], str]:
    if not known.source:
        return [], ""
    words = re.compile(
        r"(?<![\w$])("
        + "|".join(re.escape(k) for k in sorted(known.source, key=len, reverse=True))
        + r")(?![\w$])"
    )
    out: list[int] = []
    shapes: set[str] = set()
    named: dict[str, str] = {}
    for i, line in enumerate(split_lines(text)):
        found = words.findall(line)
        if not found:
            continue
        shape = _shape(line, found)
        if shape in shapes:
            continue
        shapes.add(shape)
        out.append(i)
        for k in found:
            named.setdefault(k, known.source[k])
        if len(out) >= SAMPLE_LINES:
            break
    if not out:
        return [], ""
    by_source: dict[str, list[str]] = {}
    for k, src in named.items():
        by_source.setdefault(src, []).append(f"`{k}`")
    said = "; ".join(
        f"{', '.join(ks[:4])}{' …' if len(ks) > 4 else ''}, {src}" for src, ks in by_source.items()
    )
    return out, f"lines naming a key ({said}), one of each shape"


def _rule_kind(spec: PatternSpec) -> str | None:
    """The node kind the pattern asks for: its rule's `kind`, or its selector."""
    if spec.rule is not None:
        if isinstance(spec.rule.get("kind"), str):
            return str(spec.rule["kind"])
        for sub in spec.rule.get("all") or []:
            if isinstance(sub, dict) and isinstance(sub.get("kind"), str):
                return str(sub["kind"])
    if isinstance(spec.pattern, dict) and isinstance(spec.pattern.get("selector"), str):
        return str(spec.pattern["selector"])
    return None


def _kind_lines(text: str, lang: str, spec: PatternSpec) -> tuple[list[int], str]:
    kind = _rule_kind(spec)
    if kind is None:
        return [], ""
    try:
        nodes = SgRoot(text, lang).root().find_all(kind=kind)
    except (RuntimeError, ValueError):
        return [], ""
    lines = split_lines(text)
    out: list[int] = []
    shapes: set[str] = set()
    for n in nodes:
        i = n.range().start.line
        shape = _shape(lines[i], [])
        if i in out or shape in shapes:
            continue
        shapes.add(shape)
        out.append(i)
        if len(out) >= SAMPLE_LINES:
            break
    return out, (f"nodes of kind `{kind}`, which the pattern asks for" if out else "")


def _word_lines(text: str, spec: PatternSpec) -> tuple[list[int], str]:
    texts = [spec.pattern] if isinstance(spec.pattern, str) else []
    if isinstance(spec.pattern, dict) and isinstance(spec.pattern.get("context"), str):
        texts.append(spec.pattern["context"])
    words = [w for t in texts for w in pattern_words(t) if len(w) > 2 and w not in _KEYWORDS]
    if not words:
        return [], ""
    rx = re.compile(
        r"(?<![\w$])(?:" + "|".join(re.escape(w) for w in dict.fromkeys(words)) + r")(?![\w$])"
    )
    out = [i for i, line in enumerate(split_lines(text)) if rx.search(line)][:SAMPLE_LINES]
    shown = ", ".join(f"`{w}`" for w in dict.fromkeys(words))
    return out, (f"lines with the pattern's words ({shown})" if out else "")


# Words of a `{context: …}` snippet that say nothing about where the pattern is aimed.
_KEYWORDS = frozenset(
    {"func", "def", "var", "let", "const", "return", "class", "function", "import", "package"}
)


def _try_dynamic(
    system: SystemSpec,
    spec: PatternSpec,
    trial: PatternTrial,
    files: list[str],
    read_text: Callable[[str], str],
    keys: set[str],
) -> None:
    """The pattern's reads whose key is built at run time, in the (non-test) files holding
    its anchor words, as the audit finds them (less the wrappers the audit also drops)."""
    lang = spec.language or system.language
    read = PatternRead.of(system.name, spec, lang)
    trial.anchors = read.groups
    trial.key_is_a_name = key_is_a_name(spec.pattern, spec.rule, spec.key)
    if not read.groups:
        return
    looked = 0
    for path in files:
        if looked >= MAX_REFERENCE_FILES:
            break
        plang = read.applies_to(path)
        if plang is None or is_test_path(path):
            continue
        try:
            text = read_text(path)
        except (OSError, ValueError):
            continue
        if not read.holds_anchors(text) or not read.might_build_key(text.encode("utf-8")):
            continue
        looked += 1
        for c in find_captures(read, text, plang):
            if any(spell_key(n.rsplit(".", 1)[-1], "as-is") in keys for n, _, _ in c.names):
                continue  # a key named by its identifier: a reference, not a dynamic read
            trial.dynamic.append(TrialDynamic(path, c.line, c.text.strip(), c.prefix, c.suffix))
    # `Preview[name]` captured `name`: no key, and listed as the read it is.
    built = {(d.path, d.line) for d in trial.dynamic}
    trial.matches = [m for m in trial.matches if m.key in keys or (m.path, m.line) not in built]


def _format_keys(
    cfg: FlagsConfig, system: SystemSpec, files: list[str], read_text: Callable[[str], str]
) -> set[str]:
    from swath.sources.flagdefs import catalogue

    bare = cfg.model_copy(update={"systems": []})
    cat = catalogue.build(files, bare, read_text, lambda p: read_text(p).encode()[:65536], None)
    cases = {spec.key_case for spec in system.references} or {"as-is"}
    return {
        spell_key(d.key, case)
        for d in cat.definitions
        if d.format in system.formats
        for case in cases
    }


def _try_calls(
    cfg: FlagsConfig, files: list[str], read_text: Callable[[str], str], report: TrialReport
) -> None:
    """The configuration's own call names: where code calls them with a literal key."""
    code = [f for f in files if language_of(f) is not None][:MAX_REFERENCE_FILES]
    texts = _texts(code, read_text) if cfg.call_names else {}
    for n, call in enumerate(cfg.call_name_specs(), 1):
        rx = re.compile(
            rf"(?<![\w$]){re.escape(call.name)}\s*\(\s*(?:[A-Za-z_][\w.]*\s*,\s*)?([\"'`])([^\"'`\n]+)\1"
        )
        what = "external state" if call.external else call.returns
        trial = PatternTrial(call.family, "call", n, f"{call.name}(…) [{what}]", sorted(texts))
        for path, text in sorted(texts.items()):
            for m in rx.finditer(text):
                line = text.count("\n", 0, m.start())
                trial.matches.append(TrialMatch(m.group(2), path, line))
        report.trials.append(trial)


def _lang(spec: PatternSpec, system: SystemSpec, path: str) -> str | None:
    return spec.language or system.language or language_of(path)


def _texts(paths: list[str], read_text: Callable[[str], str]) -> dict[str, str]:
    out = {}
    for p in paths:
        try:
            out[p] = read_text(p)
        except (OSError, ValueError):
            continue
    return out


def _texts_holding(
    paths: list[str], read_text: Callable[[str], str], keys: set[str]
) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in paths:
        if len(out) >= MAX_REFERENCE_FILES:
            break
        try:
            text = read_text(p)
        except (OSError, ValueError):
            continue
        if not keys or any(k in text for k in keys):
            out[p] = text
    return out


def _pattern_tree(spec: PatternSpec, lang: str | None) -> list[str]:
    if not isinstance(spec.pattern, str) or lang is None:
        return []
    # ast-grep reads `$KEY` as a name; outside JavaScript `$` cannot start one, so
    # parse with the placeholder character ast-grep itself uses there.
    text = spec.pattern if lang in _DOLLAR_NAMES else spec.pattern.replace("$", "µ")
    out: list[str] = []
    root = SgRoot(text, lang).root()
    for child in root.children():
        _dump(child, 0, set(range(text.count("\n") + 1)), out)
    return out


_DOLLAR_NAMES = {"javascript", "typescript", "tsx", "jsx"}


def _try(
    system: SystemSpec,
    spec: PatternSpec,
    role: Literal["definition", "reference", "call"],
    number: int,
    texts: dict[str, str],
) -> PatternTrial:
    trial = PatternTrial(system.name, role, number, summary(spec), sorted(texts))
    for path, text in sorted(texts.items()):
        lang = _lang(spec, system, path)
        try:
            if spec.regex is not None:
                found = homegrown.regex_matches(spec, path, text)
            elif lang is None:
                continue
            else:
                found = homegrown.ast_matches(spec, path, text, lang)
        except (re.error, RuntimeError, ValueError) as exc:
            trial.error = homegrown.short_error(exc)
            return trial
        for m in found:
            state = None
            if role == "definition":
                st = m.state_text if m.state_text is not None else spec.state_value
                state, _ = homegrown.map_state(st, system.states, system.default_state)
            trial.matches.append(TrialMatch(m.key, path, m.line, state, m.state_text))
    return trial


def _first_code_lines(text: str) -> list[int]:
    out = []
    for i, line in enumerate(split_lines(text)):
        s = line.strip()
        if not s or s.startswith(("#", "//", "/*", "*", "import ", "from ", "package ")):
            continue
        out.append(i)
        if len(out) >= SAMPLE_LINES:
            break
    return out


def _sample(path: str, text: str, lang: str | None, lines: list[int], why: str) -> SampleTree:
    tree: list[str] = []
    if lang is not None and lines:
        root = SgRoot(text, lang).root()
        wanted = set(lines)
        for child in root.children():
            _dump(child, 0, wanted, tree)
    return SampleTree(path=path, lines=lines, why=why, tree=tree)


def _dump(node: SgNode, depth: int, lines: set[int], out: list[str]) -> None:
    """Named nodes that touch the sample lines, outermost first."""
    if len(out) >= MAX_TREE_NODES:
        return
    r = node.range()
    if not any(r.start.line <= ln <= r.end.line for ln in lines):
        return
    if node.is_named():
        text = node.text() if not node.children() else ""
        leaf = f" `{text}`" if text and len(text) <= 40 else ""
        out.append(
            f"{'  ' * depth}{node.kind()} "
            f"[{r.start.line + 1}:{r.start.column + 1}-{r.end.line + 1}:{r.end.column + 1}]{leaf}"
        )
        depth += 1
    for child in node.children():
        _dump(child, depth, lines, out)
