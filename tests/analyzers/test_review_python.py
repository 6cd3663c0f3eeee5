"""The loop rules parsed by regions find on added lines exactly what a whole-file parse finds."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

from swath.analyzers.review_python import python_hits, regions, _starts
from swath.analyzers.review_tests import untested_hits
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
            spans: list[tuple[int, int]] = []
            assert python_hits(name, text, lines, added, spans) is not None
            regional += bool(spans)  # none: a region did not parse, the whole file was
            whole = untested_hits(text, "python", added)
            part = untested_hits(text, "python", added, lines, spans)
            assert [(h.line, h.start, h.message) for h in part] == [
                (h.line, h.start, h.message) for h in whole
            ]
            compared += 1
    assert compared >= 24 and regional >= compared // 2
