"""What a path is for: source code, a test, test data (fixtures, snapshots, golden files),
or generated code (build output, bundles, minified and vendored files, generated stubs).

Reviews and audits treat them differently: a `print` or an `assert` is the point of a
test, a test-data file is input, not code anyone will run as written, and a generated
file is changed by changing what it is generated from (a review of a release of preact
or tRPC flagged their bundles' minified lines and their `dist/` copies of the source).
The patterns are gitignore-style (pathspec), so a repository can add its own in the same
syntax; `generated_text` tells a generated file by its content (a header, minified lines),
and `linguist_marks` what the repository's .gitattributes say (they have the last word).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import pathspec

from swath import generated

if TYPE_CHECKING:
    from swath.workspace.workspace import Workspace

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


def generated_text(path: str, lines: list[str]) -> bool:
    """Whether a file says it is generated (a generator's header in its first KiB, a source
    map), is a compiler's output (TypeScript's helpers, tsc's and Babel's CommonJS
    `__esModule` mark), or is minified: see swath/generated.py, which the flag scan uses too."""
    head = _head(lines)
    if generated.says_generated(path, head) or generated.compiled(head):
        return True
    return generated.minified(path, sum(len(line) for line in lines), len(lines))


def _head(lines: list[str]) -> bytes:
    """The file's first KiB (at least), from its lines."""
    taken, size = 0, 0
    for line in lines:
        taken += 1
        size += len(line) + 1
        if size >= generated.HEAD_BYTES:
            break
    return "\n".join(lines[:taken]).encode("utf-8", "replace")


def linguist_marks(ws: Workspace, paths: list[str]) -> dict[str, bool]:
    """{path: generated} for the paths the repository's attributes mark (GitHub linguist's
    `linguist-generated` / `linguist-vendored`: set or true, unset or false), which have the
    last word over the rules above, as on GitHub. One `git check-attr` for all of them, and
    none when no .gitattributes stands on their way."""
    if not paths or not _attributes_exist(ws, paths):
        return {}
    listed = "\0".join(paths) + "\0"
    try:
        out_text = ws.git("check-attr", "-z", "--stdin", *_LINGUIST, input=listed, check=False)
    except OSError:
        return {}
    out: dict[str, bool] = {}
    fields = out_text.split("\0")
    for path, _attr, value in zip(fields[0::3], fields[1::3], fields[2::3], strict=False):
        if value in ("set", "true"):
            out[path] = True
        elif value in ("unset", "false"):
            out.setdefault(path, False)
    return out


_LINGUIST = ("linguist-generated", "linguist-vendored")


def _attributes_exist(ws: Workspace, paths: list[str]) -> bool:
    """Whether a .gitattributes (or .git/info/attributes) stands on the paths' way: each
    folder once, by string (Path objects per parent of 20,000 paths took 0.5 s of CPU)."""
    root = str(ws.root)
    if os.path.isfile(os.path.join(root, ".git", "info", "attributes")):
        return True
    folders = {p.rpartition("/")[0] for p in paths}
    seen: set[str] = set()
    for folder in folders:
        while folder not in seen:
            seen.add(folder)
            if os.path.isfile(os.path.join(root, folder, ".gitattributes")):
                return True
            folder = folder.rpartition("/")[0]
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
