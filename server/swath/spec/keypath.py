"""Where the cursor is in a workflow file, for hover and completion in the editor.

A file being edited is often not valid YAML (a half-typed key, a missing colon), and
that is exactly when completion is wanted; so when parsing fails we fall back to reading
the block structure from indentation, which is what a YAML author sees anyway.

Positions are LSP-style: 0-based line and character.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from ruamel.yaml.nodes import ScalarNode

from swath.spec.checks import KnownNames
from swath.spec.modelnav import Place, child, keys_of_place, place_at, step_kinds, strip
from swath.spec.extends import EXTENDS_KEY, PLACEMENT_KEYS, expand
from swath.spec.models import StepChange, Workflow, WorkflowExtension
from swath.spec.positions import YamlDoc, parse_yaml

PathT = list[str | int]

_KEY_RE = re.compile(
    r"""(?P<key>"[^"]*"|'[^']*'|[^\s#'"\-\[\]{},][^:#]*?|-[^\s:#][^:#]*?)\s*:(?=\s|$)"""
)
_DASH_RE = re.compile(r"-(?=\s|$)")
_BLOCK_SCALAR_RE = re.compile(r"^[|>][-+0-9]*\s*(#.*)?$")


def key_path_at(text: str, line0: int, char0: int) -> PathT | None:
    """The YAML path of the key (or value) under the cursor, e.g. ['steps', 1, 'agent', 'tools', 0].

    On a blank line, or a bare word being typed, the last element is the text typed so
    far ("" on a blank line) in the mapping the indentation puts the cursor in; that is
    what completion needs. None when the cursor is outside the document.
    """
    lines = text.split("\n")
    if line0 < 0 or line0 >= len(lines):
        return None
    doc = _parsed(text)
    if doc is not None and doc.root is not None:
        found = _path_from_nodes(doc, line0, char0)
        if found is not None:
            return found
    return _scan(lines, stop_line=line0, cursor=char0).cursor_path


def description_for(
    path: PathT | tuple[str | int, ...],
    kind: str | None = None,
    options: OptionsRoot | None = None,
) -> str | None:
    """The schema description of the key at `path`.

    `kind` resolves the step type for paths under `steps[i]`; without it, keys common to
    every step kind (id, needs, ...) are still described. `options` says where a declared
    options model (a source's `with:`, an analyzer's `params:`) takes over the walk.
    """
    path = list(path)
    if len(path) == 3 and path[0] == "steps" and path[2] == "kind" and not kind:
        return "The step's type: one of " + ", ".join(step_kinds()) + "."
    # The keys only a workflow that `extends:` another has are not in the Workflow model.
    if path == [EXTENDS_KEY]:
        return WorkflowExtension.model_fields[EXTENDS_KEY].description
    if len(path) == 3 and path[0] == "steps" and path[2] in PLACEMENT_KEYS:
        return StepChange.model_fields[str(path[2])].description
    # The nearest described field wins for list items and free-form values: hovering
    # `- grep` under `tools:` describes `tools`.
    nearest: str | None = None
    place = Place(Workflow)
    for i, elem in enumerate(path):
        if options is not None and i == options.index:
            place = Place(options.model)
        step_kind = kind if i == 2 and path[0] == "steps" else None
        found = child(place, elem, step_kind)
        if found is None:
            return None
        place = found
        if place.field is not None and place.field.description:
            nearest = place.field.description
    if place.field is None:
        doc = _model_doc(place)
        if doc:
            return doc
    return nearest


def allowed_keys_at(
    path: PathT | tuple[str | int, ...],
    kind: str | None = None,
    options: OptionsRoot | None = None,
    *,
    extending: bool = False,
) -> dict[str, str]:
    """Keys that may be written in the mapping at `path`, with their descriptions; in a
    file that `extends:` another (`extending`), a step may also say where it goes."""
    path = list(path)
    place: Place | None
    if options is not None and len(path) >= options.index:
        place = Place(options.model)
        for elem in path[options.index :]:
            place = child(place, elem) if place is not None else None
    else:
        kinds = {path[1]: kind} if kind and len(path) > 1 and isinstance(path[1], int) else None
        place = place_at(path, kinds)
    if place is None:
        return {}
    step_kind = kind if len(path) == 2 and path[0] == "steps" else None
    keys = keys_of_place(place, step_kind)
    if not path:
        keys = [*keys, EXTENDS_KEY]
    if extending and len(path) == 2 and path[0] == "steps":
        keys = [*keys, *(k for k in PLACEMENT_KEYS if k not in keys)]
    return {k: description_for(path + [k], kind, options) or "" for k in keys}


