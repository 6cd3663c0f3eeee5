"""`swath flags test`: matches per pattern, node kinds for a pattern matching nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import make_repo

GO = {
    "flags/flags.go": "package flags\n\nconst EnableFoo = true\nconst (\n\tEnableBar = false\n)\n",
    "svc/run.go": 'package svc\n\nimport "example.com/app/flags"\n\nfunc Run() {\n'
    "\tif flags.EnableFoo {\n\t\tfoo()\n\t}\n}\n",
}
CONFIG = """systems:
  - name: go-consts
    files: ["flags/*.go"]
    definition:
      pattern: {{context: "const $KEY = $STATE", selector: const_spec}}
    reference:
      pattern: {reference}
      is_check: true
"""


def _swath(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swath", "flags", "test", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_pattern_matching_nothing_shows_how_it_parsed_and_the_code_tree(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, {**GO, ".swath/flags.yaml": CONFIG.format(reference="flags.$KEY")})
    proc = _swath(ws.root)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert "go-consts · definition 1:" in out and "2 match(es) in 1 file" in out
    assert "flags/flags.go:3  EnableFoo  on ('true')" in out
    assert "flags/flags.go:5  EnableBar  off ('false')" in out
    ref = out[out.index("go-consts · reference 1:") :]
    assert "0 match(es)" in ref
    assert "qualified_type" in ref  # how `flags.$KEY` parses on its own in Go
    assert "selector_expression [6:5-6:20]" in ref  # what the code holds at svc/run.go:6
    assert "field_identifier [6:11-6:20] `EnableFoo`" in ref


def test_the_fixed_pattern_matches_and_exits_0(tmp_path: Path) -> None:
    fixed = '{context: "func _() { _ = flags.$KEY }", selector: selector_expression}'
    ws = make_repo(tmp_path, {**GO, "alt/flags.yaml": CONFIG.format(reference=fixed)})
    proc = _swath(ws.root, "--config", "alt/flags.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "svc/run.go:6  EnableFoo" in proc.stdout


def test_a_broken_config_is_exit_2_with_its_place(tmp_path: Path) -> None:
    ws = make_repo(tmp_path, {**GO, ".swath/flags.yaml": "systems:\n  - nmae: x\n"})
    proc = _swath(ws.root)
    assert proc.returncode == 2
    assert ".swath/flags.yaml:2:5: systems.0.nmae: Extra inputs are not permitted" in proc.stderr


def test_dynamic_reads_are_listed_beside_the_matches(tmp_path: Path) -> None:
    from .test_pattern_reads import PY_CONFIG, PY_TOGGLES, PY_VIEWS

    files = {".swath/flags.yaml": PY_CONFIG, "app/toggles.py": PY_TOGGLES, "app/views.py": PY_VIEWS}
    ws = make_repo(tmp_path, files)
    proc = _swath(ws.root)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    ref = out[out.index("toggles · reference 1:") :]
    # The literal keys, then the read whose key is built at run time, with its scope.
    assert "app/views.py:5  new_search" in ref and "app/views.py:11  dark_mode" in ref
    assert (
        "1 read(s) with a key built at run time (in files holding toggle_on); no definition "
        "they may read is advised for deletion:" in ref
    )
    assert (
        "app/views.py:17  any flag of the system whose key starts with 'beta_'  "
        '`if toggle_on(f"beta_{kind}"):`' in ref
    )
    # `getattr(settings, name)` is nothing; the f-string's capture is no key match.
    assert "getattr" not in ref and "beta_{kind}" not in ref.split("read(s)")[0]


def test_a_pattern_naming_no_word_says_dynamic_reads_are_not_looked_for(tmp_path: Path) -> None:
    config = """
systems:
  - name: toggles
    files: ["app/toggles.py"]
    definition:
      pattern: {context: "{$KEY: $STATE}", selector: pair}
    reference:
      rule: {kind: call, has: {field: arguments, has: {kind: string, pattern: $KEY}}}
"""
    from .test_pattern_reads import PY_TOGGLES, PY_VIEWS

    files = {".swath/flags.yaml": config, "app/toggles.py": PY_TOGGLES, "app/views.py": PY_VIEWS}
    ws = make_repo(tmp_path, files)
    out = _swath(ws.root).stdout
    assert "reads with a key built at run time: not looked for (the pattern names no word" in out


def test_an_optional_pattern_matching_nothing_is_no_failure(tmp_path: Path) -> None:
    from .test_pattern_reads import ENUM

    ws = make_repo(tmp_path, ENUM)
    proc = _swath(ws.root, "--preset", "python-enum-features")
    out = proc.stdout
    assert proc.returncode == 0, out
    lookups = out[out.index("python-enum-features · reference 2:") :]
    assert "0 match(es)" in lookups
    assert "(optional: a way of reading flags this code need not use)" in lookups


# etcd 3.4's etcdserver/api/capability.go, cut down: imports first, the constants, a
# version table, and the map `init()` fills, which the definition pattern is meant for.
ETCD_CAPABILITY = """package api

