"""Reads through a homegrown reference pattern whose key the code builds at run time.

A system's reference pattern (`Flags.$KEY`, `isEnabled($KEY)`, `Feature[$KEY]`) finds the
reads of each flag by its key. When the code passes something else where `$KEY` stands
(`Feature[name]`, `getattr(Feature, name)`, `` isEnabled(`beta-${team}`) ``,
`flags.get(key_var)`), that read may be any flag of the system whose key has its literal
parts, and no such flag's definition may be advised for deletion.

Why anchors: the scan cannot run ast-grep on every file of the tree. Each pattern names
words a match must contain (its callee, the object it subscripts, the literal words of its
rule's regexes); the scan workers report which files hold them, and only those are parsed.
A pattern without such a word (a rule made of node kinds only) is not looked at here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from ast_grep_py import Config, SgNode, SgRoot

from swath.items.flags import pattern_words
from swath.sources.flagdefs.common import language_of
from swath.sources.flagdefs.config import PatternSpec
from swath.sources.flagdefs.scanworker import (
    LITERAL,
    NAME,
    enclosing_functions,
    key_shape,
    might_build_key,
)

# Words that say nothing about a file (every file of the language has them).
_COMMON = {
    "func",
    "def",
    "const",
    "var",
    "let",
    "return",
    "if",
    "else",
    "for",
    "in",
    "not",
    "and",
    "or",
    "import",
    "from",
    "class",
    "new",
    "true",
    "false",
    "True",
    "False",
    "None",
    "nil",
    "null",
    "this",
    "self",
    "function",
    "package",
}
_MIN_ANCHOR = 3
# `^\w*(?:Feature|Preview)s?$` -> Feature, Preview; `^Enabled$` -> Enabled.
_REGEX_NOISE = re.compile(r"\\[wdsbWDSBAZ][*+?]?|[\^$]|\\b|\(\?-?[a-zA-Z]+\)")  # and `(?-u)`
_ALTERNATION = re.compile(r"\(\?:([\w|]+)\)")
_OPTIONAL_GROUP = re.compile(r"\(\?:[^()|]*\)[*?]")  # `(?:\w+\.)*`: nothing it holds is required
_PLAIN = re.compile(r"[A-Za-z_]\w*")
_ACCESSOR = (".", "?.", "::", "->")
_NAME_KINDS = {"property_identifier", "field_identifier", "shorthand_property_identifier"}
_RUBY_SYMBOL = re.compile(r""":(?:[A-Za-z_]\w*[?!]?|"[^"#]*"|'[^']*')\Z""")


@dataclass
class PatternRead:
    """One reference pattern as the dynamic-read search needs it."""

    system: str
    summary: str
    pattern: Any = None
    rule: dict[str, Any] | None = None
    key: str = "KEY"
    language: str | None = None
    languages: frozenset[str] | None = None  # the system's code languages when not given
    key_case: str = "as-is"
    groups: list[list[str]] = field(default_factory=list)  # a match holds one word of each
    # The rule says the key is written as a name (`{kind: identifier, pattern: $KEY}`: a
    # gate constant, a name destructured from useFlags()): a name captured is no variable.
    names_are_keys: bool = False
    lead: str | None = None  # `enabled?` of `$R.enabled?($KEY)`: the key is its first argument
    prefilter: str | None = None  # the spec's: a regex every such read matches

    @classmethod
    def of(
        cls,
        system: str,
        spec: PatternSpec,
        language: str | None,
        languages: frozenset[str] | None = None,
    ) -> PatternRead:
        """A system's reference pattern (`language`: the spec's or the system's)."""
        return cls(
            system=system,
            summary=pattern_text(spec),
            pattern=spec.pattern,
            rule=spec.rule,
            key=spec.key,
            language=language,
            languages=languages,
            key_case=spec.key_case,
            groups=anchor_groups(spec.pattern, spec.rule, language, spec.key),
            names_are_keys=names_are_keys(spec.rule, spec.key),
            lead=call_lead(spec.pattern, spec.rule, language, spec.key),
            prefilter=spec.prefilter,
        )

    def applies_to(self, path: str) -> str | None:
        """The ast-grep language to parse `path` with for this pattern, or None."""
        lang = language_of(path)
        if lang is None:
            return None
        if self.language is not None:
            return self.language if _same_family(self.language, lang) else None
        if self.languages is not None and not any(_same_family(x, lang) for x in self.languages):
            return None
        return lang

    def might_build_key(self, data: bytes) -> bool:
        """Before parsing: see `scanworker.might_build_key` (the workers ask it of the files
        they read; `swath flags test` asks it here)."""
        return might_build_key(data, self.prefilter, self.lead)

    def holds_anchors(self, text: str) -> bool:
        return bool(self.groups) and all(any(w in text for w in g) for g in self.groups)


@dataclass
class Capture:
    """A match whose key is not a literal: where, how the key is built, what it names."""

    line: int
    col: int
    text: str  # the whole line
    prefix: str
    suffix: str
    names: list[tuple[str, int, int]]  # an identifier key: (name, line, col), for the merger
    functions: list[str]  # enclosing functions, innermost first (wrappers)


def summary(spec: PatternSpec) -> str:
    if spec.regex is not None:
        return f"regex {spec.regex!r}"
    if spec.rule is not None:
        return f"rule {spec.rule}"
    return f"pattern {spec.pattern!r}"


def pattern_text(spec: PatternSpec) -> str:
    """The pattern as a reader knows it: `Feature[$KEY]`, a rule's pattern, or its
    alternatives' (`$CLS[$KEY] | $CLS($KEY) | getattr($CLS, $KEY)`)."""
    if isinstance(spec.pattern, str):
        return spec.pattern
    if isinstance(spec.pattern, dict):
        return str(spec.pattern.get("context", spec.pattern))
    rule = spec.rule or {}
    if isinstance(rule.get("any"), list) and not isinstance(rule.get("pattern"), str):
        each = [_first_pattern(sub) for sub in rule["any"] if isinstance(sub, dict)]
        if each and all(each):
            return " | ".join(dict.fromkeys(e for e in each if e))
    found = _first_pattern(rule)
    return found if found is not None else summary(spec)


def _first_pattern(rule: dict[str, Any]) -> str | None:
    value = rule.get("pattern")
    if isinstance(value, str):
        return value
    for name in ("any", "all"):
        for sub in rule.get(name) or []:
            if isinstance(sub, dict) and (found := _first_pattern(sub)) is not None:
                return found
    return None


_LEAD = re.compile(r"([A-Za-z_$][\w$]*[?!]?)\s*\(\s*\Z")


def call_lead(
    pattern: Any, rule: dict[str, Any] | None, lang: str | None, key: str = "KEY"
) -> str | None:
    """The callee whose first argument the key is (`toggle_on` of `toggle_on($KEY)`,
    `Enabled` of `flags.Enabled($KEY)`), when the pattern is that one call; else None."""
    if rule is not None:
        if set(rule) - {"pattern", "kind", "has", "inside", "all"}:
            return None
        pattern = rule.get("pattern")
    if isinstance(pattern, dict):
        context, selector = pattern.get("context"), pattern.get("selector")
        pattern = (
            _selected(str(context), lang, str(selector)) if lang and context and selector else None
        )
    if not isinstance(pattern, str):
        return None
    meta = "$" + key.lstrip("$")
    at = pattern.find(meta)
    if at < 0 or pattern.count(meta) != 1:
        return None
    m = _LEAD.search(pattern[:at])
    return m.group(1) if m is not None and not m.group(1).startswith("$") else None


def _family(lang: str) -> str:
    return "js" if lang in ("typescript", "tsx", "javascript", "jsx") else lang


def _same_family(a: str, b: str) -> bool:
    return _family(a) == _family(b)


def anchor_groups(
    pattern: Any, rule: dict[str, Any] | None, lang: str | None, key: str = "KEY"
) -> list[list[str]]:
    """Words a match must contain, as groups of alternatives: [["getattr"], ["Feature",
    "Preview"]]. Empty when the pattern names none, or when its key is only ever an
    attribute's name (`Feature.$KEY`), which code cannot build at run time: then it is not
    searched."""
    if key_is_a_name(pattern, rule, key):
        return []
    if rule is not None:
        return _rule_groups(rule, lang)
    return _pattern_groups(pattern, lang)


def key_is_a_name(pattern: Any, rule: dict[str, Any] | None, key: str = "KEY") -> bool:
    """Is the pattern's key always a name, never an expression? It only ever follows a `.`
    (`Feature.$KEY`, `FEATURES.$KEY.on`), or the rule gives it a name's kind or field
    (`{kind: identifier, pattern: $KEY}`, `{field: field, pattern: $KEY}`: k8s gates)."""
    meta = "$" + key.lstrip("$")
    root = rule if rule is not None else {"pattern": pattern}
    if _is_name_rule(root, meta):
        return True
    texts = [t for t in _pattern_texts(root) if meta in t]
    return (
        bool(texts)
        and all(t.strip() == meta or _only_after_accessor(t, meta) for t in texts)
        and all(_is_name_rule(r, meta) for r in _key_rules(root, meta))
    )


_NAME_FIELDS = {"field", "attribute", "property", "name"}


def _is_name_rule(rule: dict[str, Any], meta: str) -> bool:
    return rule.get("pattern") == meta and (
        str(rule.get("kind", "")).endswith("identifier") or rule.get("field") in _NAME_FIELDS
    )


def _key_rules(rule: dict[str, Any], meta: str) -> list[dict[str, Any]]:
    """The sub-rules whose pattern is the key alone (`{…, pattern: $KEY}`)."""
    out = [rule] if rule.get("pattern") == meta else []
    for name, value in rule.items():
        if name == "not":
            continue
        for sub in value if isinstance(value, list) else [value]:
            if isinstance(sub, dict):
                out += _key_rules(sub, meta)
    return out


def names_are_keys(rule: dict[str, Any] | None, key: str = "KEY") -> bool:
    """Does a rule give the key the kind of a name (`{kind: identifier, pattern: $KEY}`)?"""
    if not rule:
        return False
    meta = "$" + key.lstrip("$")
    if rule.get("pattern") == meta and str(rule.get("kind", "")).endswith("identifier"):
        return True
    for name, value in rule.items():
        if name == "not":
            continue
        subs = value if isinstance(value, list) else [value]
        if any(isinstance(sub, dict) and names_are_keys(sub, key) for sub in subs):
            return True
    return False


def _pattern_texts(rule: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for name, value in rule.items():
        if name == "pattern":
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, dict) and isinstance(value.get("context"), str):
                out.append(value["context"])
        elif isinstance(value, dict) and name != "not":
            out += _pattern_texts(value)
        elif isinstance(value, list) and name in ("all", "any"):
            out += [t for sub in value if isinstance(sub, dict) for t in _pattern_texts(sub)]
    return out


def _only_after_accessor(text: str, meta: str) -> bool:
    spots = [m.start() for m in re.finditer(re.escape(meta) + r"(?![\w])", text)]
    return bool(spots) and all(text[:i].rstrip().endswith(_ACCESSOR) for i in spots)


def _pattern_groups(pattern: Any, lang: str | None) -> list[list[str]]:
    if isinstance(pattern, dict):
        text = str(pattern.get("context", ""))
        selector = pattern.get("selector")
        if lang is not None and selector:
            node = _selected(text, lang, str(selector))
            if node is not None:
                text = node
    elif isinstance(pattern, str):
        text = pattern
    else:
        return []
    words = pattern_words(text)
    return [[w] for w in dict.fromkeys(words) if w not in _COMMON and len(w) >= _MIN_ANCHOR]


def _selected(context: str, lang: str, selector: str) -> str | None:
    """The text of the node a `{context, selector}` pattern matches: its context's wrapper
    code (`func _() { _ = … }`) is not in the files."""
    text = context if _family(lang) == "js" else context.replace("$", "µ")
    try:
        node = SgRoot(text, lang).root().find(kind=selector)
    except (RuntimeError, ValueError):
        return None
    return node.text().replace("µ", "$") if node is not None else None


def _rule_groups(rule: dict[str, Any], lang: str | None) -> list[list[str]]:
    groups: list[list[str]] = []
    for name, value in rule.items():
        if name == "pattern":
            groups += _pattern_groups(value, lang)
        elif name == "regex" and isinstance(value, str):
            words = regex_words(value)
            if words:
                groups.append(words)
        elif name in ("has", "inside", "follows", "precedes") and isinstance(value, dict):
            groups += _rule_groups(value, lang)
        elif name == "all" and isinstance(value, list):
            for sub in value:
                if isinstance(sub, dict):
                    groups += _rule_groups(sub, lang)
        elif name == "any" and isinstance(value, list):
            branches = [_rule_groups(sub, lang) for sub in value if isinstance(sub, dict)]
            if not branches or not all(branches):
                continue
            # A group every branch requires is required; else one branch's best word must be.
            shared = [g for g in branches[0] if all(g in b for b in branches[1:])]
            if shared:
                groups += shared
            else:
                best = [_longest(b) for b in branches]
                groups.append(sorted({w for b in best if b for w in b}))
    return groups


def _longest(groups: list[list[str]]) -> list[str] | None:
    return max(groups, key=lambda g: min(len(w) for w in g)) if groups else None


def regex_words(rx: str) -> list[str]:
    """The words one of which any text the regex matches holds, when the regex is that
    simple (a word, or one `(?:a|b)` alternation of words, with anchors and `\\w*` around)."""
    core = _OPTIONAL_GROUP.sub("", _REGEX_NOISE.sub("", rx))
    alt = _ALTERNATION.search(core)
    if alt is not None:
        if core[alt.end() : alt.end() + 1] in ("?", "*"):
            return []  # `(?:A|B)?`: neither need be there
        rest = core[: alt.start()] + core[alt.end() :]
        words = alt.group(1).split("|")
        simple = all(_PLAIN.fullmatch(w) and len(w) >= _MIN_ANCHOR for w in words)
        return words if simple and re.fullmatch(r"(?:[\w?]|\\.)*", rest) else []
    if _PLAIN.fullmatch(core) and len(core) >= _MIN_ANCHOR:
        return [core]
    return []


class SourceText:
    """One file's text, parsed once per language for all the patterns tried on it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")
        self.lines = text.splitlines()
        self.roots: dict[str, SgNode | None] = {}
        self.line_starts: list[int] | None = None

    def root(self, lang: str) -> SgNode | None:
        if lang not in self.roots:
            try:
                self.roots[lang] = SgRoot(self.text, lang).root()
            except (RuntimeError, ValueError):
                self.roots[lang] = None
        return self.roots[lang]

    def byte_at(self, line: int, col: int) -> tuple[int, int]:
        """(start of the line, the position) in bytes, for a zero-based line and column."""
        if self.line_starts is None:
            starts, at = [], 0
            for raw in self.data.splitlines(keepends=True):
                starts.append(at)
                at += len(raw)
            self.line_starts = starts or [0]
        ls = self.line_starts[min(line, len(self.line_starts) - 1)]
        text = self.lines[line] if line < len(self.lines) else ""
        return ls, ls + len(text[:col].encode("utf-8"))


def find_captures(spec: PatternRead, source: SourceText | str, lang: str) -> list[Capture]:
    """The pattern's matches whose key capture is no literal key and not the name form the
    pattern reads keys in (`Feature.X`): each a key built at run time."""
    src = source if isinstance(source, SourceText) else SourceText(source)
    root = src.root(lang)
    if root is None:
        return []
    try:
        nodes = (
            root.find_all(cast(Config, {"rule": spec.rule}))
            if spec.rule is not None
            else root.find_all(pattern=cast(Any, spec.pattern))
        )
    except (RuntimeError, ValueError):
        return []  # a pattern that is not valid in this language: `swath flags test` says so
    out: list[Capture] = []
    for node in nodes:
        cap = node.get_match(spec.key.lstrip("$"))
        if cap is None:
            continue
        found = _classify(cap, src.lines)
        if found is None or (found[2] and spec.names_are_keys):
            continue
        prefix, suffix, names = found
        r = node.range()
        line_start, start = src.byte_at(r.start.line, r.start.column)
        out.append(
            Capture(
                line=r.start.line,
                col=r.start.column,
                text=src.lines[r.start.line] if r.start.line < len(src.lines) else "",
                prefix=prefix,
                suffix=suffix,
                names=names,
                functions=enclosing_functions(src.data, line_start, start),
            )
        )
    return out


def _classify(cap: SgNode, lines: list[str]) -> tuple[str, str, list[tuple[str, int, int]]] | None:
    """(prefix, suffix, names) of a key built at run time; None for a key the pattern reads
    as it should (a literal, a Ruby symbol, a name in the key's own place)."""
    raw = cap.text().strip()
    if cap.kind() in _NAME_KINDS or _RUBY_SYMBOL.match(raw):
        return None
    r = cap.range()
    before = lines[r.start.line][: r.start.column] if r.start.line < len(lines) else ""
    if before.rstrip().endswith(_ACCESSOR):
        return None  # `Feature.$KEY`: the key is the attribute's name, never an expression
    # Ruby's `:"beta_#{name}"` is the string's key as a symbol: its literal parts are the string's.
    kind, prefix, suffix = key_shape(raw[1:].encode() if raw.startswith(':"') else raw.encode())
    if (kind, prefix, suffix) == LITERAL or kind == "other":
        return None
    if (kind, prefix, suffix) == NAME:
        # A name may be a constant holding a key, or the key itself: the merger drops the
        # read when the scan found a reference at this place.
        return "", "", [(raw, r.start.line, r.start.column)]
    return prefix.decode("utf-8", "replace"), suffix.decode("utf-8", "replace"), []
