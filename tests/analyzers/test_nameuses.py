"""count_names: whole-word mentions of imported names, minus the import statements' own."""

from __future__ import annotations

from collections import Counter

from swath.analyzers.nameuses import count_names


def test_a_mention_is_the_whole_name_and_not_someone_elses_attribute() -> None:
    text = (
        "from m import Engine, run, S\n"
        "Engine(); Engine.start(); x.Engine; EngineRoom; MyEngine; _Engine; Engine_2\n"
        "$Engine; Engine$; \u00e9Engine; Engine\u00e9; run(run); rerun; running; S(1); Sx; 'S'\n"
    )
    counts = count_names(text, ["Engine", "run", "S"], Counter(["Engine", "run", "S"]))
    assert counts == {"Engine": 2, "run": 2, "S": 2}


def test_names_never_mentioned_beyond_their_import_are_left_out() -> None:
    assert count_names("from m import a, b\nb()\n", ["a", "b", "*", ""], Counter("ab")) == {"b": 1}


def test_a_mention_at_the_very_start_of_the_text_counts() -> None:
    # Before, the character "before" offset 0 was '' and `'' in "_.$"` is true: it was skipped.
    assert count_names("Engine()\n", ["Engine"], Counter()) == {"Engine": 1}
