"""The TypeScript half of bench/map.py: a generated tree that imports through aliases,
mapped by swath and, when it is installed, by dependency-cruiser, edge sets compared.

The tree: `features` folders of `per` files under `src/`, a tsconfig whose `extends`d base
sets `baseUrl` and the `paths` aliases `@app/*` and `*` (the React-frontend habit that
made alias roots look like packages), each file importing three others: one through
`@app/…`, one through a bare alias root (`utils/…`), one relative with a `.js` specifier
naming the `.ts` source.

dependency-cruiser is found in $DEPCRUISE, in bench/.tools (`bench/install-tools.sh`, which
.ci/run calls), as `depcruise` on PATH, or under `node_modules/.bin` of the current folder
(dependency-cruiser 17 reads TypeScript only below 7, hence typescript@5).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path


def generate(root: Path, features: int = 40, per: int = 25) -> int:
    (root / "tsconfig.base.json").write_text(
        json.dumps(
            {
                "compilerOptions": {
                    "baseUrl": ".",
                    "paths": {"@app/*": ["src/*"], "*": ["src/*"]},
                    "module": "esnext",
                    "moduleResolution": "bundler",
                    "allowJs": True,
                }
            }
        )
    )
    (root / "tsconfig.json").write_text(
        json.dumps({"extends": "./tsconfig.base.json", "include": ["src"]})
    )
    (root / "package.json").write_text(json.dumps({"name": "gen-app", "private": True}))
    n = 0
    for f in range(features):
        folder = root / "src" / f"feature{f}"
        folder.mkdir(parents=True)
        for i in range(per):
            a = f"@app/feature{(f + 1) % features}/mod{i}"
            b = f"utils/u{i % 10}"
            c = f"./mod{(i + 1) % per}.js"
            body = (
                f"import {{ v{(i + 1) % per} }} from '{a}';\n"
                f"import {{ helper{i % 10} }} from '{b}';\n"
                f"import {{ v{(i + 1) % per} as next }} from '{c}';\n"
                f"export const v{i} = () => next() + v{(i + 1) % per}() + helper{i % 10}();\n"
            )
            (folder / f"mod{i}.ts").write_text(body)
            n += 1
    utils = root / "src" / "utils"
    utils.mkdir(parents=True)
    for i in range(10):
        (utils / f"u{i}.ts").write_text(f"export function helper{i}(): number {{ return {i}; }}\n")
        n += 1
    return n


def depcruise_bin() -> str | None:
    for cand in (
        os.environ.get("DEPCRUISE"),
        str(Path(__file__).resolve().parent / ".tools" / "node_modules" / ".bin" / "depcruise"),
        shutil.which("depcruise"),
        str(Path.cwd() / "node_modules" / ".bin" / "depcruise"),
    ):
        if cand and Path(cand).is_file():
            return cand
    return None


def depcruise_edges(root: Path, binary: str) -> tuple[float, set[tuple[str, str]]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [binary, "--no-config", "--ts-config", "tsconfig.json", "--output-type", "json", "src"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - start
    data = json.loads(proc.stdout)
    edges = {
        (m["source"], d["resolved"])
        for m in data.get("modules", [])
        for d in m.get("dependencies", [])
        if not d.get("couldNotResolve") and d.get("resolved", "").startswith("src/")
    }
    return wall, edges


def compare(ours: set[tuple[str, str]], theirs: set[tuple[str, str]]) -> dict[str, float]:
    both = len(ours & theirs)
    recall = both / len(theirs) if theirs else 1.0
    precision = both / len(ours) if ours else 1.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return {"recall": recall, "precision": precision, "f1": f1}
