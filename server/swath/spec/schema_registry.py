"""Named output schemas that agent specs refer to by name (`output: findings`).

They are JSON Schema files shipped as package data in `swath/spec/schemas/`, so the
model API's structured output and the editor see the same definition.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from swath.spec.wording import suggestion_text


def schemas_dir() -> Path:
    return Path(str(resources.files("swath.spec") / "schemas"))


def schema_names() -> set[str]:
    """Names of the built-in output schemas (file names without `.json`)."""
    folder = schemas_dir()
    if not folder.is_dir():
        return set()
    return {p.stem for p in folder.glob("*.json")}


@cache
def _load(name: str) -> str:
    return (schemas_dir() / f"{name}.json").read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema registered as `name`; a fresh copy, callers may modify it."""
    names = schema_names()
    if name not in names:
        raise KeyError(f"unknown output schema {name!r}" + suggestion_text(name, names, "schemas"))
    schema: dict[str, Any] = json.loads(_load(name))
    return schema
