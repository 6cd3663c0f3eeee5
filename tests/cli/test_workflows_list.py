"""`swath workflows list` through the real CLI: every workflow with its inputs, in text and
JSON, and a saved workflow that does not load listed with its problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import swath
from tests.gitrepo import commit_files, init_repo

MINE = """\
name: mine
description: |
  Count the files.
  Second line, not shown in the listing.
inputs:
  depth:
    type: integer
    required: true
    description: >
      How deep to look,
      in folders.
  mode:
    default: fast
    choices: [fast, slow]
steps:
  - id: files
    kind: discover
    source: files
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"app/main.py": "X = 1\n"})
    saved = root / ".swath" / "workflows"
    saved.mkdir(parents=True)
    (saved / "mine.yaml").write_text(MINE, encoding="utf-8")
    # Listed by name (it parses) but fails the model: its problem is in the listing.
    (saved / "broken.yaml").write_text("name: broken\nsteps: 3\n", encoding="utf-8")
    (saved / "garbled.yaml").write_text("name: [garbled\n", encoding="utf-8")
    # An extension with no description of its own: the base's and its inputs apply.
    (saved / "lean.yaml").write_text(
        "extends: review-diff\nname: lean\ninputs:\n  passes:\n    default: security\n",
        encoding="utf-8",
    )
    return root


def test_text_listing_shows_each_workflows_inputs(repo: Path) -> None:
    proc = swath(repo, "workflows", "list")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("mine "))
    assert lines[at].split(None, 2)[1:] == [".swath/workflows/mine.yaml", "Count the files."]
    assert [line.strip() for line in lines[at + 1 : at + 3]] == [
        "input depth (integer, required): How deep to look, in folders.",
        "input mode (string, default fast, one of: fast, slow)",
    ]
    todo = lines.index(next(line for line in lines if line.startswith("todo-audit ")))
    assert lines[todo + 1].strip() == (
        "input max_age_days (integer, default 180): Comments older than this many days become findings."
    )
    lean = next(i for i, line in enumerate(lines) if line.startswith("lean "))
    assert "Review the lines a diff adds" in lines[lean]
    assert any(
        line.strip().startswith("input passes (string, default security, several of: all, security")
        for line in lines[lean + 1 : lean + 4]
    )
    broken = next(line for line in lines if line.startswith("broken "))
    assert "(unusable: .swath/workflows/broken.yaml:2:8: " in broken
    garbled = next(line for line in lines if line.startswith("garbled "))
    assert "(unusable: cannot read workflow:" in garbled
    # The broken files stop nothing: every built-in is still listed after them.
    names = [line.split()[0] for line in lines if line and not line[0].isspace()]
    assert {"map-module", "flag-audit", "review-diff", "todo-audit", "mine", "lean"} <= set(names)


def test_json_listing_carries_the_inputs_and_the_problems(repo: Path) -> None:
    proc = swath(repo, "workflows", "list", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    by_name = {w["name"]: w for w in json.loads(proc.stdout)}
    assert by_name["mine"]["error"] is None
    assert by_name["mine"]["inputs"] == {
        "depth": {
            "type": "integer",
            "default": None,
            "description": "How deep to look, in folders.\n",
            "required": True,
            "choices": None,
            "many": False,
        },
        "mode": {
            "type": "string",
            "default": "fast",
            "description": "",
            "required": False,
            "choices": ["fast", "slow"],
            "many": False,
        },
    }
    assert by_name["lean"]["inputs"]["passes"]["default"] == "security"
    assert set(by_name["lean"]["inputs"]) == {"base", "untracked", "passes"}
    assert by_name["broken"]["inputs"] == {}
    assert by_name["broken"]["error"].startswith(".swath/workflows/broken.yaml:2:8: ")
    assert by_name["review-diff"]["builtin"] is True
    assert by_name["review-diff"]["inputs"]["passes"]["many"] is True
