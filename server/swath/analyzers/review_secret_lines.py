"""Which detect-secrets plugins could report something on which lines, found in one pass.

detect-secrets runs every plugin's regular expressions on every line, in Python's `re`
(~75 µs a line for the 24 plugins kept): on a 2,000-line diff that was most of the review's
time, for lines that almost never hold a secret. Here each plugin is one filter of
`swath.linefilter` (its expressions widened to one RE2 automaton; why that never hides a
line detect-secrets would report is said there), and a plugin runs on a line only where
its filter matched. The keyword plugin's expressions all need one of its keywords
(`password`, `api_key`, …): that alternation, case-insensitive, is its filter. The filters
of the installed detect-secrets are stored (`DATA`) so a diff with no candidate line
never imports it.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from swath.linefilter import LineFilters, compile_union, union_filter


def _keyword_filter(plugin: Any) -> str | None:
    from detect_secrets.plugins import keyword as keyword_plugin

    if getattr(plugin, "keyword_exclude", None) is not None:
        return None
    tables = [*keyword_plugin.REGEX_BY_FILETYPE.values()]
    tables.append(keyword_plugin.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)
    if not all(keyword_plugin.DENYLIST_REGEX in rx.pattern for t in tables for rx in t):
        return None  # a pattern that does not need a keyword: no filter
    return compile_union(["(?m)(?i)" + "|".join(keyword_plugin.DENYLIST)])


def _plugin_filter(plugin: Any) -> str | None:
    # detect-secrets is imported here, when the filters are made from the plugins, not
    # when they are read from DATA.
    from detect_secrets.plugins import keyword as keyword_plugin
    from detect_secrets.plugins.base import RegexBasedDetector

    if isinstance(plugin, keyword_plugin.KeywordDetector):
        return _keyword_filter(plugin)
    if isinstance(plugin, RegexBasedDetector):
        return union_filter(list(plugin.denylist))
    return None


def line_filters(plugins: Sequence[Any]) -> LineFilters:
    return LineFilters([type(p).__name__ for p in plugins], [_plugin_filter(p) for p in plugins])


# The filters of the plugins Swath keeps, as this module makes them from the installed
# detect-secrets (`python -m swath.analyzers.review_secrets` writes the file): with
# them, a diff where no line could hold a secret never imports detect-secrets (and the
# requests, urllib3 and ssl it imports), a tenth of a one-shot run's start-up.
DATA = Path(__file__).with_name("review_secret_filters.json")


VERSION_LINE = re.compile(r"""^VERSION\s*=\s*['"]([^'"]+)['"]""", re.MULTILINE)


def _installed_version() -> str | None:
    """detect-secrets' version, from its `__version__.py` when it has one: read without
    importing the package (its `__init__` imports the scanner) and without the package
    metadata's email parser (~10 ms of a one-shot run)."""
    spec = importlib.util.find_spec("detect_secrets")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        try:
            m = VERSION_LINE.search(Path(folder, "__version__.py").read_text(encoding="utf-8"))
        except OSError:
            continue
        if m:
            return m.group(1)
    try:
        return metadata.version("detect-secrets")
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def _stored() -> list[dict[str, Any]] | None:
    """The plugins' entries written for the installed detect-secrets, or None (another
    version, or no file)."""
    try:
        data = json.loads(DATA.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("detect_secrets") != _installed_version():
        return None
    plugins: list[dict[str, Any]] = data["plugins"]
    return plugins


def stored_filters() -> LineFilters | None:
    """The filters written for the installed detect-secrets, or None (another version, or
    no file): then they are made from the plugins themselves."""
    plugins = _stored()
    if plugins is None:
        return None
    return LineFilters([p["name"] for p in plugins], [p["filter"] for p in plugins])


def stored_modules() -> list[str] | None:
    """The module of each stored filter's plugin (with `stored_filters`' names: where to
    import only the plugins a diff's lines call for), or None where not written."""
    plugins = _stored()
    if plugins is None or not all(isinstance(p.get("module"), str) for p in plugins):
        return None
    return [p["module"] for p in plugins]


def filters_data(filters: LineFilters, modules: Sequence[str]) -> str:
    plugins = [
        {"name": n, "module": m, "filter": p}
        for n, m, p in zip(filters.names, modules, filters.patterns, strict=True)
    ]
    return json.dumps({"detect_secrets": _installed_version(), "plugins": plugins}, indent=1) + "\n"
