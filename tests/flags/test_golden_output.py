"""The flag audit's JSON and SARIF output on the demo, byte for byte.

Typed models replaced dicts inside the flag pipeline (issue 10); what users and CI read
must not move. Only what changes from run to run is normalised (run id, timestamps,
cache counts, ages). When an output change is intended, regenerate with
`SWATH_UPDATE_GOLDEN=1 ./scripts/test tests/flags/test_golden_output.py` and review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from swath.cli.main import main

from .conftest import DEMO, git

GOLDEN = Path(__file__).parent / "golden"
_VOLATILE = [
    (re.compile(r'"run_id": "[^"]*"'), '"run_id": "RUN"'),
    (re.compile(r'"(started_at|finished_at)": "[^"]*"'), r'"\1": "TIME"'),
    (re.compile(r'"(startTimeUtc|endTimeUtc)": "[^"]*"'), r'"\1": "TIME"'),
    (re.compile(r'"cached": \d+'), '"cached": 0'),
    (re.compile(r'"age_days": \d+'), '"age_days": 0'),
    (re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}"), "RUN"),
]


def _normalise(text: str, root: Path) -> str:
    text = text.replace(root.as_uri(), "file:///ROOT").replace(str(root), "/ROOT")
    for rx, repl in _VOLATILE:
        text = rx.sub(repl, text)
    return text


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_demo_output_is_unchanged(tmp_path: Path, fmt: str) -> None:
    root = tmp_path / "flags-demo"
    shutil.copytree(DEMO, root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "demo")
    out = tmp_path / f"out.{fmt}"
    rc = main(["-C", str(root), "run", "flag-audit", "--format", fmt, "-o", str(out)])
    assert rc == 0
    got = _normalise(out.read_text(encoding="utf-8"), root)
    golden = GOLDEN / f"flags-demo.{fmt}"
    if os.environ.get("SWATH_UPDATE_GOLDEN"):
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")
