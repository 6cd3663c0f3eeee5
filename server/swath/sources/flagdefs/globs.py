"""Path globs with .gitignore semantics (`**/flags*.json` also matches `flags.json`).

Matching pattern by pattern costs a quarter of a second on 20,000 paths with a dozen
globs; one combined regex per glob list does the same in a few milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import pathspec


@lru_cache(maxsize=256)
def _matcher(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    parts = []
    for p in spec.patterns:
        if p.include is None:
            continue
        regex = getattr(p, "regex", None)
        if p.include is False or regex is None:
            return spec.match_file  # negations depend on order: let pathspec decide
        parts.append("(?:" + re.sub(r"\(\?P<\w+>", "(", regex.pattern) + ")")
    if not parts:
        return lambda path: False
    combined = re.compile("|".join(parts))
    return lambda path: combined.match(path) is not None


def matches(path: str, patterns: list[str] | tuple[str, ...]) -> bool:
    return bool(patterns) and _matcher(tuple(patterns))(path)


def select(paths: list[str], patterns: list[str] | tuple[str, ...]) -> list[str]:
    if not patterns:
        return []
    match = _matcher(tuple(patterns))
    return [p for p in paths if match(p)]
