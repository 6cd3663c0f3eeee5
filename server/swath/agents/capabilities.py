"""What each model family accepts: the data that decides how a request is shaped.

The current Claude generations reject request settings older ones took: a forced
`tool_choice`, sampling parameters, an assistant prefill, `thinking: {"type": "disabled"}`
or a thinking budget each return a 400 there. Sending the same request to every model
would fail on exactly the models Swath uses by default, so each request is built from the
row of its model family below (and the test suite's fake server rejects, per model, what
the real API rejects, from the same rows).

Sources (stored copies read on 2026-12-02): each model's overview page
(`https://platform.claude.com/docs/en/models/<model>/overview`: context window, max output,
thinking, default effort), its migration guide and "what's new" page (settings that return a
400), the adaptive-thinking and effort pages, and the prompt-caching page (minimum cacheable
prompt). docs/models.md shows the table and what each row rests on.

A model missing from the table (a new or a misspelt name) gets the most restrictive row:
no forced tool choice, no sampling parameters, no prefill, thinking on. A request shaped that
way is accepted by every current model, so an unknown model fails only if it does not exist
(a 404, which stops the run with one message).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Thinking = Literal["adaptive", "enabled", "disabled", "between_tools"]
Effort = Literal["low", "medium", "high", "xhigh", "max"]
EFFORT_LEVELS: tuple[Effort, ...] = ("low", "medium", "high", "xhigh", "max")
Sampling = Literal["any", "one", "none"]

CAPABILITIES_CHECKED = "2026-12-02"


class ModelCaps(BaseModel):
    """One model family's request rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    family: str
    # What a request without a `thinking` field does, and which `thinking.type` values it takes.
    thinking_default: Literal["off", "adaptive"]
    thinking_types: frozenset[Thinking]
    # `tool_choice` `any`/`tool`: accepted only where thinking is off for the request.
    forced_tool_choice: bool
    # temperature / top_p / top_k: "any", "one" (temperature or top_p, not both), "none"
    # (a non-default value is a 400).
    sampling: Sampling
    prefill: bool  # may `messages` end with an assistant turn?
    effort: tuple[Effort, ...]  # accepted `output_config.effort` levels; () = rejected
    default_effort: Effort | None
    structured_outputs: bool  # `output_config.format` and `strict` tools
    context_window: int
    max_output: int
    # Prompt size above which every token of the request is billed at the long-prompt band
    # (the rates themselves live in `pricing.py`; a test keeps the two in step).
    long_prompt_above: int | None
    cache_min_tokens: int  # a shorter prefix is not cached (no error, just no discount)

    @property
    def thinks_by_default(self) -> bool:
        return self.thinking_default != "off"

    def accepts_effort(self, level: str | None) -> bool:
        return level is not None and level in self.effort


_NEW: tuple[Effort, ...] = EFFORT_LEVELS
_OLD: tuple[Effort, ...] = ("low", "medium", "high", "max")  # before `xhigh` existed


def _row(family: str, **kw: object) -> ModelCaps:
    return ModelCaps(family=family, **kw)  # type: ignore[arg-type]


def _five_five(family: str, types: set[str], default_effort: str, **kw: object) -> ModelCaps:
    """The 5.5 generation (and Fable / Mythos 5.1, 5.2): thinking on, nothing forced."""
    values: dict[str, object] = {
        "thinking_default": "adaptive",
        "thinking_types": frozenset(types),
        "forced_tool_choice": False,
        "sampling": "none",
        "prefill": False,
        "effort": _NEW,
        "default_effort": default_effort,
        "structured_outputs": True,
        "context_window": 1_000_000,
        "max_output": 128_000,
        "long_prompt_above": None,
        "cache_min_tokens": 512,
    }
    values.update(kw)
    return _row(family, **values)


def _legacy(family: str, **kw: object) -> ModelCaps:
    """Thinking off unless asked for (with a budget), forced tool choice accepted."""
    values: dict[str, object] = {
        "thinking_default": "off",
        "thinking_types": frozenset({"enabled", "disabled"}),
        "forced_tool_choice": True,
        "sampling": "one",
        "prefill": True,
        "effort": (),
        "default_effort": None,
        "structured_outputs": True,
        "context_window": 200_000,
        "max_output": 64_000,
        "long_prompt_above": None,
        "cache_min_tokens": 1024,
    }
    values.update(kw)
    return _row(family, **values)


