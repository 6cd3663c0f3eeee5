"""The YAML bounds check reads libyaml's events where it can and ruamel's where it cannot:
both must refuse the same files at the same places."""

from __future__ import annotations

import pytest

from swath.spec.yaml_bounds import (
    YamlLimits,
    YamlTooComplex,
    _check_events,
    _libyaml_events,
    _ruamel_events,
    check_yaml_bounds,
)

LIMITS = YamlLimits(max_expanded_nodes=1_000, max_depth=8, max_aliases=50)
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcd", "bcde", strict=True)
)
DEEP = "k: " + "[" * 12 + "]" * 12 + "\n"
ALIASES = "a: &a 1\nb: [" + ", ".join(["*a"] * 60) + "]\n"


@pytest.mark.parametrize("text", [LAUGHS, DEEP, ALIASES])
def test_both_parsers_refuse_at_the_same_place(text: str) -> None:
    events = _libyaml_events(text)
    assert events is not None
    with pytest.raises(YamlTooComplex) as fast:
        _check_events(events, LIMITS)
    with pytest.raises(YamlTooComplex) as slow:
        _check_events(_ruamel_events(text), LIMITS)
    assert fast.value.problem == slow.value.problem
    f, s = fast.value.problem_mark, slow.value.problem_mark
    assert (f.line, f.column) == (s.line, s.column)


def test_a_file_libyaml_refuses_is_checked_by_ruamel(monkeypatch: pytest.MonkeyPatch) -> None:
    from swath.spec import yaml_bounds

    assert _libyaml_events("a: [1\n") is None  # a syntax error: ruamel's parser reports it
    monkeypatch.setattr(yaml_bounds, "_libyaml_events", lambda text: None)  # no libyaml
    with pytest.raises(YamlTooComplex):
        check_yaml_bounds(LAUGHS, LIMITS)


def test_a_good_file_passes_either_way() -> None:
    text = "name: x\nsteps:\n  - id: a\n    kind: discover\n    source: files\n"
    check_yaml_bounds(text, LIMITS)
    _check_events(_ruamel_events(text), LIMITS)
