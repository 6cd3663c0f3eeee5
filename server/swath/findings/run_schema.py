"""The JSON Schema of the run document (`swath run --format json`, `swath show --format json`),
published as `docs/run.schema.json`.

    python -m swath.findings.run_schema [OUT]     # default: docs/run.schema.json

It is built from the pydantic models the document is dumped from, so it cannot drift
from the code; a test validates real output against the published file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from swath.findings.render_json import SCHEMA_VERSION
from swath.findings.report import RunReport

SCHEMA_ID = "https://swath.dev/schemas/run.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_OUT = Path("docs") / "run.schema.json"
# RunReport fields the document leaves out (see RunReport.contract_json).
NOT_IN_DOCUMENT = ("rules", "workspace")


def run_json_schema() -> dict[str, Any]:
    body = RunReport.model_json_schema(mode="serialization", ref_template="#/$defs/{model}")
    props: dict[str, Any] = body["properties"]
    for key in NOT_IN_DOCUMENT:
        props.pop(key, None)
    props["schema_version"] = {
        "const": SCHEMA_VERSION,
        "description": "The version of this document's shape; a breaking change raises it.",
    }
    props["fix_preview"] = {
        "type": "string",
        "description": "With --fix-preview: the edits the findings carry, as a unified diff.",
    }
    body["required"] = sorted(
        {*body.get("required", []), "agents", "usage", "findings", "outputs", "schema_version"}
    )
    defs = body.pop("$defs", {})
    defs.pop("RuleInfo", None)  # only `rules` used it
    body.pop("title", None)
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "Swath run",
        **body,
        "description": "One run of a Swath workflow: status, agent counts, usage, findings, outputs.",
        "$defs": defs,
    }


def run_schema_text() -> str:
    return json.dumps(run_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT
    out.write_text(run_schema_text(), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
