"""Turning pydantic validation errors into positioned, actionable problems.

Pydantic reports a location such as `('steps', 0, 'map', 'agent', 'analyzerr')`: the
`'map'` is the discriminator tag of the step union, and unions like `str | list[str]`
add member labels (`'str'`, `'list[str]'`). Those elements are not YAML keys, so we walk
the model types alongside the location and drop them to get the YAML path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from swath.spec.modelnav import (
    Place,
    child,
    is_model,
    is_step_union,
    keys_of_place,
    step_kinds,
    step_model,
    strip,
    union_members,
)
from swath.spec.models import Workflow
from swath.spec.positions import Span, YamlDoc
from swath.spec.wording import (
    describe_path,
    first_sentence,
    show_path,
    show_value,
    step_label,
    suggestion_text,
)

PathT = tuple[str | int, ...]

# What each pydantic type error expects, in the words of a YAML author.
EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}

PATTERN_HINTS = {
    r"^[a-z][a-z0-9_-]*$": "lowercase letters, digits, `_` and `-`, starting with a letter",
    r"^[a-z][a-z0-9-]*$": "lowercase letters, digits and `-`, starting with a letter",
}


@dataclass
class Problem:
    """A problem before it is tied to a file name."""

    span: Span
    message: str
    code: str


@dataclass
class ResolvedError:
    error: ErrorDetails
    path: PathT
    parent: Place | None  # the place holding the last path element
    union_at: PathT | None  # where a union was entered, to merge its members' errors
    key_error: bool = False


def validate_model(doc: YamlDoc) -> tuple[Workflow | None, list[Problem]]:
    try:
        return Workflow.model_validate(doc.data), []
    except ValidationError as exc:
        return None, problems_from(exc, doc)


def problems_from(
    exc: ValidationError,
    doc: YamlDoc,
    root: type[BaseModel] = Workflow,
    prefix: PathT = (),
) -> list[Problem]:
    """Positioned problems for `exc`; `root` and `prefix` say what model validated which
    part of the file (a source's `with:` options at `("steps", 0, "with")`)."""
    resolved = [resolve_loc(e, root, prefix) for e in exc.errors(include_url=False)]
    resolved = [r for r in resolved if not _handled_elsewhere(r)]
    problems: list[Problem] = []
    for group in _group_unions(resolved):
        problems.append(_problem(group, doc))
    return problems


def _handled_elsewhere(r: ResolvedError) -> bool:
    # The duplicate-id validator on `steps` fails the whole list; the loader reports each
    # duplicate at its own `id:` instead.
    return (
        r.path == ("steps",) and r.error["type"] == "value_error" and "used twice" in r.error["msg"]
    )


def resolve_loc(
    error: ErrorDetails, root: type[BaseModel] = Workflow, prefix: PathT = ()
) -> ResolvedError:
    """Drop union tags and member labels from a pydantic location."""
    place: Place | None = Place(root)
    parent: Place | None = None
    path: list[str | int] = list(prefix)
    union_at: PathT | None = None
    key_error = False
    for elem in error["loc"]:
        tp = strip(place.tp) if place is not None else Any
        if elem == "[key]":
            key_error = True
            continue
        if place is not None and is_step_union(tp) and step_model(str(elem)) is not None:
            place = Place(step_model(str(elem)))
            continue
        members = union_members(tp) if place is not None else None
        if members and len(members) > 1 and isinstance(elem, str):
            union_at = union_at or tuple(path)
            place = Place(_member_for_label(elem, members))
            continue
        if place is not None and (is_model(tp) or get_origin(tp) is dict):
            elem = str(elem)  # YAML keys are matched as text (`5:` is key '5')
        parent = place
        path.append(elem)
        place = child(place, elem) if place is not None else None
    return ResolvedError(error, tuple(path), parent, union_at, key_error)


def _member_for_label(label: str, members: list[Any]) -> Any:
    for m in members:
        origin = get_origin(strip(m))
        name = getattr(origin or strip(m), "__name__", "")
        if name and label.startswith(name):
            return m
    return members[0]


def _group_unions(errors: list[ResolvedError]) -> list[list[ResolvedError]]:
    """One problem per union value: `from: 3` fails as str and as list, say it once.

    When some member got further into the value (`from: [1]` as a list), its errors are
    the meaningful ones and the shallow "should be a string" is noise.
    """
    groups: dict[Any, list[ResolvedError]] = defaultdict(list)
    order: list[Any] = []
    for i, r in enumerate(errors):
        key = ("union", r.union_at) if r.union_at is not None else ("single", i)
        if key not in groups:
            order.append(key)
        groups[key].append(r)
    result: list[list[ResolvedError]] = []
    for key in order:
        group = groups[key]
        if key[0] == "single":
            result.append(group)
            continue
        deepest = max(len(r.path) for r in group)
        deep = [r for r in group if len(r.path) == deepest]
        if deepest > len(key[1]):
            result.extend([r] for r in deep)
        else:
            result.append(deep)
    return result


def _problem(group: list[ResolvedError], doc: YamlDoc) -> Problem:
    first = group[0]
    etype = first.error["type"]
    if len(group) > 1:
        return _type_problem(group, doc)
    handler = _HANDLERS.get(etype)
    if handler is not None:
        return handler(first, doc)
    if etype in EXPECTED:
        return _type_problem(group, doc)
    return _generic_problem(first, doc)


def _value_at(doc: YamlDoc, path: PathT) -> Any:
    value: Any = doc.data
    for elem in path:
        if isinstance(value, dict) and elem in value:
            value = value[elem]
            continue
        if isinstance(value, list) and isinstance(elem, int) and 0 <= elem < len(value):
            value = value[elem]
            continue
        return None
    return value


def _type_problem(group: list[ResolvedError], doc: YamlDoc) -> Problem:
    r = group[0]
    expected = []
    for g in group:
        phrase = EXPECTED.get(g.error["type"]) or g.error["msg"].lower()
        if phrase not in expected:
            expected.append(phrase)
    value = r.error.get("input")
    where = describe_path(r.path, doc.data)
    if r.path and isinstance(r.path[-1], int) and len(r.path) == 2 and r.path[0] == "steps":
        where = f"step {int(r.path[1]) + 1}"
        msg = f"{where} should be a mapping with `id:` and `kind:`, got {show_value(value)}"
        return Problem(doc.value_span(r.path), msg, "type")
    msg = f"{where} should be {' or '.join(expected)}, got {show_value(value)}"
    return Problem(doc.value_span(r.path), msg, "type")


def _extra_key(r: ResolvedError, doc: YamlDoc) -> Problem:
    key = str(r.path[-1])
    kind = _kind_of(r.path, doc)
    allowed = keys_of_place(r.parent, kind) if r.parent is not None else []
    owner = describe_path(r.path[:-1], doc.data)
    msg = f"unknown key `{key}` in {owner}" + suggestion_text(key, allowed, "keys here")
    span = doc.key_span(r.path) or doc.value_span(r.path)
    return Problem(span, msg, "unknown-key")


def _kind_of(path: PathT, doc: YamlDoc) -> str | None:
    if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int):
        kind = _value_at(doc, ("steps", path[1], "kind"))
        return kind if isinstance(kind, str) else None
    return None


