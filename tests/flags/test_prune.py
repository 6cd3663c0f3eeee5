"""What a flag removal leaves unused is deleted: Python imports, helpers and key constants
(libcst), TypeScript import specifiers and module helpers (ast-grep). Each result parses,
and an independent checker (ruff's F401/F811 for Python) finds no unused import."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from ast_grep_py import SgRoot
from ruff.__main__ import find_ruff_bin

from swath.analyzers.flags import prune_python, prune_ts

from tests.clirun import swath

from .conftest import make_repo, run_offline


def unused_imports(*paths: str | Path) -> list[str]:
    """ruff's own verdict on unused imports (F401) in Python files."""
    proc = subprocess.run(
        [
            os.fsdecode(find_ruff_bin()),
            "check",
            "--isolated",
            "--select",
            "F401",
            "--output-format",
            "json",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return [d["message"] for d in json.loads(proc.stdout or "[]")]


BEFORE = textwrap.dedent(
    """\
    import os, sys
    from app.flags import NEW_CHECKOUT, client
    from app.render import (
        render_new,
        render_old,
    )
    import never_used

    LABEL = "Checkout"


    def checkout(cart):
        if client.get_boolean_value(NEW_CHECKOUT, False):
            return render_new(cart, os.sep)
        return _legacy(cart) + LABEL + sys.argv[0]


    def _legacy(cart):
        return render_old(cart) + _shared()


    def _shared():
        return "x"


    def other():
        return _shared()
    """
)
AFTER = BEFORE.replace(
    """    if client.get_boolean_value(NEW_CHECKOUT, False):
        return render_new(cart, os.sep)
    return _legacy(cart) + LABEL + sys.argv[0]
""",
    """    return render_new(cart, os.sep)
""",
)


def test_python_imports_helpers_and_constants_the_edit_left_unused(tmp_path: Path) -> None:
    out = prune_python.prune(BEFORE, AFTER, used_elsewhere=lambda name: False)
    compile(out, "checkout.py", "exec")
    # The edit took the last reads of these: they go, and a helper only they called.
    for gone in ("NEW_CHECKOUT", "client", "render_old", "def _legacy", "LABEL", "sys"):
        assert gone not in out, gone
    # `import os, sys` less sys is `import os`, no comma left dangling.
    assert out.startswith("import os\nfrom app.render import (\n    render_new,\n)\n")
    # Still read, or unused before the edit (not the removal's doing): they stay.
    assert "render_new," in out and "def _shared" in out and "import never_used" in out
    (tmp_path / "checkout.py").write_text(out, encoding="utf-8")
    assert unused_imports(tmp_path / "checkout.py") == ["`never_used` imported but unused"]


def test_python_keeps_what_other_modules_or_decorators_use() -> None:
    before = "from flask import app\n\n\n@app.route('/')\ndef page():\n    return helper()\n\n\ndef helper():\n    return 1\n\n\nx = helper()\n"
    after = before.replace("x = helper()\n", "x = 1\n")
    # A public helper another file names stays; a decorated one is registered, so used.
    out = prune_python.prune(before, after, used_elsewhere=lambda name: name == "helper")
    assert out == after
    assert "def helper" not in prune_python.prune(
        before.replace("    return helper()\n", "    return 2\n"),
        after.replace("    return helper()\n", "    return 2\n"),
        used_elsewhere=lambda name: False,
    )


def test_python_an_import_other_modules_read_as_an_attribute_stays() -> None:
    before = "from app.flags import client\n\n\ndef f():\n    return client.get('x')\n"
    after = "from app.flags import client\n\n\ndef f():\n    return True\n"
    # A test patches `checkout.client`: the import is read through the module.
    kept = prune_python.prune(before, after, read_as_attribute=lambda name: name == "client")
    assert kept == after
    assert "import" not in prune_python.prune(before, after)


def test_python_names_in_dunder_all_stay() -> None:
    before = '__all__ = ["KEY"]\nKEY = "k"\n\n\ndef f():\n    return KEY\n'
    after = '__all__ = ["KEY"]\nKEY = "k"\n\n\ndef f():\n    return "k"\n'
    assert prune_python.prune(before, after, used_elsewhere=lambda name: False) == after


TS_BEFORE = textwrap.dedent(
    """\
    import { OpenFeature, type Hook } from "@openfeature/server-sdk";
    import { renderNew, renderOld as legacy } from "./render";
    import Banner from "./Banner";
    import * as ld from "@launchdarkly/node-server-sdk";
    import "./polyfill";

    const client = OpenFeature.getClient();
    const LABEL = "old";
    const decorate = (s: string): string => s + LABEL;

    export async function page(hook: Hook): Promise<string> {
      if (await client.getBooleanValue("new_page", false)) {
        return renderNew();
      }
      return decorate(legacy()) + <Banner /> + ld.version;
    }
    """
)
TS_AFTER = TS_BEFORE.replace(
    """  if (await client.getBooleanValue("new_page", false)) {
    return renderNew();
  }
  return decorate(legacy()) + <Banner /> + ld.version;
""",
    """  return renderNew();
""",
)


def test_typescript_specifiers_statements_and_module_helpers() -> None:
    out = prune_ts.prune(TS_BEFORE, TS_AFTER, "tsx")
    assert SgRoot(out, "tsx").root().find(kind="ERROR") is None
    assert 'import { renderNew } from "./render";' in out  # one specifier of two
    for gone in ("Banner", "* as ld", "LABEL", "decorate", "legacy"):
        assert gone not in out, gone
    # `client` is still read; a side-effect import binds nothing; a call may have effects.
    assert "const client = OpenFeature.getClient();" in out and 'import "./polyfill";' in out
    assert 'import { OpenFeature, type Hook } from "@openfeature/server-sdk";' in out


def test_typescript_exported_declarations_stay() -> None:
    before = 'export const KEY = "k";\nexport function f(): string { return KEY; }\n'
    after = 'export const KEY = "k";\nexport function f(): string { return "k"; }\n'
    assert prune_ts.prune(before, after, "typescript") == after


JS_BEFORE = (
    'const { legacy } = require("./old");\n'
    'const LABEL = "old";\n'
    "const decorate = (s) => s + LABEL;\n"
    "function page(client) {\n"
    '  if (client.isEnabled("new_page")) {\n'
    '    return "new";\n'
    "  }\n"
    "  return decorate(legacy());\n"
    "}\n"
    "module.exports = { page };\n"
)


def test_javascript_helpers_the_edit_left_unused() -> None:
    # JavaScript's grammar has no `type_identifier`: asking for one was an error that failed
    # the plan of every JavaScript tree with a removal (unleash-server's compiled server).
    before = JS_BEFORE
    after = before.replace(
        '  if (client.isEnabled("new_page")) {\n    return "new";\n  }\n  return decorate(legacy());\n',
        '  return "new";\n',
    )
    out = prune_ts.prune(before, after, "javascript")
    assert SgRoot(out, "javascript").root().find(kind="ERROR") is None
    assert "LABEL" not in out and "decorate" not in out
    # A `require` is a call, which may have effects: it stays.
    assert out.startswith('const { legacy } = require("./old");\n') and "function page" in out


@pytest.mark.parametrize(
    ("text", "lang"), [(TS_BEFORE, "tsx"), (TS_AFTER, "tsx"), (JS_BEFORE, "javascript")]
)
def test_reads_of_the_names_asked_are_those_of_every_identifier_walked(
    text: str, lang: str
) -> None:
    # _reads visits only identifiers spelling a name asked for (ast-grep's regex): the same
    # counts as walking every identifier of the module and keeping those names.
    root = SgRoot(text, lang).root()
    binders = {
        (n.range().start.index, n.range().end.index)
        for decl, _ in prune_ts._bindings(root)
        for n in prune_ts._binding_nodes(decl)
    }
    kinds = [k for k in prune_ts.NAME_KINDS if lang != "javascript" or k != "type_identifier"]
    every: dict[str, int] = {}
    for kind in kinds:
        for n in root.find_all(kind=kind):
            r = n.range()
            if (r.start.index, r.end.index) not in binders and not n.inside(
                kind="import_statement"
            ):
                every[n.text()] = every.get(n.text(), 0) + 1
    names = {n for _, bound in prune_ts._bindings(root) for n in bound} | {"page", "absent", "a$b"}
    assert prune_ts._reads(root, lang, names) == {n: every.get(n, 0) for n in names}
    assert any(every.get(n) for n in names)  # some of them are read


def test_the_plan_deletes_a_constant_held_key_once_its_uses_are_gone(tmp_path: Path) -> None:
    """End to end through the plan: the key's constant lives in one module, is imported by
    another; the check goes, then the import, then the constant, then the definition."""
    ws = make_repo(
        tmp_path,
        {
            "flags.json": '{"flags": {"new_checkout": {"enabled": true}, "other": {"enabled": false}}}\n',
            "app/keys.py": 'NEW_CHECKOUT = "new_checkout"\nOTHER = "other"\n',
            "app/shop.py": """
                from app.keys import NEW_CHECKOUT, OTHER
                from app.sdk import client


                def buy():
                    if client.is_enabled(NEW_CHECKOUT):
                        return "new"
                    return "old"


                def keep():
                    return OTHER
                """,
        },
    )
    _, _, plan = run_offline(ws)
    subprocess.run(["git", "apply", "-"], cwd=ws.root, input=plan["patch"], text=True, check=True)
    assert (ws.root / "app/keys.py").read_text(encoding="utf-8") == 'OTHER = "other"\n'
    shop = (ws.root / "app/shop.py").read_text(encoding="utf-8")
    assert shop.startswith('from app.keys import OTHER\n\n\ndef buy():\n    return "new"\n')
    # One line holding both flags: the entry goes, the other flag's stays (it is still read,
    # through OTHER, and the plan says where).
    data = json.loads((ws.root / "flags.json").read_text(encoding="utf-8"))
    assert data == {"flags": {"other": {"enabled": False}}}
    assert "`other`: definition kept: still read at app/shop.py:12" in plan["markdown"]
    for rel in ("app/keys.py", "app/shop.py"):
        compile((ws.root / rel).read_text(encoding="utf-8"), rel, "exec")
        assert unused_imports(ws.root / rel) == []


@pytest.mark.parametrize(
    ("path", "code", "loads_libcst"),
    [
        ("web/page.js", 'if (client.isEnabled("new_page")) {\n  go();\n}\n', False),
        ("app/page.py", 'if client.is_enabled("new_page"):\n    go()\n', True),
    ],
)
def test_libcst_is_loaded_only_for_a_python_removal(
    tmp_path: Path, path: str, code: str, loads_libcst: bool
) -> None:
    # libcst (~0.3 s to import) serves Python rewrites and pruning only: a flag audit whose
    # patch edits JavaScript does without it.
    make_repo(tmp_path, {"flags.yaml": "new_page: true\n", path: code})
    proc = swath(
        tmp_path, "run", "flag-audit", "--format", "json", python_flags=("-X", "importtime")
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    patch = json.loads(proc.stdout)["outputs"]["plan"]["patch"]
    assert f"+++ b/{path}" in patch and "+go()" in patch  # the check is gone, its branch kept
    modules = {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "swath.analyzers.flags.removal_patch" in modules  # the plan's patch was built
    assert ("libcst" in modules) is loads_libcst
