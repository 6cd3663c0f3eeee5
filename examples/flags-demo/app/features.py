"""Our own feature switches: an enum, with the rollout history kept as versioned entries."""

import enum
from dataclasses import dataclass


class Feature(enum.Flag):
    FAST_SHIPPING = enum.auto()
    GIFT_WRAP = enum.auto()


@dataclass(frozen=True)
class FeatureState:
    name: str
    version: int
    state: str


# Each release appends an entry; the highest version of a feature decides.
FEATURE_STATES = [
    FeatureState("FAST_SHIPPING", version=1, state="off"),
    FeatureState("GIFT_WRAP", version=1, state="partial"),
    FeatureState("FAST_SHIPPING", version=2, state="on"),
]
