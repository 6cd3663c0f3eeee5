"""Deleting declarations as whole syntactic units: a flag's definition entries, the
constants and enum members that held its key, with the file still valid.

A definition is known by its lines (`FlagDefinition.entries`); the unit to delete is the
innermost element of a list-like container (a JSON object or array, a Go composite literal,
a Python dict, list or class body, a TypeScript object or enum, a YAML mapping) that spans
those lines and names the key. That one rule covers a flagd or LaunchDarkly entry (`"k":
{…}` or `{ "key": "k", … }` in `items`), a Kubernetes gate's `Gate: {{Version: …}, …},`,
an `Enum` member, a TypeScript `FEATURES` entry and a YAML block. Separators go with the
unit: its own trailing comma, or the one before it when it was the last element (JSON
allows no trailing comma); comment lines right above it and a comment after it on its
line go too. A container left empty keeps its syntax valid: a Python class body gets
`pass`, a Go `const (…)` or `var (…)` left with no spec goes whole. A Go constant or
variable spec is a unit when it declares that one name (`Retry = …`, with its doc comment),
not in a `const` block counting with `iota` (deleting one renumbers the rest). The result is parsed again (JSON and
YAML loaded, Python compiled, the others without ERROR nodes) or refused.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ast_grep_py import SgNode, SgRoot
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from swath.workspace.languages import language_of

# Containers whose elements are separated by commas, and those whose elements are
# statements or lines (no separator).
SEPARATED: dict[str, frozenset[str]] = {
    "json": frozenset({"object", "array"}),
    "yaml": frozenset({"flow_mapping", "flow_sequence"}),
    "python": frozenset({"dictionary", "list", "tuple", "set"}),
    "go": frozenset({"literal_value"}),
    "typescript": frozenset({"object", "array", "enum_body", "named_imports"}),
    "tsx": frozenset({"object", "array", "enum_body", "named_imports"}),
    "javascript": frozenset({"object", "array", "named_imports"}),
}
STATEMENTS: dict[str, frozenset[str]] = {
    "json": frozenset(),
    "yaml": frozenset({"block_mapping", "block_sequence"}),
    "python": frozenset({"block", "module"}),
    # `var ( … )` holds its specs in a `var_spec_list`; `const ( … )` holds them itself.
    "go": frozenset({"const_declaration", "var_declaration", "var_spec_list", "source_file"}),
    "typescript": frozenset({"program", "statement_block", "class_body"}),
    "tsx": frozenset({"program", "statement_block", "class_body"}),
    "javascript": frozenset({"program", "statement_block", "class_body"}),
}
# How far (lines) a unit may reach beyond the lines it was asked for: a LaunchDarkly item's
# `{` sits above its `"key"` line, a gate's `Gate: {` above its first spec; anything larger
# (a whole class, a function) is not what the definition meant.
SLACK_LINES = 2
COMMENT_KINDS = frozenset({"comment", "line_comment", "block_comment"})
# Never a definition's unit, however short: what they hold is code, not an entry.
FUNCTION_KINDS = frozenset(
    {
        "function_declaration",  # Go, TypeScript
        "method_declaration",
        "function_definition",  # Python
        "decorated_definition",
        "method_definition",
        "generator_function_declaration",
    }
)


def removal_language(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    lang = language_of(path)
    return lang if lang in SEPARATED else None


@dataclass(frozen=True)
class Target:
    """Lines (zero-based, inclusive) that hold something to delete, and the name or key the
    unit must contain (so a spec line never takes an unrelated neighbour with it)."""

    line: int
    end_line: int
    name: str
    lo: int | None = None  # the lines of the whole definition, for the slack check
    hi: int | None = None


@dataclass
class Removal:
    new_text: str
    deleted: list[tuple[int, int]] = field(default_factory=list)  # original lines, inclusive
    missing: list[Target] = field(default_factory=list)  # no unit found at these lines
    error: str | None = None
    # Names the deleted units declared (a Go constant or variable): what else names them
    # would no longer build.
    declared: list[str] = field(default_factory=list)


def objects_naming(text: str, field_name: str, key: str) -> list[Target]:
    """JSON objects with `"field_name": "key"`: an Unleash export's strategies and
    environments of a feature (`featureName`), which go with the feature."""
    out = []
    for pair in SgRoot(text, "json").root().find_all(kind="pair"):
        k, v = pair.field("key"), pair.field("value")
        obj = pair.parent()
        if k is None or v is None or obj is None or obj.kind() != "object":
            continue
        if k.text().strip('"') == field_name and v.text().strip('"') == key:
            r = obj.range()
            out.append(Target(r.start.line, r.end.line, key, r.start.line, r.end.line))
    return out


def unit_lines(
    text: str, lang: str, targets: Iterable[Target], root: SgNode | None = None
) -> list[tuple[int, int]]:
    """The lines (zero-based, inclusive) of the whole units at `targets`, as `delete_units`
    would delete them (with the comment lines right above): what a plan tells a human to
    delete. `root`: the text's tree, when the caller has it."""
    root = root if root is not None else SgRoot(text, lang).root()
    spans = set()
    for t in targets:
        node = _unit_at(text, root, lang, t)
        if node is not None:
            spans.add((_comment_start(text, node, lang), node.range().end.line))
    return sorted(spans)


