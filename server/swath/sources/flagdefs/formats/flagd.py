"""OpenFeature flagd flag files (https://flagd.dev/reference/flag-definitions/).

A flag serves `defaultVariant` unless `targeting` (JsonLogic) picks another variant.
We do not evaluate JsonLogic against users; we work out which variants it *can* return
and with what weights: a targeting rule that can only return one variant is as good as
none, and a `fractional` split with all weight on one variant is a full rollout.
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

FORMAT: Final = "flagd"


class _Unknowable(Exception):
    """Targeting computes the variant name (e.g. from a `var`): no static answer."""


def looks_like(data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("flags"), dict):
        return False
    if "$schema" in data and "flagd" in str(data["$schema"]):
        return True
    return any(
        isinstance(f, dict) and ("defaultVariant" in f or "variants" in f)
        for f in data["flags"].values()
    )


def parse(doc: Document, path: str, env: str) -> ParseResult:
    out = ParseResult()
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("flags"), dict):
        out.errors.append(
            DefinitionError(
                path=path, line=0, format=FORMAT, message="flagd file without a `flags` object"
            )
        )
        return out
    evaluators: dict[str, Any] = (
        data["$evaluators"] if isinstance(data.get("$evaluators"), dict) else {}
    )
    for key, flag in data["flags"].items():
        where = ("flags", key)
        line = doc.line_of(where)
        try:
            out.definitions.append(_definition(doc, path, env, str(key), flag, evaluators))
        except ValueError as exc:
            out.errors.append(
                DefinitionError(
                    path=path,
                    line=getattr(exc, "line", line),
                    format=FORMAT,
                    message=f"flag {key!r}: {exc}",
                )
            )
    return out


class _FlagError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _definition(
    doc: Document, path: str, env: str, key: str, flag: Any, evaluators: dict[str, Any]
) -> FlagDefinition:
    where = ("flags", key)
    line = doc.line_of(where)
    if not isinstance(flag, dict):
        raise _FlagError("expected an object with state, variants and defaultVariant", line)
    state = flag.get("state")
    if state not in ("ENABLED", "DISABLED"):
        raise _FlagError(
            f"`state` must be ENABLED or DISABLED, got {state!r}", doc.line_of((*where, "state"))
        )
    variants = flag.get("variants")
    if not isinstance(variants, dict) or not variants:
        raise _FlagError("`variants` must be a non-empty object", doc.line_of((*where, "variants")))
    default = flag.get("defaultVariant")
    if default is not None and default not in variants:
        raise _FlagError(
            f"`defaultVariant` {default!r} is not one of the variants {sorted(variants)}",
            doc.line_of((*where, "defaultVariant")),
        )
    metadata: dict[str, Any] = flag["metadata"] if isinstance(flag.get("metadata"), dict) else {}
    kind = str(metadata.get("type") or metadata.get("flagType") or "")
    tags = (
        [str(t) for t in metadata.get("tags", [])] if isinstance(metadata.get("tags"), list) else []
    )
    kill = bool(metadata.get("killSwitch")) or looks_like_kill_switch(key, tags, kind)
    permanent = bool(metadata.get("permanent")) or looks_permanent(tags, kind) or kill

    state_lines = [doc.line_of((*where, "state")), doc.line_of((*where, "defaultVariant"))]
    targeting = flag.get("targeting")
    if state == "DISABLED":
        env_state = EnvState(
            env=env,
            state="off",
            percent=0.0,
            code_default=True,
            lines=state_lines[:1],
            reason="state DISABLED: flagd answers FLAG_NOT_FOUND and the SDK returns the "
            "caller's default value",
        )
    else:
        if targeting not in (None, {}):
            state_lines.append(doc.line_of((*where, "targeting")))
        env_state = _enabled_state(
            env, key, variants, default, targeting, evaluators, state_lines, doc, where
        )
    return FlagDefinition(
        key=key,
        format=FORMAT,
        path=path,
        line=doc.line_of(where),
        end_line=doc.end_line_of(where),
        quote=doc.quote(doc.line_of(where)),
        description=str(metadata.get("description", "")),
        kind=kind,
        kill_switch=kill,
        permanent=permanent,
        value_type=value_type(list(variants.values())),
        variants=variants,
        environments={env: env_state},
        tags=tags,
    )


def _enabled_state(
    env: str,
    key: str,
    variants: dict[str, Any],
    default: str | None,
    targeting: Any,
    evaluators: dict[str, Any],
    lines: list[int],
    doc: Document,
    where: tuple[Any, ...],
) -> EnvState:
    try:
        outcomes = _outcomes(targeting, evaluators, depth=0)
    except _Unknowable as exc:
        return EnvState(
            env=env, state="unknown", reason=f"targeting computes the variant ({exc})", lines=lines
        )
    served: dict[Any, float] = {}
    conditional = False
    for variant, weight, cond in outcomes:
        name = default if variant is None else variant
        if name is None:
            return EnvState(
                env=env,
                state="unknown",
                code_default=True,
                lines=lines,
                reason="no defaultVariant: some evaluations get the caller's default value",
            )
        if name not in variants:
            raise _FlagError(
                f"targeting returns unknown variant {name!r}", doc.line_of((*where, "targeting"))
            )
        value = hashable(variants[name])
        served[value] = served.get(value, 0.0) + weight
        conditional = conditional or cond
    if targeting in (None, {}):
        reason = f"ENABLED, no targeting: everybody gets defaultVariant {default!r}"
    else:
        live_names = sorted(n for n, v in variants.items() if served.get(hashable(v), 0) > 0)
        reason = (
            "ENABLED, targeting "
            + ("with conditions" if conditional else "split")
            + f" serving {', '.join(repr(n) for n in live_names)}"
        )
    live = {v for v, w in served.items() if w > 0}
    if len(live) == 1:
        (only,) = live
        name = next(n for n, v in variants.items() if hashable(v) == only)
        return single_value_state(
            env, variants[name], reason + f"; only variant {name!r} can be served", lines
        )
    st = weighted_state(env, served, reason, lines)
    if conditional:
        st.percent = None  # the share depends on who asks
        st.state = "partial"
    return st


def _outcomes(
    node: Any, evaluators: dict[str, Any], depth: int
) -> list[tuple[str | None, float, bool]]:
    """(variant or None for the default, weight, behind a condition?) the node can return."""
    if depth > 20:
        raise _Unknowable("targeting nests too deep")
    if node is None or node == {}:
        return [(None, 1.0, False)]
    if isinstance(node, str):
        return [(node, 1.0, False)]
    if isinstance(node, bool):
        return [(str(node).lower(), 1.0, False)]
    if isinstance(node, dict) and len(node) == 1:
        ((op, args),) = node.items()
        if op == "$ref":
            target = evaluators.get(str(args))
            if target is None:
                raise _Unknowable(f"$ref to unknown evaluator {args!r}")
            return _outcomes(target, evaluators, depth + 1)
        if op == "if" and isinstance(args, list):
            out: list[tuple[str | None, float, bool]] = []
            pairs, rest = args[: len(args) // 2 * 2], args[len(args) // 2 * 2 :]
            for i in range(1, len(pairs), 2):
                out += [(v, w, True) for v, w, _ in _outcomes(pairs[i], evaluators, depth + 1)]
            # An `if` without else falls through to null, i.e. the default variant.
            tail = _outcomes(rest[0], evaluators, depth + 1) if rest else [(None, 1.0, False)]
            out += [(v, w, True) for v, w, _ in tail]
            return out
        if op == "fractional" and isinstance(args, list):
            buckets = [a for a in args if isinstance(a, list)]
            if not buckets:
                raise _Unknowable("fractional without buckets")
            out = []
            for b in buckets:
                if not b or not isinstance(b[0], str):
                    raise _Unknowable("fractional bucket without a variant name")
                weight = float(b[1]) if len(b) > 1 and isinstance(b[1], (int, float)) else 1.0
                out.append((b[0], weight, False))
            return out
        if op == "var":
            raise _Unknowable("variant read from the evaluation context")
    raise _Unknowable("targeting returns the result of an expression")


register(
    FileFormat(
        name=FORMAT,
        looks_like=looks_like,
        order=10,
        parse=parse,
        sniff_marks=(b'"defaultVariant"',),
        sniff_together=(b'"flags"', b'"defaultVariant"'),
        include=("**/*.flagd.json", "**/flagd*.json"),
        # OpenFeature's SDKs read flagd's flags (and any other provider's).
        call_names=sdk_names(
            "openfeature",
            (
                "get_boolean_value",
                "getBooleanValue",
                "BooleanValue",
                "get_boolean_details",
                "getBooleanDetails",
                "BooleanValueDetails",
            ),
            (
                "get_string_value",
                "get_integer_value",
                "get_float_value",
                "get_object_value",
                "get_string_details",
                "getStringValue",
                "getNumberValue",
                "getObjectValue",
                "getStringDetails",
                "getNumberDetails",
                "StringValue",
                "IntValue",
                "FloatValue",
                "ObjectValue",
                "StringValueDetails",
                "IntValueDetails",
            ),
        ),
    )
)
