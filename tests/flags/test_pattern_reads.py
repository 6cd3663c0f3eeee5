"""Keys built at run time through a homegrown reference pattern (issue 12 point 3): a flag of a
system whose pattern's `$KEY` is filled at run time (`toggle_on(f"beta_{x}")`, `Feature[name]`,
`getattr(Feature, name)`, `` hasFeature(`beta-${team}-ui`) ``, `flags.Enabled("exp-" + n)`)
is never advised for deletion of its definition, and the advice names that read.

Fixtures are shaped like the systems teams write: a Python dict of toggles read through a
helper, a TypeScript object of features read through `hasFeature`, a Go map of defaults read
through `flags.Enabled`, and the `python-enum-features` preset (black's `Preview[name]`).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from swath.sources.flagdefs.patternreads import anchor_groups, regex_words

from .conftest import discover, flag_items, make_repo, run_offline


def _data(ws: Any) -> dict[str, dict[str, Any]]:
    return {k: i.data for k, i in flag_items(discover(ws)).items()}


def _deleted(patch: str, line: str) -> bool:
    return any(row == "-" + line for row in patch.splitlines())


# -- Python: a dict of toggles read through a helper ------------------------------------------
PY_CONFIG = """
systems:
  - name: toggles
    files: ["app/toggles.py"]
    definition:
      pattern: {context: "{$KEY: $STATE}", selector: pair}
    reference:
      pattern: toggle_on($KEY)
      is_check: true
