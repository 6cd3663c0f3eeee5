"""A broken `.swath/flags.yaml` is a usage error with file:line:col, never a run on defaults."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from swath.sources.flags import FlagsConfigError

from .conftest import discover, make_repo

BROKEN = {
    # a matcher missing (line 6, column 5), then a misspelt key (line 8, column 5)
    ".swath/flags.yaml": """
    systems:
      - name: gates
        files: ["a.py"]
        definition: {regex: '(?P<key>x)'}
      - name: no-matcher
        files: ["a.py"]
        definition: {key: KEY}
    environmnet: production
    """,
    "flags.json": json.dumps({"ok": {"enabled": True}}),
    "a.py": 'client.is_enabled("ok")\n',
}


def test_each_problem_is_reported_with_file_line_and_column(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, BROKEN)
    with pytest.raises(FlagsConfigError) as caught:
        discover(ws)
    lines = str(caught.value).splitlines()[1:]
    assert any(
        line.startswith(".swath/flags.yaml:7:5: systems.1.definition.0:")
        and "exactly one of `pattern`, `rule` or `regex`" in line
        for line in lines
    ), lines
    assert any(
        line.startswith(".swath/flags.yaml:8:1: environmnet: Extra inputs") for line in lines
    ), lines


def test_invalid_yaml_points_at_the_syntax_error(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, {".swath/flags.yaml": "systems:\n  - name: [x\n", "a.py": "x = 1\n"})
    with pytest.raises(FlagsConfigError) as caught:
        discover(ws)
    (line,) = str(caught.value).splitlines()[1:]
    assert line.startswith(".swath/flags.yaml:3:1: invalid YAML:"), line


def test_the_cli_exits_2_and_prints_the_places(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, BROKEN)
    proc = subprocess.run(
        [sys.executable, "-m", "swath", "run", "flag-audit"],
        cwd=ws.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "\n.swath/flags.yaml:7:5: systems.1.definition.0:" in proc.stderr
    assert "\n.swath/flags.yaml:8:1: environmnet:" in proc.stderr
    assert "findings" not in proc.stdout.lower()
