"""Path globs with .gitignore semantics (`**/flags*.json` also matches `flags.json`)."""

from __future__ import annotations

from functools import lru_cache

import pathspec


@lru_cache(maxsize=256)
def _spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def matches(path: str, patterns: list[str] | tuple[str, ...]) -> bool:
    return bool(patterns) and _spec(tuple(patterns)).match_file(path)


def select(paths: list[str], patterns: list[str] | tuple[str, ...]) -> list[str]:
    if not patterns:
        return []
    spec = _spec(tuple(patterns))
    return [p for p in paths if spec.match_file(p)]
