"""Named output schemas shipped as package data."""

from __future__ import annotations

import pytest
from swath.spec.loader import load_schema, schema_names


def test_builtin_schema_names() -> None:
    assert {"findings", "report"} <= schema_names()


def test_findings_schema_shape() -> None:
    schema = load_schema("findings")
    assert schema["type"] == "object" and schema["required"] == ["findings"]
    item = schema["properties"]["findings"]["items"]
    assert set(item["required"]) == {"rule", "severity", "path", "line", "quote", "message"}
    assert item["properties"]["line"]["type"] == "integer"
    assert "1-based" in item["properties"]["line"]["description"]
    assert schema["properties"]["summary"]["type"] == "string"
    assert item["additionalProperties"] is False


def test_report_schema_shape() -> None:
    schema = load_schema("report")
    assert schema["properties"]["markdown"]["type"] == "string"
    assert schema["required"] == ["markdown"]


def test_load_schema_returns_a_copy() -> None:
    load_schema("report")["required"].append("x")
    assert load_schema("report")["required"] == ["markdown"]


def test_unknown_schema_suggests() -> None:
    with pytest.raises(KeyError) as info:
        load_schema("finding")
    assert "did you mean `findings`?" in str(info.value)
