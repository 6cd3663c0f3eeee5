"""LaunchDarkly flags as the REST API exports them.

Accepted shapes: `GET /api/v2/flags/{project}` (`{"items": [flag, …]}`), one flag
(`GET /api/v2/flags/{project}/{key}`), a list of flags, and the per-environment data
file of the SDKs / Relay (`{"flags": {key: flag}}`, where a flag carries `on`,
`fallthrough`… itself instead of under `environments`).

Per environment: when `on` is false everybody gets `offVariation`; otherwise the
fallthrough (one variation or a rollout in thousandths of a percent), individual
targets and rules decide. Targets and rules only matter when they serve something the
fallthrough does not.
"""

from __future__ import annotations

from typing import Any, Final

from swath.items.flags import DefinitionError, EnvState, FlagDefinition, ParseResult
from swath.sources.flagdefs.common import (
    hashable,
    looks_like_kill_switch,
    looks_permanent,
    single_value_state,
    value_type,
    weighted_state,
)
from swath.sources.flagdefs.formats import FileFormat, register, sdk_names
from swath.sources.flagdefs.structured import Document

FORMAT: Final = "launchdarkly"
WEIGHT_SCALE = 100_000  # rollout weights are thousandths of a percent


class _FlagError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _is_flag(obj: Any) -> bool:
    return isinstance(obj, dict) and "key" in obj and "variations" in obj


def looks_like(data: Any) -> bool:
    if _is_flag(data):
        return True
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return any(_is_flag(f) for f in data["items"])
    if isinstance(data, list):
        return any(_is_flag(f) for f in data)
    if isinstance(data, dict) and isinstance(data.get("flags"), dict):
        return any(_is_flag(f) and "fallthrough" in f for f in data["flags"].values())
    return False


def parse(doc: Document, path: str, env: str) -> ParseResult:
    out = ParseResult()
    data = doc.data
    entries: list[tuple[tuple[Any, ...], Any]]
    if _is_flag(data):
        entries = [((), data)]
    elif isinstance(data, dict) and isinstance(data.get("items"), list):
        entries = [(("items", i), f) for i, f in enumerate(data["items"])]
    elif isinstance(data, list):
        entries = [((i,), f) for i, f in enumerate(data)]
    elif isinstance(data, dict) and isinstance(data.get("flags"), dict):
        entries = [(("flags", k), f) for k, f in data["flags"].items()]
    else:
        out.errors.append(
            DefinitionError(
                path=path, line=0, format=FORMAT, message="not a LaunchDarkly flag export"
            )
        )
        return out
    for where, flag in entries:
        try:
            out.definitions.append(_definition(doc, path, env, where, flag))
        except _FlagError as exc:
            label = flag.get("key") if isinstance(flag, dict) else where[-1]
            out.errors.append(
                DefinitionError(
                    path=path, line=exc.line, format=FORMAT, message=f"flag {label!r}: {exc}"
                )
            )
    return out


def _definition(
    doc: Document, path: str, default_env: str, where: tuple[Any, ...], flag: Any
) -> FlagDefinition:
    line = doc.line_of(where)
    if not isinstance(flag, dict):
        raise _FlagError("expected a flag object", line)
    key = flag.get("key")
    if not isinstance(key, str) or not key:
        raise _FlagError("flag without a string `key`", line)
    key_line = doc.line_of((*where, "key"))
    variations = flag.get("variations")
    if (
        not isinstance(variations, list)
        or not variations
        or not all(isinstance(v, dict) and "value" in v for v in variations)
    ):
        raise _FlagError(
            "`variations` must be a non-empty list of {value: …}",
            doc.line_of((*where, "variations")),
        )
    values = [v["value"] for v in variations]
    tags = [str(t) for t in flag.get("tags", []) if isinstance(t, (str, int))]
    kind = str(flag.get("kind", ""))
    purpose = str(flag.get("_purpose", "") or flag.get("purpose", ""))
    kill = looks_like_kill_switch(key, tags, purpose)
    permanent = flag.get("temporary") is False or looks_permanent(tags, purpose) or kill
    envs: dict[str, EnvState] = {}
    notes: list[str] = []
    if isinstance(flag.get("environments"), dict):
        for env_name, env_data in flag["environments"].items():
            envs[str(env_name)] = _env_state(
                doc, (*where, "environments", env_name), str(env_name), env_data, values
            )
    elif "on" in flag or "fallthrough" in flag:
        envs[default_env] = _env_state(doc, where, default_env, flag, values)
    else:
        raise _FlagError(
            "no `environments` and no targeting of its own (`on`, `fallthrough`)", line
        )
    if flag.get("archived"):
        notes.append("archived in LaunchDarkly: SDKs get the code default")
    prereqs = []
    for env_data in (flag.get("environments") or {"": flag}).values():
        if isinstance(env_data, dict):
            prereqs += [
                p.get("key") for p in env_data.get("prerequisites") or [] if isinstance(p, dict)
            ]
    return FlagDefinition(
        key=key,
        format=FORMAT,
        path=path,
        line=key_line,
        end_line=doc.end_line_of(where),
        quote=doc.quote(key_line),
        name=str(flag.get("name", "")),
        description=str(flag.get("description", "") or ""),
        kind=purpose
        or ("temporary" if flag.get("temporary") else ("permanent" if permanent else kind)),
        kill_switch=kill,
        permanent=permanent,
        value_type=value_type(values),
        variants={str(v.get("name") or i): v["value"] for i, v in enumerate(variations)},
        environments=envs,
        tags=tags,
        depends_on=sorted({str(p) for p in prereqs if p}),
        notes=notes,
    )


