"""Go flags in the shape of real code, read from Debian's golang-*-dev sources (2026-12-04):
grpc-go 1.33's `internal/envconfig` (bool package variables read as `if envconfig.X`, a
struct field `disableRetry: !envconfig.Retry`, a test saving and restoring the variable) and
etcd 3.4's capability map (`if !api.IsCapabilityEnabled(api.V3rpcCapability)`). The
audit's removal patch must compile (`go vet`, which builds tests too), and a variable's
writes are never rewritten as checks."""

from __future__ import annotations

import subprocess
from pathlib import Path

from swath.analyzers.flags.rewrite import rewrite_file
from tests.tools import go, gofmt

from .go_systems import etcd_capabilities, grpc_envconfig
from .conftest import git, make_repo, run_offline

ENVCONFIG = {
    ".swath/flags.yaml": grpc_envconfig("Retry", "TXTErrIgnore"),
    "go.mod": "module example.com/grpcish\n\ngo 1.19\n",
    "internal/envconfig/envconfig.go": """
        // Package envconfig contains grpc settings configured by environment variables.
        package envconfig

        import (
        \t"os"
        \t"strings"
        )

        const (
        \tprefix          = "GRPC_GO_"
        \tretryStr        = prefix + "RETRY"
        \ttxtErrIgnoreStr = prefix + "IGNORE_TXT_ERRORS"
        )

        var (
        \t// Retry is set if retry is explicitly enabled via "GRPC_GO_RETRY=on".
        \tRetry = strings.EqualFold(os.Getenv(retryStr), "on")
        \t// TXTErrIgnore is set if TXT errors should be ignored ("GRPC_GO_IGNORE_TXT_ERRORS" is not "false").
        \tTXTErrIgnore = !strings.EqualFold(os.Getenv(txtErrIgnoreStr), "false")
        )
    """,
    "dialoptions.go": """
        package grpc

        import (
        \t"example.com/grpcish/internal/envconfig"
        )

        type dialOptions struct {
        \tdisableRetry    bool
        \thealthCheckFunc func() error
        }

        func defaultDialOptions() dialOptions {
        \treturn dialOptions{
        \t\tdisableRetry:    !envconfig.Retry,
        \t\thealthCheckFunc: nil,
        \t}
        }
    """,
    "internal/resolver/dns/dns_resolver.go": """
        package dns

        import (
        \t"errors"

        \t"example.com/grpcish/internal/envconfig"
        )

        func handleDNSError(err error, lookupType string) error {
        \treturn errors.New(lookupType + ": " + err.Error())
        }

        func lookupTXT(err error) error {
        \tif err != nil {
        \t\tif envconfig.TXTErrIgnore {
        \t\t\treturn nil
        \t\t}
        \t\tif err = handleDNSError(err, "TXT"); err != nil {
        \t\t\treturn err
        \t\t}
        \t\treturn nil
        \t}
        \treturn nil
        }

        func lookupSRV(err error) error {
        \treturn handleDNSError(err, "SRV")
        }
    """,
    "internal/resolver/dns/dns_resolver_test.go": """
        package dns

        import (
        \t"errors"
        \t"testing"

        \t"example.com/grpcish/internal/envconfig"
        )

        func TestTXTError(t *testing.T) {
        \tdefer func(v bool) { envconfig.TXTErrIgnore = v }(envconfig.TXTErrIgnore)
        \tfor _, ignore := range []bool{false, true} {
        \t\tenvconfig.TXTErrIgnore = ignore
        \t\tif err := lookupTXT(errors.New("x")); (err == nil) != ignore {
        \t\t\tt.Fatal(err)
        \t\t}
        \t}
        }
    """,
    "test/retry_test.go": """
        package test

        import (
        \t"testing"

        \t"example.com/grpcish/internal/envconfig"
        )

        func enableRetry() func() {
        \told := envconfig.Retry
        \tenvconfig.Retry = true
        \treturn func() { envconfig.Retry = old }
        }

        func TestRetry(t *testing.T) {
        \tdefer enableRetry()()
        }
    """,
}


def _assert_gofmt_clean(path: Path) -> None:
    """The file parses and is formatted as gofmt would (`-l` names it otherwise)."""
    proc = subprocess.run([gofmt(), "-e", "-l", str(path)], capture_output=True, text=True)
    text = path.read_text(encoding="utf-8")
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr + proc.stdout + text


