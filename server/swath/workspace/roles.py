"""What a path is for: source code, a test, or test data (fixtures, snapshots, golden files).

Reviews and audits treat them differently: a `print` or an `assert` is the point of a
test, and a test-data file is input, not code anyone will run as written. The patterns
are gitignore-style (pathspec), so a repository can add its own in the same syntax.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Literal

import pathspec

Role = Literal["source", "test", "test-data"]

TEST_DATA_PATTERNS: tuple[str, ...] = (
    "**/tests/data/",
    "**/test/data/",
    "**/testdata/",
    "**/test_data/",
    "**/test-data/",
    "**/fixtures/",
    "**/__fixtures__/",
    "**/__snapshots__/",
    "**/snapshots/",
    "**/golden/",
    "*.snap",
)
TEST_PATTERNS: tuple[str, ...] = (
    "**/tests/",
    "**/test/",
    "**/__tests__/",
    "**/testing/",
    "test_*.py",
    "*_test.py",
    "*_tests.py",
    "conftest.py",
    "*_test.go",
    "*.test.[jt]s",
    "*.test.[cm][jt]s",
    "*.test.[jt]sx",
    "*.spec.[jt]s",
    "*.spec.[cm][jt]s",
    "*.spec.[jt]sx",
)


@lru_cache(maxsize=64)
def _spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def path_role(path: str, tests: Iterable[str] = (), test_data: Iterable[str] = ()) -> Role:
    """The role of a workspace-relative path; `tests` / `test_data` add a repository's own globs."""
    if _spec(TEST_DATA_PATTERNS + tuple(test_data)).match_file(path):
        return "test-data"
    if _spec(TEST_PATTERNS + tuple(tests)).match_file(path):
        return "test"
    return "source"


def _git_glob(pattern: str) -> str:
    """A gitignore test pattern as a git `:(glob)` pathspec matching at least the same files."""
    body = pattern.removeprefix("**/")
    if body.endswith("/"):  # a folder anywhere: everything under it
        return f":(glob)**/{body}**"
    return f":(glob)**/{body}"  # no slash: the name at any depth


# For asking git which files may be tests without listing the whole tree (a superset of
# TEST_PATTERNS: path_role decides on what git lists).
TEST_PATHSPECS: tuple[str, ...] = tuple(_git_glob(p) for p in TEST_PATTERNS)
