"""Homegrown flag systems described in `.swath/flags.yaml`: enums, map entries, versioned
entries, constants, comment annotations, overrides; their references and removal."""

from __future__ import annotations

import json

from swath.sources.flagdefs.config import StateMapping, SystemSpec
from swath.sources.flagdefs.homegrown import map_state, parse_system

from .conftest import discover, errors, flag_items, make_repo, run_offline


def states(items):
    out = {}
    for key, item in flag_items(items).items():
        envs = item.data["definitions"][0]["environments"] if item.data["definitions"] else {}
        out[key] = {e: s["state"] for e, s in envs.items()}
    return out


def test_state_mapping():
    m = StateMapping()
    assert map_state('"on"', m, "unknown") == ("on", None)
    assert map_state("False", m, "unknown") == ("off", None)
    assert map_state("100", m, "unknown") == ("on", None)  # in the `on` list before it is a number
    assert map_state("99.5", m, "unknown") == ("partial", 99.5)
    assert map_state("'25%'", m, "unknown") == ("partial", 25.0)
    assert map_state("SOMETIMES", m, "unknown") == ("unknown", None)
    custom = StateMapping(on=["re:^GA(-\\d+)?$"], off=["DARK"], partial=["CANARY"])
    assert map_state("GA-2", custom, "unknown")[0] == "on"
    assert map_state("DARK", custom, "unknown")[0] == "off"
    assert map_state(None, custom, "partial")[0] == "partial"


