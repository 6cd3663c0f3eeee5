"""A plain map of flags in YAML or JSON, the kind teams keep next to their code.

    new_checkout: {enabled: true, rollout: 100}
    dark_mode: false
    search_v2:
      enabled: true
      environments: {production: {rollout: 25}, staging: true}

Under an optional top-level `flags:` or `features:` key. `rollout` (or `percentage`) is
0-100; `enabled: false` wins over any rollout.
"""

from __future__ import annotations

from typing import Any, Final

from swath.items.flags import DefinitionError, EnvState, FlagDefinition, ParseResult
from swath.sources.flagdefs.common import (
    looks_like_kill_switch,
    looks_permanent,
    percent_value,
    state_from_percent,
)
from swath.sources.flagdefs.formats import FileFormat, register
from swath.sources.flagdefs.structured import Document

FORMAT: Final = "plain"
STATE_KEYS = {"enabled", "rollout", "percentage", "on", "state", "environments"}
_WORDS_ON = {"on", "true", "enabled", "yes"}
_WORDS_OFF = {"off", "false", "disabled", "no"}


class _FlagError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _root(data: Any) -> tuple[tuple[str, ...], Any]:
    if isinstance(data, dict):
        for wrapper in ("flags", "features", "feature_flags", "featureFlags"):
            if isinstance(data.get(wrapper), dict) and len(data) <= 3:
                return (wrapper,), data[wrapper]
    return (), data


def looks_like(data: Any) -> bool:
    _, flags = _root(data)
    if not isinstance(flags, dict) or not flags:
        return False
    entries = [v for k, v in flags.items() if not str(k).startswith("$")]
    return bool(entries) and all(
        isinstance(v, bool) or (isinstance(v, dict) and STATE_KEYS & set(v)) for v in entries
    )


def parse(doc: Document, path: str, env: str) -> ParseResult:
    out = ParseResult()
    prefix, flags = _root(doc.data)
    if not isinstance(flags, dict):
        out.errors.append(
            DefinitionError(
                path=path,
                line=0,
                format=FORMAT,
                message="expected a map of flag name -> {enabled, rollout}",
            )
        )
        return out
    for key, spec in flags.items():
        if str(key).startswith("$"):
            continue
        where = (*prefix, key)
        try:
            out.definitions.append(_definition(doc, path, env, where, str(key), spec))
        except _FlagError as exc:
            out.errors.append(
                DefinitionError(
                    path=path, line=exc.line, format=FORMAT, message=f"flag {key!r}: {exc}"
                )
            )
    return out


def _definition(
    doc: Document, path: str, env: str, where: tuple[Any, ...], key: str, spec: Any
) -> FlagDefinition:
    line = doc.line_of(where)
    meta = spec if isinstance(spec, dict) else {}
    tags = [str(t) for t in meta.get("tags", [])] if isinstance(meta.get("tags"), list) else []
    kind = str(meta.get("type", meta.get("kind", "")))
    kill = bool(meta.get("kill_switch") or meta.get("killSwitch")) or looks_like_kill_switch(
        key, tags, kind
    )
    permanent = bool(meta.get("permanent")) or looks_permanent(tags, kind) or kill
    envs: dict[str, EnvState] = {}
    if isinstance(meta.get("environments"), dict):
        base = _state(
            doc,
            where,
            env,
            {k: v for k, v in meta.items() if k != "environments"},
            allow_empty=True,
        )
        for env_name, env_spec in meta["environments"].items():
            e_where = (*where, "environments", env_name)
            merged = env_spec
            if isinstance(env_spec, dict) and base is not None:
                merged = {
                    **{k: v for k, v in meta.items() if k in {"enabled", "rollout", "percentage"}},
                    **env_spec,
                }
            envs[str(env_name)] = _state(doc, e_where, str(env_name), merged, allow_empty=False)  # type: ignore[assignment]
    else:
        envs[env] = _state(doc, where, env, spec, allow_empty=False)  # type: ignore[assignment]
    return FlagDefinition(
        key=key,
        format=FORMAT,
        path=path,
        line=line,
        end_line=doc.end_line_of(where),
        quote=doc.quote(line),
        description=str(meta.get("description", "")),
        kind=kind,
        kill_switch=kill,
        permanent=permanent,
        value_type="boolean",
        environments=envs,
        tags=tags,
        notes=[f"owner: {meta['owner']}"] if meta.get("owner") else [],
    )


def _state(
    doc: Document, where: tuple[Any, ...], env: str, spec: Any, allow_empty: bool
) -> EnvState | None:
    line = doc.line_of(where)
    if isinstance(spec, bool):
        return EnvState(
            env=env,
            state="on" if spec else "off",
            percent=100.0 if spec else 0.0,
            value=spec,
            reason=f"set to {str(spec).lower()}",
            lines=[line],
        )
    if isinstance(spec, str) and spec.strip().lower() in _WORDS_ON | _WORDS_OFF:
        on = spec.strip().lower() in _WORDS_ON
        return EnvState(
            env=env,
            state="on" if on else "off",
            percent=100.0 if on else 0.0,
            value=on,
            reason=f"set to {spec!r}",
            lines=[line],
        )
    if not isinstance(spec, dict):
        raise _FlagError(f"expected true/false or {{enabled, rollout}}, got {spec!r}", line)
    enabled = spec.get("enabled", spec.get("on"))
    if isinstance(enabled, str) and enabled.lower() in _WORDS_ON | _WORDS_OFF:
        enabled = enabled.lower() in _WORDS_ON
    if enabled is not None and not isinstance(enabled, bool):
        raise _FlagError(
            f"`enabled` must be true or false, got {enabled!r}", doc.line_of((*where, "enabled"))
        )
    rollout_key = "rollout" if "rollout" in spec else "percentage" if "percentage" in spec else None
    lines = [
        doc.line_of((*where, k)) for k in ("enabled", "on", "rollout", "percentage") if k in spec
    ] or [line]
    if enabled is False:
        return EnvState(
            env=env, state="off", percent=0.0, value=False, reason="enabled: false", lines=lines
        )
    if rollout_key is not None:
        raw = spec[rollout_key]
        pct = percent_value(raw)
        if pct is None or not 0 <= pct <= 100:
            raise _FlagError(
                f"`{rollout_key}` must be a number 0-100, got {raw!r}",
                doc.line_of((*where, rollout_key)),
            )
        return state_from_percent(
            env, pct, f"{rollout_key}: {pct:g}" + (", enabled: true" if enabled else ""), lines
        )
    if enabled is True:
        return EnvState(
            env=env,
            state="on",
            percent=100.0,
            value=True,
            reason="enabled: true, no rollout limit",
            lines=lines,
        )
    if allow_empty:
        return None
    raise _FlagError("neither `enabled` nor `rollout` given", line)


# Last: any map of objects looks like one, flagd's and LaunchDarkly's files included.
register(FileFormat(name=FORMAT, looks_like=looks_like, order=90, parse=parse))
