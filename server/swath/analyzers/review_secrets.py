"""Credentials on added lines, found by detect-secrets' plugins and its false-positive filters.

The provider plugins (AWS, GitHub, Slack, Stripe, private keys, …) and the keyword plugin
(`password = "…"`) run; the entropy plugins and the IP-address plugin are left out: in
code they mostly find hashes, ids and test vectors. A value that reads as a placeholder
(`changeme`, `<token>`, an ENV_NAME, the `pass` of `http://user:pass@host`) is not reported.

Tests and examples are full of made-up credentials (`https://foo:bar@example.com`,
`password="Circle Of Life"`): in a test file, a documentation file, a comment line or a
Python triple-quoted string (a docstring's example), a keyword or URL credential is
reported only when it looks real (long, mixed character classes, see `looks_real_secret`). A provider's token (AWS, GitHub,
Stripe, …) is reported wherever it stands: its format says it was issued, not made up.

A secret is never repeated in a finding: the message names its kind and length, and the
evidence quotes the line up to four characters into the value (a verbatim substring, so
the verify step still checks it). Whether the value is already in git history is said
as it is: an uncommitted secret can still be kept out of it.
"""

from __future__ import annotations

import atexit
import importlib
import re
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from swath.analyzers.review_rules import Hit, rule
from swath.analyzers.review_secret_lines import (
    DATA,
    filters_data,
    line_filters,
    stored_filters,
    stored_modules,
)
from swath.analyzers.review_text import looks_placeholder, looks_real_secret, triple_quoted_lines
from swath.findings.model import Severity
from swath.linefilter import LineFilters, filters_per_line
from swath.workspace.roles import Role

HARDCODED_SECRET = rule(
    "security",
    "hardcoded-secret",
    Severity.error,
    "A credential on an added line (detect-secrets' provider and keyword plugins).",
)
LEFT_OUT = {"Base64 High Entropy String", "Hex High Entropy String", "Public IP (ipv4)"}
KEYWORD = "Secret Keyword"
BASIC_AUTH = "Basic Auth Credentials"
_lock = threading.Lock()  # detect-secrets keeps its settings in a process-wide singleton
_settings = ExitStack()
atexit.register(_settings.close)  # detect-secrets' settings generator, closed before shutdown


class _OnDemand(types.ModuleType):
    """A stand-in for a module detect-secrets imports but the review never uses: any name
    asked of it imports the real module then and gives the real name; `placeholders` are
    names it may ask for at import time (annotations) without needing the real module."""

    def __init__(self, name: str, placeholders: dict[str, Any]) -> None:
        super().__init__(name)
        self.__dict__.update(placeholders)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attr)


class _Response:
    """Where detect-secrets annotates `-> requests.Response` (functions the review never calls)."""


# detect-secrets imports requests (with urllib3, charset detection, idna: ~100 ms) to verify a
# secret online, and multiprocessing to scan files in parallel: the review does neither.
# Its modules import them at the top and name them in annotations and `except` clauses.
_NOT_NEEDED = {"requests": {"Response": _Response}, "multiprocessing": {}}


@contextmanager
def _stand_ins() -> Iterator[None]:
    """While detect-secrets is imported, its unused imports are stand-ins (unless already
    imported); afterwards `import requests` anywhere gets the real module again."""
    placed = {}
    for name, placeholders in _NOT_NEEDED.items():
        if name not in sys.modules:
            placed[name] = sys.modules[name] = _OnDemand(name, placeholders)
    try:
        yield
    finally:
        for name, stand_in in placed.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


@lru_cache(maxsize=1)
def _plugins() -> list[Any]:
    # Imported on the first line that may hold a secret (see review_secret_lines.DATA).
    with _stand_ins():
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.settings import default_settings

        _settings.enter_context(default_settings())
        # Typed loosely: detect-secrets types its plugin classes as abstract. Its plugin
        # modules are imported here (they import requests too).
        classes: dict[str, Any] = dict(get_mapping_from_secret_type_to_class())
        # What the scan imports on its first line, under the stand-ins as well.
        from detect_secrets.core.scan import _is_filtered_out  # noqa: F401
        from detect_secrets.util.code_snippet import get_code_snippet  # noqa: F401
    return [cls() for kind, cls in classes.items() if kind not in LEFT_OUT]


