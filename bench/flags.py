"""Benchmark: the flag reference scan beside ripgrep (or git grep) on one generated tree.

Generates a repository of 20,000 files (.py/.ts/.go, ~2 M lines) with 500 flags defined in
a flagd file and referenced from ~3 % of the files (SDK calls, constants, plain literals),
then times, in the same run and alternating so that machine noise hits both alike:

- `rg -F -f keys.txt --count-matches` (ripgrep, both cores) when installed, else
  `git grep -F -f keys.txt -c`: the floor for "find these 500 strings";
- the `flags` source's reference scan (listing, Aho-Corasick over bytes in worker
  processes, constants followed) and the whole `discover` (definitions + scan + items).

Prints the medians, the ratio to the baseline (target: <= 2x), files per second and peak
memory. First, in a process of its own, the property-name case of issue 12: a TypeScript
monorepo whose flag keys also sit in object properties (`name: 'learningLab'`) while
`name` is used everywhere, with discover's time, the keys' reference counts and peak
memory (`--case property` runs only that, `--case ripgrep` only the comparison); then the
homegrown-system case (`--case homegrown`): discover on a Python tree whose flags are an
Enum's members, with and without the search for reads through reference patterns whose key
is built at run time (`Feature[name]`). `--full` also times the offline analysis of every flag (ast-grep on each
referenced file, history, edits), which the scan leaves to the map step.

`--case unleash` (opt-in: it fetches a package from the npm registry, so `all` leaves it out)
is the real tree with common-word keys: unleash-server 7.5.1 (`npm pack`, ~7,000 files, its
compiled server and built frontend) with a `.swath/flags.yaml` for its experimental flags,
whose keys include `enabled` and `demo`. It times the whole `swath run flag-audit` in a
process of its own (wall, CPU with the workers', peak RSS: medians and ranges), with
Python's bytecode cache written as an installed Swath has it (after one untimed run that
writes it), and with `--against DIR` (another checkout's `server/`) the same run of that
code, alternating, with whether the two reports are the same apart from their run ids and
times.

    .venv/bin/python bench/flags.py [--files N] [--keys N] [--repeat N] [--keep DIR] [--full]
                                    [--case ripgrep|property|homegrown|unleash|all]
                                    [--property-files N] [--homegrown-files N]
                                    [--npm-cache DIR] [--against DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any
from pathlib import Path

from swath.analyzers.base import AnalyzerContext
from swath.analyzers.flags.analyzer import FlagClassify
from swath.sources.base import SourceContext
from swath.sources.flagdefs import scan as scan_mod
from swath.sources.flagdefs import scanpool
from swath.sources.flagdefs.listing import scan_paths
from swath.sources.flagdefs.scan import DefinitionSpan, scan_references
from swath.sources.flagdefs.sdk import default_call_names
from swath.sources.flags import FlagsSource
from swath.spec.records import Item
from swath.workspace import Workspace

WORDS = [
    "user",
    "order",
    "cart",
    "total",
    "price",
    "item",
    "count",
    "value",
    "result",
    "index",
    "config",
    "data",
    "request",
    "response",
    "session",
    "token",
    "cache",
    "queue",
    "event",
    "record",
    "batch",
]


def make_keys(n: int, rng: random.Random) -> list[str]:
    """Keys without a shared prefix (the case that defeats a regex alternation)."""
    keys: set[str] = set()
    while len(keys) < n:
        a, b = rng.sample(WORDS, 2)
        style = rng.randrange(3)
        suffix = "".join(rng.choices(string.ascii_lowercase, k=3))
        keys.add({0: f"{a}_{b}_{suffix}", 1: f"{a}-{b}-{suffix}", 2: f"{a}.{b}.{suffix}"}[style])
    return sorted(keys)


def filler(ext: str, rng: random.Random, n: int) -> list[str]:
    out = []
    for i in range(n):
        a, b, c = rng.choice(WORDS), rng.choice(WORDS), rng.choice(WORDS)
        if ext == "py":
            out.append(f"    {a}_{i} = {b}.{c}({i})")
        elif ext == "ts":
            out.append(f"  const {a}{i} = {b}.{c}({i});")
        else:
            out.append(f"\t{a}{i} := {b}.{c}({i})")
    return out


def reference_line(ext: str, key: str, rng: random.Random) -> str:
    kind = rng.randrange(4)
    if ext == "py":
        return [
            f'    if client.get_boolean_value("{key}", False):',
            f'    if ld.variation("{key}", ctx, False):',
            f'    log.info("flag %s", "{key}")',
            f'    if unleash.is_enabled("{key}"):',
        ][kind]
    if ext == "ts":
        return [
            f'  if (await client.getBooleanValue("{key}", false)) {{}}',
            f"  const on = ld.boolVariation('{key}', c, false);",
            f'  track("{key}");',
            f'  if (unleash.isEnabled("{key}")) {{}}',
        ][kind]
    return [
        f'\tif on, _ := client.BooleanValue(ctx, "{key}", false, ec); on {{}}',
        f'\ton, _ := ld.BoolVariation("{key}", u, false)',
        f'\tlog.Print("{key}")',
        f'\tif unleash.IsEnabled("{key}") {{}}',
    ][kind]


def generate(
    root: Path, n_files: int, lines: int, keys: list[str], share: float, seed: int = 7
) -> int:
    rng = random.Random(seed)
    total = 0
    consts = {}
    for i, key in enumerate(keys[: len(keys) // 20]):  # 5 % of the keys live in constants
        consts[key] = f"FLAG_{i}"
    (root / "flags").mkdir(parents=True)
    flagd = {
        "flags": {
            k: {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": rng.choice(["on", "off"]),
            }
            for k in keys
        }
    }
    (root / "flags" / "flags.flagd.json").write_text(json.dumps(flagd, indent=2))
    const_lines = [f'{name} = "{key}"' for key, name in consts.items()]
    (root / "flags" / "keys.py").write_text("\n".join(const_lines) + "\n")
    for i in range(n_files):
        ext = ("py", "ts", "go")[i % 3]
        body = filler(ext, rng, lines - 3)
        used: list[str] = []  # the constants this file reads, which it imports
        if rng.random() < share:
            for _ in range(rng.randint(1, 2)):
                key = rng.choice(keys)
                if ext == "py" and key in consts and rng.random() < 0.5:
                    body[rng.randrange(len(body))] = f"    if client.is_enabled({consts[key]}):"
                    used.append(consts[key])
                else:
                    body[rng.randrange(len(body))] = reference_line(ext, key, rng)
        imports = f"from flags.keys import {', '.join(sorted(set(used)))}" if used else ""
        head = {
            "py": ["from app import client", imports, "def f():"],
            "ts": ["import { client } from './c';", "", "export async function f() {"],
            "go": ["package p", "", "func f() {"],
        }[ext]
        tail = {"py": [], "ts": ["}"], "go": ["}"]}[ext]
        text = "\n".join(head + body + tail) + "\n"
        d = root / f"src/mod{i % 200:03d}/pkg{i % 11}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"file{i}.{ext}").write_text(text)
        total += text.count("\n")
    (root / "keys.txt").write_text("\n".join(keys) + "\n")
    return total


# -- the property-name case (issue 12) --------------------------------------------------------
# A TypeScript monorepo where a flag key sits in an object property (`name: 'learningLab'`,
# `featureName: 'demo'`) and `name` / `featureName` are used everywhere else: following
# such properties as constants made every `name` in the repo a reference of the flag
# (212,239 of 213,141 references, 81 s, 1.6 GB on the real repository).
PROPERTY_KEYS = ["learningLab", "demo"]


def generate_property_case(root: Path, n_files: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    keys = PROPERTY_KEYS + [f"feature{i}" for i in range(40)]
    items = [
        {
            "key": k,
            "kind": "boolean",
            "variations": [{"value": True}, {"value": False}],
            "environments": {
                "production": {"on": True, "offVariation": 1, "fallthrough": {"variation": 0}}
            },
        }
        for k in keys
    ]
    (root / "flags").mkdir(parents=True)
    (root / "flags" / "launchdarkly-export.json").write_text(json.dumps({"items": items}, indent=2))
    (root / "src" / "features").mkdir(parents=True)
    (root / "src" / "features" / "registry.ts").write_text(
        "export const FEATURES = [\n"
        "  { name: 'learningLab', featureName: 'demo', owner: 'learning' },\n"
        + "".join(f"  {{ name: 'feature{i}', featureName: 'f{i}' }},\n" for i in range(40))
        + "];\n"
    )
    for i in range(n_files):
        ext = "tsx" if i % 4 == 0 else "ts"
        body = [
            f"  const label{j} = item{j}.name + user.name;\n"
            f"  const row{j} = {{ name: user.name, featureName: f.featureName, id: {j} }};"
            for j in range(20)
        ]
        if rng.random() < 0.01:
            key = rng.choice(PROPERTY_KEYS)
            body[3] = f"  if (ldClient.variation('{key}', ctx, false)) {{ track(row3.name); }}"
        text = (
            "import { ldClient, ctx, track } from '../ld';\n\n"
            f"export function view{i}(item0: any, user: any, f: any) {{\n"
            + "\n".join(body)
            + "\n  return label0;\n}\n"
        )
        d = root / f"packages/pkg{i % 50:02d}/src"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"view{i}.{ext}").write_text(text)


def property_case(files: int, repeat: int) -> None:
    """Times discover on the property-name case, in its own process (own peak memory)."""
    tmp = tempfile.mkdtemp(prefix="swath-flags-prop-")
    root = Path(tmp) / "repo"
    try:
        root.mkdir()
        generate_property_case(root, files)
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        ws = Workspace(root)
        items: list[Item] = []

        def run_discover() -> None:
            items[:] = FlagsSource().discover(SourceContext(workspace=ws))

        cold = timed(run_discover)
        warm = statistics.median(timed(run_discover) for _ in range(repeat))
        refs = {
            i.id: len(i.data.get("references", [])) + int(i.data.get("unlisted_references", 0))
            for i in items
            if i.kind == "flag"
        }
        size = len(json.dumps([i.model_dump(mode="json") for i in items]))
        names = sum(1 for p in root.rglob("*.ts*") for _ in p.read_text().split(".name")) - files
        print(
            f"property-name case: {files:,} TS files, keys {', '.join(PROPERTY_KEYS)} held in "
            f"object properties `name:` / `featureName:` (~{names:,} other uses of those names)"
        )
        print(
            f"{'  discover, first (cold) / warm median':<40} {cold * 1000:8.0f} ms / {warm * 1000:.0f} ms; "
            f"references: "
            + ", ".join(f"{k} {refs.get(k, 0)}" for k in PROPERTY_KEYS)
            + f"; items JSON {size / 1e3:,.0f} KB"
        )
        print(
            f"  peak memory (property case): this process {peak_mb(resource.RUSAGE_SELF):.0f} MB, "
            f"scan workers {worker_peak_mb():.0f} MB each"
        )
    finally:
        scan_mod.shutdown_pool()
        shutil.rmtree(tmp, ignore_errors=True)


# -- the homegrown-system case: dynamic reads through reference patterns ---------------------
# A Python tree with an Enum of features (the python-enum-features preset, detected): checks
# `Feature.X in mode` in 3 % of the files, the word `Feature` in 10 % more (a class
# `FeatureStore`, comments), and two `Feature[name]` lookups. Every file holding the anchor
# word is parsed; the pass is timed against the same discover without it, alternating.
def generate_homegrown_case(root: Path, n_files: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    members = [f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i}" for i in range(200)]
    (root / "app").mkdir(parents=True)
    (root / "app" / "features.py").write_text(
        "from enum import Enum, auto\n\n\nclass Feature(Enum):\n"
        + "".join(f"    {m} = {rng.choice(['auto()', repr('on'), repr('off')])}\n" for m in members)
    )
    lookups = {n_files // 3, (2 * n_files) // 3}
    for i in range(n_files):
        body = filler("py", rng, 60)
        roll = rng.random()
        if roll < 0.03:
            m = rng.choice(members)
            body[rng.randrange(len(body))] = f"    if Feature.{m} in mode:"
        elif roll < 0.13:
            body[rng.randrange(len(body))] = "    store = FeatureStore(cache)  # Feature request 12"
        if i in lookups:
            body[rng.randrange(len(body))] = "    chosen = {Feature[name] for name in names}"
        text = "from app.features import Feature\n\n\ndef f(mode, names, cache):\n"
        text += "\n".join(body) + "\n"
        d = root / f"pkg{i % 40:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"mod{i}.py").write_text(text)
    return members


def homegrown_case(files: int, repeat: int) -> None:
    """discover with and without the dynamic-read pass over reference patterns."""
    import swath.sources.flags as flags_source

    tmp = tempfile.mkdtemp(prefix="swath-flags-home-")
    root = Path(tmp) / "repo"
    try:
        root.mkdir()
        generate_homegrown_case(root, files)
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        ws = Workspace(root)
        items: list[Item] = []
        with_pass = flags_source.pattern_reads

        def run(enabled: bool) -> None:
            flags_source.pattern_reads = with_pass if enabled else (lambda cfg, defs: [])
            try:
                items[:] = FlagsSource().discover(SourceContext(workspace=ws))
            finally:
                flags_source.pattern_reads = with_pass

        run(True)  # starts the workers
        on_t, off_t = [], []
        for _ in range(repeat):
            off_t.append(timed(lambda: run(False)))
            on_t.append(timed(lambda: run(True)))
        stats = FlagsSource.last_scan.stats if FlagsSource.last_scan else None
        dynamic = sum(1 for i in items if i.kind == "flag" and i.data.get("dynamic_reads"))
        on, off = statistics.median(on_t), statistics.median(off_t)
        print(
            f"homegrown case: {files:,} Python files, a 200-member Feature enum (preset "
            f"python-enum-features), `Feature` in ~13 % of the files, 2 `Feature[name]` lookups"
        )
        print(
            f"{'  discover without / with the pass':<40} {off * 1000:8.0f} ms / {on * 1000:.0f} ms "
            f"(+{(on - off) * 1000:.0f} ms); files parsed {stats.pattern_files if stats else 0:,}; "
            f"flags kept by a dynamic read {dynamic}"
        )
    finally:
        scan_mod.shutdown_pool()
        shutil.rmtree(tmp, ignore_errors=True)


# -- unleash-server: a real tree with common-word keys (opt-in, from the npm registry) --------
UNLEASH = "unleash-server@7.5.1"
UNLEASH_FLAGS = """\
systems:
  - name: unleash-experimental
    files: ["dist/lib/types/experimental.js"]
    definition:
      pattern:
        context: "x = { $KEY: parseEnvVarBoolean($ENV, $STATE) }"
        selector: pair
      key: KEY
      state: STATE
    reference:
      pattern: flagResolver.isEnabled($KEY)
      language: javascript
