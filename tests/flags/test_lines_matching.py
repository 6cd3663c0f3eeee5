"""The lines a file's regexes match (test cases, definition headers): the regexes take a
line's leading spaces possessively, and match what their backtracking forms did."""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from swath.analyzers.flags.examine import HEADER_LINE
from swath.analyzers.flags.pins import CASE_LINE
from swath.analyzers.flags.references import ParsedFile, _split_lines

_n = itertools.count()

PIECES = [
    "",
    " ",
    "\t",
    "def test_x():",
    "  async def test_y(a):",
    "func TestZ(t *testing.T) {",
    'it("works", () => {',
    "it 'ruby' do",
    "export const f = async (",
    "class A:",
    "    return 1",
    "x = 1  # def not_a_test",
    "it",
    "'",
    "\r",
    "\r\n",
]


def _file(text: str) -> ParsedFile:
    lines = re.split(r"\r\n|\r|\n", text)
    return ParsedFile(path="f", text=text, lines=lines, lang=None, key=("t", "f", str(next(_n))))


def test_a_match_across_a_blank_line_names_the_line_it_is_on():
    pf = _file("x = 1\n\n   \ndef test_a():\n    pass\n")
    assert pf.lines_matching(CASE_LINE) == [3]


# The forms before `\s*+` was factored out and made possessive (a 7x slower search on a
# deeply indented file): what the regexes match must not have changed.
BACKTRACKING = {
    HEADER_LINE: re.compile(
        r"^\s*(?:export\s+)?(?:async\s+)?(?:def|class|function|func|public|private|protected)\b"
        r"|^\s*(?:export\s+)?(?:const|let|var)\s+\w+\s*=\s*(?:async\s*)?(?:\(|function)"
    ),
    CASE_LINE: re.compile(
        r"^\s*(?:async\s+)?def\s+(?P<py>test\w*)"
        r"|^\s*func\s+(?P<go>(?:Test|Benchmark|Example)\w*)\s*\("
        r"|^\s*(?:it|test)(?:\.\w+)?\s*\(\s*(?P<q>[\"'`])(?P<js>.*?)(?P=q)"
        r"|^\s*it\s+(?P<rq>[\"'])(?P<rb>.*?)(?P=rq)"
    ),
}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.sampled_from(["\n", " ", "\n\n", "\t"]))
def test_the_same_lines_and_names_as_the_backtracking_forms(pieces, sep):
    text = sep.join(pieces)
    pf = _file(text)
    for rx, old in BACKTRACKING.items():
        assert pf.lines_matching(rx) == [i for i, line in enumerate(pf.lines) if old.match(line)]
        for line in pf.lines:
            new_m, old_m = rx.match(line), old.match(line)
            assert (new_m and new_m.groupdict()) == (old_m and old_m.groupdict())


@given(st.text(alphabet="ab \r\n", max_size=30))
def test_lines_split_as_the_regex_does(text):
    assert _split_lines(text) == re.split(r"\r\n|\r|\n", text)
