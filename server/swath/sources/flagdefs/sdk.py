"""SDK methods whose argument is a flag key, by vendor.

The key is the first string argument, or the second after a context/request argument
(Go OpenFeature `BooleanValue(ctx, "key", …)`, django-waffle `flag_is_active(request, "key")`).
`returns="value"` marks getters whose result is not a yes/no answer: their call sites are
references, but no branch can be chosen for them.
"""

from __future__ import annotations

from collections.abc import Sequence

from swath.items.flags import CallName


def _names(
    family: str, bools: Sequence[str], values: Sequence[str] = (), negated: Sequence[str] = ()
) -> list[CallName]:
    out = [CallName(name=n, family=family) for n in bools]
    out += [CallName(name=n, family=family, returns="value") for n in values]
    out += [CallName(name=n, family=family, negated=True) for n in negated]
    return out


DEFAULT_CALL_NAMES: list[CallName] = [
    *_names(
        "openfeature",
        [
            "get_boolean_value",
            "getBooleanValue",
            "BooleanValue",
            "get_boolean_details",
            "getBooleanDetails",
            "BooleanValueDetails",
        ],
        [
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
        ],
    ),
    *_names(
        "launchdarkly",
        [
            "bool_variation",
            "boolVariation",
            "BoolVariation",
            "variation",
            "variation_detail",
            "variationDetail",
            "boolVariationDetail",
            "BoolVariationDetail",
        ],
        [
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
        ],
    ),
    *_names(
        "unleash",
        ["is_enabled", "isEnabled", "IsEnabled"],
        ["get_variant", "getVariant", "GetVariant"],
    ),
    *_names(
        "growthbook",
        ["is_on", "isOn", "IsOn"],
        [
            "get_feature_value",
            "getFeatureValue",
            "GetFeatureValue",
            "eval_feature",
            "evalFeature",
            "EvalFeature",
        ],
        ["is_off", "isOff", "IsOff"],
    ),
    *_names("waffle", ["flag_is_active", "switch_is_active", "sample_is_active"]),
]


def merge_call_names(extra: list[CallName]) -> list[CallName]:
    """Defaults plus configured names; a configured name replaces a default of the same name."""
    by_name = {c.name: c for c in DEFAULT_CALL_NAMES}
    for c in extra:
        by_name[c.name] = c
    return list(by_name.values())
