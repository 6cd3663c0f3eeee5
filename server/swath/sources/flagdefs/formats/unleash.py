"""Unleash feature exports.

Accepted shapes:
- the export of `POST /api/admin/features-batch/export` (`features`, `featureStrategies`,
  `featureEnvironments`),
- the admin/state export (`{"version": 1, "features": [{"name", "environments": [{name,
  enabled, strategies}]}]}`),
- the client API / single-environment shape (`{"features": [{"name", "enabled", "strategies"}]}`).

In an enabled environment a feature is on for whoever any strategy lets in: `default`
lets everybody in, rollout strategies their percentage, anything with constraints,
segments or user lists only some. An enabled environment without strategies is on.
"""

from __future__ import annotations

from typing import Any, Final

from swath.items.flags import DefinitionError, EnvState, FlagDefinition, ParseResult
from swath.sources.flagdefs.common import looks_like_kill_switch, percent_value
from swath.sources.flagdefs.formats import FileFormat, register, sdk_names
from swath.sources.flagdefs.structured import Document

FORMAT: Final = "unleash"
ROLLOUT_STRATEGIES = {
    "flexibleRollout",
    "gradualRolloutRandom",
    "gradualRolloutUserId",
    "gradualRolloutSessionId",
}
ROLLOUT_PARAMS = ("rollout", "percentage")
PERMANENT_TYPES = {"kill-switch", "permission"}


class _FlagError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def looks_like(data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        return False
    if "featureStrategies" in data or "featureEnvironments" in data:
        return True
    return any(
        isinstance(f, dict)
        and "name" in f
        and ("strategies" in f or "environments" in f or "enabled" in f)
        for f in data["features"]
    )


def parse(doc: Document, path: str, env: str) -> ParseResult:
    out = ParseResult()
    data = doc.data
    if not looks_like(data):
        out.errors.append(
            DefinitionError(
                path=path, line=0, format=FORMAT, message="not an Unleash feature export"
            )
        )
        return out
    batch = "featureStrategies" in data or "featureEnvironments" in data
    strategies_by: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
    env_by: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    if batch:
        for i, s in enumerate(data.get("featureStrategies") or []):
            if isinstance(s, dict):
                strategies_by.setdefault(
                    (str(s.get("featureName")), str(s.get("environment"))), []
                ).append((i, s))
        for i, e in enumerate(data.get("featureEnvironments") or []):
            if isinstance(e, dict):
                env_by.setdefault(str(e.get("featureName") or e.get("name")), []).append((i, e))
    for i, feature in enumerate(data["features"]):
        where = ("features", i)
        try:
            if batch:
                d = _batch_definition(doc, path, where, feature, strategies_by, env_by)
            else:
                d = _state_definition(doc, path, env, where, feature)
            out.definitions.append(d)
        except _FlagError as exc:
            label = feature.get("name") if isinstance(feature, dict) else i
            out.errors.append(
                DefinitionError(
                    path=path, line=exc.line, format=FORMAT, message=f"feature {label!r}: {exc}"
                )
            )
    return out


def _base(doc: Document, path: str, where: tuple[Any, ...], feature: Any) -> FlagDefinition:
    if (
        not isinstance(feature, dict)
        or not isinstance(feature.get("name"), str)
        or not feature["name"]
    ):
        raise _FlagError("feature without a string `name`", doc.line_of(where))
    name = feature["name"]
    ftype = str(feature.get("type", "release"))
    tags = [
        f"{t.get('type', '')}:{t.get('value', '')}" if isinstance(t, dict) else str(t)
        for t in feature.get("tags") or []
    ]
    kill = ftype == "kill-switch" or looks_like_kill_switch(name, tags)
    line = doc.line_of((*where, "name"))
    notes = ["marked stale in Unleash"] if feature.get("stale") else []
    return FlagDefinition(
        key=name,
        format=FORMAT,
        path=path,
        line=line,
        end_line=doc.end_line_of(where),
        quote=doc.quote(line),
        description=str(feature.get("description") or ""),
        kind=ftype,
        kill_switch=kill,
        permanent=ftype in PERMANENT_TYPES or kill,
        value_type="boolean",
        variants={
            str(v.get("name")): v.get("payload")
            for v in feature.get("variants") or []
            if isinstance(v, dict)
        },
        tags=tags,
        notes=notes,
    )


def _batch_definition(
    doc: Document,
    path: str,
    where: tuple[Any, ...],
    feature: Any,
    strategies_by: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]],
    env_by: dict[str, list[tuple[int, dict[str, Any]]]],
) -> FlagDefinition:
    d = _base(doc, path, where, feature)
    for i, fe in env_by.get(d.key, []):
        env = str(fe.get("environment"))
        e_where = ("featureEnvironments", i)
        enabled = fe.get("enabled")
        if not isinstance(enabled, bool):
            raise _FlagError(
                f"environment {env!r}: `enabled` must be true or false",
                doc.line_of((*e_where, "enabled")),
            )
        strategies = [(("featureStrategies", j), s) for j, s in strategies_by.get((d.key, env), [])]
        d.environments[env] = _env_state(
            doc, env, enabled, doc.line_of((*e_where, "enabled")), strategies
        )
    if not d.environments:
        d.environments["default"] = EnvState(
            env="default",
            state="unknown",
            reason="no featureEnvironments entry for this feature",
            lines=[d.line],
        )
    return d


