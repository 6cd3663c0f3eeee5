"""Reference counting on real-shaped code: what is a reference, and each one once.

The shapes come from the repositories of issue 12: a TypeScript monorepo whose flag keys
are also object property values (`name: 'learningLab'`), Kubernetes-style Go feature
gates (a typed constant per gate, read as `features.Gate` from other packages, with an
unrelated `rest.Gate` type elsewhere), and a user's override file naming every flag.
"""

from __future__ import annotations

import json
from pathlib import Path

from swath.sources.flagdefs.scan import DefinitionSpan, scan_references
from swath.sources.flagdefs.sdk import default_call_names

from .go_systems import etcd_capabilities, grpc_envconfig
from .conftest import discover, flag_items, make_repo, run_offline


def _refs(item_data: dict) -> list[tuple[str, int, str]]:
    return [(r["path"], r["line"], r["kind"]) for r in item_data["references"]]


def test_an_object_property_holding_a_key_is_not_a_constant(tmp_path: Path) -> None:
    uses = "".join(f"export const v{i} = item{i}.name + other.featureName;\n" for i in range(50))
    ws = make_repo(
        tmp_path,
        {
            "flags.json": json.dumps({"learningLab": True, "demo": False}),
            "src/menu.ts": "export const entries = [\n  { name: 'learningLab', label: 'Lab' },\n];\n",
            "src/demo.ts": "const cfg = {\n  featureName: 'demo',\n};\n",
            "src/uses.ts": uses,
            "src/check.ts": "if (client.isEnabled('learningLab')) { lab(); }\n",
            # A keyword argument on its own line is an argument, not an assignment.
            "app/menu.py": 'entry = Entry(\n    name="learningLab",\n)\nprint(entry.name)\n',
        },
    )
    flags = flag_items(discover(ws))
    lab = flags["learningLab"].data
    assert sorted(_refs(lab)) == [
        ("app/menu.py", 1, "literal"),
        ("src/check.ts", 0, "call"),
        ("src/menu.ts", 1, "literal"),
    ]
    assert lab["constants"] == []
    # `demo` is one plain word: its literal outside any check is set aside, counted, and named.
    demo = flags["demo"].data
    assert _refs(demo) == []
    assert demo["ordinary_uses"] == 1
    assert (demo["ordinary_example"]["path"], demo["ordinary_example"]["line"]) == (
        "src/demo.ts",
        1,
    )


def test_enum_members_and_declared_constants_are_still_followed(tmp_path: Path) -> None:
    ws = make_repo(
        tmp_path,
        {
            "flags.json": json.dumps({"new-checkout": True, "dark-mode": True}),
            "web/flags.ts": 'export enum Flag {\n  NewCheckout = "new-checkout",\n}\n'
            'export const DARK = "dark-mode";\n',
            # Another module's constant is seen through its import (`Flag.NewCheckout` is
            # qualified: an enum member, read so wherever its enum is).
            "web/page.ts": "import { DARK, Flag } from './flags';\n"
            "if (client.isEnabled(Flag.NewCheckout)) { a(); }\n"
            "if (client.isEnabled(DARK)) { b(); }\n",
        },
    )
    flags = flag_items(discover(ws))
    checkout = flags["new-checkout"].data
    assert {c["name"] for c in checkout["constants"]} == {"NewCheckout"}
    assert ("web/page.ts", 1, "call") in _refs(checkout)
    assert ("web/page.ts", 2, "call") in _refs(flags["dark-mode"].data)


GATES = """package features

import "k8s.io/component-base/featuregate"

const (
	// owner: @someone
	DeclarativeValidation featuregate.Feature = "DeclarativeValidation"
)
"""
USER = """package controller

import (
	"fmt"

	"k8s.io/kubernetes/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
)

func run() {
	if utilfeature.DefaultFeatureGate.Enabled(features.DeclarativeValidation) {
		fmt.Println("on")
	}
}
"""
SAME_PACKAGE = """package features

var defaults = map[featuregate.Feature]bool{DeclarativeValidation: true}
"""
OTHER_TYPE = """package rest

// DeclarativeValidation is a strategy option: a type, not the gate.
type DeclarativeValidation struct{}
"""
OTHER_USER = """package registry

import "k8s.io/apiserver/pkg/registry/rest"

var _ = rest.DeclarativeValidation{}
"""


def _gate_repo(tmp_path: Path):
    return make_repo(
        tmp_path,
        {
            "flags.yaml": "DeclarativeValidation: true\n",
            "pkg/features/kube_features.go": GATES,
            "pkg/features/defaults.go": SAME_PACKAGE,
            "pkg/controller/run.go": USER,
            "staging/src/k8s.io/apiserver/pkg/registry/rest/options.go": OTHER_TYPE,
            "pkg/registry/uses.go": OTHER_USER,
        },
    )


def test_go_gate_uses_counted_once_and_other_packages_names_are_not_uses(tmp_path: Path) -> None:
    ws = _gate_repo(tmp_path)
    files = sorted(p.relative_to(ws.root).as_posix() for p in ws.root.rglob("*.go"))
    spans = [DefinitionSpan(key="DeclarativeValidation", path="flags.yaml", line=0, end_line=0)]
    for bare in ([], ["DeclarativeValidation"]):  # with and without bare-identifier keys
        index = scan_references(
            str(ws.root),
            files,
            ["DeclarativeValidation"],
            default_call_names(),
            spans,
            bare_keys=bare,
            workers=1,
        )
        got = sorted((r.path, r.line, r.kind) for r in index.references["DeclarativeValidation"])
        assert got == [
            ("pkg/controller/run.go", 10, "constant-use"),
            ("pkg/features/defaults.go", 2, "constant-use"),
            ("pkg/features/kube_features.go", 6, "constant-def"),
        ], bare


