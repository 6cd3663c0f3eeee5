"""Keys built at run time (issue 12 point 3): a flag such a read may be is never advised for
deletion of its definition, and the advice says which read (file:line) is why.

Shapes from real code: LaunchDarkly's Python and Node SDKs called with an f-string or a
template literal, a Go `BoolVariation(prefix+name, …)`, a key held in a variable, and the
wrappers codebases put around an SDK (`def flag_on(key): return client.variation(key, …)`),
which are not dynamic reads: their callers pass the keys, and those calls are seen.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from swath.sources.flagdefs.scanworker import key_shape

from .conftest import discover, flag_items, make_repo, run_offline


def _flagd(*keys: str) -> str:
    flags = {
        k: {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "on"}
        for k in keys
    }
    return json.dumps({"flags": flags}, indent=2) + "\n"


def _data(ws: Any) -> dict[str, dict[str, Any]]:
    return {k: i.data for k, i in flag_items(discover(ws)).items()}


def test_argument_shapes() -> None:
    cases = {
        b'"new-checkout"': ("literal", b"", b""),
        b"key='x'": ("literal", b"", b""),
        b'"a" if beta else "b"': ("literal", b"", b""),
        b"flags.NEW_CHECKOUT": ("name", b"", b""),
        b'f"new-{name}"': ("dynamic", b"new-", b""),
        b"`beta-${team}-ui`": ("dynamic", b"beta-", b"-ui"),
        b'"promo-" + campaign': ("dynamic", b"promo-", b""),
        b'name + "_v2"': ("dynamic", b"", b"_v2"),
        b"prefix + name": ("dynamic", b"", b""),
        b'fmt.Sprintf("exp-%s", name)': ("dynamic", b"exp-", b""),
        b'"exp-%s" % name': ("dynamic", b"exp-", b""),
        b'"exp-{}".format(name)': ("dynamic", b"exp-", b""),
        b"keys[i]": ("dynamic", b"", b""),
        b"42": ("other", b"", b""),
        b"None": ("other", b"", b""),
    }
    assert {arg: key_shape(arg) for arg in cases} == cases


PY = {
    "flags.flagd.json": _flagd("new-checkout", "new-search", "dark-mode"),
    "app/flags.py": """
        import ldclient

        client = ldclient.get()


        def flag_on(key, context):
            # A wrapper: its callers pass the keys, and those calls are seen.
            return client.variation(key, context, False)
        """,
    "app/views.py": """
        from app.flags import client, flag_on


        def checkout(ctx):
            if client.variation("new-checkout", ctx, False):
                return "new"
            return "old"


        def search(ctx):
            return "new" if flag_on("new-search", ctx) else "old"


        def theme(ctx):
            if client.variation("dark-mode", ctx, False):
                return "dark"
            return "light"


        def experiment(ctx, name):
            return client.variation(f"new-{name}", ctx, False)
        """,
}


def test_an_f_string_key_keeps_the_definitions_of_the_keys_it_may_be(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, PY)
    data = _data(ws)
    # `f"new-{name}"` may be new-checkout or new-search, not dark-mode; the wrapper's own
    # `client.variation(key, …)` is no dynamic read.
    assert data["new-checkout"]["dynamic_reads"] == 1
    assert data["new-checkout"]["dynamic_read"] == {
        "path": "app/views.py",
        "line": 20,
        "col": 18,
        "quote": 'return client.variation(f"new-{name}", ctx, False)',
        "call": "variation",
        "prefix": "new-",
        "suffix": "",
        "why": "",
        "system": None,  # an SDK call: any flag, whatever its system
        "key_case": "as-is",
    }
    assert data["new-search"]["dynamic_reads"] == 1
    assert data["dark-mode"]["dynamic_reads"] == 0
    _, found, plan = run_offline(ws)
    patch = plan["patch"]
    # Every check is still rewritten...
    assert '-    if client.variation("new-checkout", ctx, False):' in patch
    assert '-    if client.variation("dark-mode", ctx, False):' in patch
    # ...but only dark-mode's definition goes: the f-string may read new-checkout.
    assert '-    "dark-mode": {' in patch
    assert '-    "new-checkout": {' not in patch and '-    "new-search": {' not in patch
    assert (
        "`new-checkout`: definition kept: app/views.py:21 reads a key built at run time "
        '(`return client.variation(f"new-{name}", ctx, False)`), which may be a key that starts '
        "with 'new-': Swath cannot see whether it reads this flag" in plan["markdown"]
    )
    assert (
        "- **Keep** the definition (`flags.flagd.json:3`): app/views.py:21 reads"
        in (plan["markdown"])
    )
    at_def = [
        f
        for f in found
        if f.path == "flags.flagd.json" and f.data.model_dump().get("key") == "new-checkout"
    ]
    assert at_def and "keep this definition: app/views.py:21 reads a key built at run time" in (
        at_def[0].message
    )
    assert "then delete this definition" not in at_def[0].message
    cat = {c["key"]: c for c in plan["catalogue"]}
    assert cat["new-checkout"]["dynamic_reads"] == 1
    assert cat["dark-mode"]["dynamic_reads"] == 0


def test_a_concatenated_prefix_is_no_undefined_key(tmp_path: Path) -> None:
    ws = make_repo(
        tmp_path,
        {
            "flags.flagd.json": _flagd("promo-summer"),
            "app/banner.py": 'def banner(ctx, campaign):\n    return client.variation("promo-" + campaign, ctx, False)\n',
        },
    )
    data = _data(ws)
    assert "promo-" not in data  # before, `"promo-" + campaign` made an undefined flag "promo-"
    assert data["promo-summer"]["dynamic_reads"] == 1
    assert data["promo-summer"]["dynamic_read"]["prefix"] == "promo-"


TS = {
    "flags.flagd.json": _flagd("beta-search-ui", "beta-billing-api", "fast-path"),
    "src/flags.ts": """
        import * as ld from "@launchdarkly/node-server-sdk";

        export class Flags {
          constructor(private client: ld.LDClient, private ctx: ld.LDContext) {}

          // Wrappers: a method named like an SDK call, and a function code calls with keys.
          async isEnabled(key: string): Promise<boolean> {
            return this.client.variation(key, this.ctx, false);
          }
        }

        export const flagOn = (key: string) => client.variation(key, ctx, false);
        """,
    "src/app.ts": """
        import { flagOn } from "./flags";

        export async function page(team: string) {
          if (await flags.isEnabled("fast-path")) {
            return "fast";
          }
          return client.variation(`beta-${team}-ui`, ctx, false);
        }

        export const billing = () => flagOn("beta-billing-api");
        """,
    "src/app.test.ts": """
        // Tests are not reads: a loop over keys in a test keeps nothing.
        for (const key of keys) {
          it(key, () => expect(client.variation(key, ctx, false)).toBe(true));
        }
        """,
}


def test_a_template_literal_with_a_prefix_and_a_suffix(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, TS)
    data = _data(ws)
    assert data["beta-search-ui"]["dynamic_reads"] == 1
    assert data["beta-search-ui"]["dynamic_read"]["suffix"] == "-ui"
    # Neither ends with -ui, and the wrappers, their declarations and the test read nothing.
    assert data["beta-billing-api"]["dynamic_reads"] == 0
    assert data["fast-path"]["dynamic_reads"] == 0


GO = {
    "flags.flagd.json": _flagd("fast-path", "batch-writes"),
    "flags/flags.go": """
        package flags

        import ld "github.com/launchdarkly/go-server-sdk/v7"

        type Client struct{ ld *ld.LDClient }

        // BoolVariation wraps the SDK: a declaration, not a read.
        func (c *Client) BoolVariation(key string, def bool) bool {
        	v, _ := c.ld.BoolVariation(key, ctx, def)
        	return v
        }
        """,
    "svc/run.go": """
        package svc

        func Run(c *ld.LDClient, prefix, name string) bool {
        	if on, _ := c.BoolVariation(prefix+name, ctx, false); on {
        		return true
        	}
        	return false
        }
        """,
}


def test_go_a_key_without_literal_parts_may_be_any_flag(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, GO)
    data = _data(ws)
    for key in ("fast-path", "batch-writes"):
        assert data[key]["dynamic_reads"] == 1, key
        read = data[key]["dynamic_read"]
        assert (read["path"], read["line"], read["prefix"], read["suffix"]) == (
            "svc/run.go",
            3,
            "",
            "",
        )
    _, found, plan = run_offline(ws)
    # Unreferenced, in a flag file: never deleted, and the advice says why, with the read.
    assert "which may be any key" in plan["markdown"]
    unref = [f for f in found if f.rule == "flag/unreferenced"]
    assert unref and all("cannot advise deleting the definition" in f.message for f in unref)
    assert all("svc/run.go:4" in f.message for f in unref)


def test_a_constant_or_a_variable_holding_a_key_is_no_dynamic_read(tmp_path: Path) -> None:
    ws = make_repo(
        tmp_path,
        {
            "flags.flagd.json": _flagd("new-checkout", "dark-mode"),
            "app/keys.py": 'NEW_CHECKOUT = "new-checkout"\n',
            "app/views.py": """
                from app.keys import NEW_CHECKOUT

                DARK = "dark-mode"


                def view(ctx):
                    if client.variation(NEW_CHECKOUT, ctx, False):
                        return 1
                    return client.variation(DARK, ctx, False)
                """,
        },
    )
    data = _data(ws)
    assert data["new-checkout"]["dynamic_reads"] == 0
    assert data["dark-mode"]["dynamic_reads"] == 0


def test_an_unreferenced_homegrown_flag_read_by_a_dynamic_key_keeps_its_annotation(
    tmp_path: Path,
) -> None:
    # Worked example 5's annotations, with one key read through a variable.
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": """
                call_names: [Enabled]
                systems:
                  - name: go-annotations
                    files: ["svc/*.go"]
                    definition:
                      regex: '//\\s*@flag\\((?P<key>[\\w-]+),\\s*state=(?P<state>\\w+)\\)'
                """,
            "svc/main.go": """
                package main

                // @flag(go_fast_path, state=on)
                // @flag(go_batch_writes, state=off)

                func main() {
                	for _, name := range names {
                		if flags.Enabled(name) {
                			run(name)
                		}
                	}
                }
                """,
        },
    )
    _, found, plan = run_offline(ws)
    assert "-// @flag(" not in plan["patch"]  # before: both annotations deleted
    unref = {f.data.model_dump().get("key"): f for f in found if f.rule == "flag/unreferenced"}
    assert set(unref) == {"go_fast_path", "go_batch_writes"}
    assert "svc/main.go:8 reads a key built at run time (`if flags.Enabled(name) {`)" in (
        unref["go_fast_path"].message
    )


def test_a_decorator_passing_its_argument_down_and_a_docstring_are_no_dynamic_reads(
    tmp_path: Path,
) -> None:
    # django-waffle's own `waffle_flag(flag_name)` decorator: the read is in the nested
    # `_wrapped_view`, the key is the outer function's, and the outer one is a call name.
    ws = make_repo(
        tmp_path,
        {
            "waffle.json": json.dumps(
                [{"model": "waffle.flag", "pk": 1, "fields": {"name": "new_nav", "everyone": True}}]
            ),
            "requirements.txt": "django-waffle==5.0.0\n",
            "app/decorators.py": """
                from waffle import flag_is_active


                def waffle_flag(flag_name):
                    def decorator(view):
                        def _wrapped_view(request, *args, **kwargs):
                            if not flag_is_active(request, flag_name):
                                raise Http404
                            return view(request, *args, **kwargs)

                        return _wrapped_view

                    return decorator


                def explain():
                    \"\"\"Reads go through ``flag_is_active(request, name)``.\"\"\"
                    # flag_is_active(request, name) in a comment is no read either
                """,
            "app/views.py": """
                from app.decorators import waffle_flag


                @waffle_flag("new_nav")
                def nav(request):
                    return "new"
                """,
        },
    )
    from swath.sources.flags import FlagsSource

    discover(ws)
    assert FlagsSource.last_scan is not None and FlagsSource.last_scan.dynamic == {}


def test_use_flags_without_a_camel_case_system_keeps_every_definition(tmp_path: Path) -> None:
    # "Aliases off": the LaunchDarkly React SDK's camel-cased reads, with the preset that
    # describes them turned off. The flags look unreferenced; their reads are only unseen.
    from .test_presets import LD_REACT

    ws = make_repo(tmp_path, {**LD_REACT, ".swath/flags.yaml": "detect_presets: false\n"})
    data = _data(ws)
    for key in ("new-onboarding", "dark-mode"):
        read = data[key]["dynamic_read"]
        assert data[key]["dynamic_reads"] == 1 and read["call"] == "useFlags", key
        assert (read["path"], read["line"]) == ("src/Banner.tsx", 3)
    _, found, plan = run_offline(ws)
    unref = [f for f in found if f.rule == "flag/unreferenced"]
    assert len(unref) == 2
    for f in unref:
        assert "cannot advise deleting the definition" in f.message
        assert "src/Banner.tsx:4 (`const { newOnboarding } = useFlags();`) hands out every" in (
            f.message
        )
        assert "delete the definition (lines" not in f.message
    assert "launchdarkly-flags.json" not in plan["patch"]
    # With the preset (detected by package.json), those reads are seen: nothing is hidden.
    ws2 = make_repo(tmp_path / "with", LD_REACT)
    assert all(d["dynamic_reads"] == 0 for d in _data(ws2).values())
