"""What a reference is, structurally: a check whose branch can be chosen, or a mention.

The scan found the key's text; here ast-grep parses the few files that hold it and
walks up from the key to the SDK call (or membership test, or homegrown pattern) around
it, and reads the call's default argument. Parsed files are memoised per content across
the map tasks of one process, since one file often references several flags.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

from ast_grep_py import Config, SgNode, SgRoot

from swath.analyzers.flags.rewrite_go import written as go_written
from swath.findings.model import Position, Range
from swath.items.flags import ReferenceHit, ReferencePattern, pattern_words, spell_key
from swath.workspace import Workspace
from swath.workspace.languages import ANALYZED_LANGUAGES, language_of

CALL_KINDS = {"call", "call_expression"}
ARG_LISTS = {"argument_list", "arguments"}
# Nodes between the key and the argument list: `Flags.NEW`, `await`, parentheses.
KEY_WRAPPERS = {
    "attribute",
    "member_expression",
    "selector_expression",
    "parenthesized_expression",
    "identifier",
    "property_identifier",
    "field_identifier",
    "keyword_argument",
    "string",
    "interpreted_string_literal",
    "raw_string_literal",
    "template_string",
    "string_fragment",
    "string_content",
}
MEMBERSHIP_METHODS = {"has", "includes", "contains"}
# TypeScript declaration files: ambient declarations, which evaluate nothing (a call there is
# a compile error; an initializer may only be a literal), so no reference in one is a check.
DECLARATION_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")
_BOOL_LITERALS = {"True": True, "False": False, "true": True, "false": False}

_lock = threading.Lock()
_parsed: OrderedDict[tuple[str, str, str], ParsedFile] = OrderedDict()
# The parsed files kept are bounded by what they hold, not by their number: a file's text
# and lines count twice its characters, each syntax tree of it ~26 times more (measured on
# unleash-server's compiled JavaScript). 128 files whatever their size were both too few
# for its ~420 files holding a common-word key (384 read and 44 parsed again) and no bound
# at all on 128 big ones. 48 MiB: 7-14 % less CPU there for 13-23 MiB more peak (128 MiB
# kept everything, +21-42 MiB, no faster with candidates).
_BUDGET = 48 << 20
_TEXT_WEIGHT = 2
_TREE_WEIGHT = 26
_weight = 0
_matching: OrderedDict[tuple[str, str, str, str], list[int]] = OrderedDict()
_MAX_MATCHING = 2048


def language_for(path: str) -> str | None:
    return language_of(path, ANALYZED_LANGUAGES)


@dataclass
class ParsedFile:
    path: str
    text: str
    lines: list[str]
    lang: str | None
    _root: SgNode | None = None
    _pattern_hits: dict[str, list[tuple[str, SgNode]]] = field(default_factory=dict)
    # The file parsed as another language a reference pattern names (`language: javascript`
    # on a .ts file), kept like its own tree: parsed again for every flag, this was most of
    # an audit of unleash-server (68 flags over its ~3,000 compiled files: 32 s).
    _other_roots: dict[str, SgNode] = field(default_factory=dict)
    # (workspace, path, content digest): what `lines_matching` keeps its answers under.
    key: tuple[str, str, str] = ("", "", "")
    weight: int = 0  # what it counts against _BUDGET while kept

    @property
    def root(self) -> SgNode | None:
        if self._root is None and self.lang is not None:
            self._root = SgRoot(self.text, self.lang).root()
            _charge(self, _TREE_WEIGHT * len(self.text))
        return self._root

    def lines_matching(self, rx: re.Pattern[str]) -> list[int]:
        """The lines `rx` matches (at their start), in order; found once per file version,
        not once per flag and reference: a common-word key has hundreds of references in
        hundreds of files, more than the parsed files kept, so the answers outlive them
        (a few integers a file)."""
        key = (*self.key, rx.pattern)
        with _lock:
            found = _matching.get(key)
            if found is not None:
                _matching.move_to_end(key)
                return found
        # Line by line: with the regexes' leading spaces taken possessively this is 1.2-5x
        # faster than 3c90d67's one multi-line search with its proposed lines checked (the
        # remedy for the backtracking forms, slow on deep indentation).
        found = [i for i, line in enumerate(self.lines) if rx.match(line)]
        with _lock:
            _matching[key] = found
            while len(_matching) > _MAX_MATCHING:
                _matching.popitem(last=False)
        return found

    def root_as(self, lang: str) -> SgNode | None:
        if lang == self.lang:
            return self.root
        found = self._other_roots.get(lang)
        if found is None:
            found = self._other_roots[lang] = SgRoot(self.text, lang).root()
            _charge(self, _TREE_WEIGHT * len(self.text))
        return found


def _charge(pf: ParsedFile, weight: int) -> None:
    """`pf` holds `weight` more (a tree): counted while it is kept, older files let go."""
    global _weight
    with _lock:
        if _parsed.get(pf.key) is not pf:
            return  # let go already (or never kept): nothing of it is counted
        pf.weight += weight
        _weight += weight
        _evict()


def _evict() -> None:
    """The least recently used files let go until the kept ones fit (the newest always stays)."""
    global _weight
    while _weight > _BUDGET and len(_parsed) > 1:
        _, old = _parsed.popitem(last=False)
        _weight -= old.weight


def _split_lines(text: str) -> list[str]:
    """`re.split(r"\\r\\n|\\r|\\n", text)`; `str.split` when there is no `\\r`, 5x faster
    over the megabytes of generated files a common-word key is found in."""
    return text.split("\n") if "\r" not in text else re.split(r"\r\n|\r|\n", text)


def parsed(ws: Workspace, path: str) -> ParsedFile | None:
    global _weight
    try:
        digest = ws.file_hash(path)
        key = (str(ws.root), path, digest)
        with _lock:
            hit = _parsed.get(key)
            if hit is not None:
                _parsed.move_to_end(key)
                return hit
        text = ws.read_text(path)
    except (OSError, ValueError):
        return None
    pf = ParsedFile(
        path=path,
        text=text,
        lines=_split_lines(text),
        lang=language_for(path),
        key=key,
    )
    pf.weight = _TEXT_WEIGHT * len(text)
    with _lock:
        previous = _parsed.pop(key, None)  # read by two threads at once: one is kept
        if previous is not None:
            _weight -= previous.weight
        _parsed[key] = pf
        _weight += pf.weight
        _evict()
    return pf


@dataclass
class Check:
    """A yes/no question about the flag, at a reference."""

    call: str | None
    start: tuple[int, int]
    end: tuple[int, int]
    default: bool | None = None  # the call's literal boolean default, when it has one
    membership: bool = False


def _node_at(root: SgNode, line: int, col: int, end_col: int) -> SgNode | None:
    """The outermost node spanning exactly line:col..end_col (what `find(range=…)` answers),
    found by walking down the children that hold it, each level by bisection: `find` visits
    the whole tree once per reference (minutes on a minified bundle with a thousand
    references), and even reading every child's range is slow on an object of thousands."""
    start, end = (line, col), (line, end_col)
    node = root
    while True:
        kids = node.children()
        lo, hi = 0, len(kids)
        while lo < hi:  # the last child that starts at or before `start`
            mid = (lo + hi) // 2
            r = kids[mid].range()
            if (r.start.line, r.start.column) <= start:
                lo = mid + 1
            else:
                hi = mid
        if lo == 0:
            return None
        # Zero-width and same-start children: the outermost holding node comes first.
        i = lo - 1
        while i > 0:
            r = kids[i - 1].range()
            if (r.start.line, r.start.column) != start:
                break
            i -= 1
        for child in kids[i:lo]:
            r = child.range()
            s, e = (r.start.line, r.start.column), (r.end.line, r.end.column)
            if s <= start and end <= e:
                if s == start and e == end:
                    return child
                node = child
                break
        else:
            return None


