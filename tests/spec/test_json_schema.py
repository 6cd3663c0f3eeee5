"""The published JSON Schema of workflow files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from swath.engine.catalog import main, workflow_schema_text
from swath.spec.json_schema import DRAFT, SCHEMA_ID, workflow_json_schema

from .helpers import GOOD

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "docs" / "workflow.schema.json"


def test_committed_schema_is_up_to_date() -> None:
    assert PUBLISHED.read_text(encoding="utf-8") == workflow_schema_text(), (
        "docs/workflow.schema.json is stale; run `python -m swath.engine.catalog`"
    )


def test_schema_header() -> None:
    schema = workflow_json_schema()
    assert schema["$schema"] == DRAFT == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert schema["title"] == "Swath workflow"
    assert schema["description"]


def _properties(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for name, d in schema["$defs"].items():
        found += [(name, k, v) for k, v in d.get("properties", {}).items()]
    return found


def _published() -> dict[str, Any]:
    return json.loads(workflow_schema_text())


def test_every_property_has_a_description_for_hover() -> None:
    missing = [
        f"{owner}.{key}"
        for owner, key, prop in _properties(_published())
        if not prop.get("description")
    ]
    assert missing == []


def test_declared_options_are_in_the_schema() -> None:
    schema = _published()
    defs = schema["$defs"]
    by_source = {
        rule["if"]["properties"]["source"]["const"]: rule["then"]["properties"]["with"]["$ref"]
        for rule in defs["DiscoverStep"]["allOf"]
    }
    assert set(by_source) >= {"files", "grep", "diff", "flags"}
    files = defs[by_source["files"].rsplit("/", 1)[1]]
    assert {"include", "exclude", "max_bytes"} <= set(files["properties"])
    assert files["additionalProperties"] is False
    by_analyzer = {
        rule["if"]["properties"]["analyzer"]["const"]: rule["then"]["properties"]["params"]["$ref"]
        for rule in defs["AgentSpec"]["allOf"]
    }
    top = defs[by_analyzer["module-map"].rsplit("/", 1)[1]]["properties"]["top"]
    assert top["type"] == "integer" and top["default"] == 10


def test_schema_without_registries_has_no_option_rules() -> None:
    assert "allOf" not in workflow_json_schema()["$defs"]["DiscoverStep"]


def test_schema_uses_yaml_spelling_and_discriminates_steps() -> None:
    schema = workflow_json_schema()
    assert "from" in schema["$defs"]["MapStep"]["properties"]
    assert "with" in schema["$defs"]["DiscoverStep"]["properties"]
    items = schema["$defs"]["Workflow"]["properties"]["steps"]["items"]
    assert items["discriminator"]["propertyName"] == "kind"
    assert set(items["discriminator"]["mapping"]) == {
        "discover",
        "map",
        "filter",
        "verify",
        "reduce",
        "emit",
    }


def test_main_writes_the_file(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "sub" / "schema.json"
    assert main([str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["$id"] == SCHEMA_ID
    assert "wrote" in capsys.readouterr().out


def test_good_example_is_valid_against_the_schema_shape() -> None:
    # No JSON Schema validator is a dependency; check the example's keys are all declared.
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(GOOD)
    schema = workflow_json_schema()
    top = schema["$defs"]["Workflow"]["properties"]
    assert set(data) <= set(top)
    for step in data["steps"]:
        ref = top["steps"]["items"]["discriminator"]["mapping"][step["kind"]]
        props = schema["$defs"][ref.rsplit("/", 1)[1]]["properties"]
        assert set(step) <= set(props)


def _schema_errors(data: Any) -> list[str]:
    import jsonschema

    schema = _published()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    return sorted(e.message for e in validator.iter_errors(data))


def test_builtin_workflows_and_an_extension_are_valid_and_mistakes_are_not() -> None:
    from ruamel.yaml import YAML

    from swath.spec.discovery import builtin_workflows_dir

    for path in sorted(builtin_workflows_dir().glob("*.yaml")):
        assert _schema_errors(YAML(typ="safe").load(path.read_text(encoding="utf-8"))) == []
    extension = {
        "extends": "review-diff",
        "name": "lean",
        "limits": {"concurrency": 2},
        "steps": [
            {"id": "security", "agent": {"params": {"ruff": "off"}}},
            {"id": "tests", "remove": True},
            {"id": "late", "kind": "filter", "from": "merged", "where": "true", "after": "merged"},
        ],
    }
    assert _schema_errors(extension) == []
    # Without `extends:` a step needs its kind; with it, placement keys are typed.
    assert _schema_errors({k: v for k, v in extension.items() if k != "extends"})
    assert _schema_errors(extension | {"steps": [{"id": "tests", "remove": "yes"}]})
    assert _schema_errors(extension | {"extendz": "x"})
