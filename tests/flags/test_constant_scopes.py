"""A constant holding a key is followed where its declaration is visible, not by its name.

The shapes come from unleash-server 7.5.1 (issue 12, "References right"): its tests declare
`const enabledEnvName = …` in three test bodies of one file with three values, and following
the name made every use of all three a reference of the key `enabled`. A declaration in a
function or block is seen in that block; a module's unexported one in its file; an exported
one also where it is imported (through the import's module when the paths tell), and a name
declared again in a nested scope (or in another file) is not a use of the first.
"""

from __future__ import annotations

from pathlib import Path

from swath.sources.flagdefs import scopes
from swath.sources.flagdefs.scan import DefinitionSpan, scan_references
from swath.sources.flagdefs.sdk import default_call_names

from .conftest import make_repo

# environment-service.test.js of unleash-server, cut down: three test bodies, one name.
UNLEASH_TEST = """\
test('Setting an override disables all other envs', async () => {
    const enabledEnvName = 'should-get-enabled';
    await db.stores.environmentStore.create({
        name: enabledEnvName,
        type: 'production',
    });
    await service.toggleEnvironment(enabledEnvName, false);
    const targetedEnvironment = environments.find((env) => env.name === enabledEnvName);
});
test('Passing an empty override does nothing', async () => {
    const enabledEnvName = 'should-be-enabled';
    await service.toggleEnvironment(enabledEnvName, true);
});
test('When given overrides should remap projects to override environments', async () => {
    const enabledEnvName = 'enabled';
    await db.stores.environmentStore.create({
        name: enabledEnvName,
        type: 'production',
    });
    await service.toggleEnvironment(enabledEnvName, false);
    await service.overrideEnabledProjects([enabledEnvName]);
    const check = (enabledEnvName) => enabledEnvName.length;
});
"""


def _scan(root: Path, keys: list[str]) -> dict[str, list[tuple[str, int, str]]]:
    files = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts
    )
    spans = [
        DefinitionSpan(key=k, path="flags.yaml", line=i, end_line=i) for i, k in enumerate(keys)
    ]
    index = scan_references(str(root), files, keys, default_call_names(), spans, workers=1)
    return {k: sorted((r.path, r.line, r.kind) for r in index.references.get(k, [])) for k in keys}


def _repo(tmp_path: Path, files: dict[str, str], keys: list[str]) -> Path:
    ws = make_repo(tmp_path, {"flags.yaml": "".join(f"{k}: true\n" for k in keys), **files})
    return ws.root


def test_a_name_declared_in_three_test_bodies_is_followed_in_its_own(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"test/environment-service.test.js": UNLEASH_TEST}, ["enabled"])
    got = _scan(root, ["enabled"])["enabled"]
    path = "test/environment-service.test.js"
    # Its declaration and its three uses in the third body; not the first two bodies' uses,
    # nor the arrow function's parameter of that name.
    assert got == [
        (path, 14, "constant-def"),
        (path, 16, "constant-use"),
        (path, 19, "constant-use"),
        (path, 20, "constant-use"),
    ]


def test_the_same_name_in_three_files_with_three_values(tmp_path: Path) -> None:
    keys = ["alpha-flag", "beta-flag", "gamma-flag"]
    root = _repo(
        tmp_path,
        {
            "src/a.ts": "export const FLAG_KEY = 'alpha-flag';\n",
            "src/b.ts": "export const FLAG_KEY = 'beta-flag';\n",
            "src/c.ts": "const FLAG_KEY = 'gamma-flag';\nif (unleash.isEnabled(FLAG_KEY)) { go(); }\n",
            "src/uses_a.ts": "import { FLAG_KEY } from './a';\n"
            "if (unleash.isEnabled(FLAG_KEY)) { a(); }\n",
            "src/deep/uses_b.ts": "import { FLAG_KEY } from '../b.js';\n"
            "export const on = () => unleash.isEnabled(FLAG_KEY);\n",
            # A name of its own: neither imported nor any of the three.
            "src/other.ts": "let FLAG_KEY = compute();\nif (unleash.isEnabled(FLAG_KEY)) { c(); }\n",
            "src/plain.ts": "if (unleash.isEnabled(FLAG_KEY)) { d(); }\n",
        },
        keys,
    )
    got = _scan(root, keys)
    assert got["alpha-flag"] == [
        ("src/a.ts", 0, "constant-def"),
        ("src/uses_a.ts", 0, "constant-use"),
        ("src/uses_a.ts", 1, "call"),
    ]
    assert got["beta-flag"] == [
        ("src/b.ts", 0, "constant-def"),
        ("src/deep/uses_b.ts", 0, "constant-use"),
        ("src/deep/uses_b.ts", 1, "call"),
    ]
    assert got["gamma-flag"] == [("src/c.ts", 0, "constant-def"), ("src/c.ts", 1, "call")]


