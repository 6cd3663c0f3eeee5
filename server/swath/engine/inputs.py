"""Workflow inputs from `-i KEY=VALUE`: converted to their declared types, checked, defaulted."""

from __future__ import annotations

import difflib
from typing import Any

from swath.spec.models import InputSpec, Workflow


class InputError(ValueError):
    pass


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _convert(name: str, spec: InputSpec, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        if spec.type == "integer":
            return int(raw)
        if spec.type == "number":
            return float(raw)
        if spec.type == "boolean":
            low = raw.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(raw)
    except ValueError:
        raise InputError(f"input {name!r} must be {spec.type}, got {raw!r}") from None
    return raw


def _check_choices(name: str, spec: InputSpec, value: Any) -> None:
    """A value outside the declared choices is refused now: found by a task later, it would
    fail every task and still leave a finished run behind."""
    if spec.choices is None or value is None:
        return
    if spec.many:
        items = value.split(",") if isinstance(value, str) else list(value)
    else:
        items = [value]
    allowed = {c.lower() for c in spec.choices}
    wrong = [
        str(v).strip() for v in items if str(v).strip() and str(v).strip().lower() not in allowed
    ]
    if not wrong:
        return
    hints = []
    for w in wrong:
        close = difflib.get_close_matches(w.lower(), spec.choices, n=1)
        hints.append(f"{w!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    what = "one or more (comma-separated) of" if spec.many else "one of"
    raise InputError(
        f"input {name!r}: no such value {', '.join(hints)}; {what}: {', '.join(spec.choices)}"
    )


def resolve_inputs(workflow: Workflow, given: dict[str, Any]) -> dict[str, Any]:
    unknown = [k for k in given if k not in workflow.inputs]
    if unknown:
        known = sorted(workflow.inputs)
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, known, n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise InputError(
            f"workflow {workflow.name!r} has no input {', '.join(hints)}; its inputs: {', '.join(known) or 'none'}"
        )
    out: dict[str, Any] = {}
    for name, spec in workflow.inputs.items():
        if name in given:
            out[name] = _convert(name, spec, given[name])
            _check_choices(name, spec, out[name])
        elif spec.required:
            raise InputError(
                f"workflow {workflow.name!r} needs input {name!r}: pass -i {name}=VALUE"
            )
        else:
            out[name] = spec.default
    return out


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"-i {pair!r}: expected KEY=VALUE")
        out[key.strip()] = value
    return out
