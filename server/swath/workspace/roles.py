"""What a path is for: source code, a test, test data (fixtures, snapshots, golden files),
or generated code (build output, bundles, minified and vendored files, generated stubs).

Reviews and audits treat them differently: a `print` or an `assert` is the point of a
test, a test-data file is input, not code anyone will run as written, and a generated
file is changed by changing what it is generated from (a review of a release of preact
or tRPC flagged their bundles' minified lines and their `dist/` copies of the source).
The patterns are gitignore-style (pathspec), so a repository can add its own in the same
syntax; `generated_text` tells a generated file by its content (a header, minified lines).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Literal

import re

import pathspec

Role = Literal["source", "test", "test-data", "generated"]

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
# Build output, package managers' and vendored trees, minified files, and the files the
# common generators name as theirs (protobuf, Kubernetes' deepcopy, source maps).
GENERATED_PATTERNS: tuple[str, ...] = (
    "**/dist/",
    "**/node_modules/",
    "**/vendor/",
    "*.min.js",
    "*.min.mjs",
    "*.min.cjs",
    "*.min.css",
    "*.bundle.js",
    "*.js.map",
    "*.css.map",
    "*_pb2.py",
    "*_pb2.pyi",
    "*_pb2_grpc.py",
    "*.pb.go",
    "*.pb.gw.go",
    "zz_generated.*",
    "*.generated.*",
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


def path_role(
    path: str,
    tests: Iterable[str] = (),
    test_data: Iterable[str] = (),
    generated: Iterable[str] | None = (),
) -> Role:
    """The role of a workspace-relative path; `tests` / `test_data` / `generated` add a
    repository's own globs (`generated` None: the path is known not to be generated)."""
    # A review asks for each changed file's role in every pass (~350 times for 50 files,
    # each up to three gitignore matches of ~30 patterns): answered once per path and lists.
    return _role_of(
        path, tuple(tests), tuple(test_data), None if generated is None else tuple(generated)
    )


@lru_cache(maxsize=4096)
def _role_of(
    path: str,
    tests: tuple[str, ...],
    test_data: tuple[str, ...],
    generated: tuple[str, ...] | None,
) -> Role:
    if _spec(TEST_DATA_PATTERNS + tuple(test_data)).match_file(path):
        return "test-data"
    if generated is not None and _spec(GENERATED_PATTERNS + tuple(generated)).match_file(path):
        return "generated"
    if _spec(TEST_PATTERNS + tuple(tests)).match_file(path):
        return "test"
    return "source"


# The markers generators write in a file's first lines: Go's convention (`go generate`'s
# documented regex), `@generated` (Meta's, used by many tools), the "automatically
# generated … do not edit" headers of protoc, swagger/OpenAPI generators, Django, Alembic;
# and what only compilers write: TypeScript's helpers (`var __awaiter = (this &&
# this.__awaiter) || …`), tsc's and Babel's CommonJS `__esModule` mark (zod's `lib/`).
_GENERATED_HEADER = re.compile(
    r"^// Code generated .* DO NOT EDIT\.$"
    r"|^var __\w+ = \(this && this\.__\w+\) \|\|"
    r'|^Object\.defineProperty\(exports, "__esModule", \{ value: true \}\);'
    r"|@generated\b"
    r"|\b(?:auto(?:matically)?[- ]?generated|generated (?:automatically|by))\b.*\bdo not edit\b"
    r"|\bdo not edit\b.*\b(?:auto(?:matically)?[- ]?generated|generated (?:automatically|by))\b",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_LINES = 10
_MINIFIABLE = (".js", ".mjs", ".cjs", ".css")
_MINIFIED_AVERAGE = 110  # characters a line, on average: GitHub linguist's bound


def generated_text(path: str, lines: list[str]) -> bool:
    """Whether a file says it is generated (a header in its first lines), or is minified
    (a script or style sheet whose lines average over 110 characters, as linguist counts)."""
    if _GENERATED_HEADER.search("\n".join(lines[:_HEADER_LINES])):
        return True
    if path.lower().endswith(_MINIFIABLE) and lines:
        return sum(len(line) for line in lines) / len(lines) > _MINIFIED_AVERAGE
    return False


def _git_glob(pattern: str) -> str:
    """A gitignore test pattern as a git `:(glob)` pathspec matching at least the same files."""
    body = pattern.removeprefix("**/")
    if body.endswith("/"):  # a folder anywhere: everything under it
        return f":(glob)**/{body}**"
    return f":(glob)**/{body}"  # no slash: the name at any depth


# For asking git which files may be tests without listing the whole tree (a superset of
# TEST_PATTERNS: path_role decides on what git lists).
TEST_PATHSPECS: tuple[str, ...] = tuple(_git_glob(p) for p in TEST_PATTERNS)
