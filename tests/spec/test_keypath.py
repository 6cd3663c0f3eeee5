"""Cursor -> YAML key path and key descriptions, for hover and completion."""

from __future__ import annotations

import pytest
from swath.spec.keypath import allowed_keys_at, description_for, hover_at, key_path_at, step_kind_at
from swath.spec.models import AgentSpec, Limits, MapStep

from .helpers import GOOD

LINES = GOOD.split("\n")


def _pos(needle: str, nth: int = 0) -> tuple[int, int]:
    hits = [(n, line.index(needle)) for n, line in enumerate(LINES) if needle in line]
    return hits[nth]


@pytest.mark.parametrize(
    "needle, nth, path",
    [
        ("name:", 0, ["name"]),
        ("concurrency", 0, ["limits", "concurrency"]),
        ("type: path", 0, ["inputs", "catalogue", "type"]),
        ("source: flags", 0, ["steps", 0, "source"]),
        ("catalogue: flags.yaml", 0, ["steps", 0, "with", "catalogue"]),
        ("batch", 0, ["steps", 1, "batch"]),
        ("analyzer", 0, ["steps", 1, "agent", "analyzer"]),
        ("grep]", 0, ["steps", 1, "agent", "tools", 1]),
        ("{% for", 0, ["steps", 1, "agent", "instructions"]),
        ("where:", 0, ["steps", 2, "where"]),
        ("outputs", 0, ["steps", 5, "outputs"]),
        ("- id: plan", 0, ["steps", 4]),
    ],
)
def test_key_path_at_in_valid_yaml(needle: str, nth: int, path: list[str | int]) -> None:
    line, col = _pos(needle, nth)
    assert key_path_at(GOOD, line, col + 1) == path


def test_value_position_gives_its_key() -> None:
    line, col = _pos("analyzer: flags")
    assert key_path_at(GOOD, line, col + len("analyzer: fl")) == ["steps", 1, "agent", "analyzer"]


def test_outside_the_document() -> None:
    assert key_path_at(GOOD, 999, 0) is None


PARTIAL = """\
name: x
steps:
  - id: a
    kind: map
    from: [b
    agent:
      analy
      tools:
        - read_file
        - gr
  - id: b
    kind: reduce
    ag
"""


@pytest.mark.parametrize(
    "line, col, path",
    [
        (3, 5, ["steps", 0, "kind"]),
        (6, 9, ["steps", 0, "agent", "analy"]),
        (8, 12, ["steps", 0, "agent", "tools", 0]),
        (9, 11, ["steps", 0, "agent", "tools", 1]),
        (10, 6, ["steps", 1, "id"]),
        (12, 6, ["steps", 1, "ag"]),
    ],
)
def test_key_path_at_in_broken_yaml(line: int, col: int, path: list[str | int]) -> None:
    assert key_path_at(PARTIAL, line, col) == path


def test_blank_line_gives_the_mapping_of_its_indentation() -> None:
    text = "name: x\nsteps:\n  - id: a\n    kind: map\n    agent:\n      \n"
    assert key_path_at(text, 5, 6) == ["steps", 0, "agent", ""]
    assert key_path_at(text, 5, 4) == ["steps", 0, ""]
    assert key_path_at(text, 5, 0) == [""]


def test_bare_word_typed_under_a_key_is_a_key_in_progress() -> None:
    text = "name: x\nsteps:\n  - id: a\n    kind: map\n    agent:\n      analy\n"
    assert key_path_at(text, 5, 11) == ["steps", 0, "agent", "analy"]


def test_compact_sequences_and_quoted_keys_without_parsing() -> None:
    text = 'name: x\nsteps:\n- id: a\n  "kind": map   # comment\n- id: b\n  agent:\n    tools: [\n'
    assert key_path_at(text, 3, 3) == ["steps", 0, "kind"]
    assert key_path_at(text, 5, 3) == ["steps", 1, "agent"]
    assert key_path_at(text, 6, 5) == ["steps", 1, "agent", "tools"]


def test_flow_mapping_when_valid() -> None:
    text = "name: x\nlimits: {concurrency: 4, budget_usd: 1}\nsteps: []\n"
    assert key_path_at(text, 1, 28) == ["limits", "budget_usd"]


def test_description_for_fields() -> None:
    assert (
        description_for(["limits", "concurrency"]) == Limits.model_fields["concurrency"].description
    )
    assert (
        description_for(["steps", 0, "agent", "tools"], "map")
        == AgentSpec.model_fields["tools"].description
    )
    assert (
        description_for(["steps", 0, "agent", "tools", 2], "map")
        == AgentSpec.model_fields["tools"].description
    )
    assert description_for(["steps", 3, "from"], "map") == MapStep.model_fields["from_"].description
    assert description_for(["inputs", "base"]) is not None  # the InputSpec docstring
    assert description_for(["nope"]) is None
    assert description_for(["steps", 0, "agent", "nope"], "map") is None


def test_description_for_resolves_the_kind() -> None:
    assert "synthesised" in (description_for(["steps", 0, "from"], "reduce") or "")
    assert "filtered" in (description_for(["steps", 0, "from"], "filter") or "")
    # without the kind only keys common to every kind are described
    assert description_for(["steps", 0, "from"]) is None
    assert (
        description_for(["steps", 0, "id"]) == "Unique name of the step; other steps refer to it."
    )
    assert "discover, map" in (description_for(["steps", 0, "kind"]) or "")
    assert "one agent per item" in (description_for(["steps", 0, "kind"], "map") or "")


def test_hover_reads_the_sibling_kind() -> None:
    line, col = _pos("from: checked")  # in the reduce step
    assert "synthesised" in (hover_at(GOOD, line, col + 1) or "")
    line, col = _pos("from: usages")  # in the filter step
    assert "filtered" in (hover_at(GOOD, line, col + 1) or "")


def test_step_kind_at_even_in_broken_yaml() -> None:
    assert step_kind_at(GOOD, 2) == "filter"
    assert step_kind_at(PARTIAL, 1) == "reduce"
    assert step_kind_at(PARTIAL, 7) is None


def test_allowed_keys_for_completion() -> None:
    keys = allowed_keys_at(["steps", 0], "reduce")
    assert set(keys) == {"id", "title", "needs", "kind", "from", "agent"}
    assert keys["from"].startswith("Step(s) whose results")
    assert "analyzer" in allowed_keys_at(["steps", 0, "agent"], "map")
    assert "concurrency" in allowed_keys_at(["limits"])
    assert allowed_keys_at(["name"]) == {}


def test_indentation_reading_agrees_with_the_parser_on_block_yaml() -> None:
    from swath.spec.keypath import _scan

    checked = 0
    for n, line in enumerate(LINES):
        stripped = line.strip()
        if not stripped or stripped.startswith(("{%", "Check", "-  {{")) or ":" not in stripped:
            continue
        col = len(line) - len(line.lstrip()) + (2 if stripped.startswith("- ") else 0)
        assert _scan(LINES, n, col + 1).cursor_path == key_path_at(GOOD, n, col + 1), line
        checked += 1
    assert checked > 30