"""
PY_TOGGLES = """
    TOGGLES = {
        "new_search": "on",
        "dark_mode": "off",
        "beta_export": "on",
        "beta_import": "on",
    }


    def toggle_on(name):
        return TOGGLES.get(name) == "on"
    """


def _py_repo(tmp_path: Path, views: str) -> Any:
    return make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": PY_CONFIG,
            "app/toggles.py": PY_TOGGLES,
            "app/views.py": views,
        },
    )


PY_VIEWS = """
    from app.toggles import toggle_on


    def search():
        if toggle_on("new_search"):
            return "new"
        return "old"


    def theme():
        if toggle_on("dark_mode"):
            return "dark"
        return "light"


    def transfer(kind):
        if toggle_on(f"beta_{kind}"):
            return "beta"
        return "stable"


    def lookup(settings, name):
        # Nothing to do with the toggles.
        return getattr(settings, name)
    """


def test_python_an_f_string_key_keeps_only_the_keys_its_literal_part_allows(
    tmp_path: Path,
) -> None:
    ws = _py_repo(tmp_path, PY_VIEWS)
    data = _data(ws)
    read = data["beta_export"]["dynamic_read"]
    assert data["beta_export"]["dynamic_reads"] == 1 and data["beta_import"]["dynamic_reads"] == 1
    assert read["path"] == "app/views.py" and read["line"] == 16
    assert (read["prefix"], read["suffix"], read["system"]) == ("beta_", "", "toggles")
    assert read["call"] == "toggle_on($KEY)"
    # The literal parts narrow it: new_search and dark_mode are not `beta_…`.
    assert data["new_search"]["dynamic_reads"] == 0 and data["dark_mode"]["dynamic_reads"] == 0
    # A literal key is a reference as before.
    refs = data["new_search"]["references"]
    assert [(r["path"], r["line"]) for r in refs] == [("app/views.py", 4)]

    _, found, plan = run_offline(ws)
    patch, md = plan["patch"], plan["markdown"]
    # new_search (on) and dark_mode (off) are still removal candidates, definitions and all;
    # beta_export's checks are none, and its definition stays.
    assert _deleted(patch, '    "new_search": "on",') and _deleted(patch, '    "dark_mode": "off",')
    assert not _deleted(patch, '    "beta_export": "on",')
    assert not _deleted(patch, '    "beta_import": "on",')
    assert (
        "`beta_export`: definition kept: app/views.py:17 reads a flag of toggles by a key built "
        'at run time (`if toggle_on(f"beta_{kind}"):`, through its reference pattern `toggle_on($KEY)`), '
        "which may be any of its flags whose key starts with 'beta_': Swath cannot see whether "
        "it reads this flag" in md
    )
    at_def = [
        f
        for f in found
        if f.path == "app/toggles.py" and f.data.model_dump().get("key") == "beta_export"
    ]
    # Unreferenced by its key, but the finding on the definition says why it stays.
    assert at_def and at_def[0].rule == "flag/unreferenced"
    assert "but app/views.py:17 reads a flag of toggles by a key built at run time" in (
        at_def[0].message
    )
    assert at_def[0].message.endswith("so it cannot advise deleting the definition.")


def test_python_a_key_in_a_variable_keeps_every_flag_of_the_system(tmp_path: Path) -> None:
    views = textwrap.dedent(PY_VIEWS) + "\n\ndef any_toggle(name):\n    return toggle_on(name)\n"
    ws = _py_repo(tmp_path, views)
    data = _data(ws)
    # `toggle_on(name)` may be any toggle: beta_ ones have two dynamic reads, the rest one.
    assert {k: d["dynamic_reads"] for k, d in data.items()} == {
        "new_search": 1,
        "dark_mode": 1,
        "beta_export": 2,
        "beta_import": 2,
    }
    first = data["new_search"]["dynamic_read"]
    assert (first["line"], first["prefix"], first["suffix"]) == (27, "", "")
    _, _, plan = run_offline(ws)
    assert not _deleted(plan["patch"], '    "new_search": "on",')
    assert (
        "`new_search`: definition kept: app/views.py:28 reads a flag of toggles"
        in (plan["markdown"])
    )
    assert "which may be any of its flags:" in plan["markdown"]


def test_python_ordinary_code_makes_no_dynamic_read(tmp_path: Path) -> None:
    views = """
        from app.toggles import toggle_on

        NAME = "new_search"


        def search(settings, attr):
            if toggle_on(NAME):  # a constant holding a key: a reference, not a dynamic read
                return getattr(settings, attr)
            return toggle_on("dark_mode")
        """
    ws = _py_repo(tmp_path, views)
    data = _data(ws)
    assert all(d["dynamic_reads"] == 0 for d in data.values())
    assert any(r["kind"] == "constant-use" for r in data["new_search"]["references"])
    # A test that builds keys is not a read either.
    ws2 = make_repo(
        tmp_path / "withtest",
        {
            ".swath/flags.yaml": PY_CONFIG,
            "app/toggles.py": PY_TOGGLES,
            "tests/test_toggles.py": "from app.toggles import toggle_on\n\n\ndef test_all(name):\n    assert toggle_on(name) in (True, False)\n",
        },
    )
    assert all(d["dynamic_reads"] == 0 for d in _data(ws2).values())


# -- TypeScript: an object of features read through hasFeature ---------------------------------
TS_CONFIG = """
systems:
  - name: feature-map
    files: ["src/features.ts"]
    definition:
      rule:
        kind: pair
        has:
          field: value
          kind: object
          has:
            kind: pair
            all:
              - has: {field: key, regex: "^enabled$"}
              - has: {field: value, pattern: $STATE}
        all:
          - has: {field: key, pattern: $KEY}
    reference:
      pattern: hasFeature($KEY)
      is_check: true
