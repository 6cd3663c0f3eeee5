"""Walking the workflow models along a YAML path.

Used to turn pydantic error locations back into YAML paths, to list the keys allowed at
a place (did-you-mean, completion) and to find a key's description (hover).
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from swath.spec.models import STEP_KINDS, Workflow


def strip(tp: Any) -> Any:
    """Drop `Annotated[...]` wrappers and `None` from `X | None`."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    members = union_members(tp)
    if members is not None and len(members) == 1:
        return strip(members[0])
    return tp


def union_members(tp: Any) -> list[Any] | None:
    """Non-None members of a union, or None when `tp` is not a union."""
    if get_origin(tp) in (Union, types.UnionType):
        return [a for a in get_args(tp) if a is not type(None)]
    return None


def is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def field_by_key(model: type[BaseModel], key: str) -> tuple[str, FieldInfo] | None:
    """The field a YAML key sets: by alias first (`from`, `with`), then by name."""
    for name, info in model.model_fields.items():
        if info.alias == key:
            return name, info
    by_name = model.model_fields.get(key)
    if by_name is not None and by_name.alias is None:
        return key, by_name
    return None


def allowed_keys(model: type[BaseModel]) -> list[str]:
    """The keys a YAML mapping for `model` may hold, as written in YAML (aliases)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def step_model(kind: str) -> type[BaseModel] | None:
    for member in step_union_members():
        if literal_kind(member) == kind:
            return member
    return None


def step_union_members() -> list[type[BaseModel]]:
    steps_tp = strip(Workflow.model_fields["steps"].annotation)
    item = strip(get_args(steps_tp)[0])
    return [m for m in union_members(item) or [] if is_model(m)]


def literal_kind(model: type[BaseModel]) -> str | None:
    info = model.model_fields.get("kind")
    if info is None or get_origin(info.annotation) is not Literal:
        return None
    return str(get_args(info.annotation)[0])


def is_step_union(tp: Any) -> bool:
    members = union_members(strip(tp))
    return bool(members) and all(is_model(m) and literal_kind(m) for m in members or [])


@dataclass
class Place:
    """What sits at a YAML path: its declared type and, for model fields, the field."""

    tp: Any
    field: FieldInfo | None = None
    owner: type[BaseModel] | None = None


def child(place: Place, elem: str | int, kind: str | None = None) -> Place | None:
    """The place one step below `place`; `kind` picks the step model inside `steps[i]`."""
    tp = strip(place.tp)
    if is_step_union(tp):
        model = step_model(kind) if kind else None
        if model is None:
            return _common_step_child(elem)
        return child(Place(model), elem)
    if is_model(tp):
        found = field_by_key(tp, str(elem))
        if found is None:
            return None
        return Place(found[1].annotation, found[1], tp)
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is list and isinstance(elem, int):
        return Place(args[0] if args else Any)
    if origin is dict and isinstance(elem, str):
        return Place(args[1] if len(args) > 1 else Any)
    members = union_members(tp)
    if members:
        for m in members:
            # `str | list[str]`: an index picks the list, a key picks a mapping or model.
            sub = child(Place(m), elem, kind)
            if sub is not None:
                return sub
    return None


def _common_step_child(elem: str | int) -> Place | None:
    """A key of a step whose kind is unknown: fine when every kind that has it agrees."""
    places = [p for m in step_union_members() if (p := child(Place(m), elem)) is not None]
    if not places:
        return None
    descriptions = {p.field.description if p.field else None for p in places}
    if len(descriptions) == 1:
        return places[0]
    return None


def place_at(
    path: list[str | int] | tuple[str | int, ...], kinds: dict[int, str] | None = None
) -> Place | None:
    """Walk from the workflow root; `kinds` maps step index -> kind for the discriminator."""
    place: Place | None = Place(Workflow)
    for i, elem in enumerate(path):
        if place is None:
            return None
        kind = None
        if i == 2 and path[0] == "steps" and isinstance(path[1], int) and kinds:
            kind = kinds.get(path[1])
        place = child(place, elem, kind)
    return place


def keys_of_place(place: Place, kind: str | None = None) -> list[str]:
    """Keys allowed in a mapping at `place` (empty when it is not a model)."""
    tp = strip(place.tp)
    if is_step_union(tp):
        model = step_model(kind) if kind else None
        if model is not None:
            return allowed_keys(model)
        keys: list[str] = []
        for m in step_union_members():
            keys += [k for k in allowed_keys(m) if k not in keys]
        return keys
    if is_model(tp):
        return allowed_keys(tp)
    members = union_members(tp) or []
    for m in members:
        if is_model(strip(m)):
            return allowed_keys(strip(m))
    return []


def step_kinds() -> tuple[str, ...]:
    return STEP_KINDS
