"""One-word keys and generated files, in the shape of unleash-server's code.

unleash-server's experimental flags are an object of `key: parseEnvVarBoolean(…)` pairs read
through `flagResolver.isEnabled('key')`; some keys are plain words (`demo`, `signals`,
`enabled`) that the rest of the server uses for other things: `/auth/demo/login`, an app
named 'demo' in a test, `{ enabled: false }` of every addon, OpenAPI descriptions. Counted
as references they were 1,700 of the audit's 2,172 findings, none of them a read of a flag.
The compiled tree also ships a source map beside every file, and generated files that say so.
"""

from __future__ import annotations

from pathlib import Path

from swath.sources.base import SourceContext
from swath.sources.flags import FlagsSource
from swath.workspace import Workspace

from .conftest import discover, flag_items, make_repo, run_offline

FLAGS_YAML = """\
systems:
  - name: unleash-experimental
    files: ["src/lib/types/experimental.ts"]
    definition:
      pattern:
        context: "x = { $KEY: parseEnvVarBoolean($ENV, $STATE) }"
        selector: pair
      key: KEY
      state: STATE
    reference:
      pattern: flagResolver.isEnabled($KEY)
      language: typescript
"""

EXPERIMENTAL = """\
const flags = {
    demo: parseEnvVarBoolean(process.env.UNLEASH_DEMO, false),
    signals: parseEnvVarBoolean(process.env.UNLEASH_EXPERIMENTAL_SIGNALS, false),
    strictSchemaValidation: parseEnvVarBoolean(process.env.UNLEASH_STRICT_SCHEMA_VALIDTION, false),
};
"""


def _repo(tmp_path: Path, extra: dict[str, str] | None = None) -> Workspace:
    return make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": FLAGS_YAML,
            "src/lib/types/experimental.ts": EXPERIMENTAL,
            # Reads through the system's call, one with its key on the next line.
            "src/lib/features/signals.ts": (
                "export function route(flagResolver) {\n"
                "    if (flagResolver.isEnabled('signals')) {\n"
                "        return 'new';\n"
                "    }\n"
                "    return flagResolver.isEnabled(\n"
                "        'demo',\n"
                "    );\n"
                "}\n"
            ),
            # The words, not the flags.
            "src/lib/middleware/demo-authentication.ts": (
                "export function demoAuthentication(app, basePath) {\n"
                "    app.post(`${basePath}/auth/demo/login`, login);\n"
                "}\n"
            ),
            "src/lib/openapi/spec/signal-schema.ts": (
                "export const signalSchema = {\n"
                "    signals: { type: 'array', description: 'The signals of this source' },\n"
                "} as const;\n"
            ),
            "src/lib/features/metrics/client-metrics.test.ts": (
                "test('seen apps', async () => {\n"
                "    const apps = await store.getSeenAppsForFeatureToggle('demo');\n"
                "    expect(apps).toEqual([]);\n"
                "});\n"
            ),
            # A test that pins a compound key is a reference, as before.
            "src/test/e2e/api/admin/context.e2e.test.ts": (
                "const config = { experimental: { flags: { strictSchemaValidation: true } } };\n"
            ),
            **(extra or {}),
        },
    )


def test_a_one_word_key_counts_only_where_its_system_reads_it(tmp_path: Path) -> None:
    flags = flag_items(discover(_repo(tmp_path)))
    signals = flags["signals"].data
    assert [(r["path"], r["line"]) for r in signals["references"]] == [
        ("src/lib/features/signals.ts", 1)
    ]
    # The schema's property; the word in its description string is prose, no occurrence.
    assert signals["ordinary_uses"] == 1
    assert signals["ordinary_example"]["path"] == "src/lib/openapi/spec/signal-schema.ts"
    demo = flags["demo"].data
    # The call's key on a line of its own is still the call's.
    assert [(r["path"], r["line"]) for r in demo["references"]] == [
        ("src/lib/features/signals.ts", 5)
    ]
    assert demo["ordinary_uses"] == 2  # the login route, the test's app name
    strict = flags["strictSchemaValidation"].data
    assert [(r["path"], r["line"], r["kind"]) for r in strict["references"]] == [
        ("src/test/e2e/api/admin/context.e2e.test.ts", 0, "identifier")
    ]
    assert strict["ordinary_uses"] == 0


