"""Limits a YAML text must meet before anything builds it into objects.

YAML aliases let ten lines stand for billions of nodes (the "billion laughs" bomb), and
ruamel's composer and our own walks recurse once per nesting level. Both are checked on
the parser's event stream, which is flat (no recursion) and costs one pass over the text:
the expanded size of every anchor is known when the anchor's node ends, so an alias adds
its anchor's size without being expanded. A file over a limit never reaches the composer.

    check_yaml_bounds(text)          # raises YamlTooComplex (a MarkedYAMLError) with a mark
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, StreamMark
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    NodeEvent,
)


@dataclass(frozen=True)
class YamlLimits:
    max_bytes: int = 1_000_000
    max_depth: int = 64
    max_aliases: int = 1_000
    # Nodes after every alias is expanded; a real workflow has a few hundred to a few thousand.
    max_expanded_nodes: int = 200_000


DEFAULT_LIMITS = YamlLimits()


class YamlTooComplex(MarkedYAMLError):
    """A YAML text over one of the limits; `problem_mark` is where the limit was crossed."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


def check_yaml_bounds(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> None:
    """Raise YamlTooComplex when `text` is too large, too deep or expands too far.

    Syntax errors are left for the real load to report (they raise from the parser too,
    as MarkedYAMLError, which callers already handle).
    """
    size = len(text.encode("utf-8", errors="replace"))
    if size > limits.max_bytes:
        raise YamlTooComplex(
            f"the file is {size:,} bytes, over the limit of {limits.max_bytes:,} bytes; "
            "split it or shorten it",
            StreamMark("", 0, 0, 0),
        )
    events = _libyaml_events(text)
    _check_events(events if events is not None else _ruamel_events(text), limits)


Kind = str  # "start" (of a collection), "end", "alias" or "scalar"


def _ruamel_events(text: str) -> Iterator[tuple[Kind, Any]]:
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, CollectionStartEvent):
            yield "start", event
        elif isinstance(event, CollectionEndEvent):
            yield "end", event
        elif isinstance(event, AliasEvent):
            yield "alias", event
        elif isinstance(event, NodeEvent):
            yield "scalar", event


def _libyaml_events(text: str) -> list[tuple[Kind, Any]] | None:
    """The same events from libyaml's C parser (PyYAML's), ~20x faster than ruamel's pure
    Python one; None where it is not there or refuses the text (a YAML 1.2 file it does not
    read): then ruamel's parser is the one that counts."""
    try:
        import yaml
    except ImportError:
        return None
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    out: list[tuple[Kind, Any]] = []
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                out.append(("start", event))
            elif isinstance(event, yaml.CollectionEndEvent):
                out.append(("end", event))
            elif isinstance(event, yaml.AliasEvent):
                out.append(("alias", event))
            elif isinstance(event, yaml.NodeEvent):
                out.append(("scalar", event))
    except yaml.YAMLError:
        return None
    return out


def _check_events(events: Iterable[tuple[Kind, Any]], limits: YamlLimits) -> None:
    # Per open collection: its anchor and the expanded node count so far.
    open_nodes: list[tuple[str | None, int]] = []
    sizes: dict[str, int] = {}  # finished anchors -> expanded node count
    aliases = 0
    for kind, event in events:
        if kind == "start":
            if len(open_nodes) >= limits.max_depth:
                raise YamlTooComplex(
                    f"nested more than {limits.max_depth} levels deep; flatten the structure",
                    event.start_mark,
                )
            open_nodes.append((event.anchor, 1))
            continue
        if kind == "end":
            anchor, count = open_nodes.pop()
            if anchor is not None:
                sizes[anchor] = count
            grown = count
        elif kind == "alias":
            aliases += 1
            if aliases > limits.max_aliases:
                raise YamlTooComplex(
                    f"more than {limits.max_aliases} aliases (`*name`); write the values out",
                    event.start_mark,
                )
            if event.anchor not in sizes:
                if any(a == event.anchor for a, _ in open_nodes):
                    raise YamlTooComplex(
                        f"alias `*{event.anchor}` refers to a node that contains it; "
                        "a recursive structure cannot be a workflow",
                        event.start_mark,
                    )
                continue  # an undefined alias: the real load reports it with its position
            grown = sizes[event.anchor]
        else:  # a scalar
            grown = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        if open_nodes:  # the enclosing collection grows by the node (or its expansion)
            anchor, count = open_nodes[-1]
            grown += count
            open_nodes[-1] = (anchor, grown)
        if grown > limits.max_expanded_nodes:
            raise YamlTooComplex(
                f"aliases expand this file to more than {limits.max_expanded_nodes:,} values "
                "(an alias bomb?); use fewer, smaller anchors",
                event.start_mark,
            )
