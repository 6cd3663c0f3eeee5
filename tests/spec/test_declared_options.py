"""A source's `with:` and an analyzer's `params:` are checked against the models they declare."""

from __future__ import annotations

import textwrap

from swath.engine.catalog import known_names
from swath.spec.keypath import allowed_keys_at, hover_at, options_root

from .helpers import at, issues_of, only

WF = """\
name: opts
steps:
  - id: files
    kind: discover
    source: files
    with: {includ: ["*.py"], max_bytes: lots}
  - id: symbols
    kind: map
    from: files
    agent:
      analyzer: symbols
  - id: map
    kind: reduce
    from: symbols
    agent:
      analyzer: module-map
      params:
        topp: 3
        lenses: sometimes
"""


def test_typos_and_wrong_types_in_options_are_load_errors_with_positions() -> None:
    issues = issues_of(WF, known_names())
    typo = only([i for i in issues if "includ" in i.message], "unknown-key")
    assert at(typo)[:2] == (6, 12)
    assert "did you mean `include`?" in typo.message
    assert "`with` of discover step `files`" in typo.message
    bad_type = next(i for i in issues if "`with.max_bytes`" in i.message)
    assert (bad_type.code, bad_type.line, bad_type.column) == ("type", 6, 41)
    assert "should be an integer" in bad_type.message
    topp = only([i for i in issues if "topp" in i.message], "unknown-key")
    assert (topp.line, topp.column) == (18, 9) and "did you mean `top`?" in topp.message
    lenses = next(i for i in issues if "`agent.params.lenses`" in i.message)
    assert lenses.line == 19 and "true or false" in lenses.message


def test_source_specific_options_and_missing_required_ones() -> None:
    text = WF.replace("source: files", "source: grep").replace(
        'with: {includ: ["*.py"], max_bytes: lots}', 'with: {include: ["*.py"]}'
    )
    issues = issues_of(text, known_names())
    missing = only(issues, "missing")
    assert "required key `pattern`" in missing.message and missing.line == 6


def test_good_options_pass_and_builtin_workflows_stay_valid() -> None:
    from swath.spec.loader import builtin_workflows_dir, validate_text

    good = WF.replace('{includ: ["*.py"], max_bytes: lots}', '{include: ["*.py"]}')
    good = good.replace("topp: 3", "top: 3").replace("lenses: sometimes", "lenses: false")
    names = known_names()
    assert validate_text(good, "wf.yaml", names)[1] == []
    for path in sorted(builtin_workflows_dir().glob("*.yaml")):
        assert validate_text(path.read_text(encoding="utf-8"), path.name, names)[1] == []


def test_a_plugin_without_declared_options_takes_any() -> None:
    names = known_names()
    names.analyzers = (names.analyzers or set()) | {"third-party"}
    text = WF.replace("analyzer: module-map", "analyzer: third-party")
    text = text.replace('{includ: ["*.py"], max_bytes: lots}', "{}")
    from swath.spec.loader import validate_text

    assert validate_text(text, "wf.yaml", names)[1] == []


def test_editor_completion_and_hover_know_the_options() -> None:
    names = known_names()
    text = textwrap.dedent(
        """\
        name: opts
        steps:
          - id: changes
            kind: discover
            source: diff
            with:
              per: hunk
        """
    )
    root = options_root(text, ["steps", 0, "with", ""], names)
    assert root is not None
    keys = allowed_keys_at(["steps", 0, "with"], "discover", root)
    assert {"base", "per", "untracked", "include", "max_lines"} <= set(keys)
    assert "One item per changed file, or per hunk" in keys["per"]
    hover = hover_at(text, 6, 7, names)
    assert hover is not None and "per hunk" in hover
    # without the registry's models, `with:` is free-form and nothing is offered
    assert options_root(text, ["steps", 0, "with", ""], None) is None
