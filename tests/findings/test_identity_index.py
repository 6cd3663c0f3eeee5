"""The line index counts identical lines the same way for a file's first finding and later ones."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from swath.places import LineIndex

LINES = st.lists(st.sampled_from(["x = 1", "  x  =   1", "", "   ", "pass", "y = 2"]), max_size=30)


@given(LINES, st.data())
def test_first_and_later_lookups_agree(lines: list[str], data: st.DataObject) -> None:
    if not lines:
        return
    line = data.draw(st.integers(0, len(lines) - 1))
    first = LineIndex(lines).place(line, 0)
    warmed = LineIndex(lines)
    warmed.place(0, 0)
    later = warmed.place(line, 0)
    assert first == later
    text = " ".join(lines[line].split())
    above = sum(1 for raw in lines[:line] if " ".join(raw.split()) == text)
    assert first is not None and first[0] == text and first[1].split(":")[0] == str(above)
