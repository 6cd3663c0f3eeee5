"""Small rules every definition format shares."""

from __future__ import annotations

import re
from typing import Any

from swath.items.flags import EnvState, FlagState, ValueType
from swath.items.flags import camel_case as camel_case
from swath.items.flags import spell_key as spell_key

# Re-exported for the parsers.
from swath.workspace.languages import language_of as language_of

# Names teams give kill switches when the flag system has no type for them.
_KILL_SWITCH_NAME = re.compile(
    r"(^|[^a-z])(kill[-_ .]?switch|killswitch|circuit[-_ .]?breaker|panic)([^a-z]|$)", re.IGNORECASE
)
_KILL_SWITCH_TAGS = {
    "kill-switch",
    "killswitch",
    "kill_switch",
    "circuit-breaker",
    "ops-kill-switch",
}
_PERMANENT_TAGS = {"permanent", "ops", "operational", "permission", "entitlement"}
# Served values that mean "the feature is off" for non-boolean flags.
_FALSY_STRINGS = {"", "off", "false", "disabled", "control", "none", "no", "0", "legacy", "old"}

ENV_ALIASES = {
    "production": "production",
    "prod": "production",
    "prd": "production",
    "live": "production",
    "staging": "staging",
    "stage": "staging",
    "stg": "staging",
    "preprod": "staging",
    "development": "development",
    "dev": "development",
    "qa": "qa",
}


def looks_like_kill_switch(key: str, tags: list[str] | None = None, kind: str = "") -> bool:
    if kind.lower().replace("_", "-") in {"kill-switch", "killswitch"}:
        return True
    if tags and _KILL_SWITCH_TAGS & {t.lower() for t in tags}:
        return True
    return bool(_KILL_SWITCH_NAME.search(key))


def looks_permanent(tags: list[str] | None = None, kind: str = "") -> bool:
    if kind.lower() in {"permanent", "permission", "kill-switch", "operational-permanent"}:
        return True
    return bool(tags and _PERMANENT_TAGS & {t.lower() for t in tags})


def value_type(values: list[Any]) -> ValueType:
    kinds: set[ValueType] = set()
    for v in values:
        if isinstance(v, bool):
            kinds.add("boolean")
        elif isinstance(v, (int, float)):
            kinds.add("number")
        elif isinstance(v, str):
            kinds.add("string")
        elif isinstance(v, (dict, list)):
            kinds.add("object")
    return kinds.pop() if len(kinds) == 1 else "unknown"


def truthy(value: Any) -> bool:
    """Does serving `value` mean the feature is on? Booleans say so; others by convention."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() not in _FALSY_STRINGS
    return bool(value)


def single_value_state(env: str, value: Any, reason: str, lines: list[int]) -> EnvState:
    """Everybody gets `value`."""
    on = truthy(value)
    return EnvState(
        env=env,
        state="on" if on else "off",
        percent=100.0 if on else 0.0,
        value=value,
        reason=reason,
        lines=sorted(set(lines)),
    )


def weighted_state(env: str, served: dict[Any, float], reason: str, lines: list[int]) -> EnvState:
    """`served` maps each value (hashable repr) to its share; one value left means on/off."""
    live = {v: w for v, w in served.items() if w > 0}
    if not live:
        return EnvState(
            env=env, state="unknown", reason=reason + "; nothing is served", lines=lines
        )
    if len(live) == 1:
        (value,) = live
        return single_value_state(env, _unhash(value), reason, lines)
    total = sum(live.values())
    on_share = sum(w for v, w in live.items() if truthy(_unhash(v)))
    percent = round(100.0 * on_share / total, 3)
    state: FlagState = "partial"
    if percent == 100.0 and len({truthy(_unhash(v)) for v in live}) == 1:
        state = "on"
    return EnvState(env=env, state=state, percent=percent, reason=reason, lines=sorted(set(lines)))


def hashable(value: Any) -> Any:
    """Values as dict keys: JSON objects become their canonical text."""
    if isinstance(value, (dict, list)):
        import json

        return ("__json__", json.dumps(value, sort_keys=True))
    return value


def _unhash(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "__json__":
        import json

        return json.loads(value[1])
    return value


def env_from_path(path: str) -> str | None:
    """`deploy/prod/flags.json` or `flags.production.flagd.json` name their environment."""
    for part in re.split(r"[/._-]", path.lower()):
        if part in ENV_ALIASES:
            return ENV_ALIASES[part]
    return None


def percent_value(raw: Any) -> float | None:
    """0-100 from a number or a numeric string ("25", "25%"); None when it is neither."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str):
        text = raw.strip().rstrip("%").strip()
        try:
            return float(text)
        except ValueError:
            return None
    return None


def state_from_percent(env: str, percent: float, reason: str, lines: list[int]) -> EnvState:
    if percent >= 100:
        return EnvState(env=env, state="on", percent=100.0, value=True, reason=reason, lines=lines)
    if percent <= 0:
        return EnvState(env=env, state="off", percent=0.0, value=False, reason=reason, lines=lines)
    return EnvState(env=env, state="partial", percent=percent, reason=reason, lines=lines)
