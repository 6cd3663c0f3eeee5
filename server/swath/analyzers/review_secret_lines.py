"""Which detect-secrets plugins could report something on which lines, found in one pass.

detect-secrets runs every plugin's regular expressions on every line, in Python's `re`
(~75 µs a line for the 24 plugins kept): on a 2,000-line diff that was most of the review's
time, for lines that almost never hold a secret. Here each plugin's expressions run once,
as one RE2 automaton (linear time) over all the lines joined, and a plugin runs on a line
only where its automaton matched that line. The filter never hides a line detect-secrets
would report:

- each pattern is made *wider*, never narrower: its lookarounds are dropped (a
  lookaround only ever rules matches out), `^`/`$` become line anchors as they are on a
  line alone, `\\A`/`\\Z` become `^`/`$`;
- a match on the joined text touches every line that has a match alone (a match of the
  line either starts a match of the scan or lies inside one that covers it);
- only lines of printable ASCII (and tabs) are filtered, where Python's and RE2's `\\w`,
  `\\s`, `\\d` and case folding agree; any other line goes to every plugin;
- the keyword plugin's expressions all need one of its keywords (`password`, `api_key`,
  …): that alternation, case-insensitive, is its filter;
- a plugin whose patterns do not translate (backreferences, verbose layout, syntax RE2
  lacks) or that can match nothing at all (the empty string) is run on every line.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import re2

LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
QUANTIFIER = "*+?{"
BOUNDS = re.compile(r"\{(\d+),(\d*)\}")
RE2_MAX_REPEAT = 1000  # RE2 refuses a counted repeat above it
# Lines the filter may judge: printable ASCII and tabs (see the module's docstring).
ODD_CHAR = re.compile(r"[^\t\x20-\x7e]")
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # an untranslatable pattern is expected, not worth a log line
_OPTIONS.never_capture = True


def _group_end(p: str, i: int) -> int | None:
    """The index after the `)` closing the group opened at `p[i]`."""
    depth, in_class, n = 0, False, len(p)
    while i < n:
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1
            if p.startswith("^", i):
                i += 1
            if p.startswith("]", i):  # a `]` first in a class is a literal
                i += 1
            continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def widened(pattern: str, flags: int) -> str | None:
    """An RE2 pattern matching at least wherever `pattern` (a Python one) matches on one
    line of printable ASCII; None when there is no such translation here."""
    if flags & re.VERBOSE and (re.search(r"\s|#", pattern)):
        return None
    if flags & re.LOCALE:
        return None
    if re.search(r"\\[1-9]|\(\?P=|\(\?\(|\(\?>|\(\?#", pattern):
        return None  # backreferences, conditionals, atomic groups, comments
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            esc = pattern[i : i + 2]
            out.append({"\\A": "^", "\\Z": "$"}.get(esc, esc) if not in_class else esc)
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            start = i
            i += 1
            if pattern.startswith("^", i):
                i += 1
            if pattern.startswith("]", i):
                i += 1
            out.append(pattern[start:i])
            continue
        if c == "{":
            m = BOUNDS.match(pattern, i)
            if m and m.group(2) and int(m.group(2)) > RE2_MAX_REPEAT:
                if int(m.group(1)) > RE2_MAX_REPEAT:
                    return None
                out.append("{" + m.group(1) + ",}")  # no upper bound: wider still
                i = m.end()
                continue
        if pattern.startswith(LOOKAROUND, i):
            end = _group_end(pattern, i)
            if end is None or (end < n and pattern[end] in QUANTIFIER):
                return None
            i = end  # dropped: without the assertion the pattern only matches more
            continue
        out.append(c)
        i += 1
    prefix = (
        "(?m)" + ("(?i)" if flags & re.IGNORECASE else "") + ("(?s)" if flags & re.DOTALL else "")
    )
    return prefix + "".join(out)


def _compile(patterns: Sequence[str]) -> str | None:
    """The alternation as one pattern, if RE2 takes it and it cannot match the empty string."""
    joined = "|".join(f"(?:{p})" for p in patterns)
    try:
        rx = re2.compile(joined, _OPTIONS)
    except re2.error:
        return None
    return None if rx.search("") is not None else joined


def _keyword_filter(plugin: Any) -> str | None:
    from detect_secrets.plugins import keyword as keyword_plugin

    if getattr(plugin, "keyword_exclude", None) is not None:
        return None
    tables = [*keyword_plugin.REGEX_BY_FILETYPE.values()]
    tables.append(keyword_plugin.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)
    if not all(keyword_plugin.DENYLIST_REGEX in rx.pattern for t in tables for rx in t):
        return None  # a pattern that does not need a keyword: no filter
    return _compile(["(?m)(?i)" + "|".join(keyword_plugin.DENYLIST)])


def _plugin_filter(plugin: Any) -> str | None:
    # detect-secrets is imported here, when the filters are made from the plugins, not
    # when they are read from DATA.
    from detect_secrets.plugins import keyword as keyword_plugin
    from detect_secrets.plugins.base import RegexBasedDetector

    if isinstance(plugin, keyword_plugin.KeywordDetector):
        return _keyword_filter(plugin)
    if isinstance(plugin, RegexBasedDetector):
        parts = [widened(rx.pattern, rx.flags) for rx in plugin.denylist]
        return _compile([p for p in parts if p]) if parts and all(parts) else None
    return None


class LineFilters:
    """Per plugin, its automaton (None: it runs on every line), and all of them as one RE2
    set, which says in one pass over a file's lines which automata match anywhere at all.
    `names`: the plugins' class names, in order (what `stored_filters` is checked by)."""

    def __init__(self, names: Sequence[str], patterns: Sequence[str | None]) -> None:
        self.names = list(names)
        self.patterns = list(patterns)
        self.size = len(patterns)
        self.regexes = [re2.compile(p, _OPTIONS) if p else None for p in patterns]
        self.unfiltered = [i for i, p in enumerate(patterns) if p is None]
        self._set = re2.Set.SearchSet(_OPTIONS)
        self._set_plugin: list[int] = []
        for i, p in enumerate(patterns):
            if p is not None:
                self._set.Add(p)
                self._set_plugin.append(i)
        self._set.Compile()

    def anywhere(self, text: str) -> list[int]:
        """The plugins whose automaton matches somewhere in `text`."""
        return sorted(self._set_plugin[k] for k in self._set.Match(text) or ())


