"""A third party's analyzer, installed as a distribution with an entry point, runs by name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PLUGIN = """
from typing import ClassVar, Literal
from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.findings.model import Evidence, Finding, Range

class LongLines:
    name: ClassVar[str] = "long-lines"
    kind: ClassVar[Literal["map"]] = "map"
    description: ClassVar[str] = "lines over 20 characters"
    version: ClassVar[str] = "1"
    rules: ClassVar[list] = []

    def analyze(self, items, ctx: AnalyzerContext) -> AnalyzerOutput:
        out = []
        for item in items:
            for n, line in enumerate(ctx.workspace.read_text(item.path).splitlines()):
                if len(line) > 20:
                    out.append(Finding(rule="plugin/long-line", path=item.path, range=Range.of_line(n, 20, len(line)),
                                       message=f"{len(line)} characters", evidence=[Evidence(path=item.path, line=n, quote=line)]))
        return AnalyzerOutput(output={"n": len(out)}, findings=out)
"""

WORKFLOW = """name: long-lines
steps:
  - {id: files, kind: discover, source: files, with: {include: ["*.txt"]}}
  - {id: scan, kind: map, from: files, agent: {analyzer: long-lines}}
  - {id: check, kind: verify, from: scan}
  - {id: out, kind: emit, from: check}
"""


def test_entry_point_analyzer_is_found_validated_and_run(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist = site / "swath_longlines-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: swath-longlines\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[swath.analyzers]\nlong-lines = longlines_plugin:LongLines\n"
    )
    (site / "longlines_plugin.py").write_text(PLUGIN)
    work = tmp_path / "work"
    (work / ".swath" / "workflows").mkdir(parents=True)
    (work / ".swath" / "workflows" / "long-lines.yaml").write_text(WORKFLOW)
    (work / "a.txt").write_text("short\nthis line is certainly longer than twenty\n")
    env = {**os.environ, "PYTHONPATH": str(site), "ANTHROPIC_API_KEY": ""}

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "swath", "-C", str(work), *a],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    assert (
        run("workflows", "validate", str(work / ".swath/workflows/long-lines.yaml")).returncode == 0
    )
    proc = run("run", "long-lines", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [(f["rule"], f["range"]["start"]["line"], f["verified"]) for f in out["findings"]] == [
        ("plugin/long-line", 1, True)
    ]
    # Without the distribution on the path the same file is invalid, with the position of the name.
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "swath",
            "-C",
            str(work),
            "workflows",
            "validate",
            str(work / ".swath/workflows/long-lines.yaml"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "ANTHROPIC_API_KEY": ""},
        timeout=60,
    )
    assert bad.returncode == 2 and "long-lines.yaml:4:" in bad.stderr and "long-lines" in bad.stderr
