"""Definition entries deleted as whole syntactic units, per language; every result parses."""

from __future__ import annotations

import io
import json
import subprocess
import textwrap
from pathlib import Path

from ast_grep_py import SgRoot
from ruamel.yaml import YAML

from swath.analyzers.flags.remove_defs import Target, delete_units

from .conftest import make_repo, run_offline
from tests.tools import gofmt


def _at(text: str, needle: str) -> int:
    """Zero-based line of the first line containing `needle`."""
    return next(i for i, line in enumerate(text.splitlines()) if needle in line)


def _gofmt_clean(tmp_path: Path, text: str) -> None:
    path = tmp_path / "f.go"
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [gofmt(), "-e", "-l", str(path)], capture_output=True, text=True, check=False
    )
    # -e: every syntax error; -l: the file is listed when gofmt would reformat it.
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr + proc.stdout + text


GO = textwrap.dedent(
    """\
    package features

    import (
    	"k8s.io/apimachinery/pkg/util/version"
    	"k8s.io/component-base/featuregate"
    )

    const (
    	// owner: @storage
    	AnyVolumeDataSource featuregate.Feature = "AnyVolumeDataSource"

    	// owner: @node
    	InPlace featuregate.Feature = "InPlace"
    )

    const Solo featuregate.Feature = "Solo"

    var versioned = map[featuregate.Feature]featuregate.VersionedSpecs{
    	AnyVolumeDataSource: {
    		{Version: version.MustParse("1.18"), Default: false, PreRelease: featuregate.Alpha},
    		{Version: version.MustParse("1.33"), Default: true, PreRelease: featuregate.GA, LockToDefault: true},
    	},
    	InPlace: {
    		{Version: version.MustParse("1.27"), Default: false, PreRelease: featuregate.Alpha},
    	},
    }

    var plain = map[featuregate.Feature]featuregate.FeatureSpec{
    	Solo: {Default: true, PreRelease: featuregate.GA}, // promoted in 1.30
    }
    """
)


def test_go_map_entries_and_constants_go_whole_and_gofmt_is_clean(tmp_path: Path) -> None:
    _gofmt_clean(tmp_path, GO)  # the fixture itself is gofmt-clean
    gate = _at(GO, "AnyVolumeDataSource: {")
    specs = [Target(gate + 1, gate + 1, "AnyVolumeDataSource", gate + 1, gate + 2)]
    specs.append(Target(gate + 2, gate + 2, "AnyVolumeDataSource", gate + 1, gate + 2))
    solo = _at(GO, "Solo: {")
    result = delete_units(
        GO,
        "go",
        [
            *specs,
            Target(
                _at(GO, "AnyVolumeDataSource featuregate"),
                _at(GO, "AnyVolumeDataSource featuregate"),
                "AnyVolumeDataSource",
            ),
            Target(solo, solo, "Solo", solo, solo),
            Target(_at(GO, "const Solo"), _at(GO, "const Solo"), "Solo"),
        ],
    )
    assert result.error is None and not result.missing
    out = result.new_text
    # The gate's whole `X: {{…}, …},` entry, its constant with the comment above, the
    # unversioned entry with its trailing comment, and `const Solo …` as a declaration.
    assert "AnyVolumeDataSource" not in out and "Solo" not in out and "@storage" not in out
    assert "promoted in 1.30" not in out
    assert "InPlace: {" in out and '"InPlace"' in out and "// owner: @node" in out
    assert "var plain = map[featuregate.Feature]featuregate.FeatureSpec{}" in out
    _gofmt_clean(tmp_path, out)


def test_a_spec_line_alone_never_takes_a_neighbour() -> None:
    # The unit must name the key: the spec literal alone does not, so the gate's entry is
    # the unit; a line naming some other key finds nothing to delete.
    line = _at(GO, "InPlace: {") + 1
    result = delete_units(GO, "go", [Target(line, line, "AnyVolumeDataSource", line, line)])
    assert result.new_text == GO and result.missing


