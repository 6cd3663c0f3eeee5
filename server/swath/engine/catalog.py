"""What names a workflow file may use: analyzers, sources, tools, schemas."""

from __future__ import annotations

from swath.analyzers import registry as analyzers
from swath.sources import registry as sources
from swath.spec.loader import KnownNames, schema_names


def tool_names() -> set[str]:
    from swath.agents.tools import TOOL_NAMES

    return set(TOOL_NAMES)


def known_names() -> KnownNames:
    return KnownNames(
        analyzers=analyzers.names(),
        tools=tool_names(),
        schemas=schema_names(),
        sources=sources.names(),
    )
