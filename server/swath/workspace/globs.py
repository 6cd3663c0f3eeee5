"""Gitignore-style pattern lists, compiled once per list.

pathspec builds a regular expression (and an RE2 set) for every pattern: a review built the
deny list and the diff source's include and exclude lists again on every run, and every
`Workspace` its deny list. The compiled specs are only ever matched against, never changed,
so one per distinct list serves every caller (and thread).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import pathspec


def gitignore_spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """`pathspec.GitIgnoreSpec.from_lines(patterns)`, shared by every caller with the same list."""
    return _compiled(tuple(patterns))


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)
