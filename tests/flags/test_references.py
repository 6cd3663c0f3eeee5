"""References: SDK calls per language and vendor, quoted literals in any text file,
constants followed to their uses, undefined keys, and what the scan must skip."""

from __future__ import annotations

import json
import os

import pytest

from swath.analyzers.flags.examine import examine
from swath.analyzers.flags.references import parsed
from swath.items.flags import FlagItemData
from swath.sources.flagdefs import scan as scan_mod
from swath.sources.flagdefs.scan import DefinitionSpan, scan_references
from swath.sources.flagdefs.sdk import default_call_names

from .conftest import discover, flag_items, make_repo

KEYS = [
    "new_checkout",
    "dark-mode",
    "beta_reports",
    "search_v2",
    "waffle_flag",
    "gb_feature",
    "ld-flag",
]
PLAIN = json.dumps({k: {"enabled": True} for k in KEYS}, indent=2)


def refs(items, key):
    return [
        (r["path"], r["line"], r["kind"], r["call"])
        for r in flag_items(items)[key].data["references"]
    ]


PY = """\
from openfeature import api
import ldclient
from UnleashClient import UnleashClient
from growthbook import GrowthBook
from waffle import flag_is_active

client = api.get_client()


def view(request, user):
    if client.get_boolean_value("new_checkout", False):
        pass
    mode = client.get_string_value("search_v2", "v1")
    if ldclient.get().variation("ld-flag", user, False):
        pass
    if unleash.is_enabled("dark-mode"):
        pass
    if gb.is_on("gb_feature"):
        pass
    if flag_is_active(request, "waffle_flag"):
        pass
    enabled = client.get_boolean_value(
        "beta_reports",
        False,
    )
    log.info("%s is %s", "new_checkout", enabled)
"""

TS = """\
import { OpenFeature } from "@openfeature/server-sdk";

const client = OpenFeature.getClient();

export async function page(ctx: Ctx): Promise<void> {
  if (await client.getBooleanValue('new_checkout', false)) {}
  const v = await ldClient.boolVariation("ld-flag", ctx, false);
  if (unleash.isEnabled(`dark-mode`)) {}
  if (growthbook.isOn("gb_feature")) {}
  const reports = client?.getBooleanValue("beta_reports", false);
}
"""

JS = """\
const flags = require("./flags");
module.exports = function (client) {
  return client.isEnabled("search_v2") ? "v2" : "v1";
};
"""

GO = """\
package main

func handler(ctx context.Context) {
\tif on, _ := client.BooleanValue(ctx, "new_checkout", false, openfeature.EvaluationContext{}); on {
\t}
\tdark := unleash.IsEnabled("dark-mode")
\tld, _ := ldClient.BoolVariation("ld-flag", user, false)
\t_, _ = dark, ld
}
"""


@pytest.fixture
def polyglot(tmp_path):
    return make_repo(
        tmp_path,
        {
            "flags.json": PLAIN,
            "app/views.py": PY,
            "web/page.ts": TS,
            "web/legacy.js": JS,
            "svc/main.go": GO,
            "docs/flags.md": "Turn on `new_checkout` in flagd.\n",
            "deploy/values.yaml": "features:\n  - 'dark-mode'\n",
        },
    )


def test_python_sdk_calls_of_every_vendor(polyglot):
    items = discover(polyglot)
    py = {k: [r for r in refs(items, k) if r[0] == "app/views.py"] for k in KEYS}
    assert py["new_checkout"] == [
        ("app/views.py", 10, "call", "get_boolean_value"),
        ("app/views.py", 25, "literal", None),
    ]
    assert py["search_v2"] == [("app/views.py", 12, "call", "get_string_value")]
    assert py["ld-flag"] == [("app/views.py", 13, "call", "variation")]
    assert py["dark-mode"] == [("app/views.py", 15, "call", "is_enabled")]
    assert py["gb_feature"] == [("app/views.py", 17, "call", "is_on")]
    assert py["waffle_flag"] == [("app/views.py", 19, "call", "flag_is_active")]
    assert py["beta_reports"] == [("app/views.py", 22, "call", "get_boolean_value")]  # across lines