class _OnDemandPlugins:
    """The plugins of the stored filters (`review_secret_lines.stored_modules`), the i-th
    imported and made when a line first calls for it: a diff whose lines only the keyword
    plugin could match never imports the other 23 (~10 ms of a one-shot run). The same
    plugins, in the same order, as `_plugins()` makes (the stored filters are written from
    it, for the installed detect-secrets). Used under `_lock`."""

    def __init__(self, modules: list[str], names: list[str]) -> None:
        self._modules, self._names = modules, names
        self._made: dict[int, Any] = {}
        with _stand_ins():
            from detect_secrets.settings import transient_settings

            # As `_plugins()` has it, without the mapping that imports every plugin.
            _settings.enter_context(
                transient_settings({"plugins_used": [{"name": n} for n in names]})
            )
            from detect_secrets.core.scan import _is_filtered_out  # noqa: F401
            from detect_secrets.util.code_snippet import get_code_snippet  # noqa: F401

    def __getitem__(self, i: int) -> Any:
        plugin = self._made.get(i)
        if plugin is None:
            with _stand_ins():
                cls = getattr(importlib.import_module(self._modules[i]), self._names[i])
            plugin = self._made[i] = cls()
        return plugin


@lru_cache(maxsize=1)
def _on_demand() -> _OnDemandPlugins | None:
    modules = stored_modules()
    stored = stored_filters()
    if modules is None or stored is None:
        return None
    return _OnDemandPlugins(modules, stored.names)


@lru_cache(maxsize=1)
def _filters() -> LineFilters:
    return stored_filters() or line_filters(_plugins())


def prepare() -> None:
    """Make the line filters and every plugin now, as the first lines that call for them
    would (functions of the installed detect-secrets only): a warm CLI process does this
    once before it forks its runs (swath.cli.warm)."""
    filters = _filters()
    plugins = _on_demand()
    if plugins is not None:
        with _lock:
            for i in range(len(filters.names)):
                plugins[i]


def _checked_filters(plugins: list[Any]) -> LineFilters | None:
    """None when the filters are for these plugins (in this order); else theirs."""
    if _filters().names == [type(p).__name__ for p in plugins]:
        return None
    return line_filters(plugins)


def _masked_quote(line: str, value_start: int) -> str:
    return line[: value_start + 4].strip()


DOC_EXTENSIONS = (".md", ".markdown", ".rst", ".txt", ".adoc")
# Comment and example lines: `# password = …`, `// token: …`, ` * key …`, `>>> connect(…)`,
# and pydantic's `#> {"password": …}` output lines.
EXAMPLE_LINE = re.compile(r"\s*(?:#|//|/\*|\*|>>>|\.\.\.\s)")


class _Context:
    """Whether a line is where examples live (a test, documentation, a comment or a Python
    string block), worked out once per file and only when a secret needs it."""

    def __init__(self, path: str, lines: list[str], role: Role) -> None:
        self.lines = lines
        self.everywhere = role == "test" or path.lower().endswith(DOC_EXTENSIONS)
        self.python = path.endswith((".py", ".pyi"))
        self._strings: set[int] | None = None

    def example(self, n: int) -> bool:
        if self.everywhere or EXAMPLE_LINE.match(self.lines[n]):
            return True
        if not self.python:
            return False
        if self._strings is None:
            self._strings = triple_quoted_lines(self.lines)
        return n in self._strings


def _made_up(kind: str, value: str, example: bool) -> bool:
    """A keyword or URL credential that is a placeholder, or where examples live (tests,
    docs, comments, docstrings) not a real-looking one."""
    if kind not in (KEYWORD, BASIC_AUTH):
        return False
    if kind == BASIC_AUTH:
        value = unquote(value)  # `p%40ss` is `p@ss` to whoever reads the URL
    if looks_placeholder(value) or (kind == KEYWORD and len(value) < 8):
        return True
    return example and not looks_real_secret(value)


