"""sourcetext: a file's first non-blank line, found without splitting the whole file."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from swath.analyzers.sourcetext import first_nonempty, first_nonempty_of, split_lines


def test_the_first_line_with_text_and_its_number() -> None:
    assert first_nonempty_of("\n  \n\t# coding: utf-8  \nx = 1\n") == (2, "# coding: utf-8")
    assert first_nonempty_of("") is None
    assert first_nonempty_of(" \n\t\n") is None
    assert first_nonempty_of("last") == (0, "last")
    assert first_nonempty_of("\r\n\rx\r\n") == (2, "x")  # \r and \r\n break lines as \n does


@given(st.text(alphabet=" \t\n\r\x0ca#é", max_size=40))
def test_the_same_as_the_first_non_blank_of_the_split_lines(text: str) -> None:
    assert first_nonempty_of(text) == first_nonempty(split_lines(text))