FLAGD = """{
  "$schema": "https://flagd.dev/schema/v0/flags.json",
  "flags": {
    "first": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "middle": {
      "state": "DISABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "off"
    },
    "last": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "on"
    }
  }
}
"""


def _flagd_target(key: str) -> Target:
    start = _at(FLAGD, f'"{key}"')
    end = start if FLAGD.splitlines()[start].rstrip().endswith(("},", "}")) else start + 4
    return Target(start, end, key, start, end)


def test_flagd_entries_the_last_one_takes_the_comma_before_it() -> None:
    for keys in (["last"], ["first"], ["middle"], ["first", "middle", "last"], ["middle", "last"]):
        result = delete_units(FLAGD, "json", [_flagd_target(k) for k in keys])
        assert result.error is None, result.error
        data = json.loads(result.new_text)
        assert set(data["flags"]) == {"first", "middle", "last"} - set(keys)
    assert (
        '"flags": {}'
        in delete_units(
            FLAGD, "json", [_flagd_target(k) for k in ("first", "middle", "last")]
        ).new_text
    )


LD = """{
  "items": [
    {
      "key": "new-onboarding",
      "variations": [{"value": true}, {"value": false}],
      "environments": {"production": {"on": true}}
    },
    {
      "key": "holiday-theme",
      "variations": [{"value": true}, {"value": false}]
    }
  ]
}
"""


def test_launchdarkly_items_go_as_whole_objects() -> None:
    # The definition's lines start at its "key" line, below the object's `{`.
    key = _at(LD, "holiday-theme")
    result = delete_units(LD, "json", [Target(key, key + 1, "holiday-theme", key, key + 1)])
    assert json.loads(result.new_text) == {
        "items": [
            {
                "key": "new-onboarding",
                "variations": [{"value": True}, {"value": False}],
                "environments": {"production": {"on": True}},
            }
        ]
    }
    first = _at(LD, "new-onboarding")
    result = delete_units(
        LD, "json", [Target(first, first + 2, "new-onboarding", first, first + 2)]
    )
    assert [i["key"] for i in json.loads(result.new_text)["items"]] == ["holiday-theme"]


PY = textwrap.dedent(
    """\
    import enum


    class Preview(enum.Enum):
        # promoted in 24.1
        hex_codes = "on"  # the last of its kind
        string_processing = "off"


    class Solo(enum.Enum):
        only = "on"


    FEATURES = {
        "new_search": {"enabled": True},
        "dark_mode": False,
    }
    STATES = [
        FeatureState("FAST", version=1, state="off"),
        FeatureState("FAST", version=2, state="on"),
        FeatureState("GIFT", version=1, state="partial"),
    ]
    """
)


def test_python_enum_members_dict_items_and_list_entries() -> None:
    t = [
        Target(_at(PY, "hex_codes"), _at(PY, "hex_codes"), "hex_codes"),
        Target(_at(PY, 'only = "on"'), _at(PY, 'only = "on"'), "only"),
        Target(_at(PY, '"dark_mode"'), _at(PY, '"dark_mode"'), "dark_mode"),
        Target(_at(PY, 'version=1, state="off"'), _at(PY, 'version=1, state="off"'), "FAST"),
        Target(_at(PY, "version=2"), _at(PY, "version=2"), "FAST"),
    ]
    result = delete_units(PY, "python", t)
    assert result.error is None and not result.missing
    out = result.new_text
    compile(out, "f.py", "exec")
    assert (
        "hex_codes" not in out and "promoted in 24.1" not in out and "last of its kind" not in out
    )
    assert '    string_processing = "off"' in out
    # A class body left empty gets `pass`: the file stays Python.
    assert "class Solo(enum.Enum):\n    pass\n" in out
    assert '"new_search": {"enabled": True},\n}' in out and "dark_mode" not in out
    assert '"FAST"' not in out and 'FeatureState("GIFT", version=1, state="partial"),' in out


TS = textwrap.dedent(
    """\
    export const FEATURES = {
      newSearch: { enabled: true, owner: "search" },
      darkMode: { enabled: false },
    };

    export enum Flag {
      NewSearch = "new-search",
      DarkMode = "dark-mode",
    }
    """
)