def test_python_enum_members_with_state_values(tmp_path):
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": """
            systems:
              - name: flag-enum
                files: ["app/flags.py"]
                definition:
                  rule:
                    pattern: $KEY = $STATE
                    inside: {kind: class_definition, stopBy: end}
                reference:
                  pattern: Flags.$KEY
        """,
            "app/flags.py": """
            import enum

            class Flags(enum.Enum):
                NEW_SEARCH = "on"
                DARK_MODE = "off"
                BETA = "beta"

            DEFAULT = "x"
        """,
            "app/views.py": """
            from app.flags import Flags

            def view(mode):
                if Flags.NEW_SEARCH in mode:
                    return "new"
                return "old"
        """,
        },
    )
    items = discover(ws)
    assert errors(items) == []
    st = states(items)
    assert st == {
        "NEW_SEARCH": {"default": "on"},
        "DARK_MODE": {"default": "off"},
        "BETA": {"default": "partial"},
    }
    refs = flag_items(items)["NEW_SEARCH"].data["references"]
    assert [(r["path"], r["line"], r["kind"]) for r in refs] == [("app/views.py", 3, "identifier")]

    _, found, plan = run_offline(ws)
    at_ref = [f for f in found if f.path == "app/views.py" and f.rule == "flag/fully-on"]
    assert at_ref and at_ref[0].data.edit.new_text == '    return "new"'
    assert "Flags.NEW_SEARCH" in plan["markdown"] or "NEW_SEARCH" in plan["markdown"]


def test_typescript_object_entries_with_state_fields(tmp_path):
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": """
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
                  pattern: FEATURES.$KEY.enabled
                  is_check: true
        """,
            "src/features.ts": """
            export const FEATURES = {
              newSearch: { enabled: true, owner: "search" },
              darkMode: { enabled: false },
              beta: { owner: "x", enabled: "partial" },
            };
        """,
            "src/app.ts": """
            import { FEATURES } from "./features";

            export function page(): string {
              if (FEATURES.newSearch.enabled) {
                return "new";
              }
              return "old";
            }
        """,
        },
    )
    items = discover(ws)
    st = states(items)
    assert st == {
        "newSearch": {"default": "on"},
        "darkMode": {"default": "off"},
        "beta": {"default": "partial"},
    }
    _, found, plan = run_offline(ws)
    at_ref = [f for f in found if f.path == "src/app.ts" and f.severity.value == "information"]
    assert len(at_ref) == 1
    assert at_ref[0].data.edit.new_text == '  return "new";'


def test_versioned_entries_last_or_highest_version_decides(tmp_path):
    system = SystemSpec.model_validate(
        {
            "name": "releases",
            "files": ["releases.py"],
            "definition": {
                "pattern": '{"name": $KEY, "version": $VERSION, "enabled": $STATE}',
                "version": "VERSION",
                "state": "STATE",
            },
        }
    )
    text = (
        "RELEASES = [\n"
        '    {"name": "search", "version": 1, "enabled": False},\n'
        '    {"name": "search", "version": 3, "enabled": True},\n'
        '    {"name": "search", "version": 2, "enabled": False},\n'
        '    {"name": "cart", "version": 1, "enabled": True},\n'
        '    {"name": "cart", "version": 2, "enabled": False},\n'
        "]\n"
    )
    result = parse_system(system, [("releases.py", text)], "default")
    by_key = {d.key: d for d in result.definitions}
    assert by_key["search"].environments["default"].state == "on"
    assert by_key["search"].line == 2
    assert by_key["search"].entries == [(1, 1), (2, 2), (3, 3)]
    assert by_key["cart"].environments["default"].state == "off"
    assert "the last of 2 entries decides" in by_key["cart"].environments["default"].reason
    first = SystemSpec.model_validate({**system.model_dump(by_alias=True), "order": "first"})
    by_key = {d.key: d for d in parse_system(first, [("releases.py", text)], "default").definitions}
    assert by_key["search"].environments["default"].state == "off"  # the lowest version


def test_go_constants_and_comment_annotations(tmp_path):
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": """
            call_names: [Enabled]
            systems:
              - name: go-consts
                files: ["flags/*.go"]
                definition:
                  pattern: {context: "const $KEY = $STATE", selector: const_spec}
                reference:
                  pattern: flags.$KEY
                  is_check: true
              - name: annotations
                files: ["**/*.py"]
                definition:
                  regex: '#\\s*flag:\\s*(?P<key>[\\w-]+)\\s+rollout=(?P<state>\\d+)%'
        """,
            "flags/flags.go": """
            package flags

            const EnableFoo = true
            const (
            \tEnableBar = false
            )
        """,
            "main.go": """
            package main

            import "example.com/x/flags"

            func main() {
            \tif flags.EnableFoo {
            \t\tprintln("foo")
            \t}
            }
        """,
            "jobs.py": """
            # flag: nightly-export rollout=100%
            # flag: new-indexer rollout=40%
            def run(client):
                if client.Enabled("nightly-export"):
                    export()
        """,
        },
    )
    items = discover(ws)
    assert errors(items) == []
    st = states(items)
    assert st["EnableFoo"] == {"default": "on"} and st["EnableBar"] == {"default": "off"}
    assert st["nightly-export"] == {"default": "on"} and st["new-indexer"] == {"default": "partial"}
    foo_refs = flag_items(items)["EnableFoo"].data["references"]
    assert [(r["path"], r["line"]) for r in foo_refs] == [("main.go", 5)]
    export_refs = flag_items(items)["nightly-export"].data["references"]
    assert [(r["path"], r["line"], r["call"]) for r in export_refs] == [("jobs.py", 3, "Enabled")]


def test_overrides_in_config_and_override_file(tmp_path):
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": """
            overrides:
              remote-flag: "on"
              half-flag: {state: partial, percent: 50, reason: "LaunchDarkly dashboard, 2024-02"}
              checkout: {environments: {production: "off"}}
            override_file: ops/flag-states.json
        """,
            "ops/flag-states.json": json.dumps(
                {"from-file": "off", "broken": {"state": "sideways"}}, indent=2
            ),
            "flags.yaml": "checkout: {enabled: true}\n",
            "app.py": 'if client.is_enabled("remote-flag"):\n    go()\nclient.is_enabled("checkout")\n',
        },
    )
    items = discover(ws)
    flags = flag_items(items)
    assert flags["remote-flag"].data["definitions"][0]["format"] == "override"
    assert flags["remote-flag"].data["definitions"][0]["path"] == ".swath/flags.yaml"
    assert flags["remote-flag"].data["definitions"][0]["line"] == 1
    half = flags["half-flag"].data["definitions"][0]["environments"]["production"]
    assert half["state"] == "partial" and half["percent"] == 50
    checkout = flags["checkout"].data["definitions"][0]
    assert (
        checkout["format"] == "plain" and checkout["environments"]["production"]["state"] == "off"
    )
    assert flags["from-file"].data["definitions"][0]["path"] == "ops/flag-states.json"
    errs = errors(items)
    assert len(errs) == 1 and errs[0]["path"] == "ops/flag-states.json" and errs[0]["line"] == 2


def test_a_system_matching_no_file_is_reported_and_the_rest_still_runs(tmp_path):
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": """
            systems:
              - name: nothing-matches
                files: ["nowhere/*.py"]
                definition: {regex: 'x'}
        """,
            "flags.json": json.dumps({"ok": {"enabled": True}}),
            "a.py": 'client.is_enabled("ok")\n',
        },
    )
    items = discover(ws)
    msgs = [e["message"] for e in errors(items)]
    assert any("nothing-matches" in m and "no file matches" in m for m in msgs)
    assert "ok" in flag_items(items)
