"""Which environment decides, what state it is in, and whether the flag can go.

The classification table (tests/flags/test_classify.py holds it row by row):

| decisive state | kill switch / permanent | references | category                           |
| -------------- | ----------------------- | ---------- | ---------------------------------- |
| on             | no                      | any        | fully-on                           |
| off            | no                      | any        | fully-off                          |
| any            | no                      | none       | unreferenced (wins over on/off)    |
| partial/unknown| no                      | some       | not a candidate                    |
| any            | yes                     | any        | not a candidate                    |
| (undefined)    | —                       | some       | undefined                          |
"""

from __future__ import annotations

from dataclasses import dataclass

from swath.analyzers.flags.facts import Category
from swath.items.flags import EnvState, FlagDefinition, FlagItemData, FlagState

PRODUCTION = ("production", "prod", "prd", "live")


@dataclass
class Decision:
    environment: str | None
    state: FlagState
    percent: float | None
    value: object
    code_default: bool
    reason: str
    lines: list[tuple[str, int]]  # (path, line) that carry the state
    notes: list[str]


def _env_matches(name: str, wanted: str) -> bool:
    n, w = name.lower(), wanted.lower()
    if n == w:
        return True
    return n in PRODUCTION and w in PRODUCTION


def decide(defs: list[FlagDefinition], configured: str | None) -> Decision:
    """The state of the decisive environment across all definitions of one key."""
    envs: dict[str, list[tuple[FlagDefinition, EnvState]]] = {}
    for d in defs:
        for name, st in d.environments.items():
            envs.setdefault(name, []).append((d, st))
    if not envs:
        return Decision(None, "unknown", None, None, False, "no state in any definition", [], [])
    wanted = configured or "production"
    chosen = [n for n in envs if _env_matches(n, wanted)]
    notes: list[str] = []
    if not chosen:
        # "default": a file that names no environment serves every environment.
        chosen = [n for n in envs if n == "default"]
    if not chosen and configured is None and len(envs) == 1:
        chosen = list(envs)
    if not chosen:
        states = {st.state for pairs in envs.values() for _, st in pairs}
        if len(states) == 1 and len(envs) > 1:
            chosen = sorted(envs)
            notes.append(f"no {wanted!r} environment; all of {', '.join(sorted(envs))} agree")
        else:
            return Decision(
                None,
                "unknown",
                None,
                None,
                False,
                f"no {wanted!r} environment and the others ({', '.join(sorted(envs))}) disagree",
                [],
                [f"set `environment` in .swath/flags.yaml to one of {', '.join(sorted(envs))}"],
            )
    pairs = [p for n in chosen for p in envs[n]]
    env_name = chosen[0]
    states = {st.state for _, st in pairs}
    # The state's own file: an override file's line is not a line of the definition.
    lines = [(st.path or d.path, ln) for d, st in pairs for ln in st.lines]
    if len(states) > 1:
        where = "; ".join(f"{d.format} {d.path}:{d.line + 1} says {st.state}" for d, st in pairs)
        return Decision(
            env_name,
            "unknown",
            None,
            None,
            False,
            f"definitions disagree: {where}",
            lines,
            ["definitions disagree about the state"],
        )
    d0, st0 = pairs[0]
    if len(pairs) > 1:
        notes.append(
            f"defined {len(pairs)} times ({', '.join(sorted({d.format for d, _ in pairs}))}); they agree"
        )
    return Decision(
        env_name, st0.state, st0.percent, st0.value, st0.code_default, st0.reason, lines, notes
    )


def category(
    flag: FlagItemData, state: FlagState, ref_count: int
) -> tuple[Category | None, str | None]:
    """(category when the flag is a removal candidate, else why not)."""
    if not flag.defined:
        return ("undefined", None) if ref_count else (None, "neither defined nor referenced")
    kill = any(d.kill_switch for d in flag.definitions)
    permanent = any(d.permanent for d in flag.definitions)
    if kill:
        return None, "kill switch: kept on purpose, whatever its state"
    if permanent:
        return None, "permanent flag type"
    if ref_count == 0:
        return "unreferenced", None
    if state == "on":
        return "fully-on", None
    if state == "off":
        return "fully-off", None
    if state == "partial":
        return None, "partially rolled out"
    return None, "state unknown"


def keep_words(cat: Category | None, value: object, code_default: bool) -> str | None:
    if cat == "fully-on":
        if isinstance(value, bool) or value is None:
            return "the enabled branch: the check is always true"
        return f"the code for value {value!r}: every evaluation returns it"
    if cat == "fully-off":
        if code_default:
            return "the branch the call site's default value selects: the SDK always returns that default"
        if isinstance(value, bool) or value is None:
            return "the fallback (disabled) branch: the check is always false"
        return f"the code for value {value!r}: every evaluation returns it"
    if cat == "undefined":
        return (
            "the branch the call's default value selects: an undefined flag always evaluates to it"
        )
    return None


def state_words(state: FlagState, percent: float | None) -> str:
    if state == "on":
        return "100% on"
    if state == "off":
        return "off (0%)"
    if state == "partial":
        return f"{percent:g}% partial" if percent is not None else "partial"
    return "unknown state"
