"""Presets on small repositories shaped like the real systems they describe."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from swath.sources.flagdefs import presets
from swath.sources.flagdefs.config import load_config
from tests.tools import gofmt
from tests.clirun import swath

from .conftest import flag_items, discover, make_repo, run_offline

# kubernetes/pkg/features/kube_features.go, cut down: constants, the versioned specs (the
# newest decides), an unversioned FeatureSpec map, and checks through DefaultFeatureGate.
K8S = {
    "go.mod": "module k8s.io/kubernetes\n\ngo 1.22\n\nrequire k8s.io/component-base v0.31.0\n",
    "pkg/features/kube_features.go": """
        package features

        import (
        	"k8s.io/apimachinery/pkg/util/version"
        	"k8s.io/component-base/featuregate"
        )

        const (
        	// owner: @storage
        	AnyVolumeDataSource featuregate.Feature = "AnyVolumeDataSource"

        	// owner: @node
        	InPlacePodVerticalScaling featuregate.Feature = "InPlacePodVerticalScaling"

        	// owner: @apps
        	LegacyServiceAccountTokenCleanUp featuregate.Feature = "LegacyServiceAccountTokenCleanUp"

        	// owner: @node
        	DevicePluginCDIDevices featuregate.Feature = "DevicePluginCDIDevices"
        )

        var defaultVersionedKubernetesFeatureGates = map[featuregate.Feature]featuregate.VersionedSpecs{
        	AnyVolumeDataSource: {
        		{Version: version.MustParse("1.18"), Default: false, PreRelease: featuregate.Alpha},
        		{Version: version.MustParse("1.24"), Default: true, PreRelease: featuregate.Beta},
        		{Version: version.MustParse("1.33"), Default: true, PreRelease: featuregate.GA, LockToDefault: true},
        	},
        	InPlacePodVerticalScaling: {
        		{Version: version.MustParse("1.27"), Default: false, PreRelease: featuregate.Alpha},
        		{Version: version.MustParse("1.33"), Default: true, PreRelease: featuregate.Beta},
        	},
        	LegacyServiceAccountTokenCleanUp: {
        		{Version: version.MustParse("1.28"), Default: false, PreRelease: featuregate.Alpha},
        		{Version: version.MustParse("1.30"), Default: true, PreRelease: featuregate.GA, LockToDefault: true},
        		{Version: version.MustParse("1.32"), Default: false, PreRelease: featuregate.Deprecated, LockToDefault: true},
        	},
        }

        var defaultKubernetesFeatureGates = map[featuregate.Feature]featuregate.FeatureSpec{
        	DevicePluginCDIDevices: {Default: true, PreRelease: featuregate.Beta},
        }
        """,
    "pkg/volume/populator.go": """
        package volume

        import (
        	utilfeature "k8s.io/apiserver/pkg/util/feature"
        	"k8s.io/kubernetes/pkg/features"
        )

        func Populate() string {
        	if utilfeature.DefaultFeatureGate.Enabled(features.AnyVolumeDataSource) {
        		return "any"
        	}
        	if !utilfeature.DefaultFeatureGate.Enabled(features.LegacyServiceAccountTokenCleanUp) {
        		return "keep tokens"
        	}
        	if utilfeature.DefaultFeatureGate.Enabled(features.DevicePluginCDIDevices) {
        		return "cdi"
        	}
        	if utilfeature.DefaultFeatureGate.Enabled(features.InPlacePodVerticalScaling) {
        		return "resize"
        	}
        	return "pvc"
        }
        """,
}

# black's shape: features of an Enum, checked with `Preview.X in mode`; one member says its
# state, one is promoted (its checks gone but the member left behind), one is unknown.
ENUM = {
    "src/fmt/mode.py": """
        from dataclasses import dataclass, field
        from enum import Enum, auto


        class Preview(Enum):
            hex_codes_in_unicode_sequences = auto()
            string_processing = "off"
            wrap_long_dict_values = "on"
            is_simple_lookup_for_doublestar = auto()


        @dataclass
        class Mode:
            preview: bool = False
            enabled_features: set[Preview] = field(default_factory=set)

            def __contains__(self, feature: Preview) -> bool:
                return self.preview or feature in self.enabled_features
        """,
    "src/fmt/linegen.py": """
        from fmt.mode import Mode, Preview


        def normalize(leaf: str, mode: Mode) -> str:
            if Preview.hex_codes_in_unicode_sequences in mode:
                leaf = leaf.lower()
            if Preview.string_processing in mode:
                leaf = leaf.strip()
            else:
                leaf = leaf + ""
            return leaf


        def wrap(value: str, mode: Mode) -> str:
            if Preview.wrap_long_dict_values in mode and value:
                return "(" + value + ")"
            return value
        """,
}

# django-waffle: calls in views, a template tag, a decorator, the dumpdata export.
WAFFLE_CALLS = {
    "requirements.txt": "Django>=4.2\ndjango-waffle==4.1.0\n",
    "shop/settings.py": 'INSTALLED_APPS = ["django.contrib.auth", "waffle"]\n',
    "shop/views.py": """
        import waffle
        from waffle import flag_is_active, switch_is_active
        from waffle.decorators import waffle_flag


        def checkout(request):
            if flag_is_active(request, "new_checkout"):
                return "new"
            return "old"


        def banner(request):
            return "down" if switch_is_active("maintenance") else "up"


        @waffle_flag("beta_search")
        def search(request):
            return "beta"


        def sample(request):
            if waffle.sample_is_active("ab_sample"):
                return "a"
            return "b"
        """,
    "shop/templates/cart.html": '{% load waffle_tags %}\n{% flag "new_checkout" %}<b>new</b>{% else %}<i>old</i>{% endflag %}\n',
}
WAFFLE_EXPORT = {
    "ops/waffle.json": """[
{
  "model": "waffle.flag",
  "pk": 1,
  "fields": {
    "name": "new_checkout",
    "everyone": true,
    "percent": null,
    "superusers": true,
    "groups": [],
    "users": []
  }
},
{"model": "waffle.flag", "pk": 2, "fields": {"name": "beta_search", "everyone": null, "percent": "20.0", "groups": [], "users": []}},
{"model": "waffle.switch", "pk": 1, "fields": {"name": "maintenance", "active": false, "note": ""}},
{"model": "waffle.sample", "pk": 1, "fields": {"name": "ab_sample", "percent": "100.0", "note": ""}}
]
""",
}

# LaunchDarkly's React SDK: camel-cased keys from useFlags(), the keys in an export.
LD_REACT = {
    "package.json": '{"name": "web", "dependencies": {"launchdarkly-react-client-sdk": "^3.0.0", "react": "^18.2.0"}}\n',
    "flags/launchdarkly-flags.json": """{"items": [
  {"key": "new-onboarding", "kind": "boolean", "temporary": true,
   "variations": [{"value": true}, {"value": false}],
   "environments": {"production": {"on": true, "offVariation": 1, "fallthrough": {"variation": 0}, "targets": [], "rules": []}}},
  {"key": "dark-mode", "kind": "boolean", "temporary": true,
   "variations": [{"value": true}, {"value": false}],
   "environments": {"production": {"on": false, "offVariation": 1, "fallthrough": {"variation": 0}, "targets": [], "rules": []}}}
]}
""",
    "src/Banner.tsx": """
        import { useFlags } from "launchdarkly-react-client-sdk";

        export function Banner() {
          const { newOnboarding } = useFlags();
          if (newOnboarding) {
            return <Welcome />;
          }
          return <Plain />;
        }

        export function Theme() {
          const flags = useFlags();
          return flags.darkMode ? <Dark /> : <Light />;
        }

        export function Tip() {
          return useFlags().newOnboarding && <Hint />;
        }
        """,
}

# Flipper / GitLab: YAML definition files, `Feature.enabled?(:x)` in Ruby.
FLIPPER = {
    "Gemfile": 'source "https://rubygems.org"\ngem "rails"\ngem "flipper-active_record"\n',
    "config/feature_flags/development/new_search.yml": """
        ---
        name: new_search
        introduced_by_url: https://example.com/mr/1
        milestone: '16.1'
        type: development
        group: group::search
        default_enabled: true
        """,
    "config/feature_flags/ops/fast_path.yml": """
        ---
        name: fast_path
        type: ops
        default_enabled: false
        """,
    "app/controllers/search_controller.rb": """
        class SearchController < ApplicationController
          def index
            if Feature.enabled?(:new_search, current_user)
              render :new
            elsif Flipper.enabled?(:fast_path)
              render :fast
            end
          end
        end
        """,
}


def _facts(ws: Any) -> dict[str, dict[str, Any]]:
    _, _, plan = run_offline(ws)
    return {f["key"]: f for f in plan["catalogue"]}


def _run(ws: Any) -> tuple[list[Any], dict[str, Any]]:
    _, found, plan = run_offline(ws)
    return found, plan


def test_every_shipped_preset_validates_and_is_package_data() -> None:
    names = presets.preset_names()
    assert {
        "k8s-feature-gates",
        "python-enum-features",
        "django-waffle",
        "flipper",
        "launchdarkly",
        "unleash",
        "openfeature",
        "growthbook",
    } <= names
    for name in names:
        cfg = presets.load_preset(name)
        assert cfg.detect is not None and cfg.description, name
        # The same YAML a user could write: it loads as a .swath/flags.yaml without errors.
        _, errors = load_config(presets.preset_text(name), f"{name}.yaml", {})
        assert errors == []
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"sources/flagdefs/presets/*.yaml"' in pyproject


def test_an_unknown_preset_is_a_config_error_with_its_line(tmp_path: Path) -> None:
    _, errors = load_config("environment: production\npreset: k8s-gates\n", "f.yaml", {})
    assert len(errors) == 1 and errors[0].line == 1
    assert "no preset 'k8s-gates'" in errors[0].message and "k8s-feature-gates" in errors[0].message


@pytest.mark.parametrize("how", ["named", "detected"])
def test_k8s_versioned_gates_the_newest_spec_decides(tmp_path: Path, how: str) -> None:
    files = dict(K8S)
    if how == "named":
        files[".swath/flags.yaml"] = "preset: k8s-feature-gates\ndetect_presets: false\n"
    ws = make_repo(tmp_path, files)
    facts = _facts(ws)
    # 1.33 GA + LockToDefault: on for everybody; 1.32 Deprecated, Default false: off.
    assert facts["AnyVolumeDataSource"]["state"] == "on"
    assert facts["AnyVolumeDataSource"]["category"] == "fully-on"
    assert facts["LegacyServiceAccountTokenCleanUp"]["state"] == "off"
    # Beta at 1.33 (versioned) and an unversioned Beta spec: each cluster's operator decides.
    assert facts["InPlacePodVerticalScaling"]["state"] == "partial"
    assert facts["DevicePluginCDIDevices"]["state"] == "partial"
    assert not facts["DevicePluginCDIDevices"]["candidate"]
    # The definition lists every versioned entry for deletion.
    entries = facts["AnyVolumeDataSource"]["definitions"][0]
    assert entries["path"] == "pkg/features/kube_features.go"
    refs = {(r["path"], r["line"] + 1): r for r in facts["AnyVolumeDataSource"]["references"]}
    assert refs[("pkg/volume/populator.go", 9)]["check"] is True
    # The gate's own map entry (`AnyVolumeDataSource: {`, line 23) is its definition, not a
    # use: listed as a reference, it gave every gate a risk "outside a check" by itself.
    assert ("pkg/features/kube_features.go", 23) not in refs
    assert not any("outside" in r for r in facts["AnyVolumeDataSource"]["risks"])
    assert facts["AnyVolumeDataSource"]["ref_count"] == 1


def test_k8s_checks_are_rewritten_and_the_go_still_parses(tmp_path: Path) -> None:
    from swath.engine.edits import write_fix

    ws = make_repo(tmp_path, K8S)
    found, plan = _run(ws)
    at = [
        f
        for f in found
        if f.path == "pkg/volume/populator.go"
        and f.range.start.line == 8
        and f.severity.value != "hint"
    ]
    assert at and "edit" in at[0].data and "The code action rewrites it." in at[0].message
    patch = plan["patch"]
    assert "-\tif utilfeature.DefaultFeatureGate.Enabled(features.AnyVolumeDataSource) {" in patch
    # The plan names the whole `AnyVolumeDataSource: {…},` entry (lines 23-27), not only
    # its spec lines: deleting those alone would leave the gate's entry behind.
    assert (
        "- **Delete** the definition entry: `pkg/features/kube_features.go` lines 23-27"
        in (plan["markdown"])
    )
    result = write_fix(ws.root, patch)
    assert result.written == ["pkg/features/kube_features.go", "pkg/volume/populator.go"]
    assert not result.refused
    # Nothing reads the two stale gates any more: their whole map entries (every versioned
    # spec) and their constants, with the owner comment above each, are deleted; the gates
    # still in use stay.
    features = (ws.root / "pkg/features/kube_features.go").read_text(encoding="utf-8")
    for gone in ("AnyVolumeDataSource", "LegacyServiceAccountTokenCleanUp", "@storage", "@apps"):
        assert gone not in features
    for kept in ("InPlacePodVerticalScaling: {", "DevicePluginCDIDevices: {Default: true"):
        assert kept in features
    assert features.count("featuregate.Feature = ") == 2
    text = (ws.root / "pkg/volume/populator.go").read_text(encoding="utf-8")
    # On (GA, locked): its branch lifted; off (Deprecated): `!Enabled` is true, so what
    # follows the lifted return is unreachable and goes, with the imports left unused.
    assert 'func Populate() string {\n\treturn "any"\n}' in text
    assert "utilfeature" not in text
    go_parser = gofmt()
    for rel in ("pkg/features/kube_features.go", "pkg/volume/populator.go"):
        proc = subprocess.run(
            [go_parser, "-e", "-l", str(ws.root / rel)], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0 and proc.stdout == "", proc.stderr + proc.stdout


def test_version_numbers_compare_number_by_number() -> None:
    from swath.sources.flagdefs.homegrown import _version_key

    keys = ['version.MustParse("1.9")', 'version.MustParse("1.27")', 'version.MustParse("1.33")']
    assert sorted(reversed(keys), key=_version_key) == keys
    assert _version_key("2") > _version_key("1")


def test_enum_features_in_mode(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, ENUM)
    facts = _facts(ws)
    assert facts["wrap_long_dict_values"]["category"] == "fully-on"
    assert facts["string_processing"]["category"] == "fully-off"
    # auto(): the state is the mode's business; still checked, so it stays.
    assert facts["hex_codes_in_unicode_sequences"]["state"] == "unknown"
    assert not facts["hex_codes_in_unicode_sequences"]["candidate"]
    # Left behind after its promotion: no check reads it any more.
    assert facts["is_simple_lookup_for_doublestar"]["category"] == "unreferenced"
    _, plan = _run(ws)
    assert (
        "-    if Preview.wrap_long_dict_values in mode and value:\n+    if value:" in plan["patch"]
    )


def test_waffle_keys_without_an_export_are_unknown_not_undefined(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, WAFFLE_CALLS)
    items = flag_items(discover(ws))
    assert set(items) == {"new_checkout", "maintenance", "beta_search", "ab_sample"}
    for item in items.values():
        assert item.data["defined"] is True
        assert item.data["definitions"][0]["format"] == "external"
    facts = _facts(ws)
    assert {f["state"] for f in facts.values()} == {"unknown"}
    assert not any(f["candidate"] for f in facts.values())


def test_waffle_export_classifies_flags_switches_and_samples(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, {**WAFFLE_CALLS, **WAFFLE_EXPORT})
    facts = _facts(ws)
    assert facts["new_checkout"]["state"] == "on"  # everyone: true
    assert facts["maintenance"]["state"] == "off"  # a switch, active: false
    assert facts["beta_search"]["state"] == "partial"  # everyone: null, 20 %
    assert facts["ab_sample"]["state"] == "on"  # a sample at 100 %
    refs = {(r["path"], r["line"] + 1) for r in facts["new_checkout"]["references"]}
    assert ("shop/views.py", 7) in refs and ("shop/templates/cart.html", 2) in refs
    found, plan = _run(ws)
    tag = [f for f in found if f.path == "shop/templates/cart.html" and f.data.edit is None]
    assert tag and "Swath cannot rewrite it" in tag[0].message
    assert '-    if flag_is_active(request, "new_checkout"):' in plan["patch"]


def test_launchdarkly_react_use_flags_reads_camel_cased_keys(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, LD_REACT)
    facts = _facts(ws)
    on = facts["new-onboarding"]
    assert on["category"] == "fully-on"
    lines = sorted(r["line"] + 1 for r in on["references"])
    assert lines == [4, 5, 17]  # the destructuring, `if (newOnboarding)`, useFlags().newOnboarding
    assert [r["line"] + 1 for r in facts["dark-mode"]["references"]] == [13]
    _, plan = _run(ws)
    patch = plan["patch"]
    assert "-  return flags.darkMode ? <Dark /> : <Light />;\n+  return <Light />;" in patch
    assert "-  return useFlags().newOnboarding && <Hint />;\n+  return <Hint />;" in patch


def test_flipper_definition_files_and_ruby_checks(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, FLIPPER)
    facts = _facts(ws)
    assert facts["new_search"]["category"] == "fully-on"
    assert facts["new_search"]["references"][0]["check"] is True
    assert facts["fast_path"]["permanent"] is True  # GitLab's `type: ops`
    found, plan = _run(ws)
    ruby = [f for f in found if f.path.endswith(".rb") and f.severity.value != "hint"]
    assert (
        ruby and ruby[0].data.edit is not None and "The code action rewrites it." in ruby[0].message
    )
    # On: its branch lifted, the elsif of the permanent (ops) flag never reached any more.
    assert (
        "-    if Feature.enabled?(:new_search, current_user)\n-      render :new\n"
        "-    elsif Flipper.enabled?(:fast_path)\n-      render :fast\n-    end\n"
        "+    render :new\n" in plan["patch"]
    )
    # A GitLab-style definition is a file of its own: the plan says to delete it, and the
    # patch deletes it (as `git diff` shows a deletion, so `git apply` and --fix delete it).
    path = "config/feature_flags/development/new_search.yml"
    assert f"**Delete** the file `{path}`: the definition is the whole of it" in plan["markdown"]
    assert (
        f"--- a/{path}\n+++ /dev/null\n@@ -1,7 +0,0 @@\n----\n-name: new_search\n"
        in (plan["patch"])
    )
    assert "config/feature_flags/ops/fast_path.yml" not in plan["patch"]  # permanent (ops)
    (ws.root / "p.diff").write_text(plan["patch"], encoding="utf-8")
    subprocess.run(["git", "apply", "--check", "p.diff"], cwd=ws.root, check=True)


def test_detection_can_be_turned_off(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, {**K8S, ".swath/flags.yaml": "detect_presets: false\n"})
    assert flag_items(discover(ws)) == {}


def test_flags_test_preset_shows_what_it_matches(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, K8S)
    proc = swath(ws.root, "flags", "test", "--preset", "k8s-feature-gates")
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert (
        "signature found: pkg/features/kube_features.go holds 'k8s.io/component-base/featuregate'"
        in out
    )
    assert "k8s-feature-gates · definition 1:" in out and "8 match(es) in 1 file" in out
    assert "pkg/features/kube_features.go:26  AnyVolumeDataSource  on" in out
    assert "pkg/volume/populator.go:9  AnyVolumeDataSource" in out


def test_flags_test_preset_for_an_sdk_lists_its_calls(tmp_path: Path) -> None:
    files = {
        "package.json": '{"dependencies": {"@openfeature/react-sdk": "^0.4.0"}}\n',
        "src/App.tsx": 'export const A = () => useBooleanFlagValue("new-banner", false) ? 1 : 2;\n',
    }
    ws = make_repo(tmp_path, files)
    proc = swath(ws.root, "flags", "test", "--preset", "openfeature")
    assert "signature found: package.json holds 'openfeature'" in proc.stdout
    assert "src/App.tsx:1  new-banner" in proc.stdout


def test_flags_test_names_a_preset_the_file_names_and_tries_its_patterns(tmp_path: Path) -> None:
    files = {
        **WAFFLE_CALLS,
        **WAFFLE_EXPORT,
        ".swath/flags.yaml": "preset: django-waffle\ndetect_presets: false\n",
    }
    ws = make_repo(tmp_path, files)
    proc = swath(ws.root, "flags", "test")
    out = proc.stdout
    assert "preset django-waffle also applies (named in the configuration)" in out
    assert "ops/waffle.json:2  new_checkout  on ('true')" in out
    assert "ops/waffle.json:15  maintenance  off ('false')" in out
    assert "shop/templates/cart.html:2  new_checkout" in out
    assert "flag_is_active(…) [external state]" in out
    # waffle_switch is used nowhere here: an SDK's unused call is no failure.
    assert proc.returncode == 0, out


def test_a_detected_preset_leaves_the_repositorys_own_system_alone(tmp_path: Path) -> None:
    # The Enum is the repository's own system (its states in the values); the detected
    # python-enum-features preset must not define the same keys a second time.
    files = {
        "app/flags.py": 'import enum\n\n\nclass Feature(enum.Enum):\n    NEW_SEARCH = "on"\n',
        "app/views.py": "from app.flags import Feature\n\n\ndef v(mode):\n    return Feature.NEW_SEARCH in mode\n",
        ".swath/flags.yaml": """
            systems:
              - name: mine
                files: ["app/flags.py"]
                definition:
                  rule: {pattern: $KEY = $STATE, inside: {kind: class_definition, stopBy: end}}
                reference: {pattern: Feature.$KEY}
            """,
    }
    ws = make_repo(tmp_path, files)
    items = discover(ws)
    flags = flag_items(items)
    assert [d["system"] for d in flags["NEW_SEARCH"].data["definitions"]] == ["mine"]
    assert [i for i in items if i.kind == "flag-error"] == []


def test_flipper_keys_only_code_names_are_unknown_not_undefined(tmp_path: Path) -> None:
    files = {k: v for k, v in FLIPPER.items() if not k.startswith("config/")}
    files["app/models/user.rb"] = (
        "class User\n  def beta?\n    Feature.disabled?(:legacy_profile, self)\n  end\nend\n"
    )
    ws = make_repo(tmp_path, files)
    items = flag_items(discover(ws))
    assert set(items) == {"new_search", "fast_path", "legacy_profile"}
    for item in items.values():
        assert item.data["definitions"][0]["format"] == "external"
    facts = _facts(ws)
    assert {f["state"] for f in facts.values()} == {"unknown"}
    refs = facts["new_search"]["references"]
    assert [(r["path"], r["line"] + 1, r["check"]) for r in refs] == [
        ("app/controllers/search_controller.rb", 3, True)
    ]


# The React hooks of the Unleash, GrowthBook and OpenFeature presets, each on the shape of
# its SDK's docs: package.json names the SDK, a definition file, a component with the hook.
HOOKS = {
    "unleash": (
        '{"dependencies": {"@unleash/proxy-client-react": "^4.0.0"}}\n',
        "unleash.json",
        '{"features": [{"name": "fast-search", "enabled": true, "strategies": [{"name": "default"}]}]}\n',
        'import { useFlag } from "@unleash/proxy-client-react";\n\n'
        'export const Search = () => (useFlag("fast-search") ? <Fast /> : <Slow />);\n',
        "fast-search",
    ),
    "growthbook": (
        '{"dependencies": {"@growthbook/growthbook-react": "^1.0.0"}}\n',
        "growthbook.json",
        '{"features": {"new-checkout": {"defaultValue": true}}}\n',
        'import { useFeatureIsOn } from "@growthbook/growthbook-react";\n\n'
        'export const Pay = () => (useFeatureIsOn("new-checkout") ? <New /> : <Old />);\n',
        "new-checkout",
    ),
    "openfeature": (
        '{"dependencies": {"@openfeature/react-sdk": "^1.0.0"}}\n',
        "flags.flagd.json",
        '{"flags": {"new-banner": {"state": "ENABLED", "variants": {"on": true, "off": false}, '
        '"defaultVariant": "on"}}}\n',
        'import { useBooleanFlagValue } from "@openfeature/react-sdk";\n\n'
        'export const Top = () => (useBooleanFlagValue("new-banner", false) ? <New /> : <Old />);\n',
        "new-banner",
    ),
}


@pytest.mark.parametrize("sdk", sorted(HOOKS))
def test_react_hooks_of_sdk_presets_are_checks_rewritten(tmp_path: Path, sdk: str) -> None:
    manifest, def_path, definition, component, key = HOOKS[sdk]
    ws = make_repo(
        tmp_path,
        {"package.json": manifest, def_path: definition, "src/App.tsx": component},
    )
    facts = _facts(ws)
    assert facts[key]["category"] == "fully-on", facts[key]
    (ref,) = facts[key]["references"]
    assert (ref["path"], ref["line"], ref["check"]) == ("src/App.tsx", 2, True)
    _, plan = _run(ws)
    # The check goes, keeping the "on" element; the hook's import goes with it.
    line = component.splitlines()[-1]
    kept = re.sub(r"\(\w+\([^)]*\) \? (<\w+ />) : <\w+ />\)", r"(\1)", line)
    assert f"-{line}\n+{kept}\n" in plan["patch"] and kept != line
    assert f"-{component.splitlines()[0]}\n" in plan["patch"]


def test_the_presets_stored_form_is_what_parsing_makes() -> None:
    """presets_compiled.json (what an audit loads) is the presets parsed and validated:
    after changing a preset or the configuration's models, regenerate it with
    `python -m swath.sources.flagdefs.compile_presets`."""
    from swath.sources.flagdefs import compile_presets

    assert presets.COMPILED.read_text(encoding="utf-8") == compile_presets.data_text()
    for name in sorted(presets.preset_names()):
        assert presets.load_preset(name) == presets.parse_preset(name), name


def test_an_edited_preset_is_parsed_not_taken_from_the_stored_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = presets.preset_text("unleash")
    text = old.replace("description: Unleash SDKs", "description: Edited SDKs", 1)
    assert text != old
    monkeypatch.setattr(presets, "preset_text", lambda name: text)
    presets.load_preset.cache_clear()
    try:
        assert presets.load_preset("unleash").description.startswith("Edited SDKs")
    finally:
        presets.load_preset.cache_clear()
