"""Sources by name: built-ins plus third parties' through the entry-point group `swath.sources`."""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from importlib.metadata import entry_points

from swath.sources.base import Source

ENTRY_POINT_GROUP = "swath.sources"

BUILTIN: dict[str, str] = {
    "files": "swath.sources.files:FilesSource",
    "grep": "swath.sources.grep:GrepSource",
    "flags": "swath.sources.flags:FlagsSource",
    "diff": "swath.sources.diff:DiffSource",
}


@lru_cache(maxsize=1)
def available() -> dict[str, str]:
    names = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        names.setdefault(ep.name, ep.value)
    return names


def names() -> set[str]:
    return set(available())


def get(name: str) -> Source:
    target = available().get(name)
    if target is None:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(sorted(available()))}")
    module, _, attr = target.partition(":")
    obj = getattr(import_module(module), attr)
    return obj() if isinstance(obj, type) else obj
