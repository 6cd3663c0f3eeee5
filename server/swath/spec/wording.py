"""Shared phrasing for error messages: where a thing is, what it was, what was meant."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice to `word`, if any is close enough to be a plausible typo."""
    options = sorted(set(choices))
    # Case slips (`Map` for `map`) are the most common typo; catch them before fuzzy matching.
    for c in options:
        if c.lower() == word.lower():
            return c
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return match[0] if match else None


def suggestion_text(word: str, choices: Iterable[str], noun: str = "") -> str:
    """'; did you mean `x`? Known analyzers: a, b, c' (empty choices say so)."""
    options = sorted(set(choices))
    guess = did_you_mean(word, options)
    parts = []
    if guess:
        parts.append(f"did you mean `{guess}`?")
    if options:
        label = f"known {noun}" if noun else "allowed"
        parts.append(f"{label}: " + ", ".join(options))
    else:
        parts.append(f"no {noun or 'names'} are available")
    return "; " + " ".join(parts)


def show_value(value: Any) -> str:
    """A short rendering of a YAML value for messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    return str(value)


def show_path(path: tuple[str | int, ...] | list[str | int]) -> str:
    """`agent.tools[1]` style rendering of a path inside some mapping."""
    out = ""
    for elem in path:
        if isinstance(elem, int):
            out += f"[{elem}]"
        else:
            out += ("." if out else "") + str(elem)
    return out


def describe_path(path: tuple[str | int, ...], data: Any) -> str:
    """Where `path` is, in words: "`limits.concurrency`", "`agent.tools[1]` of step `scan`"."""
    if not path:
        return "the workflow"
    if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int):
        step = step_label(path[1], data)
        rest = path[2:]
        return f"`{show_path(rest)}` of {step}" if rest else step
    return f"`{show_path(path)}`"


def step_label(index: int, data: Any) -> str:
    """'map step `scan`', or 'step 3' when the step has no usable id."""
    steps = data.get("steps") if isinstance(data, dict) else None
    step = steps[index] if isinstance(steps, list) and 0 <= index < len(steps) else None
    if isinstance(step, dict):
        sid = step.get("id")
        kind = step.get("kind")
        prefix = f"{kind} step" if isinstance(kind, str) and kind else "step"
        if isinstance(sid, str) and sid:
            return f"{prefix} `{sid}`"
        return f"{prefix} {index + 1}"
    return f"step {index + 1}"


def first_sentence(text: str | None) -> str:
    if not text:
        return ""
    head = text.strip().split("\n\n")[0].replace("\n", " ")
    dot = head.find(". ")
    return head if dot < 0 else head[: dot + 1]