@dataclass(frozen=True)
class OptionsRoot:
    """Where in a path a declared options model starts: `index` is the first key inside it."""

    index: int
    model: type[BaseModel]


def options_root(
    text: str, path: PathT, known: KnownNames | None, filename: str | None = None
) -> OptionsRoot | None:
    """The declared options model a path under `with:` or `params:` is inside, if any."""
    if known is None or len(path) < 4 or path[0] != "steps" or not isinstance(path[1], int):
        return None
    step = path[1]
    if path[2] == "with":
        source = step_value(text, step, ("source",), filename)
        model = known.source_options.get(source or "")
        return OptionsRoot(3, model) if model is not None else None
    if path[2] in ("agent", "second_opinion") and path[3] == "params" and len(path) > 4:
        analyzer = step_value(text, step, (str(path[2]), "analyzer"), filename)
        model = known.analyzer_params.get(analyzer or "")
        return OptionsRoot(4, model) if model is not None else None
    return None


def extends_at(text: str) -> str | None:
    """The workflow a file `extends:`, read even from a file that does not parse."""
    return value_at(text, (EXTENDS_KEY,))


def step_kind_at(text: str, step_index: int, filename: str | None = None) -> str | None:
    """The `kind:` of step `step_index`, read even from a file that does not parse."""
    return step_value(text, step_index, ("kind",), filename)


def step_value(
    text: str, step_index: int, keys: tuple[str, ...], filename: str | None = None
) -> str | None:
    """The scalar at `keys` in step `step_index`. In a file that `extends:` another, a step
    change writes only what differs, so what it leaves out (its `kind`, `source`, the
    agent's `analyzer`) is read from the base's step of the same id: hover and completion
    under a step change then know what the step is. `filename` is the file's own path (a
    saved workflow that extends its built-in namesake must not find itself)."""
    value = value_at(text, ("steps", step_index, *keys))
    if value is not None:
        return value
    step_id = value_at(text, ("steps", step_index, "id"))
    target = extends_at(text)
    if step_id is None or target is None:
        return None
    found: Any = _base_steps(target, filename or "untitled.yaml").get(step_id)
    for key in keys:
        found = found.get(key) if isinstance(found, dict) else None
    return found if isinstance(found, str) else None


@lru_cache(maxsize=4)
def _parsed(text: str) -> YamlDoc | None:
    """The open file's text parsed once per version: one hover or completion asks for its
    key path and several values (kind, extends, step ids), each a full YAML parse before.
    Callers only read the document, so sharing it is safe."""
    return parse_yaml(text)[0]


def _base_steps(target: str, filename: str) -> dict[str, dict[str, Any]]:
    """The steps of the workflow `target` as `extends: target` in `filename` means it, by
    id (nothing when it cannot be had: the file's diagnostics say why)."""
    probe, _ = parse_yaml(f"{EXTENDS_KEY}: {json.dumps(target)}\nname: probe\n")
    if probe is None:
        return {}
    merged, _ = expand(probe, filename, None)
    data = merged.data if merged is not None else None
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list):
        return {}
    return {s["id"]: s for s in steps if isinstance(s, dict) and isinstance(s.get("id"), str)}


def value_at(text: str, path: tuple[str | int, ...]) -> str | None:
    """The scalar written at `path`, read even from a file that does not parse."""
    doc = _parsed(text)
    if doc is not None and isinstance(doc.data, dict):
        value: Any = doc.data
        for elem in path:
            if isinstance(value, dict):
                value = value.get(elem)
            elif isinstance(value, list) and isinstance(elem, int) and 0 <= elem < len(value):
                value = value[elem]
            else:
                return None
        return value if isinstance(value, str) else None
    scan = _scan(text.split("\n"), stop_line=None, cursor=0)
    return scan.values.get(path)