"""


def unleash_repo(cache: Path) -> Path:
    """The package unpacked into a git repository with its flags.yaml (made once per cache).
    Its one commit is dated 2025-01-01, so that the flags are older than `min_age_days` and
    the fully-on/off ones are candidates: the whole audit, removal edits and patch included."""
    root = cache / "unleash-server-7.5.1" / "package"
    if (root / ".swath" / "flags.yaml").exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    tarball = next(cache.glob("unleash-server-7.5.1.tgz"), None)
    if tarball is None:
        subprocess.run(
            ["npm", "pack", UNLEASH, "--pack-destination", str(cache), "--loglevel=error"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tarball = cache / "unleash-server-7.5.1.tgz"
    shutil.rmtree(root.parent, ignore_errors=True)
    root.parent.mkdir(parents=True)
    subprocess.run(["tar", "-xzf", str(tarball), "-C", str(root.parent)], check=True)
    env = {
        **os.environ,
        **{
            f"GIT_{who}_{what}": v
            for who in ("AUTHOR", "COMMITTER")
            for what, v in (
                ("NAME", "b"),
                ("EMAIL", "b@example.com"),
                ("DATE", "2025-01-01T00:00:00Z"),
            )
        },
    }
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", UNLEASH]):
        subprocess.run(["git", *cmd], cwd=root, check=True, env=env)
    (root / ".swath").mkdir(exist_ok=True)
    (root / ".swath" / "flags.yaml").write_text(UNLEASH_FLAGS)
    return root


def audit_run(server: Path, root: Path, out: Path, pycache: Path) -> tuple[float, float, float]:
    """One `swath run flag-audit` of `server`'s code in a process of its own: wall s, CPU s
    (user + system, its workers' included: less swayed by other load than the wall), peak MiB.
    With Python's bytecode cache written (in `pycache`, PYTHONPYCACHEPREFIX), as an installed
    Swath has it: a checkout run with PYTHONDONTWRITEBYTECODE=1 compiles all of Swath at every
    start (~0.2 s of CPU, counted as "start-up imports" before 2026-12-04)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # SWATH_WARM=0: this process's own CPU and peak, not a warm process's (swath.cli.warm).
    env |= {"PYTHONPATH": str(server), "PYTHONPYCACHEPREFIX": str(pycache), "SWATH_WARM": "0"}
    cmd = [sys.executable, "-m", "swath", "-C", str(root), "run", "flag-audit"]
    cmd += ["--engine", "static", "--no-cache", "--format", "json", "-o", str(out)]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    report = _report(out) if out.exists() else {"status": "no report", "errors": []}
    if os.waitstatus_to_exitcode(status) != 0 or report["status"] != "succeeded":
        first = next(iter(report["errors"]), "")
        raise SystemExit(f"flag-audit of {server}: {report['status']}: {first.splitlines()[:1]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    for volatile in ("run_id", "started_at", "finished_at"):
        data.pop(volatile, None)
    return data


def unleash_case(cache: Path, repeat: int, against: Path | None) -> None:
    root = unleash_repo(cache)
    here = Path(__file__).resolve().parents[1] / "server"
    servers = {"this code": here} | ({f"--against {against}": against} if against else {})
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in servers}
    tmp = Path(tempfile.mkdtemp(prefix="swath-flags-unleash-"))
    try:
        out = {name: tmp / f"{n}.json" for n, name in enumerate(servers)}
        pyc = {name: tmp / f"pycache{n}" for n, name in enumerate(servers)}
        for name, server in servers.items():  # untimed: writes each one's bytecode cache
            audit_run(server, root, out[name], pyc[name])
        for i in range(repeat):
            order = list(servers.items())
            for name, server in order if i % 2 == 0 else order[::-1]:
                runs[name].append(audit_run(server, root, out[name], pyc[name]))
        reports = {name: _report(path) for name, path in out.items()}
        mine = reports["this code"]
        plan = mine["outputs"]["plan"]
        files = sum(
            1 for p in root.rglob("*") if p.is_file() and not {".git", ".swath"} & set(p.parts)
        )
        print(
            f"unleash-server 7.5.1 ({files:,} files), `swath run flag-audit`: "
            f"{len(mine['findings'])} findings, "
            f"{len(plan.get('catalogue', []))} flags in the catalogue; median of {repeat}"
            + (", alternating" if against else "")
        )
        for name, got in runs.items():
            wall, cpu, peak = (statistics.median(x[i] for x in got) for i in range(3))
            span = " ".join(
                f"{min(x[i] for x in got):.2f}-{max(x[i] for x in got):.2f}" for i in range(2)
            )
            print(
                f"  {name:<38} {wall:6.2f} s wall  {cpu:6.2f} s CPU  {peak:5.0f} MiB peak RSS"
                f"  (ranges wall, CPU: {span})"
            )
        if against:
            r = reports[f"--against {against}"]
            print(f"  {f'--against {against}':<38} {len(r['findings'])} findings")
        print(f"  load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        if against:
            same = reports[f"--against {against}"] == mine
            print(f"  reports the same (but run ids, times): {'yes' if same else 'NO'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def timed(fn: Callable[[], None]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def baseline_cmd(root: Path) -> tuple[str, list[str]]:
    if shutil.which("rg"):
        return "rg -F -f keys.txt --count-matches", [
            "rg",
            "-F",
            "-f",
            "keys.txt",
            "--count-matches",
            "-g",
            "!keys.txt",
        ]
    return "git grep -F -f keys.txt -c", [
        "git",
        "grep",
        "-F",
        "-f",
        "keys.txt",
        "-c",
        "--",
        ".",
        ":!keys.txt",
    ]


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # KiB on Linux


def worker_peak_mb() -> float:
    """Peak resident memory of the live scan workers (VmHWM), the largest of them."""
    peaks = []
    for pid in scanpool.worker_pids():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024.0)
        except OSError:
            continue
    return max(peaks, default=0.0)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--lines", type=int, default=100, help="lines per file")
    ap.add_argument("--keys", type=int, default=500)
    ap.add_argument("--share", type=float, default=0.03, help="share of files that reference a key")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    ap.add_argument(
        "--full", action="store_true", help="also time the offline analysis of every flag"
    )
    ap.add_argument(
        "--quick", action="store_true", help="500 files, 50 keys, 2 repeats: checks it still runs"
    )
    ap.add_argument(
        "--case",
        choices=["ripgrep", "property", "homegrown", "unleash", "all", "both"],
        default="all",
        help="the ripgrep comparison, the property-name case, the homegrown-system case (each "
        "case but ripgrep in a child process), or all of them (`both`: the old name of `all`); "
        "`unleash` (never in `all`: it fetches unleash-server from the npm registry)",
    )
    ap.add_argument("--property-files", type=int, default=5_000)
    ap.add_argument("--homegrown-files", type=int, default=5_000)
    ap.add_argument(
        "--npm-cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "swath-bench-npm",
        help="where --case unleash keeps the package and its repository",
    )
    ap.add_argument(
        "--against", type=Path, help="--case unleash: also time this checkout's server/ dir"
    )
    args = ap.parse_args()
    if args.quick:
        args.files, args.keys, args.repeat = min(args.files, 500), min(args.keys, 50), 2
        args.share = max(args.share, 0.2)
        args.property_files = min(args.property_files, 300)
        args.homegrown_files = min(args.homegrown_files, 300)
    single = {
        "property": lambda: property_case(args.property_files, args.repeat),
        "homegrown": lambda: homegrown_case(args.homegrown_files, args.repeat),
        "unleash": lambda: unleash_case(args.npm_cache, args.repeat, args.against),
    }
    if args.case in single:
        single[args.case]()
        return 0
    if args.case in ("all", "both"):
        # Each in its own process, so that its peak memory is its own, not the big tree's.
        for case, n in (("property", args.property_files), ("homegrown", args.homegrown_files)):
            child = [sys.executable, __file__, "--case", case, "--repeat", str(args.repeat)]
            child += [f"--{case}-files", str(n)]
            subprocess.run(child, check=True)

    tmp = None
    if args.keep:
        root = args.keep
    else:
        tmp = tempfile.mkdtemp(prefix="swath-flags-bench-")
        root = Path(tmp) / "repo"
    try:
        if not (root / "keys.txt").exists():
            root.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            keys = make_keys(args.keys, random.Random(1))
            n_lines = generate(root, args.files, args.lines, keys, args.share)
            subprocess.run(["git", "init", "-q"], cwd=root, check=True)
            subprocess.run(["git", "add", "-A"], cwd=root, check=True)
            print(
                f"generated {args.files:,} files, {n_lines:,} lines, {args.keys} keys in {time.perf_counter() - t:.1f}s "
                f"({root})"
            )
        keys = (root / "keys.txt").read_text().split()
        size = sum(
            p.stat().st_size for p in root.rglob("*") if p.is_file() and ".git" not in p.parts
        )
        ws = Workspace(root)
        label, cmd = baseline_cmd(root)

        def run_baseline() -> None:
            subprocess.run(cmd, cwd=root, stdout=subprocess.DEVNULL, check=False)

        spans = [
            DefinitionSpan(key=k, path="flags/flags.flagd.json", line=0, end_line=0) for k in keys
        ]
        found: dict[str, int] = {}

        def run_scan() -> None:
            files = scan_paths(ws)
            index = scan_references(str(ws.root), files, keys, default_call_names(), spans)
            found["refs"] = sum(len(v) for v in index.references.values())
            found["files"] = index.stats.files_read
            found["second"] = index.stats.second_pass_files

        items: list[Item] = []

        def run_discover() -> None:
            items[:] = FlagsSource().discover(SourceContext(workspace=ws))

        cold = timed(run_discover)  # the first discover of a process starts the scan workers
        run_baseline()
        base_t, scan_t, disc_t = [], [], []
        for _ in range(args.repeat):
            base_t.append(timed(run_baseline))
            scan_t.append(timed(run_scan))
            disc_t.append(timed(run_discover))
        base, scan, disc = (statistics.median(x) for x in (base_t, scan_t, disc_t))
        n_files = found["files"]
        print(
            f"tree: {n_files:,} files, {size / 1e6:.0f} MB; {len(keys)} keys; {found['refs']:,} references found; "
            f"{os.cpu_count()} cores; median of {args.repeat}, alternating"
        )
        print(f"{label:<40} {base * 1000:8.0f} ms   1.00x")
        print(
            f"{'swath reference scan (warm workers)':<40} {scan * 1000:8.0f} ms   {scan / base:4.2f}x   "
            f"{n_files / scan:,.0f} files/s"
        )
        print(
            f"{'swath flags discover, first (cold)':<40} {cold * 1000:8.0f} ms   {cold / base:4.2f}x   "
            "(starts the scan workers)"
        )
        print(
            f"{'swath flags discover (defs+scan+items)':<40} {disc * 1000:8.0f} ms   {disc / base:4.2f}x   "
            f"{len(items)} items"
        )
        print(f"   (constants followed: second pass over {found['second']:,} files)")
        verdict = "OK" if scan / base <= 2.0 else "over target"
        print(f"ratio scan/baseline: {scan / base:.2f} (target <= 2.0: {verdict})")
        if args.full:
            t = time.perf_counter()
            n_findings = 0
            for i in range(0, len(items), 10):
                out = FlagClassify().analyze(
                    items[i : i + 10], AnalyzerContext(workspace=ws, params={"rewrite": True})
                )
                n_findings += len(out.findings)
            full = time.perf_counter() - t
            print(
                f"{'offline analysis of all flags (1 core)':<40} {full * 1000:8.0f} ms   {n_findings:,} findings"
            )
        # RUSAGE_CHILDREN is not reported: a forked child's peak counts the parent's pages
        # it shared before exec, so it would only echo this process's figure.
        print(
            f"peak memory: this process {peak_mb(resource.RUSAGE_SELF):.0f} MB (getrusage), "
            f"scan workers {worker_peak_mb():.0f} MB each (VmHWM)"
        )
    finally:
        scan_mod.shutdown_pool()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
