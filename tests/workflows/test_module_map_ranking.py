"""What the module map ranks first: key symbols by breadth of use as well as PageRank,
code before declaration files, and hot spots of the code, not of its tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.gitrepo import commit_files, init_repo
from tests.workflows.helpers import write
from tests.workflows.test_module_map import module_map


def test_a_name_one_well_ranked_file_uses_does_not_lead_the_key_symbols(tmp_path: Path) -> None:
    """tanstack's `systemSetTimeoutZero` (1 user) came 12th and cobra's `MousetrapHelpText`
    (1 user) 11th: the hub file that used them handed them its whole rank."""
    files = {
        "app/__init__.py": "",
        # the hub: every other file imports it, and it uses one name of niche.py
        "app/hub.py": "from app.niche import rare\n\n\ndef go():\n    return rare()\n",
        "app/niche.py": "def rare():\n    return 1\n",
        "app/common.py": "def shared():\n    return 2\n",
    }
    for n in range(8):  # eight files use the hub, four others common.shared
        files[f"app/user{n}.py"] = "from app import hub\n\n\ndef f():\n    return hub.go()\n"
    for n in range(4):
        files[f"app/other{n}.py"] = (
            "from app.common import shared\n\n\ndef g():\n    return shared()\n"
        )
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    keys = result.output["key_symbols"]
    by_name = {k["name"]: k for k in keys}
    rare, shared = by_name["rare"], by_name["shared"]
    assert (rare["used_by"], shared["used_by"]) == (1, 4)
    assert rare["rank"] > shared["rank"]  # the hub's PageRank share alone puts rare first
    assert [k["name"] for k in keys][:2] == ["shared", "rare"]
    assert shared["score"] == round(shared["rank"] * 4, 6)
    md = result.output["markdown"]
    assert "times the number of files that use it" in md
    assert "| score | used by (files) |" in md


PREACT_LIKE = {
    # the package's own name resolves to its types, as tsc reads it (preact's 'preact')
    "package.json": '{"name": "lib", "types": "src/index.d.ts", "main": "src/index.js"}\n',
    "src/index.js": "export { render } from './render';\n",
    "src/render.js": "export function render(x) {\n  if (x) {\n    return 1;\n  }\n  return 0;\n}\n",
    "src/index.d.ts": "import { Attrs } from './dom';\n"
    "export interface Props extends Attrs { a: number }\n"
    "export function render(x: Props): number;\n",
    "src/dom.d.ts": "import { Props } from './index';\nexport interface Attrs { p?: Props }\n",
    "hooks/index.js": "import { render } from 'lib';\nrender(1);\n",
    "compat/index.js": "import { render } from 'lib';\nrender(2); render(3);\n",
    "debug/index.js": "import { render } from 'lib';\nrender(4);\n",
    "compat/index.d.ts": "import { Props } from 'lib';\nexport function wrap(p: Props): void;\n",
}


def test_code_files_uses_go_to_the_code_not_the_declaration_file_beside_it(
    tmp_path: Path,
) -> None:
    """preact: its `.js` files import 'preact', whose package.json `types` is
    src/index.d.ts, so the hand-written types (ClassAttributes, 2 users) led the key
    symbols and src/index.d.ts the most depended on files, above all the JavaScript."""
    write(tmp_path, PREACT_LIKE)
    _, result = module_map(tmp_path)
    out = result.output
    keys = [(k["path"], k["name"]) for k in out["key_symbols"]]
    assert keys[0] == ("src/render.js", "render")  # through src/index.js's re-export
    render = out["key_symbols"][0]
    assert render["used_by"] == 4  # hooks, compat, debug and src/index.js
    assert ("src/index.d.ts", "render") not in keys  # no code file's use is the types'
    # a type stays its declaration file's, after the code
    assert keys.index(("src/index.d.ts", "Props")) > keys.index(("src/render.js", "render"))
    # the import graph is as tsc reads it: the JS files import the declaration file
    edges = {(e["from"], e["to"]) for e in out["edges"]}
    assert ("hooks/index.js", "src/index.d.ts") in edges
    ranked = [row["path"] for row in out["most_depended_on"]]
    assert ranked[0] != "src/index.d.ts"
    assert ranked.index("src/index.d.ts") > ranked.index("src/render.js")


def test_a_declaration_only_map_still_ranks_its_declarations(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "types/a.d.ts": "export interface A { x: number }\n",
            "types/b.d.ts": "import { A } from './a';\nexport interface B { a: A }\n",
            "types/c.d.ts": "import { A } from './a';\nexport type C = A[];\n",
        },
    )
    _, result = module_map(tmp_path)
    assert result.output["key_symbols"][0]["name"] == "A"


def test_tests_are_no_hot_spots_of_the_code(tmp_path: Path) -> None:
    """cobra: completions_test.go and command_test.go were its first two hot spots."""
    repo = init_repo(tmp_path / "repo")
    now = datetime.now(tz=UTC)
    branchy = "def f(x):\n    if x:\n        return 1\n    for i in x:\n        pass\n"
    testy = branchy * 3
    for n in range(3):
        when = (now - timedelta(days=10 + n)).strftime("%Y-%m-%dT%H:%M:%S")
        commit_files(
            repo,
            {
                "m/core.py": branchy + f"# {n}\n",
                "m/test_core.py": testy + f"# {n}\n",
                "m/tests/test_more.py": testy + f"# {n}\n",
                "m/testdata/case.py": testy + f"# {n}\n",
            },
            date=when,
        )
    _, result = module_map(repo, ["m"])
    out = result.output
    assert [h["path"] for h in out["hot_spots"]] == ["m/core.py"]
    assert {h["path"] for h in out["test_hot_spots"]} == {
        "m/test_core.py",
        "m/tests/test_more.py",
        "m/testdata/case.py",
    }
    md = out["markdown"]
    assert "| `core.py` | 3 | 2 |" in md
    assert "| `test_core.py`" not in md
    assert "Tests and test data are ranked apart; theirs: `" in md


def test_imports_of_vendored_copies_are_third_party_not_the_projects(tmp_path: Path) -> None:
    """tRPC imports its copies under src/vendor/ (which the map skips, as the review calls
    vendor/ someone else's code): they were 'project' dependencies named
    `src/vendor/unpromise`, `src/vendor/cookie-es/set-cookie/split`."""
    write(
        tmp_path,
        {
            "package.json": '{"name": "srv"}\n',
            "src/vendor/unpromise/index.ts": "export class Unpromise {}\n",
            "src/vendor/cookie-es/set-cookie/split.ts": "export function split() {}\n",
            "src/vendor/is-plain-object.ts": "export function isPlainObject() {}\n",
            "src/other/thing.ts": "export const thing = 1;\n",
            "src/stream/a.ts": "import { Unpromise } from '../vendor/unpromise';\n"
            "import { split } from '../vendor/cookie-es/set-cookie/split';\n"
            "import { isPlainObject } from '../vendor/is-plain-object';\n"
            "import { thing } from '../other/thing';\n",
            "src/stream/b.ts": "import { Unpromise } from '../vendor/unpromise';\n",
            "pkg/__init__.py": "",
            "pkg/core.py": "from pkg._vendor import rich\nfrom pkg._vendor.six import moves\n",
            "pkg/_vendor/six.py": "moves = 1\n",
        },
    )
    # the map of src/stream and pkg (what map-module's files step leaves of them)
    _, result = module_map(tmp_path, ["src/stream", "pkg/__init__.py", "pkg/core.py"])
    ext = {(e["name"], e["kind"]): e["files"] for e in result.output["external"]}
    assert ext[("unpromise", "vendored")] == 2
    assert ext[("cookie-es", "vendored")] == 1
    assert ext[("is-plain-object", "vendored")] == 1
    assert ("rich", "vendored") in ext and ("six", "vendored") in ext
    assert ("src/other/thing", "project") in ext  # the project's own code outside the map
    assert not [e for e in result.output["external"] if "vendor" in e["name"]]
    assert "| `unpromise` | vendored | 2 |" in result.output["markdown"]


def test_the_folders_section_says_nothing_of_a_file_without_a_purpose(tmp_path: Path) -> None:
    """Above 60 files the report lists folders and their most used files: most files of
    cobra, viper and x/tools read "(used by 3): no docstring"."""
    files = {"pkg/__init__.py": '"""The package."""\n'}
    for n in range(64):
        doc = '"""Does thing {n}."""\n'.format(n=n) if n % 2 else ""
        files[f"pkg/sub{n % 4}/m{n}.py"] = doc + "from pkg import core\n"
    files["pkg/core.py"] = "X = 1\n"
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    md = result.output["markdown"]
    assert "### Folders" in md
    assert "no docstring" not in md
    assert "- `core.py` (used by 64)\n" in md
    assert "- `m1.py` (used by 0): Does thing 1.\n" in md


def test_a_helper_only_tests_use_is_no_key_symbol_of_the_code(tmp_path: Path) -> None:
    """x/tools: analysistest.TestData and Run (43 and 36 users, every one a _test.go file)
    were the 5th and 8th key symbols."""
    files = {
        "go.mod": "module example.com/m\n\ngo 1.22\n",
        "core/core.go": "package core\n\n// Engine runs.\ntype Engine struct{}\n",
        "testkit/testkit.go": "package testkit\n\n// Run runs a test.\nfunc Run() {}\n",
    }
    for n in range(5):  # five tests use testkit.Run; two code files use core.Engine
        files[f"p{n}/p_test.go"] = (
            f'package p{n}\n\nimport "example.com/m/testkit"\n\nfunc T() {{ testkit.Run() }}\n'
        )
    for n in range(2):
        files[f"c{n}/c.go"] = f'package c{n}\n\nimport "example.com/m/core"\n\nvar E core.Engine\n'
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    assert [k["name"] for k in result.output["key_symbols"]] == ["Engine", "Run"]
    keys = {k["name"]: k for k in result.output["key_symbols"]}
    run, engine = keys["Run"], keys["Engine"]
    assert (run["used_by"], run["used_by_tests"], run["score"]) == (5, 5, 0)
    assert (engine["used_by"], engine["used_by_tests"]) == (2, 0)
    assert "| 0 (+5 tests) |" in result.output["markdown"]


def test_the_lenses_count_the_tests_uses_apart_as_the_key_symbols_do(tmp_path: Path) -> None:
    """cobra's command.go read "used by 24" on its file and its `Command` (17 of them
    _test.go files) while the key symbols table said "7 (+17 tests)"; a summary of a file
    without a docstring said "no module docstring", which the report no longer says."""
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": "class Engine:\n    pass\n",
        "pkg/a.py": '"""Uses the engine."""\nfrom pkg.core import Engine\n\nE = Engine\n',
        "pkg/b.py": "from pkg.core import Engine\n\nE = Engine\n",
    }
    for n in range(3):
        files[f"tests/test_{n}.py"] = "from pkg.core import Engine\n\n\ndef test():\n    Engine()\n"
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    by = {(f.rule, f.path, (f.data.model_extra or {}).get("symbol")): f for f in result.findings}
    summary = by[("map/summary", "pkg/core.py", None)]
    assert summary.data.lens == "⇄ used by 2 · +3 tests · imports 0"
    assert len((summary.data.model_extra or {})["used_by"]) == 5  # every user still listed
    assert summary.message == (
        "pkg.core. Used by 2 and imports 0 file(s) of this module (and used by 3 test "
        "file(s)); 0 external dependencies."
    )
    a = by[("map/summary", "pkg/a.py", None)]
    assert a.data.lens == "Uses the engine · ⇄ used by 0 · imports 1"
    assert "docstring" not in " ".join(f.message for f in result.findings)
    engine = by[("map/symbol", "pkg/core.py", "Engine")]
    sym = engine.data.model_extra or {}
    assert engine.data.lens == "used by 2 · +3 tests · complexity 1"
    assert (sym["used_by"], sym["used_by_tests"]) == (5, 3)
    assert engine.message.startswith("class Engine: used by 2 file(s) and 3 test file(s) of")
    keys = {k["name"]: k for k in result.output["key_symbols"]}
    assert (keys["Engine"]["used_by"], keys["Engine"]["used_by_tests"]) == (5, 3)


def test_most_depended_on_ranks_by_the_codes_users_and_shows_the_tests_apart(
    tmp_path: Path,
) -> None:
    """A helper every test imports led "Most depended on" above what the code uses, and its
    "used by" counted the tests the key symbols' table shows apart."""
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": '"""The core."""\nX = 1\n',
        "pkg/testkit.py": '"""Helpers for tests."""\nY = 2\n',
        "pkg/a.py": "from pkg.core import X\n",
        "pkg/b.py": "from pkg.core import X\n",
    }
    for n in range(4):
        files[f"tests/test_{n}.py"] = "from pkg.testkit import Y\n" + (
            "from pkg.core import X\n" if n == 0 else ""
        )
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    rows = result.output["most_depended_on"]
    assert rows[:2] == [
        {"path": "pkg/core.py", "used_by": 3, "used_by_tests": 1},
        {"path": "pkg/testkit.py", "used_by": 4, "used_by_tests": 4},
    ]
    md = result.output["markdown"]
    assert "| `pkg/core.py` | 2 (+1 test) | 0 | The core. |" in md
    assert "| `pkg/testkit.py` | 0 (+4 tests) | 0 | Helpers for tests. |" in md


def test_the_folders_section_counts_the_tests_users_apart(tmp_path: Path) -> None:
    """x/tools' folders section ranked folders and files by users that were _test.go files."""
    files = {"pkg/__init__.py": '"""The package."""\n', "pkg/core.py": "X = 1\n"}
    files["pkg/kit/__init__.py"] = ""
    files["pkg/kit/helpers.py"] = "Y = 1\n"
    for n in range(60):
        files[f"tests/sub{n % 3}/test_{n}.py"] = "from pkg.kit.helpers import Y\n"
    for n in range(3):
        files[f"pkg/app/m{n}.py"] = "from pkg.core import X\n"
    files["tests/sub0/test_core.py"] = "from pkg.core import X\n"
    write(tmp_path, files)
    _, result = module_map(tmp_path)
    md = result.output["markdown"]
    assert "### Folders" in md
    assert "- `core.py` (used by 3, +1 test)\n" in md
    assert "- `helpers.py` (used by 0, +60 tests)\n" in md
    assert "#### `pkg/kit/` — 2 files, 1 lines, used by 0 files outside it" in md
    assert md.index("#### `pkg/` —") < md.index("#### `pkg/kit/` —")
