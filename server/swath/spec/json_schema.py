"""The JSON Schema of workflow files, published as `docs/workflow.schema.json`.

Editors use it to validate `.swath/workflows/*.yaml` as you type and to show the field
descriptions on hover, so every property carries a description.

    python -m swath.engine.catalog [OUT]     # default: docs/workflow.schema.json

The published file includes the declared options of the registered sources and
analyzers, which only the engine layer knows; this module builds the schema from them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from swath.spec.models import Workflow, WorkflowExtension

SCHEMA_ID = "https://swath.dev/schemas/workflow.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_OUT = Path("docs") / "workflow.schema.json"


def workflow_json_schema(
    source_options: Mapping[str, type[BaseModel]] | None = None,
    analyzer_params: Mapping[str, type[BaseModel]] | None = None,
) -> dict[str, Any]:
    """The schema of a workflow file as written in YAML (aliases such as `from`, `with`).

    With the declared options of sources and analyzers (the spec layer does not know the
    registries; `swath.engine.catalog` passes them), a discover step's `with:` and an
    agent's `params:` are checked against the model of the source or analyzer it names.
    """
    source_options = source_options or {}
    analyzer_params = analyzer_params or {}
    models = list(dict.fromkeys([*source_options.values(), *analyzer_params.values()]))
    refs, top = models_json_schema(
        [
            (Workflow, "validation"),
            (WorkflowExtension, "validation"),
            *((m, "validation") for m in models),
        ],
        by_alias=True,
        ref_template="#/$defs/{model}",
    )
    defs: dict[str, Any] = top.get("$defs", {})
    if models:
        ref_of = {m: refs[(m, "validation")]["$ref"] for m in models}
        _declare(defs["DiscoverStep"], "source", "with", source_options, ref_of)
        _declare(defs["AgentSpec"], "analyzer", "params", analyzer_params, ref_of)
    # A file with `extends:` holds only changes to its base (steps without `kind`, no
    # required `steps`); it is checked against that shape, every other file as a workflow.
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "Swath workflow",
        "description": (
            "A Swath workflow: a DAG of typed steps (discover, map, filter, verify, reduce, emit) "
            "that fans a job out to many agents and gathers verified findings; or, with "
            "`extends:`, the changes a workflow makes to another one."
        ),
        "if": {"required": ["extends"]},
        "then": refs[(WorkflowExtension, "validation")],
        "else": refs[(Workflow, "validation")],
        "$defs": defs,
    }


def _declare(
    owner: dict[str, Any],
    name_key: str,
    options_key: str,
    models: Mapping[str, type[BaseModel]],
    ref_of: dict[type[BaseModel], str],
) -> None:
    """`if name_key is X then options_key follows X's model`, once per declared name."""
    owner["allOf"] = [
        {
            "if": {"properties": {name_key: {"const": name}}, "required": [name_key]},
            "then": {"properties": {options_key: {"$ref": ref_of[model]}}},
        }
        for name, model in sorted(models.items())
    ]


def schema_text(
    source_options: Mapping[str, type[BaseModel]] | None = None,
    analyzer_params: Mapping[str, type[BaseModel]] | None = None,
) -> str:
    """The exact text written to the published file (stable, so it can be diffed in CI)."""
    schema = workflow_json_schema(source_options, analyzer_params)
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schema(out: Path, text: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