import (
\t"sync"

\t"go.uber.org/zap"
)

type Capability string

const (
\tAuthCapability  Capability = "auth"
\tV3rpcCapability Capability = "v3rpc"
)

var (
\tcapabilityMaps = map[string]map[Capability]bool{
\t\t"3.0.0": {AuthCapability: true, V3rpcCapability: true},
\t\t"3.1.0": {AuthCapability: true, V3rpcCapability: true},
\t\t"3.2.0": {AuthCapability: true, V3rpcCapability: true},
\t}
\tenableMapMu sync.RWMutex
\tenabledMap  map[Capability]bool
)

func init() {
\tenabledMap = map[Capability]bool{
\t\tAuthCapability:  true,
\t\tV3rpcCapability: true,
\t}
}

func IsCapabilityEnabled(c Capability) bool { _ = zap.L(); return enabledMap[c] }
"""
ETCD_USE = """package v3rpc

import "example.com/etcdish/api"

func check() bool { return api.IsCapabilityEnabled(api.V3rpcCapability) }
"""
ETCD_CONFIG = """{overrides}systems:
  - name: etcd-capabilities
    files: ["api/capability.go"]
    language: go
    definition:
      {definition}
    reference:
      pattern: {{context: "func _() {{ _ = api.IsCapabilityEnabled(api.$KEY) }}", selector: call_expression}}
      is_check: true
"""


def _tree_shown(out: str) -> str:
    return out[out.index("definition 1:") : out.index("reference 1:")]


def test_a_definition_matching_nothing_shows_the_lines_naming_the_keys_found(
    tmp_path: Path,
) -> None:
    """The sample is the definition file's lines that name a key the reference pattern
    found (one of each shape), not its first code lines (the imports)."""
    config = ETCD_CONFIG.format(overrides="", definition='pattern: "$KEY: $STATE"')
    ws = make_repo(
        tmp_path,
        {
            "api/capability.go": ETCD_CAPABILITY,
            "v3rpc/interceptor.go": ETCD_USE,
            ".swath/flags.yaml": config,
        },
    )
    proc = _swath(ws.root)
    assert proc.returncode == 1, proc.stderr
    shown = _tree_shown(proc.stdout)
    # Line 13 (the constant), 18 (the first row of the version table; 19-20 are the same
    # shape), 29 (init's map entry).
    assert (
        "syntax tree of api/capability.go lines 13, 18, 29 (lines naming a key "
        "(`V3rpcCapability`, found by the reference patterns), one of each shape):"
    ) in shown
    assert "keyed_element [29:3-29:24]" in shown  # what the pattern should have named
    assert "import_spec" not in shown and "`sync`" not in shown


def test_with_no_key_known_the_sample_is_the_nodes_of_the_kind_asked_for(
    tmp_path: Path,
) -> None:
    """No reference matched, no key configured: the nodes of the rule's `kind`."""
    rule = "rule: {kind: keyed_element, has: {kind: literal_element, nthChild: 1, pattern: $KEY}, regex: '^nope'}"
    config = ETCD_CONFIG.format(overrides="", definition=rule)
    ws = make_repo(tmp_path, {"api/capability.go": ETCD_CAPABILITY, ".swath/flags.yaml": config})
    shown = _tree_shown(_swath(ws.root).stdout)
    assert "lines 18, 28, 29 (nodes of kind `keyed_element`, which the pattern asks for):" in shown
    assert "import_spec" not in shown


def test_keys_configured_in_overrides_pick_the_sample_lines(tmp_path: Path) -> None:
    config = ETCD_CONFIG.format(
        overrides="overrides:\n  AuthCapability: 'on'\n", definition='pattern: "$KEY: $STATE"'
    )
    ws = make_repo(tmp_path, {"api/capability.go": ETCD_CAPABILITY, ".swath/flags.yaml": config})
    shown = _tree_shown(_swath(ws.root).stdout)
    assert (
        "lines 12, 18, 28 (lines naming a key (`AuthCapability`, configured in flags.yaml), "
        "one of each shape):"
    ) in shown