def _state_definition(
    doc: Document, path: str, default_env: str, where: tuple[Any, ...], feature: Any
) -> FlagDefinition:
    d = _base(doc, path, where, feature)
    envs = feature.get("environments")
    if isinstance(envs, list) and envs:
        for i, e in enumerate(envs):
            e_where = (*where, "environments", i)
            if not isinstance(e, dict) or not isinstance(e.get("enabled"), bool):
                raise _FlagError(
                    "environment entries need `name` and a boolean `enabled`", doc.line_of(e_where)
                )
            env = str(e.get("name") or e.get("environment") or default_env)
            strategies = [
                ((*e_where, "strategies", j), s) for j, s in enumerate(e.get("strategies") or [])
            ]
            d.environments[env] = _env_state(
                doc, env, e["enabled"], doc.line_of((*e_where, "enabled")), strategies
            )
    else:
        enabled = feature.get("enabled")
        if not isinstance(enabled, bool):
            raise _FlagError("`enabled` must be true or false", doc.line_of((*where, "enabled")))
        strategies = [
            ((*where, "strategies", j), s) for j, s in enumerate(feature.get("strategies") or [])
        ]
        d.environments[default_env] = _env_state(
            doc, default_env, enabled, doc.line_of((*where, "enabled")), strategies
        )
    return d


def _env_state(
    doc: Document,
    env: str,
    enabled: bool,
    enabled_line: int,
    strategies: list[tuple[tuple[Any, ...], Any]],
) -> EnvState:
    if not enabled:
        return EnvState(
            env=env,
            state="off",
            percent=0.0,
            value=False,
            lines=[enabled_line],
            reason="environment disabled",
        )
    live = [(w, s) for w, s in strategies if isinstance(s, dict) and not s.get("disabled")]
    if not live:
        return EnvState(
            env=env,
            state="on",
            percent=100.0,
            value=True,
            lines=[enabled_line],
            reason="enabled without strategies: on for everybody",
        )
    lines = [enabled_line]
    best = 0.0
    conditional: list[str] = []
    for w, s in live:
        line = doc.line_of(w)
        lines.append(line)
        name = str(s.get("name", ""))
        params = s.get("parameters") or {}
        restricted = bool(s.get("constraints")) or bool(s.get("segments"))
        if name == "default":
            share = 100.0
        elif name in ROLLOUT_STRATEGIES:
            raw = next((params[p] for p in ROLLOUT_PARAMS if p in params), None)
            share_or_none = percent_value(raw)
            if share_or_none is None or not 0 <= share_or_none <= 100:
                raise _FlagError(
                    f"strategy {name!r}: rollout {raw!r} is not a percentage 0-100", line
                )
            share = share_or_none
        else:
            conditional.append(name)
            continue
        if restricted and share > 0:
            conditional.append(f"{name} with constraints")
            continue
        best = max(best, share)
    if best >= 100:
        return EnvState(
            env=env,
            state="on",
            percent=100.0,
            value=True,
            lines=lines,
            reason="a strategy lets everybody in",
        )
    if conditional:
        return EnvState(
            env=env,
            state="partial",
            lines=lines,
            reason="enabled for some: "
            + ", ".join(conditional)
            + (f"; rollout {best:g}%" if best else ""),
        )
    if best <= 0:
        return EnvState(
            env=env,
            state="off",
            percent=0.0,
            value=False,
            lines=lines,
            reason="enabled, but every strategy rolls out to 0%",
        )
    return EnvState(
        env=env, state="partial", percent=best, lines=lines, reason=f"gradual rollout at {best:g}%"
    )


register(
    FileFormat(
        name=FORMAT,
        looks_like=looks_like,
        order=30,
        parse=parse,
        sniff_marks=(b'"featureStrategies"', b'"strategies"'),
        include=("**/unleash*.json",),
        call_names=sdk_names(
            "unleash",
            ("is_enabled", "isEnabled", "IsEnabled"),
            ("get_variant", "getVariant", "GetVariant"),
        ),
    )
)
