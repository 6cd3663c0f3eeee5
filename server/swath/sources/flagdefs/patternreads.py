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

from swath.sources.flagdefs.common import language_of
from swath.sources.flagdefs.config import PatternSpec
from swath.sources.flagdefs.scanworker import LITERAL, NAME, enclosing_functions, key_shape

_METAVAR = re.compile(r"\$\$?\$?[A-Z_][A-Z0-9_]*")
_WORD = re.compile(r"[A-Za-z_][\w]*")
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
_REGEX_NOISE = re.compile(r"\\[wdsbWDSBAZ][*+?]?|[\^$]|\\b")
_ALTERNATION = re.compile(r"\(\?:([\w|]+)\)")
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
    """The pattern as a reader knows it: `Feature[$KEY]`, a rule's first pattern."""
    if isinstance(spec.pattern, str):
        return spec.pattern
    if isinstance(spec.pattern, dict):
        return str(spec.pattern.get("context", spec.pattern))
    found = _first_pattern(spec.rule or {})
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


def _family(lang: str) -> str:
    return "js" if lang in ("typescript", "tsx", "javascript", "jsx") else lang


def _same_family(a: str, b: str) -> bool:
    return _family(a) == _family(b)


def anchor_groups(pattern: Any, rule: dict[str, Any] | None, lang: str | None) -> list[list[str]]:
    """Words a match must contain, as groups of alternatives: [["getattr"], ["Feature",
    "Preview"]]. Empty when the pattern names none (then it is not searched)."""
    if rule is not None:
        return _rule_groups(rule, lang)
    return _pattern_groups(pattern, lang)


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
    words = _WORD.findall(_METAVAR.sub(" ", text))
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
            # One branch must hold: the longest word of each, any of them.
            best = [_longest(_rule_groups(sub, lang)) for sub in value if isinstance(sub, dict)]
            if best and all(best):
                groups.append(sorted({w for b in best if b for w in b}))
    return groups


def _longest(groups: list[list[str]]) -> list[str] | None:
    return max(groups, key=lambda g: min(len(w) for w in g)) if groups else None


def regex_words(rx: str) -> list[str]:
    """The words one of which any text the regex matches holds, when the regex is that
    simple (a word, or one `(?:a|b)` alternation of words, with anchors and `\\w*` around)."""
    core = _REGEX_NOISE.sub("", rx)
    alt = _ALTERNATION.search(core)
    if alt is not None:
        rest = core[: alt.start()] + core[alt.end() :]
        words = alt.group(1).split("|")
        simple = all(_PLAIN.fullmatch(w) and len(w) >= _MIN_ANCHOR for w in words)
        return words if simple and re.fullmatch(r"[\w?]*", rest) else []
    if _PLAIN.fullmatch(core) and len(core) >= _MIN_ANCHOR:
        return [core]
    return []


def find_captures(spec: PatternRead, text: str, lang: str) -> list[Capture]:
    """The pattern's matches in `text` whose key capture is no literal key and not the
    name form the pattern reads keys in (`Feature.X`): each a key built at run time."""
    try:
        root = SgRoot(text, lang).root()
        nodes = (
            root.find_all(cast(Config, {"rule": spec.rule}))
            if spec.rule is not None
            else root.find_all(pattern=cast(Any, spec.pattern))
        )
    except (RuntimeError, ValueError):
        return []  # a pattern that is not valid in this language: `swath flags test` says so
    data = text.encode("utf-8")
    lines = text.splitlines()
    out: list[Capture] = []
    for node in nodes:
        cap = node.get_match(spec.key.lstrip("$"))
        if cap is None:
            continue
        found = _classify(cap, lines)
        if found is None:
            continue
        prefix, suffix, names = found
        r = node.range()
        start = r.start.index
        line_start = data.rfind(b"\n", 0, start) + 1
        out.append(
            Capture(
                line=r.start.line,
                col=r.start.column,
                text=lines[r.start.line] if r.start.line < len(lines) else "",
                prefix=prefix,
                suffix=suffix,
                names=names,
                functions=enclosing_functions(data, line_start, start),
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
    kind, prefix, suffix = key_shape(raw.encode("utf-8"))
    if (kind, prefix, suffix) == LITERAL or kind == "other":
        return None
    if (kind, prefix, suffix) == NAME:
        # A name may be a constant holding a key, or the key itself: the merger drops the
        # read when the scan found a reference at this place.
        return "", "", [(raw, r.start.line, r.start.column)]
    return prefix.decode("utf-8", "replace"), suffix.decode("utf-8", "replace"), []