def test_typescript_javascript_and_go_calls(polyglot):
    items = discover(polyglot)
    ts = {k: [r for r in refs(items, k) if r[0].startswith("web/")] for k in KEYS}
    assert ts["new_checkout"] == [("web/page.ts", 5, "call", "getBooleanValue")]
    assert ts["ld-flag"] == [("web/page.ts", 6, "call", "boolVariation")]
    assert ts["dark-mode"] == [("web/page.ts", 7, "call", "isEnabled")]
    assert ts["gb_feature"] == [("web/page.ts", 8, "call", "isOn")]
    assert ts["beta_reports"] == [("web/page.ts", 9, "call", "getBooleanValue")]
    assert ts["search_v2"] == [("web/legacy.js", 2, "call", "isEnabled")]
    go = {k: [r for r in refs(items, k) if r[0] == "svc/main.go"] for k in KEYS}
    assert go["new_checkout"] == [("svc/main.go", 3, "call", "BooleanValue")]
    assert go["dark-mode"] == [("svc/main.go", 5, "call", "IsEnabled")]
    assert go["ld-flag"] == [("svc/main.go", 6, "call", "BoolVariation")]


def test_quoted_literals_in_any_text_file(polyglot):
    items = discover(polyglot)
    assert ("deploy/values.yaml", 1, "literal", None) in refs(items, "dark-mode")
    assert ("docs/flags.md", 0, "literal", None) in refs(items, "new_checkout")


def test_structure_of_each_reference_through_ast_grep(polyglot):
    """The analyzer confirms each call with ast-grep and finds the check around it."""
    items = flag_items(discover(polyglot))
    facts = examine(polyglot, FlagItemData.model_validate(items["new_checkout"].data), None)
    by_place = {(r.path, r.line): r for r in facts.references}
    assert (
        by_place[("app/views.py", 10)].check
        and by_place[("app/views.py", 10)].call == "get_boolean_value"
    )
    assert not by_place[("app/views.py", 25)].check  # a log line, not a check
    assert by_place[("web/page.ts", 5)].check
    assert (
        by_place[("svc/main.go", 3)].check and by_place[("svc/main.go", 3)].call == "BooleanValue"
    )
    assert ("docs/flags.md", 0) not in by_place and facts.docs[0].path == "docs/flags.md"
    search = examine(polyglot, FlagItemData.model_validate(items["search_v2"].data), None)
    # a string getter is a reference but not a yes/no check
    assert [r.check for r in search.references if r.path == "app/views.py"] == [False]


def test_call_names_from_config(tmp_path):
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": "call_names: [feature_on, {name: featureOff, negated: true}]\n",
            "flags.yaml": "alpha: true\nbeta: false\n",
            "a.py": 'if feature_on("alpha"):\n    x()\n',
            "b.ts": 'if (featureOff("beta")) { y(); }\n',
        },
    )
    items = discover(ws)
    assert refs(items, "alpha") == [("a.py", 0, "call", "feature_on")]
    assert refs(items, "beta") == [("b.ts", 0, "call", "featureOff")]


def test_constants_are_followed_to_their_uses(tmp_path):
    ws = make_repo(
        tmp_path,
        {
            "flags.yaml": "new_checkout: true\n",
            "app/keys.py": 'NEW_CHECKOUT = "new_checkout"\n',
            "app/views.py": "from app.keys import NEW_CHECKOUT\n\nif client.is_enabled(NEW_CHECKOUT):\n    go()\n",
            "app/local.py": 'key = "new_checkout"\nif client.is_enabled(key):\n    go()\n',
            "web/keys.ts": 'export const NewCheckout = "new_checkout";\n',
            "web/page.ts": 'import { NewCheckout } from "./keys";\nif (client.isEnabled(NewCheckout)) { go(); }\n',
            "go/other.go": "package x\n// NEW_CHECKOUT is a Python name, not ours\n",
        },
    )
    items = discover(ws)
    got = set(refs(items, "new_checkout"))
    assert ("app/keys.py", 0, "constant-def", None) in got
    assert ("app/views.py", 2, "call", "is_enabled") in got
    assert ("app/views.py", 0, "constant-use", None) in got  # the import
    assert ("app/local.py", 1, "call", "is_enabled") in got  # a file-local variable
    assert ("web/page.ts", 1, "call", "isEnabled") in got
    assert not any(p == "go/other.go" for p, *_ in got)  # other languages are not searched
    consts = {c["name"]: c["scope"] for c in flag_items(items)["new_checkout"].data["constants"]}
    assert consts == {"NEW_CHECKOUT": "global", "key": "file", "NewCheckout": "global"}


