"""Hostile workflow files: an alias bomb and deep nesting end in exit 2 with a location,
in bounded time and memory, and a broken saved workflow leaves every other one usable."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swath.spec.loader import validate_text
from swath.spec.yaml_bounds import YamlLimits, YamlTooComplex, check_yaml_bounds
from tests.gitrepo import commit_files, init_repo

MEMORY_CAP = 1024 * 1024 * 1024  # the unbounded bomb grew past 23 GB


def alias_bomb(levels: int = 9) -> str:
    lines = ["name: bomb", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    lines.append(f"steps: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def deep_nesting(depth: int = 20_000) -> str:
    return "name: deep\nsteps: " + "[" * depth + "]" * depth + "\n"


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def swath(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """The process and the CPU seconds it used: CPU time, unlike the wall clock, does not
    grow when other work shares the machine, so the bound below means the same on CI."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-m", "swath", *args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_cap_memory,
        env={**os.environ, "ANTHROPIC_API_KEY": "", "NO_COLOR": "1"},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc, cpu


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (alias_bomb(), "bomb.yaml:7:", "alias bomb"),
        (deep_nesting(), "bomb.yaml:2:71:", "nested more than 64 levels"),
        ("name: big\n# " + "x" * 1_100_000 + "\n", "bomb.yaml:1:1:", "over the limit"),
    ],
    ids=["alias-bomb", "deep-nesting", "too-large"],
)
def test_validate_refuses_with_a_location_in_bounded_time_and_memory(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    (tmp_path / "bomb.yaml").write_text(text)
    proc, elapsed = swath(tmp_path, "workflows", "validate", "bomb.yaml")
    assert proc.returncode == 2, proc.stderr
    out = proc.stdout + proc.stderr
    assert where in out and what in out, out
    assert "Traceback" not in out
    # CPU seconds, under a 1 GB address-space cap, where it used to grow to 23 GB in 547 s
    assert elapsed < 10, elapsed


def test_a_broken_saved_workflow_breaks_only_itself(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"app/main.py": "# TODO: one\n"})
    saved = root / ".swath" / "workflows"
    saved.mkdir(parents=True)
    (saved / "bomb.yaml").write_text(alias_bomb())
    (saved / "deep.yaml").write_text(deep_nesting())
    good = (Path(__file__).parents[2] / "server/swath/spec/workflows/todo-audit.yaml").read_text()
    (saved / "mine.yaml").write_text(good.replace("name: todo-audit", "name: mine", 1))

    listing, _ = swath(root, "workflows", "list")
    assert listing.returncode == 0, listing.stderr
    assert "mine" in listing.stdout and "map-module" in listing.stdout
    assert "bomb" in listing.stdout and "unusable: cannot read workflow: aliases" in listing.stdout

    for workflow in ("mine", "todo-audit"):  # a saved one and a built-in both still run
        ran, _ = swath(root, "run", workflow, "-i", "as_of=2025-06-01", "--format", "json")
        assert ran.returncode == 0, ran.stderr
        assert '"status": "succeeded"' in ran.stdout

    bad, elapsed = swath(root, "run", "bomb")
    assert bad.returncode == 2 and "bomb.yaml:7:" in bad.stderr + bad.stdout
    assert elapsed < 10


def test_limits_count_expansion_without_expanding() -> None:
    start = time.process_time()
    with pytest.raises(YamlTooComplex) as caught:
        check_yaml_bounds(alias_bomb(levels=30))  # 9**30 values if expanded
    assert time.process_time() - start < 2
    assert caught.value.problem_mark.line == 6  # where the expansion crosses the limit

    check_yaml_bounds("a: &x [1, 2]\nb: [*x, *x]\n")  # ordinary anchors are fine
    with pytest.raises(YamlTooComplex, match="more than 2 aliases"):
        check_yaml_bounds("a: &x 1\nb: [*x, *x, *x]\n", YamlLimits(max_aliases=2))
    with pytest.raises(YamlTooComplex, match="contains it"):
        check_yaml_bounds("a: &x [1, *x]\n")


def test_editor_and_cli_report_the_same_problem() -> None:
    wf, issues = validate_text(alias_bomb(), "bomb.yaml")
    assert wf is None
    assert [(i.line, i.code) for i in issues] == [(7, "yaml")]
    assert "alias bomb" in issues[0].message