def test_the_override_file_is_not_a_reference(tmp_path: Path) -> None:
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": "override_file: ops/flag-states.json\n",
            "ops/flag-states.json": json.dumps({"learningLab": "on", "demo": "off"}),
            "flags.json": json.dumps({"learningLab": False, "demo": False}),
            "src/a.ts": "if (client.isEnabled('learningLab')) { lab(); }\n",
        },
    )
    flags = flag_items(discover(ws))
    assert _refs(flags["learningLab"].data) == [("src/a.ts", 0, "call")]
    assert _refs(flags["demo"].data) == []


def test_references_past_the_cap_are_counted_not_listed(tmp_path: Path) -> None:
    calls = "".join(f"if client.is_enabled('busy'):\n    step{i}()\n" for i in range(5))
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": "max_references_per_flag: 3\n",
            "flags.yaml": "busy: true\n",
            "app.py": calls,
        },
    )
    data = flag_items(discover(ws))["busy"].data
    assert len(data["references"]) == 3 and data["unlisted_references"] == 2
    records, _, _ = run_offline(ws)
    facts = next(f for r in records for f in r.output["flags"] if f["key"] == "busy")
    assert facts["ref_count"] == 5
    assert any("2 more reference(s)" in r for r in facts["risks"])


# etcd 3.4.23's etcdserver/api/capability.go, cut down: the capabilities are constants of a
# `const ( … )` block, the state is the map `init()` builds, and the versioned maps and the
# handlers read the constants. Used 8 times, the capability was "9 references": its own
# declaration counted as one.
ETCD_CAPABILITY = """\
package api

type Capability string

const (
	AuthCapability  Capability = "auth"
	V3rpcCapability Capability = "v3rpc"
)

var (
	// capabilityMaps is a static map of version to capability map.
	capabilityMaps = map[string]map[Capability]bool{
		"3.0.0": {AuthCapability: true, V3rpcCapability: true},
		"3.4.0": {AuthCapability: true, V3rpcCapability: true},
	}
	enabledMap map[Capability]bool
)

func init() {
	enabledMap = map[Capability]bool{
		AuthCapability:  true,
		V3rpcCapability: true,
	}
}

func IsCapabilityEnabled(c Capability) bool { return enabledMap[c] }
"""
ETCD_HANDLER = """\
package v2http

import "example.com/etcdish/etcdserver/api"

func authCapabilityHandler(fn func()) func() {
	return func() {
		// AuthCapability off: refuse (a comment naming the constant is no read of it)
		if !api.IsCapabilityEnabled(api.AuthCapability) {
			notCapable(api.AuthCapability)
			return
		}
		fn()
	}
}
"""
ETCD_YAML = etcd_capabilities("etcdserver/api/capability.go")


def test_a_go_constants_own_declaration_and_comments_are_no_references(tmp_path: Path) -> None:
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": ETCD_YAML,
            "go.mod": "module example.com/etcdish\n\ngo 1.19\n",
            "etcdserver/api/capability.go": ETCD_CAPABILITY,
            "etcdserver/api/v2http/capability.go": ETCD_HANDLER,
        },
    )
    auth = flag_items(discover(ws))["AuthCapability"].data
    refs = _refs(auth)
    # The declaration is listed (a removal would delete it), as a declaration, not a read.
    assert ("etcdserver/api/capability.go", 5, "constant-def") in refs
    reads = [r for r in refs if r[2] != "constant-def"]
    assert reads == [
        ("etcdserver/api/capability.go", 12, "identifier"),
        ("etcdserver/api/capability.go", 13, "identifier"),
        ("etcdserver/api/v2http/capability.go", 7, "identifier"),
        ("etcdserver/api/v2http/capability.go", 8, "identifier"),
    ]
    _records, _found, plan = run_offline(ws)
    cat = {c["key"]: c for c in plan["catalogue"]}
    # 2 versioned map entries, the check and the handler's argument; nothing on the comment.
    assert cat["AuthCapability"]["ref_count"] == 4


def test_a_doc_comment_or_a_string_naming_a_variable_is_no_reference(tmp_path: Path) -> None:
    """grpc-go 1.33.3's internal/envconfig: `// Retry is set if …` above the variable was a
    reference of `Retry`; so was a word of a docstring or a log message."""
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": grpc_envconfig("Retry"),
            "go.mod": "module example.com/grpcish\n\ngo 1.19\n",
            "internal/envconfig/envconfig.go": "package envconfig\n\n"
            'import "os"\n\n'
            "var (\n"
            '\t// Retry is set if retry is explicitly enabled via "GRPC_GO_RETRY=on".\n'
            '\tRetry = os.Getenv("GRPC_GO_RETRY") == "on"\n'
            ")\n",
            "dialoptions.go": "package grpc\n\n"
            'import (\n\t"log"\n\n\t"example.com/grpcish/internal/envconfig"\n)\n\n'
            "/* Retry is on by default: see envconfig.Retry. */\n"
            "func retry() bool {\n"
            '\tlog.Print("Retry is on")\n'
            "\treturn envconfig.Retry\n"
            "}\n",
        },
    )
    retry = flag_items(discover(ws))["Retry"].data
    # Only the read; not the comments above the variable and the function, not the log line.
    assert _refs(retry) == [("dialoptions.go", 11, "identifier")]