def _comment_start(text: str, node: SgNode, lang: str) -> int:
    """The unit's first line, counting the comment lines right above it that `_delete`
    takes with it (a Go spec's doc comment)."""
    lines = text.split("\n")
    first = node.range().start.line
    if node.kind() in COMMENT_KINDS or lines[first][: node.range().start.column].strip():
        return first
    while first > 0 and _is_line_comment(lines[first - 1].strip(), lang):
        first -= 1
    return first


def delete_units(text: str, lang: str, targets: Iterable[Target]) -> Removal:
    """`text` without the units at `targets`; what could not be found is listed, and a
    result that would not parse is refused (the text comes back unchanged)."""
    root = SgRoot(text, lang).root()
    units: dict[tuple[int, int], tuple[int, int]] = {}  # (start, end) offset -> lines
    missing: list[Target] = []
    declared: list[str] = []
    for t in targets:
        node = _unit_at(text, root, lang, t)
        if node is None:
            missing.append(t)
            continue
        r = node.range()
        units[(r.start.index, r.end.index)] = (r.start.line, r.end.line)
        declared += _go_declared(node) if lang == "go" else []
    result = delete_spans(text, lang, units, missing)
    if not result.error:
        result.declared = sorted(set(declared))
    return result


GO_SPECS = ("const_spec", "var_spec")
GO_DECLARATIONS = ("const_declaration", "var_declaration")


def _go_specs(decl: SgNode) -> list[SgNode]:
    """The specs of a Go `const`/`var` declaration, in a parenthesised list or not."""
    out = []
    for c in decl.children():
        if c.kind() in GO_SPECS:
            out.append(c)
        elif c.kind() == "var_spec_list":
            out += [s for s in c.children() if s.kind() in GO_SPECS]
    return out


def _go_declared(node: SgNode) -> list[str]:
    """The names a Go unit declares: a spec's, every spec's of a whole declaration, a
    function's."""
    if node.kind() == "function_declaration":
        name = _function_name(node)
        return [name] if name else []
    specs = _go_specs(node) if node.kind() in GO_DECLARATIONS else [node]
    return [n.text() for s in specs if s.kind() in GO_SPECS for n in s.field_children("name")]


def delete_spans(
    text: str,
    lang: str,
    units: dict[tuple[int, int], tuple[int, int]],
    missing: list[Target] | None = None,
) -> Removal:
    """`text` without the container elements at these (start, end) offsets (-> their lines)."""
    missing = missing or []
    if not units:
        return Removal(new_text=text, missing=missing)
    out = text
    # Bottom-up, parsing again each time: what was deleted lies below the next unit (its
    # separator at most reaches back to the end of the element before), so offsets hold.
    for start, end in sorted(_outermost(units), reverse=True):
        node = _node_with_range(SgRoot(out, lang).root(), lang, start, end)
        if node is None:
            continue
        # Specs of one Go `var ( … )` deleted one by one: the last one takes the block.
        out = _delete(out, lang, _widen(node, lang))
    broken = check_valid(out, lang)
    if broken:
        return Removal(new_text=text, missing=missing, error=broken)
    return Removal(
        new_text=out, deleted=sorted(units[u] for u in _outermost(units)), missing=missing
    )


def _outermost(units: dict[tuple[int, int], tuple[int, int]]) -> list[tuple[int, int]]:
    """Units not inside another one (a constant's key line inside a deleted map entry)."""
    spans = sorted(units, key=lambda s: (s[0], -s[1]))
    out: list[tuple[int, int]] = []
    for s in spans:
        if out and s[0] >= out[-1][0] and s[1] <= out[-1][1]:
            continue
        out.append(s)
    return out