def test_typescript_object_entries_and_enum_members() -> None:
    t = [
        Target(_at(TS, "newSearch:"), _at(TS, "newSearch:"), "newSearch"),
        Target(_at(TS, "DarkMode ="), _at(TS, "DarkMode ="), "DarkMode"),
    ]
    result = delete_units(TS, "typescript", t)
    assert result.error is None and not result.missing
    out = result.new_text
    assert SgRoot(out, "typescript").root().find(kind="ERROR") is None
    assert "newSearch" not in out and "DarkMode" not in out
    assert "  darkMode: { enabled: false },\n};" in out and 'NewSearch = "new-search",\n}' in out


YAML_TEXT = textwrap.dedent(
    """\
    # config/features.yaml
    flags:
      recommendations:
        enabled: true
        rollout: 100
      old_pricing: {enabled: false}
      banner: true
    """
)


def test_yaml_block_entries() -> None:
    rec = _at(YAML_TEXT, "recommendations")
    t = [
        Target(rec, rec + 2, "recommendations", rec, rec + 2),
        Target(_at(YAML_TEXT, "banner"), _at(YAML_TEXT, "banner"), "banner"),
    ]
    result = delete_units(YAML_TEXT, "yaml", t)
    assert result.error is None and not result.missing
    assert YAML(typ="safe", pure=True).load(io.StringIO(result.new_text)) == {
        "flags": {"old_pricing": {"enabled": False}}
    }


def test_go_annotation_comments_go_one_line_each() -> None:
    src = "package main\n\n// @flag(a, state=on)\n// @flag(b, state=off)\n\nfunc main() {}\n"
    line = _at(src, "@flag(b")
    result = delete_units(src, "go", [Target(line, line, "b", line, line)])
    assert result.new_text == "package main\n\n// @flag(a, state=on)\n\nfunc main() {}\n"


UNLEASH = """{
  "features": [
    {"name": "fast-search", "type": "release"},
    {"name": "beta-ui", "type": "release"}
  ],
  "featureStrategies": [
    {"featureName": "fast-search", "environment": "production", "name": "default", "parameters": {}},
    {"featureName": "beta-ui", "environment": "production", "name": "flexibleRollout",
     "parameters": {"rollout": "30"}}
  ],
  "featureEnvironments": [
    {"featureName": "fast-search", "environment": "production", "enabled": true},
    {"featureName": "beta-ui", "environment": "production", "enabled": true}
  ]
}
"""


def test_an_unleash_feature_goes_with_its_strategies_and_environments(tmp_path: Path) -> None:
    ws = make_repo(
        tmp_path,
        {
            "unleash-export.json": UNLEASH,
            "app/search.py": """
                from UnleashClient import UnleashClient

                unleash = UnleashClient(url="http://unleash", app_name="shop")


                def search(q):
                    if unleash.is_enabled("fast-search"):
                        return [q, q]
                    return [q]


                def ui():
                    return unleash.is_enabled("beta-ui")
                """,
        },
    )
    _, _, plan = run_offline(ws)
    subprocess.run(["git", "apply", "-"], cwd=ws.root, input=plan["patch"], text=True, check=True)
    data = json.loads((ws.root / "unleash-export.json").read_text(encoding="utf-8"))
    assert [f["name"] for f in data["features"]] == ["beta-ui"]
    assert [s["featureName"] for s in data["featureStrategies"]] == ["beta-ui"]
    assert [e["featureName"] for e in data["featureEnvironments"]] == ["beta-ui"]


# grpc-go 1.33's internal/envconfig/envconfig.go and etcd 3.4's api/capability.go, cut
# down: flags that are package-level variables and constants in parenthesised blocks.
GO_SPECS = textwrap.dedent(
    """\
    package envconfig

    import (
    	"os"
    	"strings"
    )

    type Capability string

    const (
    	AuthCapability  Capability = "auth"
    	V3rpcCapability Capability = "v3rpc"
    )

    var (
    	// Retry is set if retry is explicitly enabled via "GRPC_GO_RETRY=on".
    	Retry = strings.EqualFold(os.Getenv("GRPC_GO_RETRY"), "on")
    	// TXTErrIgnore is set if TXT errors should be ignored.
    	TXTErrIgnore = !strings.EqualFold(os.Getenv("GRPC_GO_IGNORE_TXT_ERRORS"), "false")
    )

    var Single = os.Getenv("SINGLE") == "on"
    """
)


