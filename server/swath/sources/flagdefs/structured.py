"""JSON and YAML documents with the line of every key, for errors and evidence.

`json` gives values but no positions, and flag files are what a reviewer checks a
finding against, so every definition must say where it stands. We validate with `json`
(fast, exact error positions) and then walk the tokens once to map each value's path to
the line of its key. YAML goes through ruamel's round-trip loader, which keeps marks.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from swath.spec.yaml_bounds import YamlLimits, check_yaml_bounds

# Flag exports can be large (thousands of flags with targeting rules), but never need a
# nesting or alias expansion a workflow file would not.
CATALOGUE_LIMITS = YamlLimits(max_bytes=50_000_000, max_expanded_nodes=5_000_000)

Path = tuple[str | int, ...]

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class DocumentError(ValueError):
    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.col = col


@dataclass
class Document:
    """A parsed file: plain data plus where each path starts."""

    data: Any
    positions: dict[Path, int]
    lines: list[str]
    end_positions: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int:
        """Line of `path`, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), 0)

    def end_line_of(self, path: Path) -> int:
        p = tuple(path)
        return self.end_positions.get(p, self.line_of(p))

    def quote(self, line: int) -> str:
        return self.lines[line].strip() if 0 <= line < len(self.lines) else ""


def split_lines(text: str) -> list[str]:
    """Lines the way the LSP (and the evidence verifier) count them."""
    return _LINE_BREAK.split(text)


def load_json(text: str) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno - 1, exc.colno - 1
        ) from None
    starts, ends = _json_positions(text)
    return Document(data=data, positions=starts, lines=split_lines(text), end_positions=ends)


def _json_positions(text: str) -> tuple[dict[Path, int], dict[Path, int]]:
    breaks = [m.start() for m in re.finditer(r"\n", text)]

    def line_at(offset: int) -> int:
        return bisect.bisect_right(breaks, offset - 1) if breaks else 0

    starts: dict[Path, int] = {}
    ends: dict[Path, int] = {}
    # Each frame: [is_object, path, current key, index, expecting_value]
    stack: list[list[Any]] = []

    def value_path() -> Path:
        if not stack:
            return ()
        top = stack[-1]
        return (*top[1], top[2]) if top[0] else (*top[1], top[3])

    for m in _TOKEN.finditer(text):
        tok = m.group()
        pos = m.start()
        top = stack[-1] if stack else None
        if tok in ("{", "["):
            path = value_path()
            starts.setdefault(path, line_at(pos))
            stack.append([tok == "{", path, None, 0, False])
        elif tok in ("}", "]"):
            frame = stack.pop()
            ends[frame[1]] = line_at(pos)
        elif tok == ":":
            if top is not None:
                top[4] = True
        elif tok == ",":
            if top is not None:
                if top[0]:
                    top[2], top[4] = None, False
                else:
                    top[3] += 1
        elif top is not None and top[0] and not top[4]:
            top[2] = json.loads(tok)
            starts[(*top[1], top[2])] = line_at(pos)
        else:
            path = value_path()
            starts.setdefault(path, line_at(pos))
            ends[path] = line_at(pos)
    return starts, ends


def load_yaml(text: str) -> Document:
    yaml = YAML(typ="rt")
    try:
        check_yaml_bounds(text, CATALOGUE_LIMITS)
        raw = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line if mark is not None else 0
        col = mark.column if mark is not None else 0
        problem = exc.problem or exc.context or "syntax error"
        raise DocumentError(f"invalid YAML: {problem}", line, col) from None
    except YAMLError as exc:
        raise DocumentError(f"invalid YAML: {exc}", 0) from None
    starts: dict[Path, int] = {(): 0}
    ends: dict[Path, int] = {}
    data = _plain(raw, (), starts, ends)
    return Document(data=data, positions=starts, lines=split_lines(text), end_positions=ends)


def _plain(node: Any, path: Path, starts: dict[Path, int], ends: dict[Path, int]) -> Any:
    """ruamel's commented containers as dicts and lists, recording each key's line."""
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        last = starts.get(path, 0)
        for k, v in node.items():
            line = node.lc.key(k)[0]
            starts[(*path, k)] = line
            out[k] = _plain(v, (*path, k), starts, ends)
            last = max(last, ends.get((*path, k), line))
        ends[path] = last
        return out
    if isinstance(node, CommentedSeq):
        items = []
        last = starts.get(path, 0)
        for i, v in enumerate(node):
            line = node.lc.item(i)[0]
            starts[(*path, i)] = line
            items.append(_plain(v, (*path, i), starts, ends))
            last = max(last, ends.get((*path, i), line))
        ends[path] = last
        return items
    if path in starts:
        ends[path] = starts[path]
    return node


def load_document(path: str, text: str) -> Document:
    """By extension: .json (and .jsonc without comments) as JSON, the rest as YAML."""
    if path.endswith(".json"):
        return load_json(text)
    return load_yaml(text)
