"""SDK methods whose argument is a flag key.

The key is the first string argument, or the second after a context/request argument
(Go OpenFeature `BooleanValue(ctx, "key", …)`, django-waffle `flag_is_active(request, "key")`).
`returns="value"` marks getters whose result is not a yes/no answer: their call sites are
references, but no branch can be chosen for them. Each file format registers the SDK that
reads it (see formats/); the SDKs here have no file format of their own.
"""

from __future__ import annotations

from swath.items.flags import CallName
from swath.sources.flagdefs import formats
from swath.sources.flagdefs.formats import sdk_names

SDK_ONLY: tuple[CallName, ...] = (
    *sdk_names(
        "growthbook",
        ("is_on", "isOn", "IsOn"),
        (
            "get_feature_value",
            "getFeatureValue",
            "GetFeatureValue",
            "eval_feature",
            "evalFeature",
            "EvalFeature",
        ),
        ("is_off", "isOff", "IsOff"),
    ),
    # django-waffle keeps flags, switches and samples in the database: a key no export
    # defines is of unknown state, not undefined (see presets/django-waffle.yaml).
    *(
        CallName(name=n, family="waffle", external=True)
        for n in ("flag_is_active", "switch_is_active", "sample_is_active")
    ),
)


def default_call_names() -> list[CallName]:
    return [*formats.call_names(), *SDK_ONLY]


def merge_call_names(extra: list[CallName]) -> list[CallName]:
    """Defaults plus configured names; a configured name replaces a default of the same name."""
    by_name = {c.name: c for c in default_call_names()}
    for c in extra:
        by_name[c.name] = c
    return list(by_name.values())
