"""Output schemas: resolving a step's `output`, validating replies, and turning the
findings a model reports into `Finding` objects.

A named schema comes from the spec package (`swath.spec.loader.load_schema`), else from
the JSON files shipped in `swath/spec/schemas/`, else from the few built in here. An
inline mapping is a JSON Schema. Replies are validated with `jsonschema` against the
schema as written; the API gets the SDK's `transform_schema` version of it (the subset
strict tools and structured outputs accept, other constraints moved into descriptions).
"""

from __future__ import annotations

import copy
import json
import logging
import posixpath
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
from anthropic import transform_schema
from jsonschema.exceptions import best_match


from swath.findings.model import Evidence, Finding, FindingData, Range, Severity
from swath.workspace import PathRefused, Workspace

log = logging.getLogger(__name__)

# What a model reports per finding. Lines are 1-based as people (and models) count them;
# `Evidence.line` is zero-based, and the engine re-verifies every quote anyway.
FINDING_ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "description": "Workspace-relative path of the file."},
        "line": {
            "type": "integer",
            "minimum": 1,
            "description": "1-based line the quote stands on.",
        },
        "quote": {
            "type": "string",
            "description": "The cited line, verbatim, without the line-number prefix.",
        },
        "rule": {"type": "string", "description": "Rule id, e.g. security/sql-injection."},
        "severity": {"type": "string", "enum": ["error", "warning", "information", "hint"]},
        "message": {
            "type": "string",
            "description": "What is wrong and why, in one or two sentences.",
        },
    },
    "required": ["path", "line", "quote", "rule", "severity", "message"],
}

BUILTIN_SCHEMAS: dict[str, dict[str, Any]] = {
    "findings": {
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "findings": {"type": "array", "items": FINDING_ITEM_SCHEMA},
        },
        "required": ["findings"],
    },
    "summary": {
        "type": "object",
        "properties": {"summary": {"type": "string"}},
        "required": ["summary"],
    },
}

SEVERITY_ALIASES = {
    "critical": Severity.error,
    "high": Severity.error,
    "error": Severity.error,
    "medium": Severity.warning,
    "warn": Severity.warning,
    "warning": Severity.warning,
    "low": Severity.information,
    "info": Severity.information,
    "information": Severity.information,
    "note": Severity.hint,
    "hint": Severity.hint,
}


class SchemaError(ValueError):
    """An output schema that cannot be found or is not a valid JSON Schema."""


def _from_spec_loader(name: str) -> dict[str, Any] | None:
    try:
        from swath.spec.loader import load_schema
    except ImportError:
        return None
    try:
        found = load_schema(name)
    except (KeyError, LookupError, FileNotFoundError, ValueError):
        return None
    if isinstance(found, dict):
        return found
    model_json_schema = getattr(found, "model_json_schema", None)  # a pydantic model class
    return model_json_schema() if callable(model_json_schema) else None


def _from_package_files(name: str) -> dict[str, Any] | None:
    try:
        path = resources.files("swath.spec").joinpath("schemas", f"{name}.json")
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else None
    except (ModuleNotFoundError, FileNotFoundError, json.JSONDecodeError):
        return None
    return None


def load_named_schema(name: str) -> dict[str, Any]:
    for source in (_from_spec_loader, _from_package_files):
        found = source(name)
        if found is not None:
            return found
    if name in BUILTIN_SCHEMAS:
        return copy.deepcopy(BUILTIN_SCHEMAS[name])
    raise SchemaError(f"unknown output schema {name!r}")


@dataclass
class OutputSchema:
    """A step's output schema, ready for the API and for validation."""

    schema: dict[str, Any]
    # Tool inputs must be objects: any other schema is wrapped as {"result": <schema>}.
    wrapped: bool = False
    api_schema: dict[str, Any] = field(default_factory=dict)
    _validator: Any = None

    @classmethod
    def of(cls, output: str | dict[str, Any] | None) -> OutputSchema | None:
        if output is None:
            return None
        if isinstance(output, str):
            return _named(output)
        return _compiled(json.dumps(output, sort_keys=True))

    @property
    def tool_schema(self) -> dict[str, Any]:
        """The submit tool's `input_schema` (an object, as the API requires)."""
        if self.wrapped:
            # Strict tools and structured outputs take only closed objects.
            return {
                "type": "object",
                "properties": {"result": self.api_schema},
                "required": ["result"],
                "additionalProperties": False,
            }
        return self.api_schema

    def unwrap(self, tool_input: Any) -> Any:
        if self.wrapped and isinstance(tool_input, dict):
            return tool_input.get("result")
        return tool_input

    def errors(self, value: Any) -> list[str]:
        """Validation errors, most relevant first; [] when `value` conforms."""
        errs = list(self._validator.iter_errors(value))
        if not errs:
            return []
        best = best_match(errs)
        ordered = [best] + [e for e in errs if e is not best]
        return [f"{_where(e)}: {e.message}" for e in ordered[:5]]