def _call_name(call: SgNode) -> str | None:
    f = call.field("function")
    if f is None:
        return None
    kind = f.kind()
    if kind == "identifier":
        return f.text()
    for name in ("attribute", "property", "field"):
        sub = f.field(name)
        if sub is not None:
            return sub.text()
    return None


def _literal_default(args: list[SgNode]) -> bool | None:
    for a in reversed(args):
        text = a.text().strip()
        if text in _BOOL_LITERALS:
            return _BOOL_LITERALS[text]
        if a.kind() == "keyword_argument":
            value = a.field("value")
            if value is not None and value.text() in _BOOL_LITERALS:
                return _BOOL_LITERALS[value.text()]
    return None


def find_check(pf: ParsedFile, hit: ReferenceHit, call_names: set[str]) -> Check | None:
    """The check the key at `hit` takes part in, if any."""
    if pf.path.endswith(DECLARATION_SUFFIXES):
        # Not parsed to find out: generated declarations are big (unleash-server's OpenAPI
        # schema types, 1.3 MB each, were 11.6 of the 14 MB parsed to look for checks).
        return None
    root = pf.root
    if root is None:
        return None
    node = _node_at(root, hit.line, hit.col, hit.end_col)
    if node is None:
        return None
    cur = node
    for _ in range(6):
        parent = cur.parent()
        if parent is None:
            return None
        pk = parent.kind()
        if pk in ARG_LISTS:
            call = parent.parent()
            if call is None or call.kind() not in CALL_KINDS:
                return None
            name = _call_name(call)
            args = parent.named_children()
            r = call.range()
            if name in call_names:
                return Check(
                    call=name,
                    start=(r.start.line, r.start.column),
                    end=(r.end.line, r.end.column),
                    default=_literal_default(args[1:]),
                )
            if name in MEMBERSHIP_METHODS and len(args) == 1:
                return Check(
                    call=name,
                    start=(r.start.line, r.start.column),
                    end=(r.end.line, r.end.column),
                    membership=True,
                )
            return None
        if pk in ("comparison_operator", "binary_expression"):
            op = parent.field("operator")
            ops = {c.text() for c in parent.children() if not c.is_named()} | (
                {op.text()} if op else set()
            )
            if "in" in ops and parent.named_children()[0].range() == cur.range():
                r = parent.range()
                return Check(
                    call=None,
                    start=(r.start.line, r.start.column),
                    end=(r.end.line, r.end.column),
                    membership=True,
                )
            return None
        if pk not in KEY_WRAPPERS:
            return None
        cur = parent
    return None


