"""docs/workflows.md stays true to the loader."""

from __future__ import annotations

import re
from pathlib import Path

from swath.spec.loader import KnownNames, schema_names, validate_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflows.md"
KNOWN = KnownNames(
    tools={"read_file", "list_dir", "glob", "grep", "git_log", "git_blame", "git_diff", "symbols"},
    schemas=schema_names(),
    sources={"files", "grep", "flags"},
)


def _example() -> str:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    return next(b for b in blocks if b.startswith("name: "))


def test_documented_example_is_valid() -> None:
    wf, issues = validate_text(_example(), "sql-review.yaml", KNOWN)
    assert issues == [] and wf is not None


def test_documented_error_messages_are_real() -> None:
    broken = _example().replace("tools: [read_file, grep]", "toools: [read_file, grep]")
    broken = broken.replace("from: suspicious", "from: suspicous")
    _, issues = validate_text(broken, ".swath/workflows/sql-review.yaml", KNOWN)
    doc = DOC.read_text(encoding="utf-8")
    shown = [
        line for line in doc.splitlines() if line.startswith(".swath/workflows/sql-review.yaml:")
    ]
    assert len(shown) == 2
    for line, issue in zip(shown, issues, strict=True):
        assert str(issue).startswith(line.removesuffix("...")), (line, str(issue))