def test_an_import_through_a_barrel_or_alias_still_counts(tmp_path: Path) -> None:
    keys = ["new-checkout"]
    root = _repo(
        tmp_path,
        {
            "src/flags/keys.ts": "export const NEW_CHECKOUT = 'new-checkout';\n",
            "src/flags/index.ts": "export * from './keys';\n",
            "src/page.ts": "import { NEW_CHECKOUT } from './flags';\n"
            "if (client.isEnabled(NEW_CHECKOUT)) { a(); }\n",
            "src/cart.ts": "import { NEW_CHECKOUT } from '@/flags/keys';\n"
            "if (client.isEnabled(NEW_CHECKOUT)) { b(); }\n",
            "src/legacy.js": "const { NEW_CHECKOUT } = require('./flags/keys');\n"
            "if (client.isEnabled(NEW_CHECKOUT)) { c(); }\n",
            "src/ns.ts": "import * as flags from './flags/keys';\n"
            "if (client.isEnabled(flags.NEW_CHECKOUT)) { d(); }\n",
        },
        keys,
    )
    got = _scan(root, keys)["new-checkout"]
    for path in ("src/page.ts", "src/cart.ts", "src/legacy.js", "src/ns.ts"):
        assert (path, 1, "call") in got, path


def test_python_function_constants_imports_and_shadowing(tmp_path: Path) -> None:
    keys = ["new_checkout", "dark_mode"]
    root = _repo(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/keys.py": 'NEW_CHECKOUT = "new_checkout"\n',
            "app/views.py": "from app.keys import NEW_CHECKOUT\n\n"
            "if client.is_enabled(NEW_CHECKOUT):\n    go()\n",
            "app/relative.py": "from .keys import NEW_CHECKOUT\nclient.is_enabled(NEW_CHECKOUT)\n",
            "app/unrelated.py": "NEW_CHECKOUT = compute()\nclient.is_enabled(NEW_CHECKOUT)\n",
            "app/jobs.py": "def one():\n"
            '    KEY = "dark_mode"\n'
            "    return client.is_enabled(KEY)\n\n\n"
            "def two():\n"
            '    KEY = "something-else"\n'
            "    return client.is_enabled(KEY)\n",
        },
        keys,
    )
    got = _scan(root, keys)
    assert got["new_checkout"] == [
        ("app/keys.py", 0, "constant-def"),
        ("app/relative.py", 0, "constant-use"),
        ("app/relative.py", 1, "call"),
        ("app/views.py", 0, "constant-use"),
        ("app/views.py", 2, "call"),
    ]
    assert got["dark_mode"] == [("app/jobs.py", 1, "constant-def"), ("app/jobs.py", 2, "call")]


def test_go_function_constants_and_package_level_names(tmp_path: Path) -> None:
    keys = ["beta-search", "fast-path"]
    root = _repo(
        tmp_path,
        {
            "pkg/search/keys.go": 'package search\n\nconst betaSearch = "beta-search"\n',
            "pkg/search/run.go": "package search\n\n"
            "func run() bool { return client.IsEnabled(betaSearch) }\n",
            "pkg/other/run.go": "package other\n\n"
            "func run() bool { return client.IsEnabled(betaSearch) }\n",
            "pkg/jobs/jobs.go": "package jobs\n\n"
            'func a() bool {\n\tconst key = "fast-path"\n\treturn client.IsEnabled(key)\n}\n\n'
            'func b() bool {\n\tconst key = "slow-path"\n\treturn client.IsEnabled(key)\n}\n',
        },
        keys,
    )
    got = _scan(root, keys)
    # A package-level name is the package's (its other files), not another package's.
    assert got["beta-search"] == [
        ("pkg/search/keys.go", 2, "constant-def"),
        ("pkg/search/run.go", 2, "call"),
    ]
    assert got["fast-path"] == [
        ("pkg/jobs/jobs.go", 3, "constant-def"),
        ("pkg/jobs/jobs.go", 4, "call"),
    ]


