"""What the module map says matters: key symbols, hot spots, layers, Go packages, a bounded report."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from swath.analyzers.mapreport import MERMAID_MAX_NODES, collapse_folders
from swath.analyzers.mapsymbols import pagerank
from tests.gitrepo import commit_files, init_repo
from tests.workflows.helpers import write
from tests.workflows.test_module_map import module_map


def test_pagerank_on_graphs_checked_by_hand() -> None:
    # a -> b, b has no out-edge (its rank spreads over both):
    #   r_a = 0.15/2 + 0.85 * r_b/2 and r_a + r_b = 1  =>  r_a = 0.5/1.425
    r = pagerank(["a", "b"], {"a": {"b": 1.0}})
    assert r["a"] == pytest.approx(0.5 / 1.425, abs=1e-8)
    assert r["b"] == pytest.approx(1 - 0.5 / 1.425, abs=1e-8)
    # a cycle is symmetric
    r = pagerank(["a", "b", "c"], {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}})
    assert all(v == pytest.approx(1 / 3) for v in r.values())
    # weights split a node's rank: x gives b three times what it gives c
    r = pagerank(["x", "b", "c"], {"x": {"b": 3.0, "c": 1.0}})
    assert r["b"] > r["c"] > r["x"]
    assert (r["b"] - r["x"]) == pytest.approx(3 * (r["c"] - r["x"]), rel=1e-6)
    assert sum(r.values()) == pytest.approx(1.0)


def _pagerank_by_dicts(
    nodes: list[str], edges: dict[str, dict[str, float]], damping: float = 0.85
) -> dict[str, float]:
    """The plain reading of power iteration, over dicts (what `pagerank` was)."""
    n = len(nodes)
    rank = dict.fromkeys(nodes, 1.0 / n)
    out_weight = {a: sum(w.values()) for a, w in edges.items() if w}
    for _ in range(200):
        dangling = sum(r for a, r in rank.items() if not out_weight.get(a))
        new = dict.fromkeys(nodes, (1.0 - damping) / n + damping * dangling / n)
        for a, targets in edges.items():
            total = out_weight.get(a)
            if not total or a not in rank:
                continue
            for b, w in targets.items():
                if b in new:
                    new[b] += damping * rank[a] / total * w
        delta = sum(abs(new[k] - rank[k]) for k in nodes)
        rank = new
        if delta < 1e-10:
            break
    return rank


def test_pagerank_gives_the_plain_readings_floats_bit_for_bit() -> None:
    # The key symbols are rounded and ordered by rank: an optimised loop must not move a
    # last bit. Dangling nodes, edges from and to nodes outside the list, empty out-lists.
    rng = random.Random(13)
    for size in (1, 2, 40, 300):
        nodes = [f"n{i}" for i in range(size)]
        edges: dict[str, dict[str, float]] = {"gone": {"n0": 1.0}, "n0": {}}
        for _ in range(size * 3):
            src = rng.choice([*nodes, "outside"])
            edges.setdefault(src, {})[rng.choice([*nodes, "elsewhere"])] = rng.uniform(0.1, 9)
        assert pagerank(nodes, edges) == _pagerank_by_dicts(nodes, edges)


KEYS = {
    "app/__init__.py": '"""The app: a tiny shop."""\nfrom .core import Engine, helper\n',
    "app/core.py": (
        '"""Core."""\n\n\nclass Engine:\n    def run(self, x):\n        if x:\n            return 1\n'
        "        return 2\n\n\ndef helper():\n    pass\n\n\ndef unused():\n    pass\n"
    ),
    "app/a.py": "from app import Engine\n\nE1 = Engine()\nE2 = Engine()\nE3 = Engine()\n",
    "app/b.py": "from app.core import Engine as Motor, helper\n\nm = Motor()\nhelper()\n",
    "app/c.py": "from app import helper\nfrom app.a import E1\n\nhelper()\nx = E1\n",
}


def test_key_symbols_follow_re_exports_and_rank_by_use(tmp_path: Path) -> None:
    write(tmp_path, KEYS)
    _, result = module_map(tmp_path)
    out = result.output
    keys = {(k["path"], k["name"]): k for k in out["key_symbols"]}
    engine = keys[("app/core.py", "Engine")]
    helper = keys[("app/core.py", "helper")]
    # Engine: used by a.py (3 mentions, through the package's re-export), b.py (as Motor) and
    # the package __init__ itself; helper by b.py, c.py and __init__
    assert engine["used_by"] == 3 and engine["uses"] == 3 + 1 + 1
    assert helper["used_by"] == 3
    assert engine["kind"] == "class" and engine["line"] == 3
    assert out["key_symbols"][0]["name"] == "Engine"  # more mentions from files of equal rank
    assert ("app/core.py", "unused") not in keys
    assert out["purpose"] == "The app: a tiny shop."


def test_every_top_level_symbol_gets_a_lens(tmp_path: Path) -> None:
    write(tmp_path, KEYS)
    _, result = module_map(tmp_path)
    lenses = {
        (f.path, f.data.extra("symbol")): f for f in result.findings if f.rule == "map/symbol"
    }
    engine = lenses[("app/core.py", "Engine")]
    assert engine.data.lens == "used by 3 · complexity 2"  # its method's `if`
    assert (engine.range.start.line, engine.range.start.character) == (3, 6)
    assert lenses[("app/core.py", "unused")].data.lens == "used by 0 · complexity 1"
    assert ("app/core.py", "Engine.run") not in lenses  # top level only
    assert lenses[("app/core.py", "helper")].data.extra("used_by") == 3


def test_typescript_key_symbols_through_an_index(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/lib/math.ts": "export function add(a: number, b: number) { return a + b; }\n"
            "export function mul(a: number, b: number) { if (a) { return a * b; } return 0; }\n",
            "src/lib/index.ts": "export { add, mul as times } from './math';\n",
            "src/a.ts": "import { add } from './lib';\nadd(1, 2); add(3, 4);\n",
            "src/b.ts": "import { times } from './lib/index';\ntimes(1, 2);\n",
            "src/c.ts": "import * as lib from './lib/math';\nlib.add(1, 1);\n",
        },
    )
    _, result = module_map(tmp_path)
    keys = {(k["path"], k["name"]): k for k in result.output["key_symbols"]}
    assert keys[("src/lib/math.ts", "add")]["used_by"] == 3  # a.ts, c.ts, and the index
    assert keys[("src/lib/math.ts", "add")]["uses"] == 2 + 1 + 1
    assert keys[("src/lib/math.ts", "mul")]["used_by"] == 2  # b.ts as `times`, the index
    lens = next(
        f for f in result.findings if f.rule == "map/symbol" and f.data.extra("symbol") == "mul"
    )
    assert lens.data.lens == "used by 2 · complexity 2"


def test_hot_spots_from_a_real_git_history(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    now = datetime.now(tz=UTC)
    branchy = "def f(x):\n    if x:\n        return 1\n    for i in x:\n        pass\n"
    simple = "X = 1\n"
    old = (now - timedelta(days=800)).strftime("%Y-%m-%dT%H:%M:%S")
    commit_files(
        repo,
        {"m/hot.py": branchy, "m/calm.py": branchy, "m/flat.py": simple},
        date=old,
    )
    for n in range(4):  # hot.py and flat.py change often, calm.py once, all in the last year
        when = (now - timedelta(days=30 + n)).strftime("%Y-%m-%dT%H:%M:%S")
        files = {"m/hot.py": branchy + f"# {n}\n", "m/flat.py": simple + f"# {n}\n"}
        if n == 0:
            files["m/calm.py"] = branchy + "# once\n"
        commit_files(repo, files, date=when)
    _, result = module_map(repo, ["m"])
    spots = result.output["hot_spots"]
    assert [(h["path"], h["commits"], h["branches"], h["score"]) for h in spots] == [
        ("m/hot.py", 4, 2, 8),  # the commit two years ago is outside the window
        ("m/calm.py", 1, 2, 2),
    ]  # flat.py churns but has no branch: no hot spot
    assert "### Hot spots" in result.output["markdown"]
    assert "| `hot.py` | 4 | 2 |" in result.output["markdown"]


def test_no_git_no_hot_spots_and_the_report_says_why(tmp_path: Path) -> None:
    write(tmp_path, KEYS)
    _, result = module_map(tmp_path)
    assert result.output["hot_spots"] == []
    assert "not a git repository" in result.output["markdown"]


def test_layers_set_aside_the_lightest_back_edge(tmp_path: Path) -> None:
    files = {
        "p/__init__.py": "",
        "p/low/__init__.py": "",
        "p/low/base.py": "import p.top.ui\n",  # the one import against the grain
        "p/mid/__init__.py": "",
        "p/top/__init__.py": "",
        "p/top/ui.py": "import p.mid.svc\nimport p.low.base\n",
    }
    for n in range(3):
        files[f"p/mid/svc{n}.py"] = "import p.low.base\n"
    files["p/mid/svc.py"] = "import p.low.base\nimport p.mid.svc0\n"
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    lay = result.output["layering"]
    assert [row["folders"] for row in lay["layers"]] == [
        ["p/low"],
        ["p/mid"],
        ["p/top"],
        ["p"],
    ] or [row["folders"] for row in lay["layers"]][:3] == [["p", "p/low"], ["p/mid"], ["p/top"]]
    assert lay["breaking"] == [{"from": "p/low", "to": "p/top", "imports": 1}]
    md = result.output["markdown"]
    assert "### Layers" in md and "`low` → `top` (1 imports)" in md
    assert "graph BT" in md


def test_go_package_view_and_ranking_by_package(tmp_path: Path) -> None:
    files = {
        "go.mod": "module example.com/shop\n\ngo 1.22\n",
        "cmd/shop/main.go": 'package main\n\nimport "example.com/shop/cart"\n\n'
        "func main() { cart.Total(); cart.Total(); _ = cart.Cart{} }\n",
        "cart/doc.go": "// Package cart adds things up,\n// line by line.\npackage cart\n",
        "cart/cart.go": "package cart\n\nfunc Total() int { return 0 }\n",
        "cart/types.go": "package cart\n\ntype Cart struct{}\n",
        "cart/cart_test.go": "package cart\n",
        "api/api.go": 'package api\n\nimport "example.com/shop/cart"\n\nvar C = cart.Total\n',
    }
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    out = result.output
    pkgs = {p["folder"]: p for p in out["go_packages"]}
    cart = pkgs["cart"]
    assert cart["package"] == "cart" and cart["files"] == 4
    assert cart["purpose"] == "Adds things up, line by line."  # doc.go's, the whole sentence
    assert cart["used_by"] == ["api", "cmd/shop"] and cart["imports"] == []
    assert pkgs["cmd/shop"]["imports"] == ["cart"]
    # a package's files are not ranked one by one as "most depended on"
    assert out["most_depended_on"] == []
    keys = {(k["path"], k["name"]): k for k in out["key_symbols"]}
    assert keys[("cart/cart.go", "Total")]["used_by"] == 2
    assert keys[("cart/cart.go", "Total")]["uses"] == 3
    assert keys[("cart/types.go", "Cart")]["used_by"] == 1
    assert "### Go packages" in out["markdown"]


def test_the_report_of_a_large_package_stays_short(tmp_path: Path) -> None:
    files: dict[str, str] = {"big/__init__.py": '"""A big generated package."""\n'}
    n = 0
    for a in range(12):
        for b in range(10):
            folder = f"big/area{a}/part{b}"
            files[f"{folder}/__init__.py"] = ""
            files[f"big/area{a}/__init__.py"] = ""
            for c in range(10):
                n += 1
                dep = (
                    f"big.area{(a + 1) % 12}.part{b}.m{c}"
                    if c % 3 == 0
                    else f"big.area{a}.part{b}.m0"
                )
                files[f"{folder}/m{c}.py"] = (
                    f'"""Module {n}."""\nimport {dep}\n\n\ndef f{c}():\n    pass\n'
                )
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    out = result.output
    assert out["files"] > 1300
    md = out["markdown"]
    lines = md.splitlines()
    assert len(lines) < 500, len(lines)
    assert "#### `area0/part0/m1.py`" not in md  # no per-file sections at this size
    assert "in the JSON output (`modules`)" in md
    mermaid = md.split("```mermaid", 1)[1].split("```", 1)[0]
    boxes = [ln for ln in mermaid.splitlines() if ln.strip().startswith("f") and "[" in ln]
    assert 1 < len(boxes) <= MERMAID_MAX_NODES
    assert "folders are drawn as" in md  # and it says what it collapsed
    assert len(out["modules"]) == out["files"]  # the detail is all in the JSON


def test_collapse_folders_keeps_the_deepest_level_that_fits() -> None:
    folders = {f"r/a{i}/b{j}": 1 for i in range(5) for j in range(10)}
    box, note = collapse_folders(folders, "r", limit=10)
    assert set(box.values()) == {f"a{i}" for i in range(5)}
    assert "50 folders are drawn as 5" in note
    box, note = collapse_folders({f"r/x{i}": i + 1 for i in range(20)}, "r", limit=5)
    assert len(set(box.values())) == 5 and "other" in box.values() and "smallest" in note
    assert box["r/x19"] == "x19"  # the biggest keep their own box
    box, note = collapse_folders({"r/a": 1, "r/b": 2}, "r", limit=5)
    assert box == {"r/a": "a", "r/b": "b"} and note == ""


def test_a_go_package_import_counts_once_not_once_per_file(tmp_path: Path) -> None:
    """cobra's doc/ package: 11 files importing cobra (14 files) were '154 imports'
    between the two folders, and its file graph drew an arrow to every file."""
    files = {
        "go.mod": "module example.com/cli\n\ngo 1.22\n",
        "command.go": "package cli\n\ntype Command struct{}\n",
        "args.go": "package cli\n\nfunc Args() {}\n",
        "flags.go": "package cli\n\nfunc Flags() {}\n",
        "doc/man.go": 'package doc\n\nimport "example.com/cli"\n\nvar _ = cli.Command{}\n',
        "doc/md.go": 'package doc\n\nimport "example.com/cli"\n\nvar _ = cli.Args\n',
    }
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    out = result.output
    assert len(out["edges"]) == 6  # the file edges stay, for used_by and the lenses
    assert out["layering"]["folder_edges"] == [{"from": "doc", "to": ".", "imports": 2}]
    md = out["markdown"]
    assert " · 2 internal imports · " in md
    assert "### Graph" not in md  # no file graph of Go files; the layers diagram has them
    assert "-- 2 -->" in md
    assert "- **Depends on:** `.` (package)\n" in md  # doc/man.go: the package, not its files


def test_go_names_used_across_their_own_package_count(tmp_path: Path) -> None:
    """cobra's `Command` (command.go:48) is used in every file of package cobra, which
    sees it without an import: only package doc's 11 files were counted."""
    files = {
        "go.mod": "module example.com/cli\n\ngo 1.22\n",
        "command.go": "package cli\n\n// Command is a command.\ntype Command struct{}\n\n"
        "func (c *Command) Run() {}\n",
        "args.go": "package cli\n\nfunc NoArgs(cmd *Command) error { return nil }\n",
        "flags.go": "package cli\n\nfunc Flags(c *Command) { _ = NoArgs(c); var x Command; _ = x }\n",
        "cli_ext_test.go": "package cli_test\n\nfunc f(Command int) {}\n",  # another package
        "doc/man.go": 'package doc\n\nimport "example.com/cli"\n\nvar _ = cli.Command{}\n',
    }
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    keys = {(k["path"], k["name"]): k for k in result.output["key_symbols"]}
    command = keys[("command.go", "Command")]
    assert command["used_by"] == 3  # args.go, flags.go, doc/man.go; not cli_ext_test.go
    assert command["uses"] == 1 + 2 + 1
    assert keys[("args.go", "NoArgs")]["used_by"] == 1
    lens = {f.data.extra("symbol"): f.data.lens for f in result.findings if f.rule == "map/symbol"}
    assert lens["Command"].startswith("used by 3 ")