"""
TS = {
    ".swath/flags.yaml": TS_CONFIG,
    "src/features.ts": """
        export const FEATURES = {
          "beta-search-ui": { enabled: true },
          "beta-export-ui": { enabled: false },
          "beta-export-api": { enabled: true },
          "new-checkout": { enabled: true },
        };

        export function hasFeature(name: string): boolean {
          return (FEATURES as Record<string, { enabled: boolean }>)[name]?.enabled ?? false;
        }
        """,
    "src/panel.ts": """
        import { hasFeature } from "./features";

        export function panel(team: string): string {
          if (hasFeature(`beta-${team}-ui`)) {
            return "beta";
          }
          return hasFeature("new-checkout") ? "new" : "old";
        }
        """,
}


def test_typescript_a_template_key_keeps_the_keys_with_its_prefix_and_suffix(
    tmp_path: Path,
) -> None:
    ws = make_repo(tmp_path, TS)
    data = _data(ws)
    read = data["beta-search-ui"]["dynamic_read"]
    assert (read["path"], read["line"], read["prefix"], read["suffix"]) == (
        "src/panel.ts",
        3,
        "beta-",
        "-ui",
    )
    assert data["beta-export-ui"]["dynamic_reads"] == 1
    # `beta-export-api` has the prefix but not the suffix; `new-checkout` neither.
    assert data["beta-export-api"]["dynamic_reads"] == 0
    assert data["new-checkout"]["dynamic_reads"] == 0
    _, _, plan = run_offline(ws)
    patch = plan["patch"]
    assert _deleted(patch, '  "new-checkout": { enabled: true },')
    assert not _deleted(patch, '  "beta-search-ui": { enabled: true },')
    assert (
        "`beta-search-ui`: definition kept: src/panel.ts:4 reads a flag of feature-map by a key "
        "built at run time (`if (hasFeature(`beta-${team}-ui`)) {`, through its reference pattern "
        "`hasFeature($KEY)`), which may be any of its flags whose key starts with 'beta-' and ends "
        "with '-ui'" in plan["markdown"]
    )


# -- Go: a map of defaults read through flags.Enabled -------------------------------------------
GO_CONFIG = """
systems:
  - name: go-defaults
    files: ["flags/defaults.go"]
    definition:
      pattern: {context: "var _ = map[string]bool{$KEY: $STATE}", selector: keyed_element}
    reference:
      pattern: {context: "func _() { _ = flags.Enabled($KEY) }", selector: call_expression}
      is_check: true