def _assert_go_vet_passes(root: Path) -> None:
    """`go vet` builds every package of the module and its tests: an unused import or a
    write to a constant fails it. Offline, with its caches in the test's folder."""
    proc = subprocess.run(
        [go(), "vet", "./..."],
        cwd=root,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(root),
            "GOFLAGS": "-mod=mod",
            "GOCACHE": str(root / ".gocache"),
            "GOPROXY": "off",
        },
    )
    assert proc.returncode == 0, proc.stderr


def _apply(root: Path, patch: str) -> None:
    (root / "fix.diff").write_text(patch, encoding="utf-8")
    git(root, "apply", "fix.diff")
    (root / "fix.diff").unlink()


def test_bool_variables_read_as_checks_are_rewritten_and_the_result_builds(
    tmp_path: Path,
) -> None:
    ws = make_repo(tmp_path, ENVCONFIG)
    _records, _found, plan = run_offline(ws)
    patch = plan["patch"]
    # `if envconfig.TXTErrIgnore { return nil }` lifts its return; what followed it goes.
    assert "-\t\tif envconfig.TXTErrIgnore {" in patch
    assert '-\t\tif err = handleDNSError(err, "TXT"); err != nil {' in patch
    # A struct field's value is a value position like any other.
    assert "+\t\tdisableRetry:    false," in patch
    # The variable's writes in tests are not checks: never `true = true`.
    assert "envconfig.Retry = true" not in "".join(
        line for line in patch.splitlines() if line.startswith("+")
    )
    _apply(tmp_path, patch)
    dialoptions = (tmp_path / "dialoptions.go").read_text(encoding="utf-8")
    assert "envconfig" not in dialoptions  # the import the rewrite left unused went
    test = (tmp_path / "test/retry_test.go").read_text(encoding="utf-8")
    assert "\tenvconfig.Retry = true\n" in test and "envconfig.Retry = old" in test
    for rel in ("dialoptions.go", "internal/resolver/dns/dns_resolver.go"):
        _assert_gofmt_clean(tmp_path / rel)
    _assert_go_vet_passes(tmp_path)


def test_a_write_to_the_variable_is_not_a_check() -> None:
    src = (
        'package p\n\nimport "example.com/x/envconfig"\n\n'
        "func f() bool {\n\tenvconfig.Retry = true\n\tp := &envconfig.Retry\n"
        "\t_ = p\n\tx := opts{Retry: 1}\n\t_ = x\n\treturn envconfig.Retry\n}\n"
    )
    result = rewrite_file(src, "go", "Retry", True, [], check_texts=["envconfig.Retry"])
    assert result.error is None, result.error
    assert "\tenvconfig.Retry = true\n\tp := &envconfig.Retry\n" in result.new_text
    assert "\treturn true\n" in result.new_text
    # A bare name as the check (inside the flag's own package) leaves a composite
    # literal's key alone.
    bare = src.replace("envconfig.Retry", "Retry").replace(
        'import "example.com/x/envconfig"\n\n', ""
    )
    result = rewrite_file(bare, "go", "Retry", True, [], check_texts=["Retry"])
    assert result.error is None, result.error
    assert "opts{Retry: 1}" in result.new_text and "\treturn true\n" in result.new_text
    assert "\tRetry = true\n\tp := &Retry\n" in result.new_text


def test_a_test_setting_the_variable_is_a_mention_not_a_check(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, ENVCONFIG)
    _records, _found, plan = run_offline(ws)
    cat = {c["key"]: c for c in plan["catalogue"]}
    refs = {(r["path"], r["line"]): r["check"] for r in cat["Retry"]["references"]}
    assert refs[("dialoptions.go", 13)] is True  # `disableRetry: !envconfig.Retry,`
    assert refs[("test/retry_test.go", 9)] is True  # `old := envconfig.Retry` reads it
    assert refs[("test/retry_test.go", 10)] is False  # `envconfig.Retry = true`
    assert refs[("test/retry_test.go", 11)] is False  # `envconfig.Retry = old`
    # One line both writing and reading: `defer func(v bool) { X = v }(X)`.
    txt = [
        r["check"]
        for r in cat["TXTErrIgnore"]["references"]
        if (r["path"], r["line"]) == ("internal/resolver/dns/dns_resolver_test.go", 10)
    ]
    assert sorted(txt) == [False, True]