def test_undefined_keys_from_sdk_calls(tmp_path):
    ws = make_repo(
        tmp_path,
        {
            "flags.yaml": "known: true\n",
            "a.py": 'client.is_enabled("known")\nclient.is_enabled("ghost")\nprint("not-a-flag")\n',
            "b.yaml": 'note: flags.is_enabled("in-yaml")\n',
        },
    )
    items = discover(ws)
    flags = flag_items(items)
    assert set(flags) == {"known", "ghost"}
    assert flags["ghost"].data["defined"] is False
    assert refs(items, "ghost") == [("a.py", 1, "call", "is_enabled")]
    # without any definition there is nothing to be undefined against (auto)
    ws2 = make_repo(tmp_path / "empty", {"a.py": 'client.is_enabled("ghost")\n'})
    assert flag_items(discover(ws2)) == {}
    assert set(flag_items(discover(ws2, report_undefined=True))) == {"ghost"}


def test_gitignore_binary_and_symlinks_are_skipped(tmp_path):
    ws = make_repo(
        tmp_path,
        {
            ".gitignore": "build/\n",
            "flags.yaml": "k: true\n",
            "build/out.js": 'isEnabled("k")\n',
            "src/a.py": 'is_enabled("k")\n',
        },
        commit=False,
    )
    (tmp_path / "src" / "blob.bin").write_bytes(b'\0\0"k"\0')
    os.symlink(tmp_path / "src" / "a.py", tmp_path / "src" / "link.py")
    items = discover(ws)
    assert [r[0] for r in refs(items, "k")] == ["src/a.py"]


def test_parallel_scan_matches_the_serial_one(tmp_path, monkeypatch):
    files = {
        f"pkg{i % 7}/m{i}.py": (
            f'if client.is_enabled("flag_{i % 13}"):\n    pass\nNAME_{i} = "flag_{i % 5}"\n'
            if i % 3 == 0
            else "x = 1\n"
        )
        for i in range(300)
    }
    files["flags.yaml"] = "\n".join(f"flag_{i}: true" for i in range(13)) + "\n"
    ws = make_repo(tmp_path, files)
    paths = sorted(files)
    keys = [f"flag_{i}" for i in range(13)]
    spans = [
        DefinitionSpan(key=k, path="flags.yaml", line=i, end_line=i) for i, k in enumerate(keys)
    ]
    serial = scan_references(str(ws.root), paths, keys, default_call_names(), spans, workers=1)
    monkeypatch.setattr(scan_mod, "PARALLEL_MIN_FILES", 10)
    parallel = scan_references(str(ws.root), paths, keys, default_call_names(), spans, workers=2)
    assert parallel.references == serial.references
    assert parallel.constants == serial.constants
    assert serial.stats.files_read == 301
    assert sum(len(v) for v in serial.references.values()) > 100