@lru_cache(maxsize=64)
def _named(name: str) -> OutputSchema:
    # Named schemas ship with the package and do not change while the process runs.
    return _compiled(json.dumps(load_named_schema(name), sort_keys=True))


@lru_cache(maxsize=256)
def _compiled(schema_json: str) -> OutputSchema:
    schema = json.loads(schema_json)
    try:
        validator_cls = jsonschema.validators.validator_for(
            schema, default=jsonschema.Draft202012Validator
        )
        validator_cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaError(f"invalid output schema: {exc.message}") from exc
    is_object = schema.get("type") == "object" or ("type" not in schema and "properties" in schema)
    if is_object and "type" not in schema:
        schema = {"type": "object", **schema}
    wrapped = not is_object
    try:
        api_schema = transform_schema(schema)
    except Exception as exc:  # the SDK raises plain errors for schemas it cannot map
        raise SchemaError(
            f"output schema cannot be sent to the API: {type(exc).__name__}: {exc}"
        ) from exc
    return OutputSchema(
        schema=schema,
        wrapped=wrapped,
        api_schema=api_schema,
        _validator=validator_cls(schema),
    )


def _where(error: jsonschema.ValidationError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return "$" + path


# -- findings ----------------------------------------------------------------------------
def normalise_path(path: str) -> str:
    p = path.strip().replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return posixpath.normpath(p) if p else p


def findings_from_output(
    output: Any, workspace: Workspace, *, model: str = "", step: str = ""
) -> tuple[list[Finding], int]:
    """Findings the model reported in `output["findings"]`, and how many were dropped.

    A finding pointing outside the workspace or at a denied path is dropped here: the
    engine would fail to verify it anyway, and it must not make the engine read there.
    """
    if not isinstance(output, dict) or not isinstance(output.get("findings"), list):
        return [], 0
    found: list[Finding] = []
    dropped = 0
    for raw in output["findings"]:
        finding = _finding(raw, workspace, model=model, step=step)
        if finding is None:
            dropped += 1
        else:
            found.append(finding)
    return found, dropped


_KNOWN_KEYS = {"path", "line", "quote", "rule", "severity", "message", "end_line", "tags", "data"}


def _finding(raw: Any, workspace: Workspace, *, model: str, step: str) -> Finding | None:
    if not isinstance(raw, dict):
        return None
    path = normalise_path(str(raw.get("path") or ""))
    quote = str(raw.get("quote") or "")
    message = str(raw.get("message") or "").strip()
    try:
        line = int(raw.get("line", 0))
    except (TypeError, ValueError):
        return None
    if not path or line < 1 or not message:
        return None
    try:
        workspace.resolve(path, must_exist=False)
    except PathRefused:
        log.info("dropped a model finding on a refused path: %s", path)
        return None
    line0 = line - 1
    start, end = _columns(workspace, path, line0, quote)
    severity = SEVERITY_ALIASES.get(str(raw.get("severity") or "warning").lower(), Severity.warning)
    data: dict[str, Any] = dict(raw.get("data") or {}) if isinstance(raw.get("data"), dict) else {}
    data.update({k: v for k, v in raw.items() if k not in _KNOWN_KEYS})
    data.setdefault("source", "model")
    if model:
        data.setdefault("model", model)
    if step:
        data.setdefault("step", step)
    tags = [t for t in (raw.get("tags") or []) if t in ("unnecessary", "deprecated")]
    return Finding(
        rule=str(raw.get("rule") or "model/finding"),
        severity=severity,
        path=path,
        range=Range.of_line(line0, start, end),
        message=message,
        evidence=[Evidence(path=path, line=line0, quote=quote)] if quote else [],
        tags=tags,
        # A typed key that does not fit is dropped, not the finding (FindingData says how).
        data=FindingData.model_validate(data),
    )


def _columns(workspace: Workspace, path: str, line0: int, quote: str) -> tuple[int, int]:
    """Where the quote sits on its line, best effort; (0, 0) when it cannot be found."""
    needle = quote.strip()
    if not needle:
        return 0, 0
    try:
        text = workspace.read_text(path)
    except (OSError, PathRefused, ValueError):
        return 0, 0
    lines = text.splitlines()
    if 0 <= line0 < len(lines):
        col = lines[line0].find(needle)
        if col >= 0:
            return col, col + len(needle)
    return 0, 0
