"""The classification table: deciding environment, state, candidate category."""

from __future__ import annotations

from typing import Any

import pytest

from swath.analyzers.flags.classify import category, decide, keep_words
from swath.items.flags import FlagDefinition, FlagItemData


def definition(
    envs: dict[str, dict[str, Any]],
    *,
    kill: bool = False,
    permanent: bool = False,
    fmt: str = "flagd",
    path: str = "f.json",
) -> FlagDefinition:
    return FlagDefinition.model_validate(
        {
            "key": "k",
            "format": fmt,
            "path": path,
            "line": 1,
            "end_line": 3,
            "quote": "k",
            "kill_switch": kill,
            "permanent": permanent,
            "environments": {n: {"env": n, "lines": [1], **st} for n, st in envs.items()},
        }
    )


ON = {"state": "on", "percent": 100, "value": True}
OFF = {"state": "off", "percent": 0, "value": False}
HALF = {"state": "partial", "percent": 50}
UNKNOWN = {"state": "unknown"}


@pytest.mark.parametrize(
    ("envs", "configured", "env", "state"),
    [
        ({"production": ON, "staging": OFF}, None, "production", "on"),  # production decides
        ({"prod": OFF, "staging": ON}, None, "prod", "off"),  # its aliases too
        ({"production": ON, "staging": OFF}, "staging", "staging", "off"),  # a configured one wins
        ({"default": HALF}, "production", "default", "partial"),  # no env: applies everywhere
        ({"staging": ON}, None, "staging", "on"),  # the only environment
        ({"dev": ON, "staging": ON}, None, "dev", "on"),  # all agree
        ({"dev": ON, "staging": OFF}, None, None, "unknown"),  # disagree, none decides
        ({"production": UNKNOWN}, None, "production", "unknown"),
    ],
)
def test_deciding_environment(envs, configured, env, state):
    got = decide([definition(envs)], configured)
    assert (got.environment, got.state) == (env, state)


def test_definitions_that_disagree_are_unknown_and_agreeing_ones_are_noted():
    a = definition({"production": ON}, fmt="flagd")
    b = definition({"production": OFF}, fmt="launchdarkly", path="ld.json")
    got = decide([a, b], None)
    assert got.state == "unknown" and "disagree" in got.reason
    agree = decide([a, definition({"production": ON}, fmt="plain")], None)
    assert agree.state == "on" and any("agree" in n for n in agree.notes)


def flag(defs: list[FlagDefinition] | None, defined: bool = True) -> FlagItemData:
    return FlagItemData(key="k", defined=defined, definitions=defs or [])


@pytest.mark.parametrize(
    ("state", "kill", "permanent", "refs", "expected"),
    [
        ("on", False, False, 3, ("fully-on", None)),
        ("off", False, False, 1, ("fully-off", None)),
        ("on", False, False, 0, ("unreferenced", None)),
        ("partial", False, False, 0, ("unreferenced", None)),
        ("partial", False, False, 2, (None, "partially rolled out")),
        ("unknown", False, False, 2, (None, "state unknown")),
        ("off", True, False, 2, (None, "kill switch: kept on purpose, whatever its state")),
        ("on", False, True, 2, (None, "permanent flag type")),
        ("on", True, True, 0, (None, "kill switch: kept on purpose, whatever its state")),
    ],
)
def test_candidate_table(state, kill, permanent, refs, expected):
    d = definition({"production": {"state": state}}, kill=kill, permanent=permanent)
    assert category(flag([d]), state, refs) == expected


def test_undefined_flags():
    assert category(flag(None, defined=False), "unknown", 2) == ("undefined", None)
    assert category(flag(None, defined=False), "unknown", 0) == (
        None,
        "neither defined nor referenced",
    )


def test_which_branch_to_keep():
    assert "always true" in keep_words("fully-on", True, False)
    assert "always false" in keep_words("fully-off", False, False)
    assert "default" in keep_words("fully-off", None, True)
    assert "'v2'" in keep_words("fully-on", "v2", False)
    assert keep_words(None, True, False) is None
