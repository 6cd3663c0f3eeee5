"""Benchmark: map-module on a large real package beside grimp, in one run.

Copies an installed package (sympy by default: ~1,500 files, 750 k lines; a test
dependency) into a temporary workspace, then times, alternating so machine noise hits
both alike:

- grimp's `build_graph(PACKAGE, cache_dir=None)`: the import graph alone, in Rust;
- the first map: the built-in `map-module` workflow through the real engine and store,
  in this process (workers parse on every core), with a fresh store;
- the re-map after one changed file (its batch is parsed again, the rest is cached);
- a fully cached re-run, and how many bytes it added to the store;
- once more, a first map in a fresh interpreter, for the peak memory a `swath run` of it
  holds (this process's peak is every map's: the allocator keeps what each one freed).

The maps run with the collector `swath run` and the language server's run worker use
(`gcpause.one_shot_collector`). Prints medians, files per second, this process's and the parse workers' CPU, the load
average, the first map's ratio to grimp (target <= 4.5) and peak memory (this process, the largest parse worker, grimp's process: each its own VmHWM).
Then a generated TypeScript tree that imports through tsconfig aliases (bench/map_ts.py), mapped by swath and, when installed,
by dependency-cruiser: times side by side, and recall/precision of swath's edges against
dependency-cruiser's. `--quick` maps one sub-package once and a small TS tree (a test runs it).

    .venv/bin/python bench/map.py [--package sympy] [--repeat 3] [--quick] [--ts-features N] [--no-ts]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import map_ts  # bench/map_ts.py, beside this file
from swath import procpool
from swath.analyzers.symbols import FACTS_WORKER
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.gcpause import one_shot_collector
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import load_workflow
from swath.store import RunStore
from swath.workspace import Workspace

QUICK_SUBPACKAGE = "combinatorics"


def copy_package(name: str, dest: Path, quick: bool) -> int:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"bench/map.py: package {name!r} is not installed (pip install {name})")
    src = Path(next(iter(spec.submodule_search_locations)))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    if quick:  # the top package's __init__ and one sub-package: grimp and swath see the same
        (dest / name).mkdir(parents=True)
        shutil.copy(src / "__init__.py", dest / name / "__init__.py")
        shutil.copytree(src / QUICK_SUBPACKAGE, dest / name / QUICK_SUBPACKAGE, ignore=ignore)
    else:
        shutil.copytree(src, dest / name, ignore=ignore)
    return sum(1 for _ in (dest / name).rglob("*.py"))


def peak_mib(pid: int | str = "self") -> float | None:
    """A process's own peak resident memory (VmHWM), None where /proc cannot say.

    Not `getrusage(RUSAGE_CHILDREN)`: Linux carries the parent's resident size at fork into
    the child's `ru_maxrss` across exec, so every child "peaked" at this process's size.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


GRIMP_PEAK: list[float] = []
# This process's CPU seconds (all its threads; not the parse workers') of each map_once.
CPU: list[float] = []
# The parse workers' CPU seconds (user + system, from /proc) of each map_once.
WORKER_CPU: list[float] = []


def workers_cpu() -> float:
    """CPU seconds the running parse workers have used (0 where /proc cannot say)."""
    if not procpool.running(FACTS_WORKER):
        return 0.0
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in procpool.get(FACTS_WORKER).pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def grimp_build(root: Path, name: str) -> tuple[float, int]:
    """grimp in a fresh interpreter, so its module cache and ours do not mix."""
    code = (
        "import sys, time, grimp; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); "
        "g = grimp.build_graph(sys.argv[2], cache_dir=None); w = time.perf_counter() - t; "
        "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')]; "
        "print(w, len(g.modules), hwm[0] if hwm else 0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(root), name], capture_output=True, text=True, check=True
    ).stdout.split()
    if int(out[2]):
        GRIMP_PEAK.append(int(out[2]) / 1024)
    return float(out[0]), int(out[1])