def _spec(text: str, name: str) -> Target:
    line = next(i for i, ln in enumerate(text.splitlines()) if ln.strip().startswith(name))
    return Target(line, line, name, line, line)


def test_a_go_var_spec_goes_with_its_doc_comment_and_the_block_stays(tmp_path: Path) -> None:
    _gofmt_clean(tmp_path, GO_SPECS)
    result = delete_units(GO_SPECS, "go", [_spec(GO_SPECS, "Retry")])
    assert result.error is None and not result.missing, result
    text = result.new_text
    assert "Retry" not in text and "GRPC_GO_RETRY" not in text
    assert "var (\n\t// TXTErrIgnore is set" in text  # the other spec and its doc stay
    assert result.declared == ["Retry"]
    _gofmt_clean(tmp_path, text)


def test_the_last_go_specs_of_a_block_take_the_block(tmp_path: Path) -> None:
    targets = [_spec(GO_SPECS, "Retry"), _spec(GO_SPECS, "TXTErrIgnore")]
    targets += [_spec(GO_SPECS, "AuthCapability"), _spec(GO_SPECS, "V3rpcCapability")]
    result = delete_units(GO_SPECS, "go", targets)
    assert result.error is None and not result.missing, result
    text = result.new_text
    assert "var (" not in text and "const (" not in text, text
    assert text.endswith('\nvar Single = os.Getenv("SINGLE") == "on"\n')
    assert result.declared == ["AuthCapability", "Retry", "TXTErrIgnore", "V3rpcCapability"]
    _gofmt_clean(tmp_path, text)
    # A lone `var X = …` goes whole, and leaves no blank line at the end of the file.
    single = _spec(GO_SPECS, "var Single")
    alone = delete_units(GO_SPECS, "go", [Target(single.line, single.line, "Single")])
    assert alone.new_text.endswith("\n)\n"), alone.new_text
    _gofmt_clean(tmp_path, alone.new_text)


def test_go_specs_that_cannot_go_alone_are_no_unit() -> None:
    """A spec of two names, a const block counting with iota (deleting one renumbers the
    rest), a registration inside a function (the function is not the definition)."""
    two = "package p\n\nvar (\n\tA, B = 1, 2\n\tC    = 3\n)\n"
    iota = "package p\n\nconst (\n\tA Kind = iota\n\tB\n\tC\n)\n"
    init = 'package p\n\nfunc init() {\n\tregister("a", true)\n\tregister("b", false)\n}\n'
    for src, name, line in ((two, "A", 3), (iota, "B", 4), (iota, "A", 3), (init, "a", 3)):
        result = delete_units(src, "go", [Target(line, line, name, line, line)])
        assert result.new_text == src and len(result.missing) == 1, (src, result)


def test_a_function_named_by_the_key_is_its_definition(tmp_path: Path) -> None:
    """`func NewCheckout() bool { return true }` is the flag's definition (a homegrown
    system of flag functions): it goes whole, unlike a function that only holds one."""
    src = "package p\n\nfunc NewCheckout() bool { return true }\n\nfunc Other() bool { return false }\n"
    result = delete_units(src, "go", [Target(2, 2, "NewCheckout", 2, 2)])
    assert result.new_text == "package p\n\nfunc Other() bool { return false }\n", result
    assert result.declared == ["NewCheckout"]  # what else names it would not build
    _gofmt_clean(tmp_path, result.new_text)
    py = "def new_checkout():\n    return True\n\n\ndef other():\n    return False\n"
    result = delete_units(py, "python", [Target(0, 1, "new_checkout", 0, 1)])
    assert result.new_text.startswith("def other():"), result
