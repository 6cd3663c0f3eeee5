"""Valid workflows load; the step graph is ordered and navigable."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from swath.spec.loader import (
    KnownNames,
    WorkflowError,
    downstream,
    load_workflow,
    load_workflow_text,
    step_order,
    validate_text,
)
from swath.spec.models import EmitStep, MapStep

from .helpers import GOOD, KNOWN


def test_good_workflow_loads_with_every_check_on() -> None:
    wf, issues = validate_text(GOOD, "good.yaml", KNOWN)
    assert issues == []
    assert wf is not None
    assert wf.name == "flag-cleanup"
    assert wf.limits.concurrency == 8 and wf.limits.max_agents == 1000
    usages = wf.step("usages")
    assert isinstance(usages, MapStep)
    assert usages.from_ == "flags" and usages.agent.tools == ["read_file", "grep"]
    assert usages.agent.instructions is not None and usages.agent.instructions.startswith(
        "Check whether"
    )
    assert type(wf.step("flags").with_) is dict  # plain data, not ruamel's CommentedMap


def test_step_order_and_downstream() -> None:
    wf = load_workflow_text(GOOD, "good.yaml")
    assert step_order(wf) == ["flags", "usages", "removable", "checked", "plan", "publish"]
    assert downstream(wf) == {
        "flags": ["usages"],
        "usages": ["removable"],
        "removable": ["checked"],
        "checked": ["plan", "publish"],
        "plan": ["publish"],
        "publish": [],
    }


def test_emit_waits_for_its_outputs_and_report() -> None:
    wf = load_workflow_text(GOOD, "good.yaml")
    publish = wf.step("publish")
    assert isinstance(publish, EmitStep)
    assert publish.upstream() == ["checked", "plan"]


def test_step_order_is_stable_in_file_order_and_follows_dependencies() -> None:
    text = """\
name: x
steps:
  - id: report
    kind: emit
    from: [b, a]
  - id: b
    kind: discover
    source: diff
  - id: a
    kind: discover
    source: files
  - id: c
    kind: discover
    source: flags
"""
    wf = load_workflow_text(text, "x.yaml")
    assert step_order(wf) == ["b", "a", "report", "c"]


def test_load_workflow_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "flags.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_workflow(path, KNOWN).name == "flag-cleanup"


def test_load_workflow_reports_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nsteps: []\n", encoding="utf-8")
    with pytest.raises(WorkflowError) as info:
        load_workflow(path)
    assert str(info.value).startswith(f"{path}:2:8: ")


def test_load_workflow_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_workflow(tmp_path / "nope.yaml")


def test_undecodable_file_is_a_workflow_error(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(WorkflowError) as info:
        load_workflow(path)
    assert info.value.issues[0].code == "io"


def test_anchors_and_merge_keys_load() -> None:
    text = """\
name: x
steps:
  - id: a
    kind: discover
    source: files
  - id: m
    kind: map
    from: a
    agent: &agent
      analyzer: flags
      tools: [read_file]
  - id: r
    kind: reduce
    from: m
    agent:
      <<: *agent
      output: report
"""
    wf = load_workflow_text(text, "x.yaml", KNOWN)
    assert wf.step("r").agent.analyzer == "flags"
    assert wf.step("r").agent.output == "report"


def test_known_names_with_empty_sets_reject_everything() -> None:
    text = "name: x\nsteps:\n  - id: a\n    kind: discover\n    source: files\n"
    wf, issues = validate_text(text, "x.yaml", KnownNames(sources=set()))
    assert wf is None
    assert "no sources are available" in issues[0].message


# -- property: any DAG, written in any order, loads and is ordered correctly -----------------


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[str], dict[str, list[str]], list[int]]:
    n = draw(st.integers(min_value=1, max_value=9))
    ids = [f"s{i}" for i in range(n)]
    deps: dict[str, list[str]] = {ids[0]: []}
    for i in range(1, n):
        deps[ids[i]] = draw(st.lists(st.sampled_from(ids[:i]), min_size=1, max_size=3, unique=True))
    order = draw(st.permutations(list(range(n))))
    return ids, deps, list(order)


def _render(ids: list[str], deps: dict[str, list[str]], order: list[int]) -> str:
    lines = ["name: prop", "steps:"]
    for i in order:
        sid = ids[i]
        if not deps[sid]:
            lines += [f"  - id: {sid}", "    kind: discover", "    source: files"]
            continue
        first, *rest = deps[sid]
        lines += [f"  - id: {sid}", "    kind: filter", f"    from: {first}", "    where: 'true'"]
        if rest:
            lines.append(f"    needs: [{', '.join(rest)}]")
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(dags())
def test_any_dag_in_any_file_order_loads_and_orders(
    case: tuple[list[str], dict[str, list[str]], list[int]],
) -> None:
    ids, deps, order = case
    wf, issues = validate_text(_render(ids, deps, order), "prop.yaml", KNOWN)
    assert issues == [] and wf is not None
    result = step_order(wf)
    assert sorted(result) == sorted(ids)
    position = {sid: i for i, sid in enumerate(result)}
    for sid, ups in deps.items():
        assert all(position[u] < position[sid] for u in ups)
    file_order = [ids[i] for i in order]
    if all(all(file_order.index(u) < file_order.index(s) for u in deps[s]) for s in ids):
        assert result == file_order  # already topological: file order is kept
    down = downstream(wf)
    for sid, ups in deps.items():
        for u in ups:
            assert sid in down[u]
