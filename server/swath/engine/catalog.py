"""What a workflow file may use: analyzers, sources, tools, schemas, and their options.

python -m swath.engine.catalog [OUT]     # writes docs/workflow.schema.json
"""

from __future__ import annotations

import sys
from pathlib import Path

from swath.analyzers import registry as analyzers
from swath.sources import registry as sources
from swath.spec.json_schema import DEFAULT_OUT, schema_text, write_schema
from swath.spec.loader import KnownNames, schema_names


def tool_names() -> set[str]:
    from swath.agents.tool_names import TOOL_NAMES

    return set(TOOL_NAMES)


def known_names() -> KnownNames:
    return KnownNames(
        analyzers=analyzers.names(),
        tools=tool_names(),
        schemas=schema_names(),
        sources=sources.names(),
        source_options=sources.option_models(),
        analyzer_params=analyzers.param_models(),
    )


def workflow_schema_text() -> str:
    """The published JSON Schema, with every registered source's and analyzer's options."""
    return schema_text(sources.option_models(), analyzers.param_models())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    write_schema(Path(args[0]) if args else DEFAULT_OUT, workflow_schema_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
