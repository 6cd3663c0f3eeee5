"""YAML parsing that remembers where every key and value stands in the file.

The data handed to pydantic comes from ruamel.yaml's round-trip loader; positions come
from the composed node tree of the same text, which (unlike `.lc`) carries the end of
every node too, so an editor can underline exactly the offending key or value.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.nodes import MappingNode, Node

    from swath.spec.yaml_bounds import YamlTooComplex
# ruamel (and yaml_bounds, which needs it) is imported by the functions that parse or walk
# its nodes: a run of a built-in loads its stored form (spec/compiled.py) and never parses
# YAML, and importing ruamel's pure-Python round-trip machinery cost it ~10 ms.

PathElem = str | int
Path_ = tuple[PathElem, ...]

MERGE_KEY = "<<"


@dataclass(frozen=True)
class Span:
    """A range in the text; 0-based lines and columns, end exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int
    # The file the range is in when it is not the one being validated: a workflow that
    # `extends:` another is checked as one merged document drawn from several files.
    file: str | None = None


@dataclass
class Located:
    """A mapping entry or sequence item: its key (None for items) and its value node."""

    key: Node | None
    value: Node


@dataclass
class YamlProblem:
    span: Span
    message: str
    code: str


@dataclass
class YamlDoc:
    """Parsed data plus the position of every path in it."""

    text: str
    data: Any
    root: Node | None
    index: dict[Path_, Located] = field(default_factory=dict)
    source: str | None = None  # the file name spans carry (None: the file being validated)

    def __post_init__(self) -> None:
        self._line_starts = _line_starts(self.text)
        if self.root is not None:
            self.index[()] = Located(None, self.root)
            _index_node(self.root, (), self.index, set())

    # -- lookups -------------------------------------------------------------------------

    def deepest(self, path: Path_) -> Path_:
        """The longest prefix of `path` that exists in the file."""
        for n in range(len(path), -1, -1):
            if tuple(path[:n]) in self.index:
                return tuple(path[:n])
        return ()

    def key_span(self, path: Path_) -> Span | None:
        loc = self.index.get(tuple(path))
        if loc is None or loc.key is None:
            return None
        return self.node_span(loc.key)

    def value_span(self, path: Path_) -> Span:
        """Span of the value at `path`, or of the nearest existing ancestor."""
        loc = self.index.get(self.deepest(path))
        if loc is None:
            return self.first_line_span()
        if _is_empty_scalar(loc.value) and loc.key is not None:
            # `key:` with nothing after it: underline the key, an empty range is invisible.
            return self.node_span(loc.key)
        return self.node_span(loc.value)

    def head_span(self, path: Path_) -> Span:
        """Where to point for a problem with the mapping at `path` as a whole.

        The mapping's key when it has one (`agent:`), else the first line of a list item
        (`- id: scan`), else the start of the file.
        """
        path = self.deepest(path)
        key = self.key_span(path)
        if key is not None:
            return key
        if not path:
            return self.first_line_span()
        span = self.value_span(path)
        end_col = len(self.line_text(span.line, span.file).rstrip())
        return Span(span.line, span.col, span.line, max(end_col, span.col + 1), span.file)

    def node_span(self, node: Node) -> Span:
        start = node.start_mark
        end_index = _content_end(self.text, start.index, _node_end_index(node))
        end_line, end_col = self.line_col(end_index)
        return Span(start.line, start.column, end_line, end_col, self.source)

    def first_line_span(self) -> Span:
        return Span(0, 0, 0, max(1, len(self.line_text(0).rstrip())), self.source)

    # -- text helpers --------------------------------------------------------------------

    def line_text(self, line: int, file: str | None = None) -> str:
        """Line `line` of the text; `file` (a span's) matters only to a merged document."""
        if line >= len(self._line_starts):
            return ""
        start = self._line_starts[line]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    def line_col(self, index: int) -> tuple[int, int]:
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= index:
                lo = mid
            else:
                hi = mid - 1
        return lo, index - self._line_starts[lo]


