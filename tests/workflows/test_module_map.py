"""map-module's analyzers: per-file symbols and imports, then the graph, cycles and the map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swath.analyzers.importgraph import build_graph, find_cycles, strongly_connected
from swath.engine.verify import EvidenceVerifier, identify
from swath.findings.model import Severity, fingerprint_of
from swath.spec.records import Record
from swath.workspace import Workspace
from tests.workflows.helpers import analyze, file_items, reduce, write

PACKAGE = {
    "pkg/__init__.py": '"""The package."""\nfrom .core import Engine\n\n__all__ = ["Engine"]\n',
    "pkg/core.py": (
        '"""Core engine: runs models."""\n'
        "from . import util\n"
        "from .models import Model\n"
        "\n"
        "\n"
        "class Engine:\n"
        '    """Runs things."""\n'
        "\n"
        "    @property\n"
        "    def name(self) -> str:\n"
        '        return "e"\n'
        "\n"
        "    async def run(self, x: int = 1) -> Model | None:\n"
        "        if x and x > 1:\n"
        "            return util.helper(x)\n"
        "        return None\n"
        "\n"
        "\n"
        "def _private():\n"
        "    pass\n"
    ),
    "pkg/util.py": '"""Helpers."""\nimport os\nimport requests\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n'
    "    from pkg.models import Model\n\n\ndef helper(x):\n    return os.path.join(x)\n",
    "pkg/models.py": '"""Models."""\nfrom pkg import core\n\n\nclass Model:\n    pass\n',
    "pkg/a.py": '"""A."""\nimport pkg.b\n',
    "pkg/b.py": '"""B."""\n\n\ndef later():\n    from pkg import a\n    return a\n',
    "pkg/orphan.py": '"""Nobody imports me."""\nX = 1\n',
    "pkg/__main__.py": "from pkg.core import Engine\n\nif __name__ == '__main__':\n    Engine().run(1)\n",
    "pkg/sub/__init__.py": "",
    "pkg/sub/deep.py": "\n\nfrom ..util import helper\nfrom ... import nope\n",
    "pkg/registry.py": 'PLUGINS = {"p": "pkg.plugin:Plugin"}\n',
    "pkg/plugin.py": '"""A plugin loaded by name."""\n\n\nclass Plugin:\n    pass\n',
    "pkg/broken.py": "def oops(:\n    pass\n",
    "tests/test_core.py": "from pkg.core import Engine\n",
}


def facts_of(out: Any, path: str) -> dict[str, Any]:
    return next(f for f in out.output["files"] if f["path"] == path)


def module_map(root: Path, paths: list[str] | None = None) -> tuple[Any, Any]:
    items = file_items(root, paths)
    mapped = analyze("symbols", items, root)
    rec = Record(
        step="symbols", key="all", items=items, output=mapped.output, findings=mapped.findings
    )
    return mapped, reduce("module-map", [rec], root)


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    write(tmp_path, PACKAGE)
    return tmp_path


def test_python_symbols_imports_and_api(pkg: Path) -> None:
    mapped, _ = module_map(pkg)
    core = facts_of(mapped, "pkg/core.py")
    assert core["module"] == "pkg.core" and core["docstring"] == "Core engine: runs models."
    syms = {s["qualname"]: s for s in core["symbols"]}
    assert set(syms) == {"Engine", "Engine.name", "Engine.run", "_private"}
    engine = syms["Engine"]
    assert (engine["kind"], engine["line"], engine["start"], engine["end"], engine["doc"]) == (
        "class",
        5,
        5,
        15,
        "Runs things.",
    )
    run = syms["Engine.run"]
    assert (
        run["kind"] == "method"
        and run["async"]
        and run["signature"] == "(self, x: int = 1) -> Model | None"  # as written
    )
    assert run["branches"] == 2  # the if and the `and`
    assert (
        syms["Engine.name"]["start"] == 8 and syms["Engine.name"]["line"] == 9
    )  # decorator included
    assert syms["Engine.name"]["decorators"] == ["property"]
    assert not syms["_private"]["public"] and core["exports"] == ["Engine"]
    imports = {(i["module"], tuple(i["names"])) for i in core["imports"]}
    assert imports == {("pkg", ("util",)), ("pkg.models", ("Model",))}
    assert facts_of(mapped, "pkg/__init__.py")["exports"] == ["Engine"]  # __all__ wins
    assert facts_of(mapped, "pkg/__init__.py")["all_declared"] is True
    util = facts_of(mapped, "pkg/util.py")
    tc = next(i for i in util["imports"] if i["module"] == "pkg.models")
    assert tc["type_checking"] and not tc["deferred"]
    b = facts_of(mapped, "pkg/b.py")
    assert b["imports"][0]["deferred"] is True
    deep = facts_of(mapped, "pkg/sub/deep.py")
    assert deep["module"] == "pkg.sub.deep"
    assert [(i["module"], i["resolved"]) for i in deep["imports"]] == [
        ("pkg.util", True),
        ("...", False),
    ]
    assert facts_of(mapped, "pkg/__main__.py")["entry"] is True


def test_syntax_error_is_a_finding_and_the_file_stays_on_the_map(pkg: Path) -> None:
    mapped, result = module_map(pkg)
    broken = facts_of(mapped, "pkg/broken.py")
    assert broken["error"]["line"] == 0 and broken["symbols"] == []
    [f] = [f for f in mapped.findings if f.rule == "map/syntax-error"]
    assert f.path == "pkg/broken.py" and f.severity == Severity.error
    assert f.evidence[0].quote == "def oops(:"
    assert next(m for m in result.output["modules"] if m["path"] == "pkg/broken.py")["error"]


def test_graph_edges_externals_and_unresolved(pkg: Path) -> None:
    _, result = module_map(pkg)
    out = result.output
    edges = {(e["from"], e["to"]) for e in out["edges"]}
    assert {
        ("pkg/__init__.py", "pkg/core.py"),
        ("pkg/core.py", "pkg/util.py"),  # `from . import util`: the submodule, not the package
        ("pkg/core.py", "pkg/models.py"),
        ("pkg/models.py", "pkg/core.py"),
        ("pkg/util.py", "pkg/models.py"),
        ("pkg/a.py", "pkg/b.py"),
        ("pkg/b.py", "pkg/a.py"),
        ("pkg/sub/deep.py", "pkg/util.py"),
        ("pkg/__main__.py", "pkg/core.py"),
        ("tests/test_core.py", "pkg/core.py"),
    } <= edges
    assert ("pkg/core.py", "pkg/__init__.py") not in edges
    eager = {(e["from"], e["to"]): e["eager"] for e in out["edges"]}
    assert (
        eager[("pkg/util.py", "pkg/models.py")] is False
        and eager[("pkg/b.py", "pkg/a.py")] is False
    )
    ext = {(e["name"], e["kind"]): e["files"] for e in out["external"]}
    assert (
        ext[("os", "stdlib")] == 1
        and ext[("requests", "package")] == 1
        and ext[("typing", "stdlib")] == 1
    )
    assert out["unresolved"] == [
        {
            "path": "pkg/sub/deep.py",
            "line": 3,
            "import": "from ... import nope",
            "reason": "relative import beyond the top-level package",
        }
    ]


def test_cycles_entry_points_orphans_and_ranking(pkg: Path) -> None:
    _, result = module_map(pkg)
    out = result.output
    cycles = {tuple(c["files"]): c["eager"] for c in out["cycles"]}
    assert cycles == {
        ("pkg/core.py", "pkg/models.py"): True,
        ("pkg/a.py", "pkg/b.py"): False,
        # util -> models only under TYPE_CHECKING: a cycle, but one that cannot break an import
        ("pkg/core.py", "pkg/models.py", "pkg/util.py"): False,
    }
    assert out["entry_points"] == ["pkg/__main__.py"]
    # registry.py names plugin.py in a string: loaded by name, so not an orphan
    assert out["orphans"] == [
        "pkg/broken.py",
        "pkg/orphan.py",
        "pkg/registry.py",
        "pkg/sub/deep.py",
    ]
    assert out["most_depended_on"][0] == {"path": "pkg/core.py", "used_by": 4, "used_by_tests": 1}
    plugin = next(m for m in out["modules"] if m["path"] == "pkg/plugin.py")
    assert plugin["loaded_by_name"] == ["pkg/registry.py"] and not plugin["orphan"]


def test_cycle_findings_quote_the_import_lines_and_verify(pkg: Path) -> None:
    _, result = module_map(pkg)
    cycles = [f for f in result.findings if f.rule == "map/import-cycle"]
    [warn] = [f for f in cycles if f.severity == Severity.warning]
    [info] = [f for f in cycles if f.data.extra("files") == ["pkg/a.py", "pkg/b.py"]]
    [typing_only] = [f for f in cycles if len(f.data.extra("files")) == 3]
    assert typing_only.severity == Severity.information and typing_only.data.extra("cycle") == [
        "pkg/util.py",
        "pkg/models.py",
        "pkg/core.py",
    ]
    assert warn.severity == Severity.warning and warn.path == "pkg/core.py"
    assert [(e.path, e.line, e.quote) for e in warn.evidence] == [
        ("pkg/core.py", 2, "from .models import Model"),
        ("pkg/models.py", 1, "from pkg import core"),
    ]
    assert "pkg/core.py → pkg/models.py → pkg/core.py" in warn.message
    assert info.severity == Severity.information and info.data.extra("eager") is False
    assert [e.quote for e in info.evidence] == ["import pkg.b", "from pkg import a"]
    outcome = EvidenceVerifier(Workspace(pkg)).verify(result.findings)
    assert not outcome.dropped
    assert all(f.verified for f in outcome.kept if f.evidence)


def test_every_file_gets_a_summary_lens(pkg: Path) -> None:
    _, result = module_map(pkg)
    lenses = {f.path: f for f in result.findings if f.rule == "map/summary"}
    assert len(lenses) == len(PACKAGE)
    core = lenses["pkg/core.py"]
    assert core.severity == Severity.hint and core.range.start.line == 0
    assert core.data.lens == "Core engine: runs models · ⇄ used by 3 · +1 test · imports 2"
    assert lenses["pkg/registry.py"].data.lens == "⇄ used by 0 · imports 0"  # no docstring
    assert (
        core.evidence[0].quote == '"""Core engine: runs models."""' and core.evidence[0].line == 0
    )
    deep = lenses["pkg/sub/deep.py"]
    assert (deep.evidence[0].line, deep.evidence[0].quote) == (2, "from ..util import helper")
    assert lenses["pkg/sub/__init__.py"].evidence == []  # an empty file has nothing to quote
    assert "pkg.core: Core engine: runs models. Used by 3" in core.message
    assert "(and used by 1 test file(s))" in core.message


def test_markdown_map(pkg: Path) -> None:
    _, result = module_map(pkg)
    md = result.output["markdown"]
    assert md.startswith("## Module map: `.`")
    for heading in (
        "### Entry points",
        "### Most depended on",
        "### Import cycles",
        "### External dependencies",
        "### Orphans",
        "### Graph",
        "### Files",
        "### Unresolved imports",
    ):
        assert heading in md
    assert "#### `pkg/core.py` (pkg.core)" in md
    assert (
        "- **Used by:** `pkg/__init__.py`, `pkg/__main__.py`, `pkg/models.py`, `tests/test_core.py`"
        in md
    )
    assert "`pkg/core.py` → `pkg/models.py` → `pkg/core.py` (eager;" in md
    assert "breaks at import time" not in md  # it imports fine today; it *can* fail
    assert "*can* fail at import time" in md


def test_mapping_a_subfolder_keeps_module_names_and_counts_the_rest_as_project(pkg: Path) -> None:
    _, result = module_map(pkg, ["pkg/sub"])
    out = result.output
    assert [m["path"] for m in out["modules"]] == ["pkg/sub/__init__.py", "pkg/sub/deep.py"]
    assert out["root"] == "pkg/sub"
    assert {"name": "pkg.util", "kind": "project", "files": 1} in out["external"]


def test_typescript_and_javascript(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "web/index.ts": "/** Entry of the web app. */\nimport { render } from './view';\nimport type { T } from './types';\n"
            "import React from 'react';\nimport { x } from '@scope/pkg/sub';\nimport fs from 'node:fs';\n"
            "export { render };\n",
            "web/view.tsx": "// Renders things.\nimport { helper } from './util/index.js';\n"
            "export function render(): void { if (helper()) { return; } }\n"
            "export class View {\n  show() {}\n  #hidden() {}\n}\nconst local = () => 1;\n",
            "web/util/index.ts": "export const helper = () => true;\nexport default function main() {}\n",
            "web/types.ts": "export interface T { a: number }\nexport type U = string;\nexport enum E { A }\n",
            "web/legacy.js": "const view = require('./view');\nmodule.exports = {};\nasync function f() { await import('./types'); }\n",
        },
    )
    mapped, result = module_map(tmp_path)
    view = facts_of(mapped, "web/view.tsx")
    assert view["language"] == "tsx" and view["docstring"] == "Renders things."
    syms = {s["qualname"]: s for s in view["symbols"]}
    assert set(syms) == {"render", "View", "View.show", "View.#hidden", "local"}
    assert syms["render"]["public"] and syms["render"]["line"] == 2 and not syms["local"]["public"]
    assert view["exports"] == ["render", "View"]
    util = facts_of(mapped, "web/util/index.ts")
    assert set(util["exports"]) == {"helper", "main"}
    types = facts_of(mapped, "web/types.ts")
    assert [(s["name"], s["kind"]) for s in types["symbols"]] == [
        ("T", "interface"),
        ("U", "type"),
        ("E", "enum"),
    ]
    edges = {(e["from"], e["to"]): e["eager"] for e in result.output["edges"]}
    assert edges == {
        ("web/index.ts", "web/view.tsx"): True,
        ("web/index.ts", "web/types.ts"): False,  # import type
        ("web/view.tsx", "web/util/index.ts"): True,  # './util/index.js' is the TS source
        ("web/legacy.js", "web/view.tsx"): True,
        ("web/legacy.js", "web/types.ts"): False,  # dynamic import()
    }
    ext = {(e["name"], e["kind"]) for e in result.output["external"]}
    assert ext == {("react", "package"), ("@scope/pkg", "package"), ("fs", "stdlib")}
    assert result.output["orphans"] == ["web/legacy.js"]


def test_go_packages(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "go.mod": "module example.com/shop\n\ngo 1.22\n",
            "cmd/shop/main.go": '// Command shop serves the shop.\npackage main\n\nimport (\n\t"fmt"\n'
            '\t"example.com/shop/internal/cart"\n\t"github.com/acme/log/v2"\n)\n\n'
            "func main() { fmt.Println(cart.Total()) }\n",
            "internal/cart/cart.go": "// Package cart adds things up.\npackage cart\n\n// Total sums the cart.\n"
            "func Total() int { if true { return 1 }; return 0 }\n\ntype Cart struct{}\n\n"
            "func (c *Cart) Add(x int) {}\nfunc (c *Cart) reset() {}\n",
            "internal/cart/cart_test.go": "package cart\n",
        },
    )
    mapped, result = module_map(tmp_path)
    cart = facts_of(mapped, "internal/cart/cart.go")
    assert cart["package"] == "cart" and cart["docstring"] == "Adds things up."
    syms = {s["qualname"]: s for s in cart["symbols"]}
    assert syms["Total"]["doc"] == "Total sums the cart." and syms["Total"]["public"]
    assert syms["Cart.Add"]["public"] and not syms["Cart.reset"]["public"]
    assert cart["exports"] == ["Total", "Cart", "Cart.Add"]
    main = facts_of(mapped, "cmd/shop/main.go")
    assert main["entry"] and main["go_module"] == "example.com/shop"
    assert {(e["from"], e["to"]) for e in result.output["edges"]} == {
        ("cmd/shop/main.go", "internal/cart/cart.go")
    }
    assert {(e["name"], e["kind"]) for e in result.output["external"]} == {
        ("fmt", "stdlib"),
        ("github.com/acme/log", "package"),
    }
    assert result.output["entry_points"] == ["cmd/shop/main.go"]


def test_tarjan_on_a_long_chain_and_nested_cycles() -> None:
    n = 3000  # deep enough to break a recursive implementation
    files = [
        {
            "path": f"m{i}.py",
            "language": "python",
            "module": f"m{i}",
            "imports": [
                {
                    "line": 0,
                    "text": f"import m{i + 1}",
                    "kind": "import",
                    "module": f"m{i + 1}",
                    "names": [],
                    "level": 0,
                }
            ]
            if i < n - 1
            else [
                {
                    "line": 0,
                    "text": "import m0",
                    "kind": "import",
                    "module": "m0",
                    "names": [],
                    "level": 0,
                }
            ],
        }
        for i in range(n)
    ]
    graph = build_graph(files)
    [comp] = strongly_connected(graph)
    assert len(comp) == n
    [cycle] = find_cycles(graph)
    assert len(cycle["cycle"]) == n and cycle["eager"]


def test_a_deeply_nested_file_that_cpython_compiles_is_mapped(tmp_path: Path) -> None:
    # A 900-term sum: CPython compiles it, a recursive walk of its `ast` tree cannot (the old
    # "too deeply nested to parse" with 0 lines, as on sympy's resolvent_lookup.py).
    deep = "def f(s1):\n    return (" + " + ".join(["2*s1**3"] * 900) + ")\n"
    compile(deep, "b.py", "exec")
    write(tmp_path, {"a.py": "import b\n", "b.py": "import a\n" + deep})
    mapped, result = module_map(tmp_path)
    b = facts_of(mapped, "b.py")
    assert b["error"] is None and b["lines"] == 3
    assert [s["qualname"] for s in b["symbols"]] == ["f"]
    assert not [f for f in mapped.findings if f.rule == "map/syntax-error"]
    assert {(e["from"], e["to"]) for e in result.output["edges"]} == {
        ("a.py", "b.py"),
        ("b.py", "a.py"),
    }


def test_the_parse_draws_the_fingerprints_identity_would(tmp_path: Path) -> None:
    """The summaries' and lenses' fingerprints come from the parse workers (filefacts), so
    the engine need not read every file again to identify them: they must be exactly what
    identity draws from the file, copies of a line above and re-indented lines included;
    a file with a byte-order mark or \\r\\n breaks too (or it gives none and identity draws)."""
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/dup.py": "x = 1\n\ndef f(a):\n    return a\n\n\n  \ndef f(a):\n    return a\n",
            "pkg/crlf.py": '"""Windows."""\r\nclass A:\r\n    pass\r\n\r\nclass A:\r\n    pass\r\n',
            "pkg/bom.py": '\ufeff"""With a mark."""\ndef g():\n    pass\n',
            "pkg/blank_first.py": "\n\n# c\ndef h(): pass\n",
            "pkg/tests/test_it.py": "def test_x():\n    pass\n",
        },
    )
    items = file_items(tmp_path)
    facts = analyze("symbols", items, tmp_path, {"processes": False})
    files = {f["path"]: f for f in facts.output["files"]}
    assert "fp" in files["pkg/dup.py"]["symbols"][0] and "summary_fp" in files["pkg/crlf.py"]
    assert "summary_fp" not in files["pkg/bom.py"]  # identity reads the mark as text
    assert all("fp" not in s for s in files["pkg/tests/test_it.py"]["symbols"])
    record = Record(step="symbols", key="b0", items=items, output=facts.output)
    result = reduce("module-map", [record], tmp_path)
    assert set(result.identified) == set(files) - {"pkg/bom.py"}
    assert result.identified["pkg/dup.py"] == Workspace(tmp_path).file_hash("pkg/dup.py")
    mine = [f for f in result.findings if f.rule in ("map/summary", "map/symbol")]
    drawn = [f for f in mine if f.path in result.identified]
    assert len(drawn) >= 8
    assert [(f.path, f.fingerprint) for f in drawn] == [
        (f.path, f.fingerprint) for f in identify(Workspace(tmp_path), drawn)
    ]
    assert all(f.fingerprint != fingerprint_of(f) for f in drawn)  # none is provisional


def test_the_parse_worker_does_not_import_the_findings_package() -> None:
    """The worker draws places with `swath.places`: the findings package (pydantic and every
    renderer) would cost each parse worker ~13 MiB and its start-up a tenth of a second."""
    import subprocess
    import sys

    code = (
        "import sys, swath.analyzers.filefacts; "
        "print(sorted(m for m in sys.modules if m == 'pydantic' or m.startswith('swath.findings')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