async def map_once(root: Path, paths: list[str]) -> tuple[float, dict[str, Any]]:
    """(wall seconds, the map's edges and markdown line count).

    Only small values come back: under Python 3.11, `asyncio.run` formats its main task's
    result when it restores the SIGINT handler, and formatting a whole run report costs
    seconds.
    """
    wf = load_workflow(builtin_workflows_dir() / "map-module.yaml")
    store = RunStore.open(root)
    engine = Engine(Workspace(root), store)
    start, cpu, wcpu = time.perf_counter(), time.process_time(), workers_cpu()
    report = await engine.run(wf, RunOptions(paths=paths, max_agents=10_000))
    wall = time.perf_counter() - start
    CPU.append(time.process_time() - cpu)
    WORKER_CPU.append(max(workers_cpu() - wcpu, 0.0))  # a worker restarted: its CPU is lost
    await store.aclose()
    if report.status.value != "succeeded":
        raise SystemExit(f"bench/map.py: the map {report.status.value}: {report.errors[:3]}")
    modmap = report.outputs["modmap"]
    return wall, {
        "edges": {(e["from"], e["to"]) for e in modmap["edges"]},
        "markdown_lines": len(modmap["markdown"].splitlines()),
        "findings": len(report.findings),
    }


def fresh_process_first_map(root: Path, name: str) -> tuple[float, float]:
    """(peak MiB, wall seconds) of one first map in a fresh interpreter with a fresh store,
    what `swath run map-module` holds: this process's peak is all of its maps' (the
    allocator keeps what each one freed), and its workers are warm. The wall includes
    starting the fresh process's parse workers."""
    fresh_store(root)
    out = subprocess.run(
        [sys.executable, __file__, "--first-map-in", str(root), "--package", name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


def first_map_in(root: Path, name: str) -> int:
    """`--first-map-in ROOT`: one map of ROOT/name, then this process's peak and the wall."""
    with one_shot_collector():
        wall, _ = asyncio.run(map_once(root, [name]))
    procpool.shutdown()
    print(
        f"{peak_mib() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} {wall:.3f}"
    )
    return 0


def store_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / ".swath").glob("swath.db*"))


def fresh_store(root: Path) -> None:
    shutil.rmtree(root / ".swath", ignore_errors=True)


def touch_one(root: Path, name: str, n: int) -> None:
    target = root / name / "__init__.py"
    with target.open("a", encoding="utf-8") as fh:
        fh.write(f"# bench edit {n}\n")


def python_side(args: argparse.Namespace, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="swath-map-bench-") as tmp:
        root = Path(tmp)
        files = copy_package(args.package, root, args.quick)
        paths = [args.package]
        asyncio.run(map_once(root, paths))  # warm the page cache and the parse workers
        grimps, firsts, remaps, cached = [], [], [], []
        cpus: dict[str, list[float]] = {"first": [], "remap": [], "cached": []}
        wcpus: dict[str, list[float]] = {"first": [], "remap": [], "cached": []}
        modules = 0
        growth = 0
        info: dict[str, Any] = {}
        for n in range(repeat):
            g, modules = grimp_build(root, args.package)
            grimps.append(g)
            fresh_store(root)
            wall, info = asyncio.run(map_once(root, paths))
            firsts.append(wall)
            cpus["first"].append(CPU[-1])
            wcpus["first"].append(WORKER_CPU[-1])
            touch_one(root, args.package, n)
            remaps.append(asyncio.run(map_once(root, paths))[0])
            cpus["remap"].append(CPU[-1])
            wcpus["remap"].append(WORKER_CPU[-1])
            before = store_bytes(root)
            cached.append(asyncio.run(map_once(root, paths))[0])
            cpus["cached"].append(CPU[-1])
            wcpus["cached"].append(WORKER_CPU[-1])
            growth = store_bytes(root) - before
        fresh = fresh_process_first_map(root, args.package)
    g, first, remap = (
        statistics.median(grimps),
        statistics.median(firsts),
        statistics.median(remaps),
    )
    print(
        f"package={args.package}{' (quick: ' + QUICK_SUBPACKAGE + ')' if args.quick else ''} "
        f"files={files} grimp_modules={modules} swath_edges={len(info['edges'])} runs={repeat} "
        f"findings={info['findings']} report_lines={info['markdown_lines']}"
    )
    print(f"grimp build_graph median={g:.3f}s ({files / g:.0f} files/s)")
    print(
        f"swath first map median={first:.3f}s ({files / first:.0f} files/s) "
        f"runs={[round(x, 3) for x in firsts]}"
    )
    print(
        f"swath re-map after one changed file median={remap:.3f}s "
        f"runs={[round(x, 3) for x in remaps]}"
    )
    print(
        f"swath fully cached re-run median={statistics.median(cached):.3f}s; "
        f"store grew {growth / 1024:.1f} KiB"
    )
    print(f"ratio first map / grimp = {first / g:.2f} (target <= 4.5)")
    print(
        f"first map in a fresh process: peak {fresh[0]:.0f} MiB (target <= 150), "
        f"wall {fresh[1]:.3f}s with its parse workers' start"
    )
    print(
        "this process's CPU (its threads, not the parse workers), medians: "
        + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in cpus.items())
    )
    print(
        "the parse workers' CPU, medians: "
        + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in wcpus.items())
    )