def secret_hits(
    path: str,
    lines: list[str],
    added: set[int],
    committed: bool | None,
    role: Role = "source",
    prefilter: bool = True,
) -> list[Hit]:
    """Secrets on the added lines. `committed`: True / False when known whether the lines are
    in a commit already, None when it depends on the line (the caller words it).
    `prefilter`: only the plugins `review_secret_lines` says could match run on a line
    (off: every plugin on every line, as detect-secrets does; the tests compare the two)."""
    hits: list[Hit] = []
    where = _Context(path, lines, role)
    # Minified or data lines (over 4,000 characters) give noise only.
    numbers = [n for n in sorted(added) if n < len(lines) and len(lines[n]) <= 4000]
    with _lock:
        if prefilter:
            per_line = filters_per_line(_filters(), [lines[n] for n in numbers])
            if not any(per_line):
                return []  # no line any plugin could match: detect-secrets not even imported
            plugins: Any = _on_demand()
            if plugins is None:  # no stored modules: every plugin, and filters made for them
                plugins = _plugins()
                other = _checked_filters(plugins)
                if other is not None:  # stored filters of other plugins: made from these
                    per_line = filters_per_line(other, [lines[n] for n in numbers])
        else:
            plugins = _plugins()
            per_line = [tuple(range(len(plugins)))] * len(numbers)
        from detect_secrets.core.scan import _is_filtered_out
        from detect_secrets.util.code_snippet import get_code_snippet

        for n, which in zip(numbers, per_line, strict=True):
            if not which:
                continue
            line = lines[n]
            context = get_code_snippet(lines=lines, line_number=n + 1)
            for plugin in (plugins[i] for i in which):
                for secret in (
                    plugin.analyze_line(
                        filename=path, line=line, line_number=n + 1, context=context
                    )
                    or ()
                ):
                    value = secret.secret_value or ""
                    if not value or _is_filtered_out(
                        required_filter_parameters=["secret"],
                        filename=path,
                        secret=value,
                        plugin=plugin,
                        line=line,
                    ):
                        continue
                    if secret.type in (KEYWORD, BASIC_AUTH) and _made_up(
                        secret.type, value, where.example(n)
                    ):
                        continue
                    start = line.find(value)
                    if start < 0:
                        continue
                    hits.append(_hit(n, line, start, start + len(value), secret.type, committed))
    return _one_per_line(hits)


def _one_per_line(hits: list[Hit]) -> list[Hit]:
    """A provider's own plugin is more precise than the keyword one on the same line."""
    best: dict[int, Hit] = {}
    for h in hits:
        old = best.get(h.line)
        if old is None or (old.data["kind"] == KEYWORD and h.data["kind"] != KEYWORD):
            best[h.line] = h
    return sorted(best.values(), key=lambda h: h.line)


def _hit(n: int, line: str, start: int, end: int, kind: str, committed: bool | None) -> Hit:
    what = "secret" if kind == KEYWORD else kind
    if committed:
        advice = "it is in a commit already: rotate it, removing the line is not enough."
    elif committed is False:
        advice = "it is not committed yet: keep it out of the repository (environment or a secret store)."
    else:
        advice = (
            "move it to the environment or a secret store (and rotate it if it was ever pushed)."
        )
    severity = Severity.warning if kind == KEYWORD else Severity.error
    return Hit(
        rule=HARDCODED_SECRET.id,
        line=n,
        start=start,
        end=end,
        message=f"Hard-coded {what} ({end - start} characters): {advice}",
        severity=severity,
        quote=_masked_quote(line, start),
        data={"kind": what},
    )


def write_filters() -> int:
    """Store the line filters of the installed detect-secrets' plugins (review_secret_lines.DATA)."""
    plugins = _plugins()
    modules = [type(p).__module__ for p in plugins]
    DATA.write_text(filters_data(line_filters(plugins), modules), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(write_filters())