def _variation(values: list[Any], index: Any, line: int) -> Any:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(values):
        raise _FlagError(f"variation index {index!r} is out of range (0..{len(values) - 1})", line)
    return values[index]


def _served_by(node: Any, values: list[Any], line: int) -> dict[Any, float]:
    """What a fallthrough / rule serves: {value: share of 100}."""
    if not isinstance(node, dict):
        raise _FlagError("expected {variation} or {rollout}", line)
    if node.get("variation") is not None:
        return {hashable(_variation(values, node["variation"], line)): 100.0}
    rollout = node.get("rollout")
    if isinstance(rollout, dict) and isinstance(rollout.get("variations"), list):
        served: dict[Any, float] = {}
        for wv in rollout["variations"]:
            value = hashable(_variation(values, wv.get("variation"), line))
            weight = wv.get("weight", 0)
            if not isinstance(weight, (int, float)) or not 0 <= weight <= WEIGHT_SCALE:
                raise _FlagError(f"rollout weight {weight!r} is not within 0..{WEIGHT_SCALE}", line)
            served[value] = served.get(value, 0.0) + 100.0 * weight / WEIGHT_SCALE
        return served
    raise _FlagError("neither `variation` nor `rollout.variations`", line)


def _env_state(
    doc: Document, where: tuple[Any, ...], env: str, data: Any, values: list[Any]
) -> EnvState:
    line = doc.line_of(where)
    if not isinstance(data, dict):
        raise _FlagError(f"environment {env!r}: expected an object", line)
    on = data.get("on")
    if not isinstance(on, bool):
        raise _FlagError(
            f"environment {env!r}: `on` must be true or false", doc.line_of((*where, "on"))
        )
    on_line = doc.line_of((*where, "on"))
    if not on:
        off = data.get("offVariation")
        if off is None:
            return EnvState(
                env=env,
                state="off",
                percent=0.0,
                code_default=True,
                lines=[on_line],
                reason="targeting off and no offVariation: SDKs return the code default",
            )
        value = _variation(values, off, doc.line_of((*where, "offVariation")))
        return single_value_state(
            env,
            value,
            f"targeting off: everybody gets offVariation {off} ({value!r})",
            [on_line, doc.line_of((*where, "offVariation"))],
        )
    ft_line = doc.line_of((*where, "fallthrough"))
    served = _served_by(data.get("fallthrough"), values, ft_line)
    lines = [on_line, ft_line]
    conditional: dict[Any, float] = {}
    for i, target in enumerate(data.get("targets") or []):
        if isinstance(target, dict) and target.get("values"):
            t_line = doc.line_of((*where, "targets", i))
            conditional[hashable(_variation(values, target.get("variation"), t_line))] = 1.0
            lines.append(t_line)
    for i, rule in enumerate(data.get("rules") or []):
        r_line = doc.line_of((*where, "rules", i))
        for v, w in _served_by(rule, values, r_line).items():
            if w > 0:
                conditional[v] = 1.0
        lines.append(r_line)
    reason = "targeting on: fallthrough " + ", ".join(
        f"{_fmt(v)} {w:g}%" for v, w in served.items() if w > 0
    )
    extra = {v for v in conditional if served.get(v, 0) <= 0}
    if extra:
        # Who matches a rule depends on the user: a share cannot be given.
        return EnvState(
            env=env,
            state="partial",
            percent=None,
            lines=sorted(set(lines)),
            reason=reason + f"; targets/rules also serve {', '.join(_fmt(v) for v in extra)}",
        )
    if conditional:
        reason += "; targets/rules serve nothing the fallthrough does not"
    return weighted_state(env, served, reason, lines)


def _fmt(value: Any) -> str:
    return repr(value[1]) if isinstance(value, tuple) else repr(value)


register(
    FileFormat(
        name=FORMAT,
        looks_like=looks_like,
        order=20,
        parse=parse,
        sniff_marks=(b'"fallthrough"', b'"offVariation"', b'"variations"'),
        include=("**/launchdarkly*.json",),
        call_names=sdk_names(
            "launchdarkly",
            (
                "bool_variation",
                "boolVariation",
                "BoolVariation",
                "variation",
                "variation_detail",
                "variationDetail",
                "boolVariationDetail",
                "BoolVariationDetail",
            ),
            (
                "string_variation",
                "stringVariation",
                "StringVariation",
                "int_variation",
                "IntVariation",
                "numberVariation",
                "float_variation",
                "Float64Variation",
                "json_variation",
                "jsonVariation",
                "JSONVariation",
            ),
        ),
    )
)
