"""The loop rules parsed by regions find on added lines exactly what a whole-file parse finds."""

from __future__ import annotations

import ast
import random
import sysconfig
from pathlib import Path

from swath.analyzers.review_python import python_hits, regions, _starts
from ast_grep_py import SgRoot

from swath.analyzers.review_tests import _public, _python_definitions, untested_hits
from swath.analyzers.sourcetext import split_lines

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Real code of every shape (long classes, module-level loops, strings at column 0).
FILES = ["typing.py", "argparse.py", "inspect.py", "textwrap.py", "pydoc.py", "tarfile.py"]


def test_regions_agree_with_the_whole_file_on_real_code() -> None:
    rnd = random.Random(7)
    compared = 0
    for name in FILES:
        path = STDLIB / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        lines = split_lines(text)
        whole = python_hits(name, text, lines)
        assert whole is not None
        for _ in range(8):
            start = rnd.randrange(len(lines))
            added = set(range(start, min(len(lines), start + rnd.randint(1, 60))))
            part = python_hits(name, text, lines, added)
            assert part is not None
            expected = sorted((h.rule, h.line, h.start) for h in whole if h.line in added)
            assert sorted((h.rule, h.line, h.start) for h in part if h.line in added) == expected
            compared += 1
    assert compared >= 24


def test_a_region_is_the_top_level_statement_not_the_file() -> None:
    text = (STDLIB / "argparse.py").read_text(encoding="utf-8")
    lines = split_lines(text)
    n = next(i for i, line in enumerate(lines) if line.startswith("class HelpFormatter"))
    [(a, b, _)] = regions(lines, {n + 5}, "argparse.py", _starts(lines))
    assert a == n and b < len(lines) and lines[b].strip() and not lines[b][0].isspace()


def test_the_tests_pass_on_regions_finds_what_the_whole_file_shows() -> None:
    rnd = random.Random(11)
    compared = regional = 0
    for name in FILES:
        path = STDLIB / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        lines = split_lines(text)
        for _ in range(6):
            start = rnd.randrange(len(lines))
            added = set(range(start, min(len(lines), start + rnd.randint(1, 60))))
            spans: list[tuple[int, int, ast.Module]] = []
            assert python_hits(name, text, lines, added, spans) is not None
            regional += bool(spans)  # none: a region did not parse, the whole file was
            whole = untested_hits(text, "python", added)
            part = untested_hits(text, "python", added, lines, spans)
            assert [(h.line, h.start, h.message) for h in part] == [
                (h.line, h.start, h.message) for h in whole
            ]
            compared += 1
    assert compared >= 24 and regional >= compared // 2


# Files with every shape of definition: async, nested, decorated, one-line bodies, comments
# after a body (where the tests pass asks ast-grep), methods of classes inside functions.
DEFINITIONS = [*FILES, "asyncio/base_subprocess.py", "contextlib.py", "_pyio.py", "dataclasses.py"]


def _ast_grep_definitions(text: str, offset: int) -> list[tuple[str, int, int, int, int, int]]:
    root = SgRoot(text, "python").root()
    out = []
    for node in root.find_all(kind="function_definition"):
        name = node.field("name")
        assert name is not None
        r, nr = node.range(), name.range()
        if _public(node, "python", name.text()):
            out.append(
                (
                    name.text(),
                    nr.start.line + offset,
                    nr.start.column,
                    nr.end.column,
                    r.start.line + offset,
                    r.end.line + offset,
                )
            )
    return out


def test_the_definitions_read_off_the_parsed_regions_are_ast_greps() -> None:
    # Every function of every region, with the lines it spans: what decides whether an added
    # line is in it; those whose last line is a comment after the body are counted.
    compared = extended = left = 0
    for name in DEFINITIONS:
        path = STDLIB / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        lines = split_lines(text)
        starts = _starts(lines)
        found = {r[:2]: r for n in starts for r in regions(lines, {n}, name, starts)}
        for a, b, tree in found.values():
            ours = _python_definitions(tree, lines, b)
            if ours is None:  # left to ast-grep (a body line dedented in a string, …)
                left += 1
                continue
            assert ours == _ast_grep_definitions("\n".join(lines[a:b]) + "\n", a)
            compared += len(ours)
            extended += sum(lines[d[5]].lstrip().startswith("#") for d in ours)
    assert compared > 250 and extended > 0 and left < compared // 10


def test_a_comment_after_a_body_counts_in_the_function_as_ast_grep_has_it() -> None:
    text = "def changed():\n    return 1\n    # a note at the end of the body\n\nX = 1\n"
    lines = split_lines(text)
    spans: list[tuple[int, int, ast.Module]] = []
    assert python_hits("m.py", text, lines, {2}, spans) is not None and spans
    [hit] = untested_hits(text, "python", {2}, lines, spans)
    assert (hit.line, hit.start, hit.end, hit.data) == (0, 4, 11, {"symbol": "changed"})
    assert untested_hits(text, "python", {2}) == [hit]


def test_a_comment_indented_less_than_the_body_is_outside_the_function() -> None:
    text = "def changed():\n    return 1\n# about what follows\n\nX = 1\n"
    lines = split_lines(text)
    spans: list[tuple[int, int, ast.Module]] = []
    assert python_hits("m.py", text, lines, {2}, spans) is not None and spans
    assert untested_hits(text, "python", {2}, lines, spans) == []
    assert untested_hits(text, "python", {2}) == []


def test_a_body_line_dedented_in_brackets_is_left_to_ast_grep() -> None:
    # Valid Python whose function tree-sitter ends at the dedented line: ast-grep decides.
    text = "def changed():\n    x = (a.\nb)\n    return x\n"
    lines = split_lines(text)
    spans: list[tuple[int, int, ast.Module]] = []
    assert python_hits("m.py", text, lines, {3}, spans) is not None and spans
    assert _python_definitions(spans[0][2], lines, spans[0][1]) is None
    assert untested_hits(text, "python", {3}, lines, spans) == untested_hits(text, "python", {3})