def _missing(r: ResolvedError, doc: YamlDoc) -> Problem:
    key = str(r.path[-1])
    owner_path = r.path[:-1]
    owner = describe_path(owner_path, doc.data)
    place = child(r.parent, key) if r.parent is not None else None
    about = first_sentence(place.field.description if place and place.field else None)
    hint = f"add `{key}:`" + (f" ({about.rstrip('.')})" if about else "")
    msg = f"{owner} is missing the required key `{key}`; {hint}"
    return Problem(doc.head_span(owner_path), msg, "missing")


def _tag_not_found(r: ResolvedError, doc: YamlDoc) -> Problem:
    kinds = ", ".join(step_kinds())
    msg = f"{step_label(int(r.path[-1]), doc.data)} has no `kind`; add `kind:` with one of: {kinds}"
    return Problem(doc.head_span(r.path), msg, "missing")


def _tag_invalid(r: ResolvedError, doc: YamlDoc) -> Problem:
    tag = str(r.error.get("ctx", {}).get("tag", _value_at(doc, r.path + ("kind",))))
    msg = f"unknown step kind `{tag}`" + suggestion_text(tag, step_kinds(), "step kinds")
    return Problem(doc.value_span(r.path + ("kind",)), msg, "unknown-kind")


def _literal(r: ResolvedError, doc: YamlDoc) -> Problem:
    value = r.error.get("input")
    expected = str(r.error.get("ctx", {}).get("expected", ""))
    choices = [c.strip(" '\"") for c in expected.replace(" or ", ", ").split(",") if c.strip()]
    where = describe_path(r.path, doc.data)
    msg = f"{where} is {show_value(value)}, which is not allowed"
    msg += (
        suggestion_text(str(value), choices, "values")
        if isinstance(value, str)
        else f"; use one of: {expected}"
    )
    return Problem(doc.value_span(r.path), msg, "type")


def _pattern(r: ResolvedError, doc: YamlDoc) -> Problem:
    pattern = str(r.error.get("ctx", {}).get("pattern", ""))
    hint = PATTERN_HINTS.get(pattern, f"the pattern {pattern}")
    where = describe_path(r.path, doc.data)
    msg = f"{where} is {show_value(r.error.get('input'))}; it must use {hint}"
    return Problem(doc.value_span(r.path), msg, "type")


def _too_short(r: ResolvedError, doc: YamlDoc) -> Problem:
    if r.path == ("steps",):
        msg = "the workflow has no steps; add at least one step under `steps:` (e.g. `- id: find` / `kind: discover`)"
    else:
        msg = f"{describe_path(r.path, doc.data)} is empty; it needs at least one item"
    return Problem(doc.value_span(r.path), msg, "type")


def _invalid_key(r: ResolvedError, doc: YamlDoc) -> Problem:
    where = describe_path(r.path[:-1], doc.data) if len(r.path) > 1 else "the workflow"
    msg = f"key {show_value(r.path[-1])} in {where} must be text; quote it or rename it"
    span = doc.key_span(r.path) or doc.value_span(r.path)
    return Problem(span, msg, "type")


def _generic_problem(r: ResolvedError, doc: YamlDoc) -> Problem:
    where = describe_path(r.path, doc.data) if r.path else "the workflow"
    detail = r.error["msg"]
    detail = detail[0].lower() + detail[1:] if detail else detail
    msg = f"{where}: {detail}, got {show_value(r.error.get('input'))}"
    if r.key_error:
        span = doc.key_span(r.path) or doc.value_span(r.path)
        return Problem(span, msg, "type")
    return Problem(doc.value_span(r.path), msg, "type")


_HANDLERS = {
    "extra_forbidden": _extra_key,
    "missing": _missing,
    "union_tag_not_found": _tag_not_found,
    "union_tag_invalid": _tag_invalid,
    "literal_error": _literal,
    "string_pattern_mismatch": _pattern,
    "too_short": _too_short,
    "invalid_key": _invalid_key,
}

__all__ = ["Problem", "problems_from", "resolve_loc", "show_path", "validate_model"]