def test_scopes_of_declarations() -> None:
    js = b"const A = 'x';\nfunction f() {\n  var B = 'y';\n  if (c) {\n    var C = 'z';\n  }\n}\nenum E {\n  D = 'w',\n}\n"
    fs = scopes.FileScopes(js, "a.ts")
    assert fs.scope_of(0)[0] == scopes.MODULE
    assert fs.scope_of(js.index(b"  var B"), b"var")[0] == scopes.BLOCK
    # `var` belongs to the function, not to the `if` block.
    assert fs.scope_of(js.index(b"    var C"), b"var") == fs.scope_of(js.index(b"  var B"), b"var")
    assert fs.scope_of(js.index(b"  D ="))[0] == scopes.MEMBER
    py = b"A = 'x'\nif x:\n    B = 'y'\nclass F:\n    C = 'z'\ndef g():\n    D = 'w'\n"
    ps = scopes.FileScopes(py, "a.py")
    assert ps.scope_of(0)[0] == scopes.MODULE
    assert ps.scope_of(py.index(b"    B"))[0] == scopes.MODULE  # an `if` is no scope
    assert ps.scope_of(py.index(b"    C"))[0] == scopes.MEMBER
    assert ps.scope_of(py.index(b"    D"))[0] == scopes.BLOCK
    assert scopes.resolves("./keys", "src/page.ts", "src/keys.ts")
    assert scopes.resolves("../flags", "src/a/page.ts", "src/flags/index.ts")
    assert not scopes.resolves("./a", "src/page.ts", "src/b.ts")
    assert scopes.resolves("lodash", "src/page.ts", "src/b.ts") is None
    assert scopes.resolves("..keys", "app/sub/v.py", "app/keys.py")


def test_an_exported_constant_is_the_modules_whatever_the_braces_before_it(tmp_path: Path) -> None:
    # A regex literal with a brace and a quote that no block or string closes.
    root = _repo(
        tmp_path,
        {
            "src/flags.ts": "const rx = /[{'](x)/;\nexport const NEW_CHECKOUT = 'new-checkout';\n"
            "const LOCAL = 'new-checkout';\nfunction f() {\n  return client.isEnabled(LOCAL);\n}\n",
            "src/page.ts": "import { NEW_CHECKOUT } from './flags';\n"
            "if (client.isEnabled(NEW_CHECKOUT)) { a(); }\n",
        },
        ["new-checkout"],
    )
    got = _scan(root, ["new-checkout"])["new-checkout"]
    assert ("src/page.ts", 1, "call") in got
    assert ("src/flags.ts", 4, "call") in got  # the regex literal's brace opens no block


def test_a_constants_name_in_a_comment_or_string_is_no_use(tmp_path: Path) -> None:
    keys = ["new-checkout", "new_search"]
    root = _repo(
        tmp_path,
        {
            "src/flags.ts": "export const NEW_CHECKOUT = 'new-checkout';\n",
            "src/page.ts": "import { NEW_CHECKOUT } from './flags';\n"
            "// NEW_CHECKOUT: the new flow\n"
            "/* NEW_CHECKOUT\n   again */\n"
            "log('NEW_CHECKOUT is read below');\n"
            "const url = 'http://x//'; if (client.isEnabled(NEW_CHECKOUT)) { a(); }\n"
            "note(`${NEW_CHECKOUT} on`);\n",
            "app/keys.py": 'NEW_SEARCH = "new_search"  # NEW_SEARCH: the key\n',
            "app/views.py": '"""Views. NEW_SEARCH decides the search."""\n'
            "from app.keys import NEW_SEARCH\n\n"
            "# NEW_SEARCH is on in staging\n"
            'print(f"{NEW_SEARCH}", "NEW_SEARCH")\n'
            "client.is_enabled(NEW_SEARCH)\n",
        },
        keys,
    )
    got = _scan(root, keys)
    # The import, the call (after a string holding `//`), the template's interpolation.
    assert got["new-checkout"] == [
        ("src/flags.ts", 0, "constant-def"),
        ("src/page.ts", 0, "constant-use"),
        ("src/page.ts", 5, "call"),
        ("src/page.ts", 6, "constant-use"),
    ]
    assert got["new_search"] == [
        ("app/keys.py", 0, "constant-def"),
        ("app/views.py", 1, "constant-use"),
        ("app/views.py", 4, "constant-use"),
        ("app/views.py", 5, "call"),
    ]


