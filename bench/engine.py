"""1,000 tasks that each wait 20 ms, at concurrency 16, through the real engine and store.

Prints wall time over the ideal (1000 / 16 × 20 ms = 1.25 s) — target ≤ 1.10 — and the
peak memory of the process. The waiting happens inside an analyzer on the engine's task
threads, the way a blocking analyzer (git blame, a parser) would wait.

    python bench/engine.py [--tasks 1000] [--concurrency 16] [--ms 20] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar, Literal

from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.analyzers.registry import register_builtin
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.findings.report import RuleInfo
from swath.spec.models import Workflow
from swath.spec.records import Item
from swath.store import RunStore
from swath.workspace import Workspace


class Wait:
    name: ClassVar[str] = "bench-wait"
    kind: ClassVar[Literal["map"]] = "map"
    description: ClassVar[str] = "waits"
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = []

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        time.sleep(ctx.params["ms"] / 1000)
        return AnalyzerOutput(output={"ids": [i.id for i in items]})


register_builtin("bench-wait", f"{__name__}:Wait")


async def one_run(root: Path, tasks: int, concurrency: int, ms: float) -> float:
    wf = Workflow.model_validate(
        {
            "name": "bench",
            "limits": {"concurrency": concurrency, "max_agents": tasks},
            "steps": [
                {
                    "id": "files",
                    "kind": "discover",
                    "source": "files",
                    "with": {"include": ["*.txt"]},
                },
                {
                    "id": "wait",
                    "kind": "map",
                    "from": "files",
                    "agent": {"analyzer": "bench-wait", "params": {"ms": ms}},
                },
            ],
        }
    )
    store = RunStore.open(root)
    engine = Engine(Workspace(root), store)
    plan_start = time.perf_counter()
    await engine.plan(wf, RunOptions(use_cache=False))
    discover_s = time.perf_counter() - plan_start
    start = time.perf_counter()
    report = await engine.run(wf, RunOptions(use_cache=False))
    wall = time.perf_counter() - start - discover_s  # discovery is not agent work
    await store.aclose()
    assert report.agents.succeeded == tasks, report.errors[:3]
    return wall


async def bare_floor(tasks: int, concurrency: int, ms: float) -> float:
    """The same waits through a bare semaphore and thread pool: what Python itself costs here."""
    pool = ThreadPoolExecutor(max_workers=concurrency)
    gate = asyncio.Semaphore(concurrency)
    loop = asyncio.get_running_loop()

    async def one() -> None:
        async with gate:
            await loop.run_in_executor(pool, time.sleep, ms / 1000)

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(tasks)))
    pool.shutdown()
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--ms", type=float, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="100 tasks, once: checks it still runs")
    args = ap.parse_args()
    if args.quick:
        args.tasks, args.repeat = min(args.tasks, 100), 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(args.tasks):
            (root / f"t{i:05d}.txt").write_text("x\n")
        ideal = args.tasks / args.concurrency * args.ms / 1000
        walls, floors = [], []
        for _ in range(args.repeat):  # alternate, so both see the same machine
            walls.append(asyncio.run(one_run(root, args.tasks, args.concurrency, args.ms)))
            floors.append(asyncio.run(bare_floor(args.tasks, args.concurrency, args.ms)))
    best, med = min(walls), statistics.median(walls)
    floor = statistics.median(floors)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"tasks={args.tasks} concurrency={args.concurrency} wait={args.ms:.0f}ms ideal={ideal:.3f}s"
    )
    print(f"wall median={med:.3f}s best={best:.3f}s runs={[round(w, 3) for w in walls]}")
    print(f"wall/ideal median={med / ideal:.3f} best={best / ideal:.3f} (target <= 1.10)")
    print(
        f"bare asyncio+threads floor median={floor:.3f}s ({floor / ideal:.3f} x ideal); "
        f"engine over floor {med / floor:.3f}"
    )
    print(f"peak memory (max RSS) {peak_mb:.0f} MiB")
    return 0 if med / ideal <= 1.10 or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
