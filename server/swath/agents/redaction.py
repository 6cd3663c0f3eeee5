"""Secret redaction of everything sent to the model.

The detectors are `detect-secrets` plugins, run in-process on each line (provider key
formats, private keys, JWTs, keyword assignments, high-entropy quoted strings), plus a
few patterns it lacks (Anthropic and OpenAI-style `sk-...` keys, Google API keys,
fine-grained GitHub tokens, unquoted `TOKEN=...` assignments) and a block rule for PEM
private keys, whose body lines carry no marker of their own.

We call the plugins' `analyze_string`, never `analyze_line`: the latter may *verify* a
candidate secret against its provider over the network, which must never happen here.

Redaction preserves the number of lines so line numbers the model sees stay true.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import detect_secrets.plugins as _plugins_pkg
from detect_secrets.filters.heuristic import (
    is_indirect_reference,
    is_prefixed_with_dollar_sign,
    is_sequential_string,
    is_templated_secret,
)
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
from detect_secrets.plugins.keyword import (
    DENYLIST,
    QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
    REGEX_BY_FILETYPE,
    KeywordDetector,
)
from detect_secrets.util.filetype import determine_file_type

from swath.linefilter import LineFilters, filters_per_line, union_filter

# Public IPs are not secrets, and redacting them would only blind the model.
_SKIP_PLUGINS = {"IPPublicDetector"}

# Patterns detect-secrets 1.5 does not cover. Ordered: most specific first.
EXTRA_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Anthropic API Key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{16,}")),
    (
        "API Key",
        re.compile(r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-|live-|test-)?[A-Za-z0-9_\-]{20,}"),
    ),
    ("Google API Key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("GitHub Token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}")),
    ("GitHub Token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}")),
    ("Slack Token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Stripe Key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}")),
)

# `NAME = value` where NAME smells of a secret and the value looks like a credential, not code.
_ASSIGNMENT = re.compile(
    r"(?i)\b[A-Za-z0-9_.\-]*(?:secret|token|passwd|password|pwd|api[_\-]?key|apikey|access[_\-]?key|"
    r"private[_\-]?key|client[_\-]?secret|credential|auth)[A-Za-z0-9_.\-]*[\"']?\s*[:=]\s*[\"']?"
    r"(?P<value>[A-Za-z0-9_\-+/=.~@$!%*#^&]{8,})(?![\w(])"
)
_ASSIGNMENT_HINT = re.compile(
    r"(?i)secret|token|passw|pwd|api.?key|access.?key|private.?key|credential|auth"
)
# netrc (`machine HOST login USER password SECRET`, one line or several): the secret follows
# a bare keyword, with no `=` or `:` for the keyword detectors to see. An entry starts at
# `machine`/`default` and goes on over the lines that continue it.
_NETRC_START = re.compile(r"(?i)(?:(?:^|[\s\"'>+\-])machine\s+\S+|^[+\- ]?\s*default(?=\s|$))")
_NETRC_GOES_ON = re.compile(
    r"(?i)^[+\- ]?\s*(?:login|password|passwd|account|macdef|machine|default)\b"
)
_NETRC_SECRET = re.compile(r"(?i)(?:^|\s)(?:password|passwd|account)\s+(?P<value>[^\s\"']+)")
_NETRC_HINT = re.compile(r"(?i)(?:(?:^|\s)machine\s+\S+|^[+\- ]?\s*default(?=\s|$))", re.MULTILINE)
_NETRC_FILES = (".netrc", "_netrc", "netrc")
_PEM_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_PEM_END = re.compile(r"-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_PEM_HINT = re.compile(r"-----BEGIN")
_MEMO_MAX_CHARS = 32_768  # texts up to this size are memoised (system prompts repeat per agent)
_MEMO_ENTRIES = 2048
_MEMO_LINE_CHARS = 2000
_MEMO_LINES = 100_000
# The keyword detector tries a dozen heavy regexes per line; none can match unless one of its
# keywords is there, so look for those first (it is most of the cost otherwise).
_KEYWORD_HINT = re.compile("|".join(DENYLIST), re.IGNORECASE)
_MIN_LINE = 8  # nothing shorter can hold a secret any detector would flag
# Generic detectors lose to specific ones when both flag the same value, so the marker
# says "AWS Access Key" rather than "Secret Keyword".
_GENERIC_KINDS = {
    "Secret Keyword": 1,
    "Base64 High Entropy String": 2,
    "Hex High Entropy String": 2,
}


def _entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _looks_like_credential(value: str) -> bool:
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return (has_digit and has_alpha) or (len(value) >= 16 and _entropy(value) >= 4.0)


def _templated(value: str) -> bool:
    return (
        is_templated_secret(value)
        or is_prefixed_with_dollar_sign(value)
        or is_sequential_string(value)
    )


def marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


@dataclass(frozen=True)
class Hit:
    line: int  # zero-based
    kind: str


def _load_plugins() -> list[BasePlugin]:
    plugins: list[BasePlugin] = []
    for info in pkgutil.iter_modules(_plugins_pkg.__path__):
        module = importlib.import_module(f"{_plugins_pkg.__name__}.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BasePlugin)
                and cls.__module__ == module.__name__
                and not inspect.isabstract(cls)
                and name not in _SKIP_PLUGINS
            ):
                plugins.append(cls())
    return plugins


class Redactor:
    """Line-preserving secret redaction. Thread-safe; build one and share it."""

    def __init__(self, extra_patterns: Iterable[tuple[str, str]] = ()) -> None:
        plugins = _load_plugins()
        self._keyword: list[KeywordDetector] = [
            p for p in plugins if isinstance(p, KeywordDetector)
        ]
        self._entropy: list[HighEntropyStringsPlugin] = [
            p for p in plugins if isinstance(p, HighEntropyStringsPlugin)
        ]
        self._regex: list[BasePlugin] = [
            p for p in plugins if not isinstance(p, (KeywordDetector, HighEntropyStringsPlugin))
        ]
        self._extra = EXTRA_PATTERNS + tuple((kind, re.compile(rx)) for kind, rx in extra_patterns)
        # Which lines any detector of a family could match, for all families in one linear
        # pass (swath.linefilter): most source lines match none, and running 24 detectors on
        # each is the bulk of the cost otherwise.
        families: list[tuple[str, list[re.Pattern[str]]]] = [
            ("extra", [rx for _, rx in self._extra]),
            ("keyword", [_KEYWORD_HINT]),
            ("assignment", [_ASSIGNMENT_HINT]),
            ("regex", [rx for p in self._regex for rx in getattr(p, "denylist", ())]),
            ("pem", [_PEM_HINT]),
        ]
        self._filters = LineFilters(
            [name for name, _ in families], [union_filter(rxs) for _, rxs in families]
        )
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self._memo: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._line_memo: dict[tuple[int, str], str] = {}

    # -- detection -----------------------------------------------------------------
    def _secrets_in_line(  # noqa: C901 - one branch per detector family, cheapest first, on a hot path
        self, line: str, hints: frozenset[str], keyword_regexes: dict[re.Pattern[str], int]
    ) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if "extra" in hints:
            for kind, rx in self._extra:
                found += [(m.group(0), kind) for m in rx.finditer(line)]
        # detect-secrets' own false-positive heuristics for the generic detectors:
        # `${VAR}` templates, `password = get_password()` indirections, "0123456789abcdef".
        keywordish = "keyword" in hints or "assignment" in hints
        if keywordish and not is_indirect_reference(line):
            for m in _ASSIGNMENT.finditer(line):
                value = m.group("value")
                if _looks_like_credential(value) and not _templated(value):
                    found.append((value, "Secret Keyword"))
            if "keyword" in hints:
                for keyword in self._keyword:
                    values = keyword.analyze_string(line, denylist_regex_to_group=keyword_regexes)
                    found += [(v, keyword.secret_type) for v in values if v and not _templated(v)]
        if "'" in line or '"' in line:  # the entropy detectors only look at quoted strings
            for entropy in self._entropy:
                for v in entropy.analyze_string(line):
                    if (
                        v
                        and not is_sequential_string(v)
                        and entropy.calculate_shannon_entropy(v) > entropy.entropy_limit
                    ):
                        found.append((v, entropy.secret_type))
        if "regex" in hints:
            for detector in self._regex:
                for match in detector.analyze_string(line):
                    value = (
                        max(match, key=len) if isinstance(match, tuple) else match
                    )  # grouped regexes yield tuples
                    if value:
                        found.append((value, detector.secret_type))
        return found

    def _redact_line(
        self,
        line: str,
        hints: frozenset[str],
        keyword_regexes: dict[re.Pattern[str], int],
        hits: list[str],
    ) -> str:
        if len(line) < _MIN_LINE or (not hints and "'" not in line and '"' not in line):
            return line
        secrets = self._secrets_in_line(line, hints, keyword_regexes)
        if not secrets:
            return line
        # Longest first, so a key is not half-replaced by a match on its own prefix.
        for value, kind in sorted(
            set(secrets), key=lambda s: (-len(s[0]), _GENERIC_KINDS.get(s[1], 0), s[1])
        ):
            if len(value) < 4 or value not in line:
                continue
            line = line.replace(value, marker(kind))
            hits.append(kind)
        return line

    def _hints(self, text: str) -> dict[int, frozenset[str]]:
        """Which detector families could match on which line: far cheaper than trying every
        detector on every line."""
        names = self._filters.names
        return {
            i: frozenset(names[k] for k in found)
            for i, found in enumerate(filters_per_line(self._filters, text.split("\n")))
            if found
        }

    # -- public ----------------------------------------------------------------------
    def redact(self, text: str, filename: str = "") -> str:
        """`text` with every detected secret replaced by `[REDACTED:<type>]`; same line count."""
        if not text:
            return text
        if len(text) > _MEMO_MAX_CHARS:
            return self._redact(text, filename)
        key = (filename, text)
        with self._lock:
            hit = self._memo.get(key)
            if hit is not None:
                self._memo.move_to_end(key)
                return hit
        out = self._redact(text, filename)
        with self._lock:
            self._memo[key] = out
            if len(self._memo) > _MEMO_ENTRIES:
                self._memo.popitem(last=False)
        return out

    def _redact(self, text: str, filename: str) -> str:
        # The keyword detector knows assignment syntaxes per file type (quotes optional in Python).
        keyword_regexes = REGEX_BY_FILETYPE.get(
            determine_file_type(filename or "x.txt"), QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP
        )
        netrc = filename.rsplit("/", 1)[-1] in _NETRC_FILES
        # A PEM block or a netrc entry spans lines: no line can be judged alone.
        if "-----BEGIN" in text or netrc or _NETRC_HINT.search(text):
            return self._redact_block(text, keyword_regexes, netrc=netrc)
        # Prompts of a step differ in a line or two (the item's path, its facts); the rest
        # repeats for every agent. Judge each distinct line once.
        lines = text.split("\n")
        out = list(lines)
        todo: list[int] = []
        kind = id(keyword_regexes)
        with self._lock:
            for i, line in enumerate(lines):
                if len(line) < _MIN_LINE:
                    continue
                hit = self._line_memo.get((kind, line)) if len(line) <= _MEMO_LINE_CHARS else None
                if hit is None:
                    todo.append(i)
                else:
                    out[i] = hit
        if todo:
            redacted = self._redact_block("\n".join(lines[i] for i in todo), keyword_regexes).split(
                "\n"
            )
            with self._lock:
                if len(self._line_memo) > _MEMO_LINES:
                    self._line_memo.clear()
                for i, new in zip(todo, redacted, strict=True):
                    out[i] = new
                    if len(lines[i]) <= _MEMO_LINE_CHARS:
                        self._line_memo[(kind, lines[i])] = new
        return "\n".join(out)

    def _redact_block(
        self, text: str, keyword_regexes: dict[re.Pattern[str], int], *, netrc: bool = False
    ) -> str:
        hits: list[str] = []
        out: list[str] = []
        in_pem = False
        in_netrc = netrc
        hints = self._hints(text)
        none: frozenset[str] = frozenset()
        for i, line in enumerate(text.split("\n")):
            line_hints = hints.get(i, none)
            in_netrc = (
                netrc
                or bool(_NETRC_START.search(line))
                or (in_netrc and bool(_NETRC_GOES_ON.match(line)))
            )
            if in_netrc:
                line = _redact_netrc(line, hits)
            if in_pem:
                end = _PEM_END.search(line)
                if end is None:
                    out.append(_keep_diff_prefix(line) + marker("Private Key"))
                    continue
                in_pem = False
                line = _keep_diff_prefix(line) + marker("Private Key") + line[end.end() :]
                hits.append("Private Key")
            begin = _PEM_BEGIN.search(line) if "pem" in line_hints else None
            if begin is not None:
                end = _PEM_END.search(line, begin.end())
                if end is None:
                    in_pem = True
                    out.append(line[: begin.start()] + marker("Private Key"))
                    hits.append("Private Key")
                    continue
                line = line[: begin.start()] + marker("Private Key") + line[end.end() :]
                hits.append("Private Key")
            out.append(self._redact_line(line, line_hints, keyword_regexes, hits))
        if hits:
            with self._lock:
                self.counts.update(hits)
        return "\n".join(out)

    def scan(self, text: str, filename: str = "") -> list[Hit]:
        """Where secrets are (for tests and diagnostics); does not change `text`."""
        hits: list[Hit] = []
        for i, (before, after) in enumerate(
            zip(text.split("\n"), self.redact(text, filename).split("\n"), strict=False)
        ):
            if before != after:
                hits.extend(Hit(i, kind) for kind in re.findall(r"\[REDACTED:([^\]]+)\]", after))
        return hits


def _redact_netrc(line: str, hits: list[str]) -> str:
    def hide(m: re.Match[str]) -> str:
        value = m.group("value")
        if value.startswith("[REDACTED:") or _templated(value):
            return m.group(0)
        hits.append("Netrc Password")
        start, end = m.span("value")
        whole = m.group(0)
        return whole[: start - m.start()] + marker("Netrc Password") + whole[end - m.start() :]

    return _NETRC_SECRET.sub(hide, line)


def _keep_diff_prefix(line: str) -> str:
    """Keep a unified-diff marker so a redacted key inside a diff still reads as a diff."""
    return line[0] if line[:1] in ("+", "-", " ") and not line.startswith("-----") else ""


_default: Redactor | None = None
_default_lock = threading.Lock()


def default_redactor() -> Redactor:
    """A shared instance: loading the plugins costs a few milliseconds."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Redactor()
        return _default