def test_the_words_set_aside_are_said_and_keep_the_definition(tmp_path: Path) -> None:
    """The checks are rewritten; the definition stays, since a read through a helper Swath
    is not told of would be among the words set aside, and the plan says so."""
    _, findings, plan = run_offline(_repo(tmp_path))
    assert not any(f.path.endswith("demo-authentication.ts") for f in findings)
    assert not any(f.path.endswith("client-metrics.test.ts") for f in findings)
    entry = next(c for c in plan["catalogue"] if c["key"] == "demo")
    assert entry["ordinary_uses"] == 2
    assert any("2 occurrence(s) of the word `demo`" in r for r in entry["risks"])
    assert "`demo`: definition kept: 2 occurrence(s) of the word `demo`" in plan["markdown"]
    # The finding at the definition says the same, not "delete the definition".
    (at_def,) = [f for f in findings if f.path.endswith("experimental.ts") and f.data.key == "demo"]
    assert "keep this definition: 2 occurrence(s) of the word `demo`" in at_def.message
    # Both checks rewritten (the flags are off), the multi-line one included.
    assert (
        "-    return flagResolver.isEnabled(\n-        'demo',\n-    );\n+    return false;"
        in (plan["patch"])
    )


def test_a_literal_before_in_is_a_membership_check(tmp_path: Path) -> None:
    ws = make_repo(
        tmp_path,
        {
            "flags.json": '{"flags": {"search": {"enabled": true}}}\n',
            "app/views.py": (
                "def page(enabled_flags):\n"
                '    if "search" in enabled_flags:\n'
                '        return "new"\n'
                '    return render("search")\n'
            ),
        },
    )
    search = flag_items(discover(ws))["search"].data
    assert [(r["path"], r["line"]) for r in search["references"]] == [("app/views.py", 1)]
    assert search["ordinary_uses"] == 1


def test_generated_files_are_not_read_for_references(tmp_path: Path) -> None:
    ws = _repo(
        tmp_path,
        {
            # A source map names the sources and their identifiers: no code.
            "dist/lib/features/signals.js.map": (
                '{"version":3,"file":"signals.js","sources":["../../src/lib/features/'
                'signals.ts"],"names":["strictSchemaValidation"],"mappings":"AAAA"}'
            ),
            # Files that say a tool wrote them (unleash's spec index, protoc's Go, orval's TS).
            "src/lib/openapi/spec/index.ts": (
                "/**\n * Auto-generated file by update-openapi-spec-list.js. Do not edit.\n */\n"
                "export const flag = 'strictSchemaValidation';\n"
            ),
            "gen/flags.pb.go": (
                "// Code generated by protoc-gen-go. DO NOT EDIT.\n"
                'package gen\n\nconst Key = "strictSchemaValidation"\n'
            ),
            "frontend/src/openapi/models/uiConfig.ts": (
                "/**\n * Generated by orval v6.31.0 🍺\n * Do not edit manually.\n */\n"
                "export type Flag = 'strictSchemaValidation';\n"
            ),
            # Hand-written: "generated" and "do not edit" far below the header are prose.
            "src/lib/util/notes.ts": (
                "export const k = 'strictSchemaValidation';\n"
                + "// filler\n" * 120
                + "// generated ids: do not edit them by hand\n"
            ),
            # A `.map` that is no source map is read like any file.
            "assets/world.map": "strictSchemaValidation\n",
        },
    )
    ctx = SourceContext(workspace=ws, options={})
    strict = flag_items(FlagsSource().discover(ctx))["strictSchemaValidation"].data
    paths = sorted({r["path"] for r in strict["references"]})
    assert paths == [
        "assets/world.map",
        "src/lib/util/notes.ts",
        "src/test/e2e/api/admin/context.e2e.test.ts",
    ]
    assert ctx.skipped.as_dict() == {"generated": 4}  # said in the report's "Not read"


def test_a_local_named_like_the_flag_and_a_word_in_a_description_are_no_references(
    tmp_path: Path,
) -> None:
    """unleash-server 7.5.1: `const enableLegacyVariants = this.flagResolver.isEnabled(
    'enableLegacyVariants');` was two references on one line (the local's name and the
    call), and `milestoneProgression` inside the OpenAPI schemas' description strings 20."""
    ws = _repo(
        tmp_path,
        {
            "src/lib/features/feature-toggle/feature-toggle-service.ts": (
                "export class FeatureToggleService {\n"
                "    getVariants() {\n"
                "        const strictSchemaValidation = this.flagResolver.isEnabled(\n"
                "            'strictSchemaValidation',\n"
                "        );\n"
                "        return strictSchemaValidation ? [] : null;\n"
                "    }\n"
                "}\n"
            ),
            "src/lib/openapi/spec/feature-environment-schema.ts": (
                "export const featureEnvironmentSchema = {\n"
                "    releasePlans: {\n"
                "        description: 'Release plans (only when strictSchemaValidation is on)',\n"
                "    },\n"
                "} as const;\n"
            ),
        },
    )
    strict = flag_items(discover(ws))["strictSchemaValidation"].data
    service = "src/lib/features/feature-toggle/feature-toggle-service.ts"
    got = [(r["path"], r["line"], r["kind"]) for r in strict["references"]]
    # The call's key (the local's later read is the local's, as before); no schema line.
    assert (service, 3, "call") in got
    assert not any(p == service and line == 2 for p, line, _ in got), got
    assert not any(p.endswith("feature-environment-schema.ts") for p, _, _ in got), got
