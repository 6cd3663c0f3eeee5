"""Path globs with .gitignore semantics (`**/flags*.json` also matches `flags.json`).

Matching pattern by pattern costs a quarter of a second on 20,000 paths with a dozen
globs. pathspec (1.0 on) compiles a whole list into one RE2 set when google-re2 is
installed (a dependency of Swath): as fast as one hand-joined regex was, negations included,
without reaching into pathspec's patterns. The compiled list is kept per glob list.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import pathspec


@lru_cache(maxsize=256)
def _matcher(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    return pathspec.GitIgnoreSpec.from_lines(patterns).match_file


def matches(path: str, patterns: list[str] | tuple[str, ...]) -> bool:
    return bool(patterns) and _matcher(tuple(patterns))(path)


def select(paths: list[str], patterns: list[str] | tuple[str, ...]) -> list[str]:
    if not patterns:
        return []
    match = _matcher(tuple(patterns))
    return [p for p in paths if match(p)]