def test_a_k8s_gate_nothing_reads_is_unreferenced_not_read_by_its_own_entry(
    tmp_path: Path,
) -> None:
    from .test_presets import K8S

    files = dict(K8S)
    files["pkg/volume/populator.go"] = files["pkg/volume/populator.go"].replace(
        "features.InPlacePodVerticalScaling", "features.DevicePluginCDIDevices"
    )
    ws = make_repo(tmp_path, files)
    _records, _found, plan = run_offline(ws)
    cat = {c["key"]: c for c in plan["catalogue"]}
    gate = cat["InPlacePodVerticalScaling"]  # Beta at 1.33, and no code reads it any more
    assert gate["state"] == "partial" and gate["category"] == "unreferenced"
    assert [r["kind"] for r in gate["references"]] == ["constant-def"]


# etcd 3.4's etcdserver/api/v3rpc/interceptor.go, cut down: each interceptor opens with the
# capability check, then a blank line; a lone `import` of the package the check named.
ETCD_INTERCEPTOR = """\
package v3rpc

import "go.etcd.io/etcd/etcdserver/api"

func newUnaryInterceptor(s *server) func() error {
	return func() error {
		if !api.IsCapabilityEnabled(api.V3rpcCapability) {
			return errNotCapable
		}

		if s.IsLearner() {
			return errNotSupportedForLearner
		}
		return nil
	}
}

func check(s *server) error {
	s.touch()

	if !api.IsCapabilityEnabled(api.V3rpcCapability) {
		return errNotCapable
	}
}
"""


def test_a_deleted_check_takes_its_blank_line_and_lone_import_with_it(tmp_path: Path) -> None:
    check = "api.IsCapabilityEnabled(api.V3rpcCapability)"
    result = rewrite_file(
        ETCD_INTERCEPTOR,
        "go",
        "V3rpcCapability",
        True,
        ["IsCapabilityEnabled"],
        check_texts=[check],
    )
    assert result.error is None, result.error
    text = result.new_text
    assert "api." not in text and "import" not in text
    assert "\treturn func() error {\n\t\tif s.IsLearner() {" in text
    assert "\ts.touch()\n}\n" in text
    path = tmp_path / "interceptor.go"
    path.write_text(text, encoding="utf-8")
    _assert_gofmt_clean(path)


# etcd 3.4's etcdserver/api/v2http/capability.go: `notCapable` is called only under the
# capability check; once the check goes, so does it (and the imports only it used).
ETCD = {
    ".swath/flags.yaml": etcd_capabilities("api/capability.go"),
    "go.mod": "module example.com/etcdish\n\ngo 1.19\n",
    "api/capability.go": """
        package api

        type Capability string

        const AuthCapability Capability = "auth"

        var enabledMap map[Capability]bool

        func init() {
        \tenabledMap = map[Capability]bool{
        \t\tAuthCapability: true,
        \t}
        }

        func IsCapabilityEnabled(c Capability) bool { return enabledMap[c] }
    """,
    "v2http/capability.go": """
        package v2http

        import (
        \t"fmt"
        \t"net/http"

        \t"example.com/etcdish/api"
        )

        func authCapabilityHandler(fn http.HandlerFunc) http.HandlerFunc {
        \treturn func(w http.ResponseWriter, r *http.Request) {
        \t\tif !api.IsCapabilityEnabled(api.AuthCapability) {
        \t\t\tnotCapable(w, r, api.AuthCapability)
        \t\t\treturn
        \t\t}
        \t\tfn(w, r)
        \t}
        }

        // notCapable writes the error.
        func notCapable(w http.ResponseWriter, r *http.Request, c api.Capability) {
        \tfmt.Fprintf(w, "Not capable of accessing %s feature", c)
        \twriteNote(r)
        }

        func writeNote(r *http.Request) { _ = r }

        func stillUsed() {}
    """,
    "v2http/other.go": """
        package v2http

        func other() { stillUsed() }
    """,
}


def test_an_unexported_helper_only_the_check_called_goes_and_the_package_builds(
    tmp_path: Path,
) -> None:
    ws = make_repo(tmp_path, ETCD)
    _records, _found, plan = run_offline(ws)
    _apply(tmp_path, plan["patch"])
    text = (tmp_path / "v2http/capability.go").read_text(encoding="utf-8")
    # notCapable went with its comment, then writeNote (only notCapable called it), then
    # the imports only they used; a helper another file of the package calls stays.
    for gone in ("notCapable", "writeNote", '"fmt"', "etcdish/api"):
        assert gone not in text, text
    assert "func stillUsed() {}" in text
    _assert_gofmt_clean(tmp_path / "v2http/capability.go")
    _assert_go_vet_passes(tmp_path)