def test_minified_bundles_are_skipped_and_said_so(tmp_path):
    # A bundle: one line naming the flag among kilobytes of other code (linguist's test: a
    # .js/.css file whose lines average over 110 characters). Its sources are what a removal
    # edits; the bundle's line would be a "reference" carrying the whole line.
    bundle = "var a=1;" * 200 + 'if(c.isEnabled("k")){go()}' + ";var b=2" * 200 + "\n"
    long_but_source = (
        "// " + "x" * 300 + '\nif (c.isEnabled("k")) {\n  go();\n}\n' + "y = 1;\n" * 20
    )
    files = {
        "flags.yaml": "k: true\n",
        "src/a.js": 'if (c.isEnabled("k")) {}\n',
        "src/long.js": long_but_source,
        "static/app.min.js": bundle,
        "static/app.css": "." + "a" * 500 + '{content:"k"}\n',
        "data/one-line.json": '{"k": true, "pad": "' + "z" * 500 + '"}\n',
    }
    ws = make_repo(tmp_path, files)
    spans = [DefinitionSpan(key="k", path="flags.yaml", line=0, end_line=0)]
    index = scan_references(str(ws.root), sorted(files), ["k"], default_call_names(), spans)
    paths = sorted({h.path for h in index.references["k"]})
    assert paths == ["data/one-line.json", "src/a.js", "src/long.js"]
    assert index.skipped == {"static/app.css": "minified", "static/app.min.js": "minified"}


def test_declaration_files_hold_no_checks_and_are_not_parsed_for_them(tmp_path):
    # A `.d.ts` evaluates nothing: the call below would not compile there (an ambient
    # initializer must be a literal), yet parsed it would read as a check like the source's.
    call = 'export const on = client.isEnabled("new_checkout");\n'
    ws = make_repo(
        tmp_path,
        {
            "flags.yaml": "new_checkout: true\n",
            "src/page.ts": call,
            "src/page.d.ts": call.replace("export const", "export declare const"),
            "src/schema.d.mts": 'export declare const names: readonly ["new_checkout"];\n',
        },
    )
    items = flag_items(discover(ws))
    facts = examine(ws, FlagItemData.model_validate(items["new_checkout"].data), None)
    by_path = {r.path: r for r in facts.references}
    assert sorted(by_path) == ["src/page.d.ts", "src/page.ts", "src/schema.d.mts"]
    assert by_path["src/page.ts"].check and by_path["src/page.ts"].edit is not None
    assert not by_path["src/page.d.ts"].check and by_path["src/page.d.ts"].edit is None
    assert not by_path["src/schema.d.mts"].check
    for path in ("src/page.d.ts", "src/schema.d.mts"):
        pf = parsed(ws, path)
        assert pf is not None and pf._root is None and not pf._other_roots


def test_parsed_files_are_kept_by_what_they_hold_not_by_their_number(tmp_path, monkeypatch):
    from swath.analyzers.flags import references as R

    files = {
        f"src/m{i}.js": f'if (c.isEnabled("k{i:03d}")) {{ go({i:03d}); }}\n' * 20
        for i in range(200)
    }
    ws = make_repo(tmp_path, files)
    text_weight = R._TEXT_WEIGHT * len(files["src/m0.js"])
    monkeypatch.setattr(R, "_parsed", type(R._parsed)())
    monkeypatch.setattr(R, "_weight", 0)
    # 200 small files: more than the 128 once kept, far under the budget, each read once.
    first = {p: R.parsed(ws, p) for p in files}
    assert all(R.parsed(ws, p) is pf for p, pf in first.items())
    assert R._weight == 200 * text_weight
    # Under a budget of 50 texts, a tree (26 texts' worth) lets the oldest files go.
    monkeypatch.setattr(R, "_BUDGET", 50 * text_weight)
    R._evict()
    assert len(R._parsed) == 50 and R._weight == 50 * text_weight
    newest = R.parsed(ws, "src/m199.js")
    assert newest is first["src/m199.js"] and newest.root is not None
    assert newest.weight == (R._TEXT_WEIGHT + R._TREE_WEIGHT) * len(newest.text)
    assert R._weight <= R._BUDGET and len(R._parsed) == 50 - R._TREE_WEIGHT // R._TEXT_WEIGHT
    assert R.parsed(ws, "src/m150.js") is not first["src/m150.js"]  # let go: read again
    assert R._weight == sum(pf.weight for pf in R._parsed.values()) <= R._BUDGET