"""
GO = {
    ".swath/flags.yaml": GO_CONFIG,
    "go.mod": "module example.com/app\n\ngo 1.22\n",
    "flags/defaults.go": """
        package flags

        var Defaults = map[string]bool{
        	"exp-fast-path": true,
        	"exp-batch": true,
        	"legacy-auth": false,
        }

        func Enabled(name string) bool {
        	return Defaults[name]
        }
        """,
    "svc/run.go": """
        package svc

        import (
        	"fmt"

        	"example.com/app/flags"
        )

        func Run(name string) string {
        	if flags.Enabled(fmt.Sprintf("exp-%s", name)) {
        		return "exp"
        	}
        	if flags.Enabled("legacy-auth") {
        		return "legacy"
        	}
        	return "plain"
        }
        """,
}


def test_go_a_sprintf_key_keeps_the_keys_with_its_prefix(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, GO)
    data = _data(ws)
    assert data["exp-fast-path"]["dynamic_reads"] == 1 and data["exp-batch"]["dynamic_reads"] == 1
    read = data["exp-batch"]["dynamic_read"]
    assert (read["path"], read["line"], read["prefix"]) == ("svc/run.go", 9, "exp-")
    assert data["legacy-auth"]["dynamic_reads"] == 0
    _, _, plan = run_offline(ws)
    patch = plan["patch"]
    assert _deleted(patch, '\t"legacy-auth": false,')
    assert not _deleted(patch, '\t"exp-batch": true,')
    assert (
        "`exp-batch`: definition kept: svc/run.go:10 reads a flag of go-defaults"
        in (plan["markdown"])
    )


def test_go_concatenation_and_a_variable(tmp_path: Path) -> None:
    files = dict(GO)
    files["svc/more.go"] = """
        package svc

        import "example.com/app/flags"

        func More(n string) bool {
        	return flags.Enabled("legacy-" + n)
        }

        func Any(key string) bool {
        	return flags.Enabled(key)
        }
        """
    ws = make_repo(tmp_path, files)
    data = _data(ws)
    # Sprintf("exp-…") and `key`; then "legacy-" + n and `key`.
    assert data["exp-batch"]["dynamic_reads"] == 2
    assert data["legacy-auth"]["dynamic_reads"] == 2


# -- the python-enum-features preset ----------------------------------------------------------
ENUM = {
    "src/fmt/mode.py": """
        from enum import Enum, auto


        class Preview(Enum):
            hex_codes_in_unicode_sequences = auto()
            string_processing = "off"
            wrap_long_dict_values = "on"


        class Target(Enum):
            PY38 = 8
        """,
    "src/fmt/linegen.py": """
        from fmt.mode import Preview


        def normalize(leaf, mode):
            if Preview.string_processing in mode:
                leaf = leaf.strip()
            if Preview.wrap_long_dict_values in mode:
                leaf = "(" + leaf + ")"
            return leaf
        """,
}


@pytest.mark.parametrize(
    ("line", "quote"),
    [
        ("    return {Preview[name] for name in names}", "{Preview[name] for name in names}"),
        ("    return {getattr(Preview, name) for name in names}", "getattr(Preview, name)"),
        ("    return {getattr(Preview, name, None) for name in names}", "getattr(Preview, name"),
        ("    return {Preview(value) for value in names}", "Preview(value)"),
    ],
)
def test_enum_preset_a_member_looked_up_at_run_time_keeps_every_member(
    tmp_path: Path, line: str, quote: str
) -> None:
    files = dict(ENUM)
    # black's `--enable-unstable-feature NAME`: members looked up by name.
    files["src/fmt/cli.py"] = f"from fmt.mode import Preview\n\n\ndef features(names):\n{line}\n"
    ws = make_repo(tmp_path, files)
    data = _data(ws)
    for key in ("hex_codes_in_unicode_sequences", "string_processing", "wrap_long_dict_values"):
        read = data[key]["dynamic_read"]
        assert data[key]["dynamic_reads"] == 1, key
        assert (read["path"], read["line"], read["system"]) == (
            "src/fmt/cli.py",
            4,
            "python-enum-features",
        )
        assert quote in read["quote"]
        assert read["call"] == "$CLS[$KEY] | $CLS($KEY) | getattr($CLS, $KEY)"
    # `Target` is another enum: not the preset's, no flag of it.
    assert "PY38" not in data
    _, found, plan = run_offline(ws)
    md = plan["markdown"]
    # The promoted member (no check left) would be deleted; the lookup keeps it, and every
    # other member too.
    assert not _deleted(plan["patch"], "    hex_codes_in_unicode_sequences = auto()")
    assert "--- a/src/fmt/mode.py" not in plan["patch"]
    assert (
        "`hex_codes_in_unicode_sequences`: definition kept: src/fmt/cli.py:5 reads a flag of" in md
    )
    # The checks are still rewritten.
    assert _deleted(plan["patch"], "    if Preview.string_processing in mode:")


def test_enum_preset_without_a_lookup_deletes_the_promoted_member(tmp_path: Path) -> None:
    files = dict(ENUM)
    files["src/fmt/cli.py"] = """
        from fmt.mode import Preview, Target


        def features(names, obj, attr):
            # Literal lookups are reads of that member; other getattr calls are nothing.
            chosen = {Preview["wrap_long_dict_values"], getattr(Preview, "string_processing")}
            return chosen, getattr(obj, attr), Target[names[0]], getattr(Target, attr)
        """
    ws = make_repo(tmp_path, files)
    data = _data(ws)
    assert all(d["dynamic_reads"] == 0 for d in data.values())
    lines = {(r["path"], r["line"]) for r in data["wrap_long_dict_values"]["references"]}
    assert ("src/fmt/cli.py", 5) in lines
    _, _, plan = run_offline(ws)
    assert _deleted(plan["patch"], "    hex_codes_in_unicode_sequences = auto()")


# -- anchors ---------------------------------------------------------------------------------
def test_anchor_words_of_patterns_and_rules() -> None:
    assert anchor_groups("hasFeature($KEY)", None, None) == [["hasFeature"]]
    assert anchor_groups("flags.get($KEY, False)", None, None) == [["flags"], ["get"]]
    # A key that is only ever an attribute's name cannot be built at run time: not searched.
    assert anchor_groups("FEATURES.$KEY.enabled", None, None) == []
    assert anchor_groups(None, {"kind": "attribute", "pattern": "$CLS.$KEY"}, "python") == []
    # A {context, selector} pattern: only the selected node's words are in the files.
    ctx = {"context": "func _() { _ = flags.Enabled($KEY) }", "selector": "call_expression"}
    assert anchor_groups(ctx, None, "go") == [["flags"], ["Enabled"]]
    rule = {
        "any": [{"pattern": "getattr($CLS, $KEY)"}, {"pattern": "getattr($CLS, $KEY, $$$D)"}],
        "has": {"field": "arguments", "has": {"regex": r"^\w*(?:Feature|Preview)s?$"}},
    }
    assert anchor_groups(None, rule, "python") == [["getattr"], ["Feature", "Preview"]]
    # Node kinds alone name no word: such a rule is not searched.
    assert anchor_groups(None, {"kind": "call_expression"}, "go") == []
    assert regex_words("^Enabled$") == ["Enabled"]
    assert regex_words(r"\bflag_\w+") == ["flag_"]
    assert regex_words("^new.*(x|y)$") == []  # not that simple: no anchor
    assert regex_words(r"^(?:\w+\.)*\w*(?:Feature|Preview)s?$") == ["Feature", "Preview"]
    assert regex_words("^(?:Abc|Bcd)?x$") == []  # an optional word is no anchor
    assert regex_words("^(?:a|bc)$") == []  # too short to say anything


def test_a_pattern_that_is_also_an_sdk_call_is_one_read(tmp_path: Path) -> None:
    # `is_on` is GrowthBook's call too: its read is seen once, as the SDK's.
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": PY_CONFIG.replace("toggle_on", "is_on"),
            "app/toggles.py": PY_TOGGLES.replace("toggle_on", "is_on"),
            "app/views.py": PY_VIEWS.replace("toggle_on", "is_on"),
        },
    )
    data = _data(ws)
    assert data["beta_export"]["dynamic_reads"] == 1
    assert data["beta_export"]["dynamic_read"]["system"] is None


def test_a_name_the_pattern_reads_as_the_key_is_no_dynamic_read(tmp_path: Path) -> None:
    from .test_presets import LD_REACT

    # The launchdarkly preset reads names destructured from useFlags() as keys
    # (`{kind: identifier, pattern: $KEY}`): `betaBanner` is one no export has, not a
    # variable holding a key.
    files = dict(LD_REACT)
    files["src/Beta.tsx"] = """
        import { useFlags } from "launchdarkly-react-client-sdk";

        export function Beta() {
          const { betaBanner } = useFlags();
          return betaBanner ? <Beta /> : null;
        }
        """
    ws = make_repo(tmp_path, files)
    data = _data(ws)
    assert data["new-onboarding"]["dynamic_reads"] == 0
    assert data["dark-mode"]["dynamic_reads"] == 0


def test_flipper_a_feature_name_in_a_variable_keeps_its_gitlab_definitions(tmp_path: Path) -> None:
    from .test_presets import FLIPPER

    files = dict(FLIPPER)
    files["config/feature_flags/beta/beta_search.yml"] = (
        "---\nname: beta_search\ntype: beta\ndefault_enabled: true\n"
    )
    # GitLab's shape: a feature named by a variable, and by a built string.
    files["app/models/project.rb"] = """
        class Project
          def beta_enabled?(name)
            Feature.enabled?(:"beta_#{name}", self)
          end

          def feature_on?(flag_name)
            Feature.enabled?(flag_name, self)
          end
        end
        """
    ws = make_repo(tmp_path, files)
    data = _data(ws)
    # `:"beta_#{name}"` may only be a beta_ feature (the preset's pattern sees it); `flag_name`
    # may be any (flipper's `enabled?` is also a call name: the SDK read, of any flag).
    assert data["new_search"]["dynamic_reads"] == 1 and data["fast_path"]["dynamic_reads"] == 1
    read = data["new_search"]["dynamic_read"]
    assert (read["path"], read["line"], read["system"]) == ("app/models/project.rb", 6, None)
    assert data["beta_search"]["dynamic_reads"] == 2
    read = data["beta_search"]["dynamic_read"]
    assert (read["line"], read["prefix"], read["system"]) == (2, "beta_", "flipper")
    # Symbols and literal keys are references as before, and files calling `enabled?` only
    # with literals are not parsed for these reads at all.
    without = make_repo(tmp_path / "plain", FLIPPER)
    assert all(d["dynamic_reads"] == 0 for d in _data(without).values())


def test_a_call_patterns_files_are_parsed_only_when_a_call_takes_no_literal() -> None:
    from swath.sources.flagdefs.config import PatternSpec
    from swath.sources.flagdefs.patternreads import PatternRead

    read = PatternRead.of("flipper", PatternSpec(pattern="$R.enabled?($KEY)"), "ruby")
    assert read.lead == "enabled?" and read.groups == [["enabled"]]
    assert not read.might_build_key(b'Feature.enabled?(:x, user)\nFlipper.enabled?("y")\n')
    assert read.might_build_key(b"Feature.enabled?(:x)\nFeature.enabled?(name, user)\n")
    assert read.might_build_key(b'Feature.enabled?("beta_" + name)\n')
    go = PatternSpec(
        pattern={"context": "func _() { _ = flags.Enabled($KEY) }", "selector": "call_expression"}
    )
    assert PatternRead.of("go", go, "go").lead == "Enabled"
    # A key that is only ever a name is never looked for: the k8s preset's `Enabled(features.X)`
    # rule (its key is a selector's field or an identifier), `Feature.$KEY`.
    from swath.sources.flagdefs.presets import load_preset

    k8s = load_preset("k8s-feature-gates").systems[0]
    assert [PatternRead.of(k8s.name, s, "go").groups for s in k8s.references] == [[]]


def test_a_prefilter_picks_the_files_parsed_and_a_bad_one_is_a_config_error() -> None:
    from swath.sources.flagdefs.config import load_config
    from swath.sources.flagdefs.scanworker import might_build_key

    rx = r"(?:Feature|Preview)s?\s*[\[(]|\bgetattr\s*\("
    assert might_build_key(b"x = {Preview[name] for name in v}\n", rx, None)
    assert might_build_key(b"getattr (Feature, name)\n", rx, None)
    assert not might_build_key(b"if Preview.x in mode:\n    store = FeatureStore\n", rx, None)
    # A lookaround RE2 cannot run still works, through `re`.
    assert might_build_key(b"Preview[name]", r"Preview(?=\[)", None)
    assert not might_build_key(b"Preview.name", r"Preview(?=\[)", None)
    config = (
        "systems:\n  - name: s\n    files: [a.py]\n    reference:\n"
        "      pattern: Feature[$KEY]\n      prefilter: 'Feature['\n"
    )
    _, errors = load_config(config, ".swath/flags.yaml", {})
    assert len(errors) == 1 and "`prefilter` is not a valid regex" in errors[0].message
    assert errors[0].line == 5  # the `prefilter` line itself (zero-based)


def test_launchdarkly_a_flag_looked_up_by_a_computed_key(tmp_path: Path) -> None:
    from .test_presets import LD_REACT

    files = dict(LD_REACT)
    files["src/Gate.tsx"] = """
        import { useFlags } from "launchdarkly-react-client-sdk";

        export function Gate({ name }: { name: string }) {
          const flags = useFlags();
          return flags[name] ? <On /> : null;
        }

        export function Dark() {
          const flags = useFlags();
          return flags["darkMode"] ? <Dark /> : null;
        }
        """
    ws = make_repo(tmp_path, files)
    data = _data(ws)
    for key in ("new-onboarding", "dark-mode"):
        read = data[key]["dynamic_read"]
        assert data[key]["dynamic_reads"] == 1, key
        assert (read["path"], read["line"], read["system"], read["key_case"]) == (
            "src/Gate.tsx",
            4,
            "launchdarkly-react",
            "camel",
        )
    # `flags["darkMode"]` is a read of dark-mode, by its camel-cased key.
    assert ("src/Gate.tsx", 9) in {(r["path"], r["line"]) for r in data["dark-mode"]["references"]}
    # Without the lookup by a computed key, nothing is dynamic.
    assert all(
        d["dynamic_reads"] == 0 for d in _data(make_repo(tmp_path / "plain", LD_REACT)).values()
    )