def parse_yaml(text: str) -> tuple[YamlDoc | None, list[YamlProblem]]:
    """Parse `text`; on a syntax error return None and the problem at ruamel's mark."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from swath.spec.yaml_bounds import YamlTooComplex, check_yaml_bounds

    yaml = _yaml()
    try:
        check_yaml_bounds(text)
        root = yaml.compose(text)
        # The data from the composed nodes: loading the text again parsed it a third time.
        data = to_plain(yaml.constructor.construct_document(root) if root is not None else None)
    except YamlTooComplex as exc:
        return None, [_limit_problem(exc)]
    except MarkedYAMLError as exc:
        return None, [_syntax_problem(text, exc)]
    except YAMLError as exc:  # unmarked errors are rare (e.g. bad encoding); point at the start
        return None, [YamlProblem(Span(0, 0, 0, 1), f"invalid YAML: {exc}", "yaml")]
    doc = YamlDoc(text=text, data=data, root=root)
    return doc, duplicate_key_problems(doc)


def _yaml() -> YAML:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    # Duplicates are reported by us with both places, and without stopping at the first.
    yaml.allow_duplicate_keys = True
    return yaml


def _limit_problem(exc: YamlTooComplex) -> YamlProblem:
    mark = exc.problem_mark
    line, col = (mark.line, mark.column) if mark is not None else (0, 0)
    return YamlProblem(Span(line, col, line, col + 1), f"YAML too complex: {exc.problem}", "yaml")


def _syntax_problem(text: str, exc: MarkedYAMLError) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line, mark.column) if mark is not None else (0, 0)
    what = exc.problem or exc.context or "invalid YAML"
    ctx = exc.context_mark
    if exc.context and exc.problem and ctx is not None and (ctx.line, ctx.column) != (line, col):
        # "while parsing a block mapping" + where that started: often where the real slip is.
        what += f" ({exc.context} that starts at line {ctx.line + 1}, column {ctx.column + 1})"
    lines = text.splitlines() or [""]
    src = lines[line] if line < len(lines) else ""
    end_col = col + 1 if col < len(src) else col
    if "\\t" in what or "\t" in what:
        hint = "indent with spaces; YAML does not allow tabs"
    else:
        hint = "check indentation, quoting and that every `key:` is followed by a space"
    return YamlProblem(
        Span(line, col, line, max(end_col, col)), f"invalid YAML: {what}; {hint}", "yaml"
    )


def duplicate_key_problems(doc: YamlDoc) -> list[YamlProblem]:
    from ruamel.yaml.nodes import ScalarNode

    problems: list[YamlProblem] = []
    for node in _mapping_nodes(doc.root, set()):
        seen: dict[str, Node] = {}
        for key, _value in node.value:
            if not isinstance(key, ScalarNode) or key.value == MERGE_KEY:
                continue
            first = seen.setdefault(key.value, key)
            if first is not key:
                line = first.start_mark.line + 1
                msg = (
                    f"duplicate key `{key.value}` (first set on line {line}); keep only one of them"
                )
                problems.append(YamlProblem(doc.node_span(key), msg, "duplicate-key"))
    return problems


def _mapping_nodes(node: Node | None, visiting: set[int]) -> list[MappingNode]:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if node is None or id(node) in visiting:
        return []
    visiting = visiting | {id(node)}
    found: list[MappingNode] = []
    if isinstance(node, MappingNode):
        found.append(node)
        for key, value in node.value:
            found += _mapping_nodes(key, visiting) + _mapping_nodes(value, visiting)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            found += _mapping_nodes(item, visiting)
    return found


def _index_node(node: Node, path: Path_, index: dict[Path_, Located], visiting: set[int]) -> None:
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    # `visiting` guards against recursive anchors (`&a [*a]`), legal YAML but endless to walk.
    if id(node) in visiting:
        return
    visiting = visiting | {id(node)}
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                continue
            if key.value == MERGE_KEY:
                _index_merged(value, path, index, visiting)
                continue
            index[path + (key.value,)] = Located(key, value)
            _index_node(value, path + (key.value,), index, visiting)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            index[path + (i,)] = Located(None, item)
            _index_node(item, path + (i,), index, visiting)


def _index_merged(
    value: Node, path: Path_, index: dict[Path_, Located], visiting: set[int]
) -> None:
    """Keys pulled in with `<<: *anchor` point at the anchor; explicit keys win."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    sources = value.value if isinstance(value, SequenceNode) else [value]
    for src in sources:
        if not isinstance(src, MappingNode):
            continue
        sub: dict[Path_, Located] = {}
        _index_node(src, path, sub, visiting)
        for p, loc in sub.items():
            index.setdefault(p, loc)


def _node_end_index(node: Node) -> int:
    """End of a node's own content; a block collection's end mark lies on the next token."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, (MappingNode, SequenceNode)) and node.flow_style is not True and node.value:
        last = node.value[-1]
        return _node_end_index(last[1] if isinstance(node, MappingNode) else last)
    return int(node.end_mark.index)


def _content_end(text: str, start: int, end: int) -> int:
    # Block scalars end at the next line's start; step back over the trailing newlines.
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _is_empty_scalar(node: Node) -> bool:
    from ruamel.yaml.nodes import ScalarNode

    return (
        isinstance(node, ScalarNode)
        and node.value == ""
        and node.start_mark.index == node.end_mark.index
    )


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def to_plain(obj: Any) -> Any:
    """ruamel's round-trip types -> plain Python, so models never hold CommentedMap & co."""
    if isinstance(obj, dict):
        return {to_plain(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    from ruamel.yaml.comments import TaggedScalar
    from ruamel.yaml.scalarbool import ScalarBoolean

    if isinstance(obj, (ScalarBoolean, bool)):
        return bool(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, TaggedScalar):
        return str(obj.value)
    if isinstance(obj, (_dt.date, _dt.datetime)) or obj is None:
        return obj
    return obj