def _at_definition(found: list, key: str) -> str:
    (f,) = [f for f in found if f.data.key == key and f.data.model_dump().get("definition")]
    return str(f.message)


def test_a_variable_nothing_names_any_more_goes_whole_and_the_tree_builds(
    tmp_path: Path,
) -> None:
    """grpc's envconfig without the tests that set the variables: once both reads are
    rewritten, nothing names `Retry` or `TXTErrIgnore`, so their specs go with their doc
    comments, the emptied `var ( … )` with them, then the imports only they used. The
    finding at each definition names the lines the plan and the patch delete."""
    files = {k: v for k, v in ENVCONFIG.items() if not k.endswith("_test.go")}
    ws = make_repo(tmp_path, files)
    _records, found, plan = run_offline(ws)
    md, patch = plan["markdown"], plan["patch"]
    assert "- **Delete** the definition entry: `internal/envconfig/envconfig.go` lines 16-17" in md
    assert "then delete this definition (lines 16-17)" in _at_definition(found, "Retry")
    assert "then delete this definition (lines 18-19)" in _at_definition(found, "TXTErrIgnore")
    assert "kept" not in md[md.index("## Removal candidates") :], md
    assert "-var (\n-\t// Retry is set" in patch
    _apply(tmp_path, patch)
    text = (tmp_path / "internal/envconfig/envconfig.go").read_text(encoding="utf-8")
    assert "Retry" not in text and "TXTErrIgnore" not in text and "import" not in text, text
    # The names only the variables read went too (Go builds an unused constant; staticcheck
    # does not pass one): `retryStr`, `txtErrIgnoreStr`, then `prefix` and the block.
    assert text == (
        "// Package envconfig contains grpc settings configured by environment variables.\n"
        "package envconfig\n"
    ), text
    _assert_gofmt_clean(tmp_path / "internal/envconfig/envconfig.go")
    _assert_go_vet_passes(tmp_path)


def test_a_variable_a_test_still_sets_is_kept_and_both_say_so(tmp_path: Path) -> None:
    """With grpc's tests, which set `envconfig.Retry = true`, deleting the variable would
    not build: the plan keeps it and names the line; the finding says to delete it only
    after its references (that test's among them) are gone."""
    ws = make_repo(tmp_path, ENVCONFIG)
    _records, found, plan = run_offline(ws)
    md = plan["markdown"]
    assert (
        "- `Retry`: definition kept: `Retry` is still named at test/retry_test.go:11 "
        "(`envconfig.Retry = true`), and Go would not build without it"
    ) in md
    assert "`TXTErrIgnore`: definition kept: `TXTErrIgnore` is still named at " in md
    assert "internal/envconfig/envconfig.go" not in plan["patch"]
    assert "remove them, keeping the enabled branch: the check is always true, then delete" in (
        _at_definition(found, "Retry")
    )


# A homegrown Go system registering each flag in `init()`: the definition is a statement
# of a function, which no removal deletes as a unit (the function held the others too).
REGISTERED = {
    ".swath/flags.yaml": """
        systems:
          - name: registry
            files: ["flags/flags.go"]
            language: go
            definition:
              pattern: {context: "func _() { register($KEY, $STATE) }", selector: call_expression}
            reference:
              pattern: {context: "func _() { _ = flags.On($KEY) }", selector: call_expression}
              is_check: true
    """,
    "go.mod": "module example.com/reg\n\ngo 1.19\n",
    "flags/flags.go": """
        package flags

        var state = map[string]bool{}

        func register(k string, v bool) { state[k] = v }

        func init() {
        \tregister("dark_mode", true)
        \tregister("beta", false)
        }

        func On(k string) bool { return state[k] }
    """,
    "svc/run.go": """
        package svc

        import "example.com/reg/flags"

        func Run() string {
        \tif flags.On("dark_mode") {
        \t\treturn "dark"
        \t}
        \treturn "light"
        }
    """,
}


