"""Each definition format, valid and malformed: states per environment, lines, clear errors."""

from __future__ import annotations

import json

import pytest

from swath.sources.flagdefs.formats import flagd, launchdarkly, plainmap, unleash
from swath.sources.flagdefs.catalogue import parse_file
from swath.sources.flagdefs.config import load_config
from swath.sources.flagdefs.structured import DocumentError, load_json, load_yaml

from .conftest import discover, errors, flag_items, make_repo


def defs_by_key(result):
    return {d.key: d for d in result.definitions}


# -- structured documents -----------------------------------------------------------------
def test_json_positions_follow_keys_and_array_items():
    doc = load_json(
        '{\n  "flags": {\n    "a": {\n      "state": "ENABLED"\n    }\n  },\n  "xs": [\n    1,\n    {"k": 2}\n  ]\n}'
    )
    assert doc.line_of(("flags", "a")) == 2
    assert doc.line_of(("flags", "a", "state")) == 3
    assert doc.end_line_of(("flags", "a")) == 4
    assert doc.line_of(("xs", 1, "k")) == 8
    assert doc.line_of(("flags", "a", "missing")) == 2  # falls back to the nearest ancestor


def test_json_and_yaml_errors_carry_the_line():
    with pytest.raises(DocumentError) as exc:
        load_json('{\n  "a": 1,\n  "b": \n}')
    assert exc.value.line == 3 and "invalid JSON" in str(exc.value)
    with pytest.raises(DocumentError) as exc:
        load_yaml("a: 1\nb: [1, 2\nc: 3\n")
    assert exc.value.line == 2 and "invalid YAML" in str(exc.value)


# -- flagd --------------------------------------------------------------------------------
FLAGD = json.dumps(
    {
        "$schema": "https://flagd.dev/schema/v0/flags.json",
        "flags": {
            "on_flag": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "on",
            },
            "off_flag": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
            },
            "disabled": {
                "state": "DISABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "on",
            },
            "split": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
                "targeting": {"fractional": [{"var": "targetingKey"}, ["on", 25], ["off", 75]]},
            },
            "all_in": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
                "targeting": {"fractional": [["on", 100], ["off", 0]]},
            },
            "rule": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
                "targeting": {"if": [{"in": ["@corp.com", {"var": "email"}]}, "on", None]},
            },
            "rule_same": {
                "state": "ENABLED",
                "variants": {"a": "blue", "b": "blue"},
                "defaultVariant": "a",
                "targeting": {"if": [{"==": [1, 1]}, "b", "a"]},
            },
            "ref": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
                "targeting": {"$ref": "everyone"},
            },
            "computed": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
                "targeting": {"var": "variant"},
            },
            "color": {
                "state": "ENABLED",
                "variants": {"red": "red", "green": "green"},
                "defaultVariant": "green",
                "metadata": {"type": "kill-switch"},
            },
        },
        "$evaluators": {"everyone": "on"},
    },
    indent=2,
)


def test_flagd_states():
    defs = defs_by_key(flagd.parse(load_json(FLAGD), "flags.flagd.json", "default"))
    st = {k: d.environments["default"] for k, d in defs.items()}
    assert (st["on_flag"].state, st["on_flag"].value, st["on_flag"].percent) == ("on", True, 100.0)
    assert (st["off_flag"].state, st["off_flag"].value) == ("off", False)
    assert st["disabled"].state == "off" and st["disabled"].code_default
    assert (st["split"].state, st["split"].percent) == ("partial", 25.0)
    assert st["all_in"].state == "on"
    assert st["rule"].state == "partial" and st["rule"].percent is None
    assert st["rule_same"].state == "on" and st["rule_same"].value == "blue"
    assert st["ref"].state == "on"
    assert st["computed"].state == "unknown"
    assert defs["color"].kill_switch and defs["color"].permanent
    assert defs["on_flag"].line == 3 and defs["on_flag"].quote == '"on_flag": {'
    assert defs["on_flag"].end_line == 10


def test_flagd_malformed_flag_is_an_error_with_its_line_and_the_rest_goes_on():
    text = json.dumps(
        {
            "flags": {
                "good": {"state": "ENABLED", "variants": {"on": True}, "defaultVariant": "on"},
                "bad_state": {"state": "MAYBE", "variants": {"on": True}, "defaultVariant": "on"},
                "bad_default": {
                    "state": "ENABLED",
                    "variants": {"on": True},
                    "defaultVariant": "nope",
                },
                "no_variants": {"state": "ENABLED", "defaultVariant": "on"},
            }
        },
        indent=2,
    )
    result = flagd.parse(load_json(text), "f.flagd.json", "default")
    assert [d.key for d in result.definitions] == ["good"]
    by_msg = {e.message.split(":")[0]: e for e in result.errors}
    assert set(by_msg) == {"flag 'bad_state'", "flag 'bad_default'", "flag 'no_variants'"}
    lines = text.splitlines()
    assert '"MAYBE"' in lines[by_msg["flag 'bad_state'"].line]
    assert '"nope"' in lines[by_msg["flag 'bad_default'"].line]
    assert "ENABLED or DISABLED" in by_msg["flag 'bad_state'"].message