@dataclass
class PatternMatch:
    line: int
    col: int
    end_line: int
    end_col: int
    text: str
    is_check: bool
    written: bool = False  # Go: the pattern matched where the flag is set, not read


def pattern_matches(
    pf: ParsedFile, key: str, patterns: list[ReferencePattern]
) -> list[PatternMatch]:
    """Where a homegrown reference pattern captures `key` in this file."""
    out: list[PatternMatch] = []
    for p in patterns:
        want = spell_key(key, p.key_case)
        if p.regex is not None:
            rx = re.compile(p.regex, re.MULTILINE)
            for i, line in enumerate(pf.lines):
                for m in rx.finditer(line):
                    group = p.key if p.key in rx.groupindex else p.key.lower()
                    if group in rx.groupindex and _key_text(m.group(group) or "") == want:
                        out.append(
                            PatternMatch(i, m.start(), i, m.end(), m.group(0), bool(p.is_check))
                        )
            continue
        lang = p.language or pf.lang
        if lang is None:
            continue
        if isinstance(p.pattern, str) and not all(w in pf.text for w in _pattern_words(p.pattern)):
            continue  # a word the pattern spells out is not in the file: nothing can match
        for node in _pattern_nodes(pf, lang, p):
            cap = node.get_match(p.key.lstrip("$"))
            if cap is None or _key_text(cap.text()) != want:
                continue
            r = node.range()
            is_check = p.is_check if p.is_check is not None else node.kind() in CALL_KINDS
            # `envconfig.Retry = true` (a test) sets the flag: it checks nothing.
            written = lang == "go" and go_written(node)
            out.append(
                PatternMatch(
                    r.start.line,
                    r.start.column,
                    r.end.line,
                    r.end.column,
                    node.text(),
                    is_check and not written,
                    written,
                )
            )
    return out


@lru_cache(maxsize=256)
def _pattern_words(pattern: str) -> tuple[str, ...]:
    # A common-word key (`enabled`) is in hundreds of files the pattern's call is not, each
    # a tree-sitter parse when looked at (unleash-server: most of 25 s).
    return tuple(pattern_words(pattern))


def _pattern_nodes(pf: ParsedFile, lang: str, p: ReferencePattern) -> list[SgNode]:
    sig = repr((p.pattern, p.rule, lang))
    hit = pf._pattern_hits.get(sig)
    if hit is None:
        root = pf.root_as(lang)
        if root is None:
            return []
        try:
            nodes = (
                root.find_all(cast(Config, {"rule": p.rule}))
                if p.rule
                else root.find_all(pattern=cast(Any, p.pattern))
            )
        except (RuntimeError, ValueError):
            nodes = []
        hit = pf._pattern_hits[sig] = [("", n) for n in nodes]
    return [n for _, n in hit]


def _key_text(text: str) -> str:
    """A captured key without its quotes, or its colon when a Ruby symbol (`:new_search`,
    `:"new-search"`: Flipper and GitLab name features by symbols)."""
    text = text.strip()
    if text.startswith(":") and len(text) > 1 and not text.startswith("::"):
        text = text[1:]
    return _unquote(text)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] in "\"'`" and text[-1] == text[0]:
        return text[1:-1]
    return text


def as_range(start: tuple[int, int], end: tuple[int, int]) -> Range:
    return Range(
        start=Position(line=start[0], character=start[1]),
        end=Position(line=end[0], character=end[1]),
    )
