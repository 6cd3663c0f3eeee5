"""The JSON Schema of workflow files, published as `docs/workflow.schema.json`.

Editors use it to validate `.swath/workflows/*.yaml` as you type and to show the field
descriptions on hover, so every property carries a description.

    python -m swath.spec.json_schema [OUT]     # default: docs/workflow.schema.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from swath.spec.models import Workflow

SCHEMA_ID = "https://swath.dev/schemas/workflow.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_OUT = Path("docs") / "workflow.schema.json"


def workflow_json_schema() -> dict[str, Any]:
    """The schema of a workflow file as written in YAML (aliases such as `from`, `with`)."""
    body = Workflow.model_json_schema(by_alias=True, mode="validation")
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "Swath workflow",
        "description": (
            "A Swath workflow: a DAG of typed steps (discover, map, filter, verify, reduce, emit) "
            "that fans a job out to many agents and gathers verified findings."
        ),
    }
    schema.update({k: v for k, v in body.items() if k not in ("title", "description")})
    return schema


def schema_text() -> str:
    """The exact text written to the published file (stable, so it can be diffed in CI)."""
    return json.dumps(workflow_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
