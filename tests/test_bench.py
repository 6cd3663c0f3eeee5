"""Every benchmark in bench/ runs in its `--quick` mode: a benchmark nothing runs rots.

Each must finish and print its ratio line; the figures of a quick run on a shared test
machine mean nothing, so no timing is asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
# The line each benchmark's verdict is on.
RATIO_LINE = {
    "agents.py": "wall/ideal",
    "engine.py": "wall/ideal median=",
    "flags.py": "ratio scan/baseline:",
    "lsp_latency.py": "worst p99 under load",
    "map.py": "ratio first map / grimp =",
    "redaction.py": "ratio unfiltered/prefiltered:",
    "review.py": "ratio in-process / floor:",
    "review_noise.py": "findings per 1,000 added lines:",
}


# Modules the benchmarks import, not benchmarks themselves.
HELPERS = {"map_ts.py"}


def test_every_benchmark_is_listed() -> None:
    assert sorted(p.name for p in BENCH.glob("*.py") if p.name not in HELPERS) == sorted(RATIO_LINE)


# tests/bench/test_bench_map.py runs bench/map.py --quick and checks its figures.
RUN_ELSEWHERE = {"map.py"}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("script", sorted(set(RATIO_LINE) - RUN_ELSEWHERE))
def test_quick_mode_runs_and_prints_its_ratio(script: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")},
            "PYTHONPATH": str(REPO),
        },
    )
    if script == "review_noise.py" and "cannot get the sdists" in proc.stderr:
        pytest.skip("review_noise needs `pip download` of two sdists, which failed here")
    assert proc.returncode == 0, f"{script}: {proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    assert RATIO_LINE[script] in proc.stdout, proc.stdout[-2000:]
    if script == "flags.py":  # issue 12's property-name case, with its time and memory
        assert "property-name case:" in proc.stdout and "peak memory (property case)" in proc.stdout