def test_flagd_syntax_error_names_file_and_line(tmp_path):
    ws = make_repo(
        tmp_path,
        {
            "flags.flagd.json": '{\n  "flags": {\n    "a": {"state": "ENABLED",}\n  }\n}\n',
            "app.py": "x = 1\n",
        },
    )
    errs = errors(discover(ws))
    assert len(errs) == 1
    assert errs[0]["path"] == "flags.flagd.json" and errs[0]["line"] == 2
    assert "invalid JSON" in errs[0]["message"]


# -- LaunchDarkly -------------------------------------------------------------------------
def ld_flag(key, envs, variations=(True, False), **extra):
    return {
        "key": key,
        "kind": "boolean",
        "temporary": True,
        "variations": [{"value": v} for v in variations],
        "environments": envs,
        **extra,
    }


def ld_env(on=True, off=1, fallthrough=None, targets=(), rules=()):
    return {
        "on": on,
        "offVariation": off,
        "fallthrough": fallthrough or {"variation": 0},
        "targets": list(targets),
        "rules": list(rules),
    }


LD = json.dumps(
    {
        "items": [
            ld_flag("full-on", {"production": ld_env(), "staging": ld_env(on=False)}),
            ld_flag("turned-off", {"production": ld_env(on=False)}),
            ld_flag(
                "rollout",
                {
                    "production": ld_env(
                        fallthrough={
                            "rollout": {
                                "variations": [
                                    {"variation": 0, "weight": 40000},
                                    {"variation": 1, "weight": 60000},
                                ]
                            }
                        }
                    )
                },
            ),
            ld_flag(
                "rollout-all",
                {
                    "production": ld_env(
                        fallthrough={
                            "rollout": {
                                "variations": [
                                    {"variation": 0, "weight": 100000},
                                    {"variation": 1, "weight": 0},
                                ]
                            }
                        }
                    )
                },
            ),
            ld_flag(
                "targeted",
                {
                    "production": ld_env(
                        fallthrough={"variation": 1},
                        targets=[{"values": ["user-1"], "variation": 0}],
                    )
                },
            ),
            ld_flag("rule-same", {"production": ld_env(rules=[{"clauses": [], "variation": 0}])}),
            ld_flag(
                "no-off-variation",
                {
                    "production": {
                        "on": False,
                        "offVariation": None,
                        "fallthrough": {"variation": 0},
                    }
                },
            ),
            ld_flag(
                "maintenance",
                {"production": ld_env(on=False)},
                temporary=False,
                tags=["kill-switch"],
            ),
            ld_flag(
                "theme", {"production": ld_env()}, variations=("dark", "light"), kind="multivariate"
            ),
        ]
    },
    indent=2,
)


def test_launchdarkly_states_per_environment():
    defs = defs_by_key(launchdarkly.parse(load_json(LD), "ld.json", "default"))
    prod = {k: d.environments["production"] for k, d in defs.items()}
    assert prod["full-on"].state == "on" and defs["full-on"].environments["staging"].state == "off"
    assert prod["turned-off"].state == "off" and prod["turned-off"].value is False
    assert (prod["rollout"].state, prod["rollout"].percent) == ("partial", 40.0)
    assert prod["rollout-all"].state == "on"
    assert prod["targeted"].state == "partial"
    assert prod["rule-same"].state == "on"
    assert prod["no-off-variation"].state == "off" and prod["no-off-variation"].code_default
    assert defs["maintenance"].kill_switch and defs["maintenance"].permanent
    assert prod["theme"].state == "on" and prod["theme"].value == "dark"
    assert defs["full-on"].quote == '"key": "full-on",'


def test_launchdarkly_sdk_data_file_shape():
    text = json.dumps(
        {
            "flags": {
                "beta": {
                    "key": "beta",
                    "on": True,
                    "variations": [True, False] and [{"value": True}, {"value": False}],
                    "fallthrough": {"variation": 1},
                    "offVariation": 1,
                }
            },
            "segments": {},
        },
        indent=2,
    )
    d = defs_by_key(launchdarkly.parse(load_json(text), "ld/production.json", "production"))["beta"]
    assert d.environments["production"].state == "off"


