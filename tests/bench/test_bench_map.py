"""bench/map.py --quick runs, prints its side-by-side figures, and its map agrees with grimp
and, on the generated TypeScript tree with tsconfig aliases, with dependency-cruiser."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests import tools

BENCH = Path(__file__).resolve().parents[2] / "bench" / "map.py"


def test_bench_map_quick_prints_ratios_and_memory() -> None:
    depcruise = tools.depcruise_or_none()
    env = dict(os.environ, **({"DEPCRUISE": depcruise} if depcruise else {}))
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=280,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    head = re.search(r"files=(\d+) grimp_modules=(\d+) swath_edges=(\d+)", out)
    assert head, out
    files, modules, edges = map(int, head.groups())
    assert files > 40 and modules >= files - 5 and edges > 50
    assert re.search(r"ratio first map / grimp = \d+\.\d\d \(target <= 4\.5\)", out)
    assert re.search(r"re-map after one changed file median=\d+\.\d+s", out)
    fresh = re.search(r"first map in a fresh process: peak (\d+) MiB \(target <= 150\)", out)
    assert fresh and 30 < int(fresh.group(1)) < 400, out  # its own peak, imports included
    growth = float(re.search(r"store grew (-?\d+\.\d) KiB", out).group(1))  # type: ignore[union-attr]
    assert growth < 64  # a fully cached re-run stores next to nothing
    ts = re.search(r"typescript generated files=(\d+) .* edges=(\d+)", out)
    assert ts and int(ts.group(2)) == 3 * (int(ts.group(1)) - 10), out  # every alias resolved
    if depcruise:  # the same edges as dependency-cruiser's, none more, none fewer
        assert "recall 1.000 precision 1.000" in out, out
    # each process's own peak: a worker is not charged with the parent's size at fork
    peaks = re.search(r"peak memory: this process (\d+) MiB, largest parse worker (\d+) MiB", out)
    assert peaks, out
    assert 0 < int(peaks.group(2)) < 150