def test_commonjs_exports_and_aliased_imports_are_followed(tmp_path: Path) -> None:
    """`exports.X = 'key'` (what tsc writes for `export const`), `module.exports = { X: 'key' }`,
    read through `require` (a namespace or destructured, renamed or not) and through an
    aliased ES import; the object's other properties stay property names."""
    keys = ["new-pricing", "dark-mode", "learning-lab"]
    root = _repo(
        tmp_path,
        {
            "src/flags.js": '"use strict";\nexports.NEW_PRICING = void 0;\n'
            "exports.NEW_PRICING = 'new-pricing';\n"
            "exports.pricing = () => client.isEnabled(exports.NEW_PRICING);\n",
            "src/cfg.js": "module.exports = {\n  DARK_MODE: 'dark-mode',\n  name: 'learning-lab',\n};\n",
            "src/a.js": 'const flags_1 = require("./flags");\n'
            "if (client.isEnabled(flags_1.NEW_PRICING)) { a(); }\n",
            "src/b.js": "const { NEW_PRICING } = require('./flags');\n"
            "if (client.isEnabled(NEW_PRICING)) { b(); }\n",
            "src/c.js": "const { DARK_MODE: D } = require('./cfg');\n"
            "if (client.isEnabled(D)) { c(); }\n",
            "src/d.ts": "import { NEW_PRICING as P } from './flags';\n"
            "const NEW_PRICING = 'other';\n"
            "if (client.isEnabled(P)) { d(); }\n"
            "function f(P) { return P; }\n",
            # `name` of anything else is a property name: not the export of cfg.js.
            "src/e.js": "const cfg = require('./cfg');\n"
            "console.log(item.name, other.name);\nshow(cfg.name);\n",
            "src/menu.js": "const menu = { name: 'learning-lab' };\nlog(menu.name);\n",
        },
        keys,
    )
    got = _scan(root, keys)
    assert got["new-pricing"] == [
        ("src/a.js", 1, "call"),
        ("src/b.js", 0, "constant-use"),
        ("src/b.js", 1, "call"),
        ("src/d.ts", 0, "constant-use"),
        ("src/d.ts", 2, "call"),
        ("src/flags.js", 2, "constant-def"),
        ("src/flags.js", 3, "call"),
    ]
    assert got["dark-mode"] == [
        ("src/c.js", 0, "constant-use"),
        ("src/c.js", 1, "call"),
        ("src/cfg.js", 1, "constant-def"),
    ]
    assert got["learning-lab"] == [
        ("src/cfg.js", 2, "constant-def"),
        ("src/e.js", 2, "constant-use"),
        ("src/menu.js", 0, "literal"),
    ]


def test_python_import_forms_are_followed_to_their_module(tmp_path: Path) -> None:
    """`import a.b` then `a.b.X`, `import a.b as c` then `c.X`, `from a import b` then
    `b.X`: the constant of that module only, not every module's constant of that name; an
    import of a module from outside the tree is none of them."""
    keys = ["new_search", "old_search"]
    root = _repo(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/flags/__init__.py": "",
            "app/flags/keys.py": 'NEW_SEARCH = "new_search"\n',
            "app/legacy.py": 'NEW_SEARCH = "old_search"\n',
            "app/a.py": "import app.flags.keys\nimport app.legacy\n\n"
            "client.is_enabled(app.flags.keys.NEW_SEARCH)\n",
            "app/b.py": "import app.legacy as legacy, app.flags.keys as k\n\n"
            "client.is_enabled(k.NEW_SEARCH)\n",
            "app/c.py": "from app.flags import keys\n\nclient.is_enabled(keys.NEW_SEARCH)\n",
            "app/d.py": "from app.legacy import NEW_SEARCH as OLD\n\nclient.is_enabled(OLD)\n",
            "app/e.py": "import vendor.keys\n\nclient.is_enabled(vendor.keys.NEW_SEARCH)\n",
        },
        keys,
    )
    got = _scan(root, keys)
    assert got["new_search"] == [
        ("app/a.py", 3, "call"),
        ("app/b.py", 2, "call"),
        ("app/c.py", 2, "call"),
        ("app/flags/keys.py", 0, "constant-def"),
    ]
    assert got["old_search"] == [
        ("app/d.py", 0, "constant-use"),
        ("app/d.py", 2, "call"),
        ("app/legacy.py", 0, "constant-def"),
    ]


def test_comments_and_strings_of_a_big_file_are_told_near_each_name(tmp_path: Path) -> None:
    """Files over 16 KiB are not tokenised whole (generated schema types of megabytes): a
    block comment still open, a template spanning lines, the name's own line."""
    keys = ["new-checkout"]
    filler = "export const pad = 1;\n" * 900  # ~20 KB
    root = _repo(
        tmp_path,
        {
            "src/flags.ts": "export const NEW_CHECKOUT = 'new-checkout';\n",
            "src/big.ts": "import { NEW_CHECKOUT } from './flags';\n"
            + filler
            + "/* the old flow:\n   NEW_CHECKOUT off */\n"
            + "const help = `multi\nNEW_CHECKOUT\n`;\n"
            + "log('NEW_CHECKOUT is read'); if (client.isEnabled(NEW_CHECKOUT)) { a(); }\n",
        },
        keys,
    )
    got = _scan(root, keys)["new-checkout"]
    assert got == [
        ("src/big.ts", 0, "constant-use"),
        ("src/big.ts", 906, "call"),
        ("src/flags.ts", 0, "constant-def"),
    ]