def test_launchdarkly_malformed():
    text = json.dumps(
        {
            "items": [
                ld_flag("ok", {"production": ld_env()}),
                ld_flag("bad-index", {"production": ld_env(fallthrough={"variation": 7})}),
                ld_flag(
                    "bad-weight",
                    {
                        "production": ld_env(
                            fallthrough={
                                "rollout": {"variations": [{"variation": 0, "weight": 250000}]}
                            }
                        )
                    },
                ),
                {"key": "no-variations", "environments": {}, "variations": []},
            ]
        },
        indent=2,
    )
    result = launchdarkly.parse(load_json(text), "ld.json", "default")
    assert [d.key for d in result.definitions] == ["ok"]
    msgs = " | ".join(e.message for e in result.errors)
    assert "variation index 7 is out of range" in msgs
    assert "rollout weight 250000" in msgs
    assert "`variations` must be a non-empty list" in msgs
    assert all(e.line > 0 for e in result.errors)


# -- Unleash ------------------------------------------------------------------------------
UNLEASH_BATCH = json.dumps(
    {
        "features": [
            {"name": "everyone", "type": "release", "project": "default"},
            {"name": "half", "type": "experiment", "project": "default"},
            {"name": "nobody", "type": "release", "project": "default"},
            {"name": "some-users", "type": "release", "project": "default"},
            {"name": "panic-button", "type": "kill-switch", "project": "default"},
            {"name": "zero", "type": "release", "project": "default"},
        ],
        "featureStrategies": [
            {
                "featureName": "everyone",
                "environment": "production",
                "name": "flexibleRollout",
                "parameters": {"rollout": "100", "stickiness": "default", "groupId": "everyone"},
                "constraints": [],
            },
            {
                "featureName": "half",
                "environment": "production",
                "name": "flexibleRollout",
                "parameters": {"rollout": "50"},
                "constraints": [],
            },
            {
                "featureName": "some-users",
                "environment": "production",
                "name": "userWithId",
                "parameters": {"userIds": "1,2"},
            },
            {
                "featureName": "zero",
                "environment": "production",
                "name": "gradualRolloutRandom",
                "parameters": {"percentage": 0},
            },
        ],
        "featureEnvironments": [
            {"featureName": "everyone", "environment": "production", "enabled": True},
            {"featureName": "everyone", "environment": "development", "enabled": False},
            {"featureName": "half", "environment": "production", "enabled": True},
            {"featureName": "nobody", "environment": "production", "enabled": False},
            {"featureName": "some-users", "environment": "production", "enabled": True},
            {"featureName": "panic-button", "environment": "production", "enabled": False},
            {"featureName": "zero", "environment": "production", "enabled": True},
        ],
    },
    indent=2,
)


def test_unleash_batch_export():
    data = load_json(UNLEASH_BATCH)
    assert unleash.looks_like(data.data)
    defs = defs_by_key(unleash.parse(data, "unleash.json", "default"))
    prod = {k: d.environments["production"] for k, d in defs.items()}
    assert (
        prod["everyone"].state == "on"
        and defs["everyone"].environments["development"].state == "off"
    )
    assert (prod["half"].state, prod["half"].percent) == ("partial", 50.0)
    assert prod["nobody"].state == "off"
    assert prod["some-users"].state == "partial"
    assert prod["zero"].state == "off"
    assert defs["panic-button"].kill_switch and defs["panic-button"].permanent


def test_unleash_state_export_and_client_shape():
    state = json.dumps(
        {
            "version": 1,
            "features": [
                {
                    "name": "a",
                    "type": "release",
                    "environments": [
                        {
                            "name": "production",
                            "enabled": True,
                            "strategies": [{"name": "default"}],
                        },
                        {
                            "name": "staging",
                            "enabled": True,
                            "strategies": [
                                {"name": "flexibleRollout", "parameters": {"rollout": 10}}
                            ],
                        },
                    ],
                }
            ],
        },
        indent=2,
    )
    d = defs_by_key(unleash.parse(load_json(state), "u.json", "default"))["a"]
    assert d.environments["production"].state == "on" and d.environments["staging"].percent == 10
    client = json.dumps(
        {
            "version": 2,
            "features": [
                {"name": "b", "enabled": True, "strategies": []},
                {"name": "c", "enabled": False, "strategies": []},
            ],
        },
        indent=2,
    )
    defs = defs_by_key(unleash.parse(load_json(client), "u.json", "production"))
    assert defs["b"].environments["production"].state == "on"
    assert defs["c"].environments["production"].state == "off"


