"""Sources by name: built-ins plus third parties' through the entry-point group `swath.sources`."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from swath.plugins import EntryPointRegistry
from swath.sources.base import Source

ENTRY_POINT_GROUP = "swath.sources"

BUILTIN: dict[str, str] = {
    "files": "swath.sources.files:FilesSource",
    "grep": "swath.sources.grep:GrepSource",
    "flags": "swath.sources.flags:FlagsSource",
    "diff": "swath.sources.diff:DiffSource",
}


_registry = EntryPointRegistry(ENTRY_POINT_GROUP, BUILTIN, "source")


def available() -> dict[str, str]:
    return _registry.available()


def names() -> set[str]:
    return _registry.names()


def option_models() -> Mapping[str, type[BaseModel]]:
    """Each source's declared `with:` options (`options_model`), by source name."""
    return _registry.declared_lazily("options_model")


def get(name: str) -> Source:
    return _registry.get(name)  # type: ignore[no-any-return]