def hover_at(
    text: str,
    line0: int,
    char0: int,
    known: KnownNames | None = None,
    filename: str | None = None,
) -> str | None:
    """Description of the key under the cursor, resolving the step kind from the file (or,
    for a step change in a file that `extends:` another, from the base's step)."""
    path = key_path_at(text, line0, char0)
    if not path:
        return None
    kind = (
        step_kind_at(text, path[1], filename)
        if len(path) > 1 and path[0] == "steps" and isinstance(path[1], int)
        else None
    )
    return description_for(path, kind, options_root(text, path, known, filename))


def _model_doc(place: Place) -> str | None:
    tp = strip(place.tp)
    # The workflow's own models and the declared option models describe themselves.
    doc = tp.__doc__ if isinstance(tp, type) and issubclass(tp, BaseModel) else None
    if not doc or doc == BaseModel.__doc__:
        return None
    return " ".join(doc.strip().split("\n\n")[0].split())


# -- from a parsed document ----------------------------------------------------------------


def _path_from_nodes(doc: YamlDoc, line0: int, char0: int) -> PathT | None:
    """The deepest key or scalar value whose text contains the cursor."""
    best: tuple[Any, ...] | None = None
    for path, loc in doc.index.items():
        if not path or (best is not None and len(path) <= len(best)):
            continue
        if _in_key_region(doc, loc, line0, char0):
            best = path
        elif _in_scalar(doc, loc.value, line0, char0):
            if _looks_like_typed_key(loc, line0):
                return None  # let the indentation reading treat it as a key in progress
            best = path
    return list(best) if best is not None else None


def _looks_like_typed_key(loc: Any, line0: int) -> bool:
    """`agent:` followed by an indented bare `analy` parses as agent's scalar value, but
    the author is typing a key of agent's mapping."""
    value = loc.value
    return (
        loc.key is not None
        and isinstance(value, ScalarNode)
        and value.style is None
        and value.start_mark.line == line0
        and value.start_mark.line > loc.key.start_mark.line
    )


def _in_key_region(doc: YamlDoc, loc: Any, line0: int, char0: int) -> bool:
    # From the key's start to where its value starts (or the end of the line): hovering
    # the colon or the space after it still means this key.
    if loc.key is None:
        return False
    key = doc.node_span(loc.key)
    if key.line != line0 or char0 < key.col:
        return False
    value_start = loc.value.start_mark
    if value_start.line == line0 and not (
        isinstance(loc.value, ScalarNode) and loc.value.value == ""
    ):
        return char0 <= max(key.end_col, int(value_start.column) - 1)
    return char0 <= len(doc.line_text(line0))


def _in_scalar(doc: YamlDoc, node: Any, line0: int, char0: int) -> bool:
    if not isinstance(node, ScalarNode) or node.start_mark.index == node.end_mark.index:
        return False
    span = doc.node_span(node)
    if span.line == span.end_line == line0 and node.style in ("|", ">"):
        return span.col <= char0  # the indicator line of a block scalar
    return (span.line, span.col) <= (line0, char0) <= (span.end_line, span.end_col)


# -- from indentation (tolerant of invalid YAML) -------------------------------------------


@dataclass
class _Frame:
    col: int
    elem: str | int
    is_item: bool


@dataclass
class _ScanResult:
    cursor_path: PathT | None = None
    values: dict[tuple[str | int, ...], str] = field(default_factory=dict)


def _scan(lines: list[str], stop_line: int | None, cursor: int) -> _ScanResult:
    """Read the block structure line by line, the way a YAML author reads indentation.

    Keeps a stack of open mapping keys and sequence items; each line pops what its
    indentation closes and pushes its own dashes and key.
    """
    result = _ScanResult()
    stack: list[_Frame] = []
    block_col: int | None = None  # inside a `|`/`>` block scalar owned by a key at this column
    last = len(lines) - 1 if stop_line is None else stop_line
    for n in range(last + 1):
        line = _split(lines[n].rstrip("\r"))
        if block_col is not None and (not line.content or line.indent > block_col):
            if n == stop_line:
                result.cursor_path = [f.elem for f in stack]
            continue
        block_col = None
        if n == stop_line:
            result.cursor_path = _cursor_path(stack, line, cursor)
            break
        if not line.content or line.content.startswith("#") or line.content in ("---", "..."):
            continue
        owner_col = _push_line(stack, line)
        if line.value is not None and _BLOCK_SCALAR_RE.match(line.value):
            block_col = owner_col
        if line.value is not None and stack:
            result.values[tuple(f.elem for f in stack)] = line.value.strip("'\"")
    return result