def test_unleash_malformed():
    text = json.dumps(
        {
            "version": 1,
            "features": [
                {"name": "ok", "enabled": True, "strategies": []},
                {"name": "bad", "enabled": "yes", "strategies": []},
                {
                    "name": "bad-rollout",
                    "enabled": True,
                    "strategies": [{"name": "flexibleRollout", "parameters": {"rollout": "lots"}}],
                },
                {"enabled": True},
            ],
        },
        indent=2,
    )
    result = unleash.parse(load_json(text), "u.json", "default")
    assert [d.key for d in result.definitions] == ["ok"]
    msgs = " | ".join(e.message for e in result.errors)
    assert "`enabled` must be true or false" in msgs and "'lots' is not a percentage" in msgs
    assert "without a string `name`" in msgs


# -- plain maps ---------------------------------------------------------------------------
PLAIN = """\
flags:
  checkout: {enabled: true, rollout: 100}
  banner: false
  search:
    enabled: true
    rollout: 30
  pricing:
    enabled: false
    rollout: 100
  bare_on: true
  per_env:
    enabled: true
    environments:
      production: {rollout: 0}
      staging: true
  ops_kill_switch: {enabled: true}
"""


def test_plain_map_states():
    doc = load_yaml(PLAIN)
    assert plainmap.looks_like(doc.data)
    defs = defs_by_key(plainmap.parse(doc, "flags.yaml", "default"))
    st = {k: d.environments for k, d in defs.items()}
    assert st["checkout"]["default"].state == "on"
    assert st["banner"]["default"].state == "off"
    assert (st["search"]["default"].state, st["search"]["default"].percent) == ("partial", 30.0)
    assert st["pricing"]["default"].state == "off"  # enabled: false wins over the rollout
    assert st["bare_on"]["default"].state == "on"
    assert st["per_env"]["production"].state == "off" and st["per_env"]["staging"].state == "on"
    assert defs["ops_kill_switch"].kill_switch
    assert defs["search"].line == 3 and defs["search"].end_line == 5


def test_plain_map_json_and_malformed_entries():
    text = json.dumps(
        {
            "a": {"enabled": True, "rollout": 150},
            "b": {"enabled": "sometimes"},
            "c": {"rollout": 0},
        },
        indent=2,
    )
    result = plainmap.parse(load_json(text), "flags.json", "default")
    assert [d.key for d in result.definitions] == ["c"]
    msgs = {e.message for e in result.errors}
    assert any("`rollout` must be a number 0-100, got 150" in m for m in msgs)
    assert any("`enabled` must be true or false" in m for m in msgs)
    lines = text.splitlines()
    assert all("rollout" in lines[e.line] or "enabled" in lines[e.line] for e in result.errors)


# -- detection and the catalogue ------------------------------------------------------------
def test_formats_are_told_apart_by_content():
    assert parse_file("x.json", FLAGD, "default", True).definitions[0].format == "flagd"
    assert parse_file("x.json", LD, "default", True).definitions[0].format == "launchdarkly"
    assert parse_file("x.json", UNLEASH_BATCH, "default", True).definitions[0].format == "unleash"
    assert parse_file("flags.yaml", PLAIN, "default", True).definitions[0].format == "plain"


def test_unrecognised_flag_file_is_an_error_and_sniffed_json_is_not(tmp_path):
    ws = make_repo(
        tmp_path,
        {
            "config/flags.json": json.dumps({"some": ["other", "tool"]}),
            "exports/ld-prod.json": LD,  # no flag-ish name: found by its shape
            "data/fixture.json": json.dumps({"variations": 1}),
        },
    )
    items = discover(ws)
    errs = errors(items)
    assert len(errs) == 1 and errs[0]["path"] == "config/flags.json"
    assert "files.exclude" in errs[0]["message"]
    assert "full-on" in flag_items(items)


def test_environment_from_path_and_config(tmp_path):
    on = json.dumps(
        {
            "flags": {
                "f": {
                    "state": "ENABLED",
                    "variants": {"on": True, "off": False},
                    "defaultVariant": "on",
                }
            }
        }
    )
    off = json.dumps(
        {
            "flags": {
                "f": {
                    "state": "ENABLED",
                    "variants": {"on": True, "off": False},
                    "defaultVariant": "off",
                }
            }
        }
    )
    ws = make_repo(
        tmp_path,
        {
            "deploy/prod/flags.flagd.json": on,
            "deploy/dev/flags.flagd.json": off,
            "app.py": 'client.get_boolean_value("f", False)\n',
        },
    )
    item = flag_items(discover(ws))["f"]
    envs = {e for d in item.data["definitions"] for e in d["environments"]}
    assert envs == {"production", "development"}


def test_config_errors_have_lines_and_keep_the_rest():
    text = "environment: production\nsystems:\n  - name: x\n    files: [a.py]\n    definitoin: {regex: 'x'}\n"
    cfg, errs = load_config(text, ".swath/flags.yaml", {})
    assert cfg.environment == "production"
    assert errs and errs[0].line in (2, 4) and "definitoin" in errs[0].message