def line_filters(plugins: Sequence[Any]) -> LineFilters:
    return LineFilters([type(p).__name__ for p in plugins], [_plugin_filter(p) for p in plugins])


# The filters of the plugins Swath keeps, as this module makes them from the installed
# detect-secrets (`python -m swath.analyzers.review_secret_lines` writes the file): with
# them, a diff where no line could hold a secret never imports detect-secrets (and the
# requests, urllib3 and ssl it imports), a tenth of a one-shot run's start-up.
DATA = Path(__file__).with_name("review_secret_filters.json")


def _installed_version() -> str | None:
    try:
        return metadata.version("detect-secrets")
    except metadata.PackageNotFoundError:
        return None


def stored_filters() -> LineFilters | None:
    """The filters written for the installed detect-secrets, or None (another version, or
    no file): then they are made from the plugins themselves."""
    try:
        data = json.loads(DATA.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("detect_secrets") != _installed_version():
        return None
    return LineFilters([p["name"] for p in data["plugins"]], [p["filter"] for p in data["plugins"]])


def filters_data(filters: LineFilters) -> str:
    plugins = [
        {"name": n, "filter": p} for n, p in zip(filters.names, filters.patterns, strict=True)
    ]
    return json.dumps({"detect_secrets": _installed_version(), "plugins": plugins}, indent=1) + "\n"


def main() -> int:
    from swath.analyzers.review_secrets import _plugins

    DATA.write_text(filters_data(line_filters(_plugins())), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def plugins_per_line(filters: LineFilters, lines: Sequence[str]) -> list[list[int]]:
    """For each line, the indexes of the plugins that must look at it (in plugin order)."""
    everyone = list(range(filters.size))
    out: list[list[int]] = []
    plain: list[int] = []
    for k, line in enumerate(lines):
        if ODD_CHAR.search(line):
            out.append(everyone)
        else:
            out.append(list(filters.unfiltered))
            plain.append(k)
    if not plain:
        return out
    text = "\n".join([lines[k] for k in plain])
    starts = [0]
    for k in plain[:-1]:
        starts.append(starts[-1] + len(lines[k]) + 1)
    extra: set[int] = set()
    for i in filters.anywhere(text):
        rx = filters.regexes[i]
        assert rx is not None
        for m in rx.finditer(text):
            first = bisect.bisect_right(starts, m.start()) - 1
            last = bisect.bisect_right(starts, max(m.end() - 1, m.start())) - 1
            for j in range(first, last + 1):
                out[plain[j]].append(i)
                extra.add(plain[j])
    for k in extra:
        out[k] = sorted(set(out[k]))
    return out