CAPABILITIES: dict[str, ModelCaps] = {
    # Haiku 5.5 overview: 1M / 128K, adaptive by default (can be turned off), default effort
    # medium, prompts over 100K tokens billed at the long-prompt band; migration guide:
    # sampling parameters, prefill and thinking budgets return a 400.
    "claude-haiku-5-5": _five_five(
        "claude-haiku-5-5", {"adaptive", "disabled"}, "medium", long_prompt_above=100_000
    ),
    # Sonnet 5.5 migration guide: thinking budgets, sampling parameters, assistant prefill,
    # forced tool choice and thinking disabled return a 400; `between_tools` is the lowest
    # thinking setting; default effort high; minimum cacheable prompt 512 tokens.
    "claude-sonnet-5-5": _five_five("claude-sonnet-5-5", {"adaptive", "between_tools"}, "high"),
    # Opus 5.5 what's new: thinking can't be disabled, forced tool use returns an error;
    # default effort medium.
    "claude-opus-5-5": _five_five("claude-opus-5-5", {"adaptive"}, "medium"),
    # Fable / Mythos 5.1 and 5.2: "the first three [breaking changes of Opus 5.5] also apply".
    "claude-fable-5-2": _five_five("claude-fable-5-2", {"adaptive"}, "high"),
    "claude-mythos-5-2": _five_five("claude-mythos-5-2", {"adaptive"}, "high"),
    "claude-fable-5-1": _five_five("claude-fable-5-1", {"adaptive"}, "high"),
    "claude-mythos-5-1": _five_five("claude-mythos-5-1", {"adaptive"}, "high"),
    # Fable / Mythos 5: adaptive only (disabled and budgets return a 400), always on.
    "claude-fable-5": _five_five("claude-fable-5", {"adaptive"}, "high", cache_min_tokens=1024),
    "claude-mythos-5": _five_five("claude-mythos-5", {"adaptive"}, "high", cache_min_tokens=1024),
    # Opus 5 / Sonnet 5: thinking on by default, may be disabled (Opus 5: at effort high or
    # below); prefill and sampling parameters already removed; minimum cacheable prompt 1,024.
    "claude-opus-5": _five_five(
        "claude-opus-5", {"adaptive", "disabled"}, "high", cache_min_tokens=1024
    ),
    "claude-sonnet-5": _five_five(
        "claude-sonnet-5", {"adaptive", "disabled"}, "high", cache_min_tokens=1024
    ),
    # Opus 4.7 / 4.8: adaptive only (a budget returns a 400), off unless asked for.
    **{
        opus: _legacy(
            opus,
            thinking_types=frozenset({"adaptive", "disabled"}),
            effort=_NEW,
            default_effort="high",
            context_window=1_000_000,
            max_output=128_000,
            sampling="none",
        )
        for opus in ("claude-opus-4-8", "claude-opus-4-7")
    },
    # Opus 4.6 / Sonnet 4.6: adaptive recommended, budgets deprecated but accepted.
    "claude-opus-4-6": _legacy(
        "claude-opus-4-6",
        thinking_types=frozenset({"adaptive", "enabled", "disabled"}),
        effort=_OLD,
        default_effort="high",
        context_window=1_000_000,
        max_output=128_000,
    ),
    "claude-sonnet-4-6": _legacy(
        "claude-sonnet-4-6",
        thinking_types=frozenset({"adaptive", "enabled", "disabled"}),
        effort=_OLD,
        default_effort="high",
        context_window=1_000_000,
    ),
    "claude-opus-4-5": _legacy(
        "claude-opus-4-5", effort=_OLD, default_effort="high", max_output=64_000
    ),
    "claude-opus-4-1": _legacy("claude-opus-4-1", max_output=32_000),
    "claude-opus-4": _legacy("claude-opus-4", max_output=32_000),
    "claude-sonnet-4-5": _legacy("claude-sonnet-4-5", long_prompt_above=200_000),
    "claude-sonnet-4": _legacy("claude-sonnet-4", long_prompt_above=200_000),
    "claude-haiku-4-5": _legacy("claude-haiku-4-5", cache_min_tokens=4096),
}

# What an unknown model is assumed to take: the strictest rules of the current generation.
UNKNOWN = _five_five("unknown", {"adaptive"}, "medium")


def family_of(model: str) -> str | None:
    """The table entry a model name belongs to: exact, else the longest prefix (so dated
    snapshots such as `claude-sonnet-5-5-20261001` match their family)."""
    if model in CAPABILITIES:
        return model
    matches = [k for k in CAPABILITIES if model.startswith(k + "-") or model == k]
    return max(matches, key=len, default=None)


def caps_for(model: str) -> ModelCaps:
    family = family_of(model)
    return CAPABILITIES[family] if family is not None else UNKNOWN


def known(model: str) -> bool:
    return family_of(model) is not None