def test_a_definition_with_no_whole_entry_is_kept_by_the_finding_and_the_plan(
    tmp_path: Path,
) -> None:
    ws = make_repo(tmp_path, REGISTERED)
    _records, found, plan = run_offline(ws)
    md = plan["markdown"]
    message = _at_definition(found, "dark_mode")
    assert "delete" not in message, message
    why = "flags/flags.go:8 is no whole entry (of a map, a list, an enum, a block)"
    assert f"; keep this definition: {why}." in message
    assert f"- **Keep** the definition (`flags/flags.go:8`): {why}" in md
    assert "**Delete** the definition" not in md, md
    assert f"- `dark_mode`: definition kept: {why}" in md
    assert "flags/flags.go" not in plan["patch"]  # `func init` and `beta` stay
    assert '-\tif flags.On("dark_mode") {' in plan["patch"]


def test_a_homegrown_systems_risk_names_its_pattern_not_an_sdk(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, ETCD)
    _records, _found, plan = run_offline(ws)
    (gate,) = [c for c in plan["catalogue"] if c["key"] == "AuthCapability"]
    risks = " ".join(gate["risks"])
    assert "SDK" not in risks, risks
    assert (
        "1 reference(s) not matched as a check by the reference pattern of etcd-capabilities, "
        "e.g. v2http/capability.go:13"
    ) in risks


def test_a_k8s_gate_a_test_still_sets_keeps_its_constant_and_entry(tmp_path: Path) -> None:
    """Kubernetes' tests set gates (`featuregatetesting.SetFeatureGateDuringTest(t, …,
    features.AnyVolumeDataSource, true)`): deleting the gate's constant would not build
    them, so the gate stays and the plan names the line; the gate no test names goes."""
    from .test_presets import K8S

    files = dict(K8S)
    files["pkg/volume/populator_test.go"] = """
        package volume

        import (
        \t"testing"

        \tfeaturegatetesting "k8s.io/component-base/featuregate/testing"
        \tutilfeature "k8s.io/apiserver/pkg/util/feature"
        \t"k8s.io/kubernetes/pkg/features"
        )

        func TestPopulate(t *testing.T) {
        \tfeaturegatetesting.SetFeatureGateDuringTest(t, utilfeature.DefaultFeatureGate, features.AnyVolumeDataSource, true)
        \t_ = Populate()
        }
    """
    ws = make_repo(tmp_path, files)
    _records, _found, plan = run_offline(ws)
    md, patch = plan["markdown"], plan["patch"]
    assert (
        "- `AnyVolumeDataSource`: definition kept: `AnyVolumeDataSource` is still named at "
        "pkg/volume/populator_test.go:12 (`featuregatetesting.SetFeatureGateDuringTest("
    ) in md
    assert "-\tAnyVolumeDataSource featuregate.Feature" not in patch
    assert "-\tAnyVolumeDataSource: {" not in patch
    # Nothing names LegacyServiceAccountTokenCleanUp once the check goes: it goes whole.
    assert "-\tLegacyServiceAccountTokenCleanUp: {" in patch
    assert "-\tLegacyServiceAccountTokenCleanUp featuregate.Feature" in patch


def test_only_constants_the_removal_left_unused_go(tmp_path: Path) -> None:
    """Unexported constants named before and by nothing after go (a chain of them too);
    one nothing named before (not the removal's doing), an exported one, one another file
    of the package still names, and a block counting with iota stay."""
    from swath.analyzers.flags.rewrite_go import drop_unused_consts

    old = (
        'package p\n\nconst (\n\tprefix = "P_"\n\t// keyStr is the variable\'s name.\n'
        '\tkeyStr = prefix + "KEY"\n\tspare  = 1\n\tShown  = 2\n\tshared = 3\n)\n\n'
        "const (\n\tkindA kind = iota\n\tkindB\n)\n\ntype kind int\n\n"
        "func f() string { return keyStr + string(rune(shared)) + string(rune(kindB)) }\n"
    )
    new = old.replace(
        "func f() string { return keyStr + string(rune(shared)) + string(rune(kindB)) }\n",
        'func f() string { return "" }\n',
    )
    others = [("package p\n\nvar _ = shared\n", "package p\n\nvar _ = shared\n")]
    text = drop_unused_consts(old, new, others)
    for gone in ("prefix", "keyStr", "variable's name"):
        assert gone not in text, text
    for kept in ("spare  = 1", "Shown  = 2", "shared = 3", "kindA kind = iota", "\tkindB\n"):
        assert kept in text, text
    path = tmp_path / "p.go"
    path.write_text(text, encoding="utf-8")
    _assert_gofmt_clean(path)