def check_valid(text: str, lang: str) -> str | None:
    """Why `text` is not a valid file of `lang`, or None."""
    if lang == "json":
        try:
            json.loads(text)
        except ValueError as exc:
            return f"the result would not be valid JSON: {exc}"
        return None
    if lang == "yaml":
        try:
            list(YAML(typ="safe", pure=True).load_all(io.StringIO(text)))
        except YAMLError as exc:
            return f"the result would not be valid YAML: {exc}"
        return None
    if lang == "python":
        try:
            compile(text, "<removal>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            return f"the result would not compile: {exc}"
        return None
    if SgRoot(text, lang).root().find(kind="ERROR") is not None:
        return f"the result would not parse as {lang}"
    return None


def _names(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def _is_container(node: SgNode | None, lang: str) -> bool:
    return node is not None and (
        node.kind() in SEPARATED.get(lang, ()) or node.kind() in STATEMENTS.get(lang, ())
    )


def _unit_at(text: str, root: SgNode, lang: str, t: Target) -> SgNode | None:
    """The innermost container element spanning the target's lines and naming it."""
    lines = text.split("\n")
    if t.line >= len(lines):
        return None
    first = lines[t.line]
    offset = sum(len(ln) + 1 for ln in lines[: t.line]) + (len(first) - len(first.lstrip()))
    chain: list[SgNode] = []
    node: SgNode | None = root
    while node is not None:
        chain.append(node)
        node = next(
            (c for c in node.children() if c.range().start.index <= offset < c.range().end.index),
            None,
        )
    lo = (t.lo if t.lo is not None else t.line) - SLACK_LINES
    hi = (t.hi if t.hi is not None else t.end_line) + SLACK_LINES
    for n in reversed(chain):
        r = n.range()
        if r.end.line < t.end_line or r.start.line > t.line:
            continue
        if r.start.line < lo or r.end.line > hi:
            return None  # the smallest unit naming it is far larger than the definition
        if n.kind() in FUNCTION_KINDS and _function_name(n) != t.name:
            # A registration inside a short function (`func init() { register("a", true);
            # register("b", false) }`): the function is not the definition, and took the
            # other flags' registrations with it. (A function named by the key, `def
            # new_checkout(): return True`, is the definition.)
            return None
        if n.is_named() and _is_container(n.parent(), lang) and _names(n.text(), t.name):
            if lang == "go" and n.kind() in GO_SPECS and not _go_spec_alone(n, t.name):
                return None
            return _widen(n, lang)
    return _keyed_unit(root, lang, t)


def _function_name(n: SgNode) -> str | None:
    inner = n.field("definition") if n.kind() == "decorated_definition" else n
    name = inner.field("name") if inner is not None else None
    return None if name is None else name.text()


def _go_spec_alone(spec: SgNode, name: str) -> bool:
    """A Go constant or variable spec that can go by itself: it declares `name` only, and
    is not in a `const` block whose values count with `iota` (or repeat the spec above:
    `B` after `A Kind = iota`), where deleting it changes the others' values."""
    names = [n.text() for n in spec.field_children("name")]
    if names != [name]:
        return False
    parent = spec.parent()
    if spec.kind() == "const_spec" and parent is not None:
        for s in _go_specs(parent):
            if s.field("value") is None or re.search(r"\biota\b", s.text()):
                return False
    return True


def _keyed_unit(root: SgNode, lang: str, t: Target) -> SgNode | None:
    """Several entries on the target's lines (a one-line JSON file): the smallest element
    within them that is keyed by the name (`"k": …`, `K: …`, `{"key": "k", …}`)."""
    best: SgNode | None = None
    stack = [root]
    while stack:
        node = stack.pop()
        r = node.range()
        if r.end.line < t.line or r.start.line > t.end_line:
            continue
        stack.extend(node.children())
        if (
            t.line <= r.start.line
            and r.end.line <= t.end_line
            and node.is_named()
            and _is_container(node.parent(), lang)
            and _keyed_by(node, t.name)
            and (best is None or r.end.index - r.start.index < _size(best))
        ):
            best = node
    return None if best is None else _widen(best, lang)


def _size(n: SgNode) -> int:
    return n.range().end.index - n.range().start.index


def _keyed_by(node: SgNode, name: str) -> bool:
    """The element's key is `name`: its first part (a pair's key, an assignment's target,
    descending a few levels), or the value of one of its own pairs (a LaunchDarkly item's
    `"key"`, an Unleash feature's `"name"`)."""
    n = node
    for _ in range(4):
        parts = [c for c in n.children() if c.is_named() and c.kind() not in COMMENT_KINDS]
        if not parts:
            break
        n = parts[0]
        if n.text().strip("\"'`") == name:
            return True
    for c in node.children():
        if c.kind() == "pair":
            value = c.field("value")
            if value is not None and value.text().strip("\"'`") == name:
                return True
    return False


def _widen(n: SgNode, lang: str) -> SgNode:
    """A Go `const X = …` is one spec of its declaration: the declaration (`const ( … )`,
    `var ( … )` around its `var_spec_list`) is the unit when it holds nothing else."""
    if lang != "go" or n.kind() not in GO_SPECS:
        return n
    decl = n.parent()
    if decl is not None and decl.kind() == "var_spec_list":
        decl = decl.parent()
    if decl is not None and decl.kind() in GO_DECLARATIONS and len(_go_specs(decl)) == 1:
        return decl
    return n


def _node_with_range(root: SgNode, lang: str, start: int, end: int) -> SgNode | None:
    node: SgNode | None = root
    while node is not None:
        r = node.range()
        # Several nodes can share a range (a statement and its expression): the one whose
        # parent is a container is the unit, as `_unit_at` chose it.
        if r.start.index == start and r.end.index == end and _is_container(node.parent(), lang):
            return node
        node = next(
            (
                c
                for c in node.children()
                if c.range().start.index <= start and c.range().end.index >= end
            ),
            None,
        )
    return None


def _delete(text: str, lang: str, n: SgNode) -> str:
    parent = n.parent()
    assert parent is not None
    siblings = parent.children()
    idx = next(i for i, c in enumerate(siblings) if c.range().start.index == n.range().start.index)
    start, end = n.range().start.index, n.range().end.index
    separated = parent.kind() in SEPARATED.get(lang, ())
    if separated:
        after = siblings[idx + 1] if idx + 1 < len(siblings) else None
        if after is not None and after.kind() == ",":
            end = after.range().end.index
        else:
            before = next(
                (c for c in reversed(siblings[:idx]) if c.kind() not in COMMENT_KINDS), None
            )
            if before is not None and before.kind() == ",":
                start = before.range().start.index
    elements = [
        c
        for c in siblings
        if c.is_named() and c.kind() not in COMMENT_KINDS and c.kind() not in ("{", "}")
    ]
    if lang == "python" and parent.kind() == "block" and len(elements) == 1:
        # An emptied class or function body needs a statement to stay Python.
        return text[:start] + "pass" + text[end:]
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    rest = text[end:line_end].strip()
    whole_lines = not text[line_start:start].strip() and (not rest or _is_line_comment(rest, lang))
    if not whole_lines and separated and text[end - 1 : end] == ",":
        # `{ a, b }` less `a`: the space after its comma goes too.
        while end < line_end and text[end] in " \t":
            end += 1
    if whole_lines:
        start = line_start
        end = min(line_end + 1, len(text))
        # Comment lines right above (no blank line between) describe the unit: they go too
        # (unless the unit is itself a comment: an annotation line, whose neighbours are
        # others'). By text, not siblings: Python keeps a class body's first comment
        # outside the body's node.
        if n.kind() not in COMMENT_KINDS:
            while start > 0:
                prev_start = text.rfind("\n", 0, start - 1) + 1
                if not _is_line_comment(text[prev_start : start - 1].strip(), lang):
                    break
                start = prev_start
    if separated and len(elements) == 1:
        # The last element: `{` … `}` left with only blanks between them close up (`{}`).
        inner_start = siblings[0].range().end.index
        inner_end = siblings[-1].range().start.index
        if start >= inner_start and end <= inner_end + 1:
            keep = text[inner_start:start] + text[end:inner_end]
            if not keep.strip():
                return text[:inner_start] + text[inner_end:]
    return _tidy_blank_lines(text[:start], text[end:])


def _tidy_blank_lines(head: str, tail: str) -> str:
    """Join the text around a deleted run of lines without leaving a blank line that gofmt
    (or any formatter) would take out: two in a row, or one just inside a bracket."""
    if not head.endswith("\n") and head:
        return head + tail
    if head and not tail.strip():
        # The file's last unit: no blank line left at its end.
        return head.rstrip("\n") + "\n"
    if not head:
        # Its first: no blank line left at its start.
        return tail.lstrip("\n")
    above = head[: len(head) - 1].rsplit("\n", 1)[-1] if head else ""
    below, _, after = tail.partition("\n")
    if (
        not below.strip()
        and tail
        and (not above.strip() or above.rstrip().endswith(("(", "{", "[")))
    ):
        return head + after
    next_line = below.strip()
    if not above.strip() and head and next_line[:1] in (")", "}", "]"):
        return head[: len(head) - 1 - len(above)] + tail
    return head + tail


def _is_line_comment(rest: str, lang: str) -> bool:
    return rest.startswith("#") if lang in ("python", "yaml") else rest.startswith("//")