def ts_side(args: argparse.Namespace) -> None:
    features, per = (4, 10) if args.quick else (args.ts_features, 25)
    with tempfile.TemporaryDirectory(prefix="swath-map-bench-ts-") as tmp:
        root = Path(tmp)
        files = map_ts.generate(root, features, per)
        asyncio.run(map_once(root, ["src"]))  # warm
        fresh_store(root)
        wall, info = asyncio.run(map_once(root, ["src"]))
        line = f"typescript generated files={files} swath first map={wall:.3f}s ({files / wall:.0f} files/s) edges={len(info['edges'])}"
        binary = map_ts.depcruise_bin()
        if binary is None:
            print(
                line
                + "; dependency-cruiser not installed (bench/install-tools.sh, or set DEPCRUISE)"
            )
            return
        dc_wall, theirs = map_ts.depcruise_edges(root, binary)
        score = map_ts.compare(info["edges"], theirs)
        print(
            line + f"; dependency-cruiser {dc_wall:.3f}s edges={len(theirs)}; ratio swath / "
            f"dependency-cruiser = {wall / dc_wall:.2f}; recall {score['recall']:.3f} "
            f"precision {score['precision']:.3f} F1 {score['f1']:.3f}"
        )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", default="sympy")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one sub-package, once; a small TS tree")
    ap.add_argument("--ts-features", type=int, default=48, help="TS tree: folders of 25 files")
    ap.add_argument("--no-ts", action="store_true", help="skip the TypeScript tree")
    ap.add_argument("--first-map-in", type=Path, help=argparse.SUPPRESS)  # fresh_process_first_map
    args = ap.parse_args()
    if args.first_map_in:
        return first_map_in(args.first_map_in, args.package)
    repeat = 1 if args.quick else args.repeat
    print("load average at the start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    # The collector as `swath run` and the language server's run worker set it (a larger
    # young generation): what a user's map pays, not the interpreter's defaults.
    with one_shot_collector():
        python_side(args, repeat)
        if not args.no_ts:
            ts_side(args)
    peak_self = peak_mib() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = [peak_mib(pid) for pid in procpool.get(FACTS_WORKER).pids()]
    worker_peak = max((w for w in workers if w is not None), default=None)
    print(
        f"peak memory: this process {peak_self:.0f} MiB, largest parse worker "
        + (f"{worker_peak:.0f} MiB" if worker_peak is not None else "n/a")
        + (f", grimp {max(GRIMP_PEAK):.0f} MiB" if GRIMP_PEAK else "")
    )
    print("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    procpool.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