@dataclass
class _Line:
    """One line split the way block YAML reads: indentation, dashes, then a key or a word."""

    content: str
    indent: int
    dashes: list[int]  # columns of the `- ` item markers
    col: int  # where the key (or bare word) starts, after the dashes
    key: str | None
    word: str | None  # a bare word with no colon: a key being typed, or a scalar item
    value: str | None  # text after `key:`, without a trailing comment


def _split(raw: str) -> _Line:
    indent = len(raw) - len(raw.lstrip(" "))
    col, rest, dashes = indent, raw[indent:], []
    while _DASH_RE.match(rest):
        dashes.append(col)
        width = 1 + len(rest[1:]) - len(rest[1:].lstrip(" "))
        col += width
        rest = raw[col:]
    key = _KEY_RE.match(rest)
    value: str | None = None
    if key is not None:
        value = rest[key.end() :].strip()
        if " #" in value:
            value = value.split(" #", 1)[0].rstrip()
    word = rest.split()[0] if key is None and rest.strip() and not rest.startswith("#") else None
    return _Line(
        content=raw.strip(),
        indent=indent,
        dashes=dashes,
        col=col,
        key=_unquote(key.group("key")) if key is not None else None,
        word=word,
        value=value or None,
    )


def _push_line(stack: list[_Frame], line: _Line) -> int:
    """Apply one line to the stack; returns the column of its innermost key or dash."""
    owner = line.indent
    for dash in line.dashes:
        _push_item(stack, dash)
        owner = dash
    name = line.key if line.key is not None else line.word
    if name is not None:
        # A bare word (a key being typed, or a plain item) is pushed like a key so the
        # lines below nest the way the author indented them.
        _push_key(stack, line.col, name)
        owner = line.col
    return owner


def _push_item(stack: list[_Frame], col: int) -> None:
    while stack and stack[-1].col > col:
        stack.pop()
    if stack and stack[-1].is_item and stack[-1].col == col:
        stack[-1] = _Frame(col, int(stack[-1].elem) + 1, True)
    else:
        stack.append(_Frame(col, 0, True))


def _push_key(stack: list[_Frame], col: int, key: str) -> None:
    while stack and stack[-1].col >= col:
        stack.pop()
    stack.append(_Frame(col, key, False))


def _cursor_path(stack: list[_Frame], line: _Line, cursor: int) -> PathT:
    """The path for the cursor line itself, given the stack of the lines above it."""
    if not line.content or line.content.startswith("#"):
        return _blank_path(stack, cursor)
    work = list(stack)
    for i, dash in enumerate(line.dashes):
        _push_item(work, dash)
        end = line.dashes[i + 1] if i + 1 < len(line.dashes) else line.col
        if cursor < end:  # on the dash itself: the item
            return [f.elem for f in work]
    if line.key is not None:
        _push_key(work, line.col, line.key)
    elif line.word is not None and not line.dashes:
        # A word being typed where a key goes; the path ends with what is typed so far.
        _push_key(work, line.col, line.word)
    # else `- value`: a scalar item, whose path is the item's
    return [f.elem for f in work]


def _blank_path(stack: list[_Frame], cursor: int) -> PathT:
    work = list(stack)
    while work and work[-1].col >= cursor:
        work.pop()
    return [f.elem for f in work] + [""]


def _unquote(key: str) -> str:
    key = key.strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        return key[1:-1]
    return key


__all__ = [
    "OptionsRoot",
    "allowed_keys_at",
    "description_for",
    "extends_at",
    "hover_at",
    "key_path_at",
    "keys_of_place",
    "options_root",
    "step_kind_at",
    "step_value",
]
