"""Every kind of problem is reported at its exact line and column, with a fix."""

from __future__ import annotations

import pytest

from swath.spec.loader import (
    KnownNames,
    SpecIssue,
    WorkflowError,
    load_workflow_text,
    validate_text,
)

from .helpers import at, issues_of, only


def test_yaml_syntax_error_points_at_the_problem_mark() -> None:
    issue = only(
        issues_of(
            """\
            name: x
            steps:
              - id: a
                 kind: map
            """
        ),
        "yaml",
    )
    assert (issue.line, issue.column) == (4, 10)
    assert "mapping values are not allowed here" in issue.message
    assert str(issue).startswith("wf.yaml:4:10: invalid YAML")


def test_tab_indentation_says_to_use_spaces() -> None:
    issue = only(issues_of("name: x\nsteps:\n\t- id: a\n"), "yaml")
    assert (issue.line, issue.column) == (3, 1)
    assert "tabs" in issue.message


def test_unterminated_quote_names_where_the_string_started() -> None:
    issue = only(issues_of('name: x\nsteps:\n  - id: "a\n'), "yaml")
    assert "line 3, column 9" in issue.message


def test_duplicate_key_points_at_the_second_key() -> None:
    issue = only(issues_of("name: x\nname: y\nsteps: []\n"), "duplicate-key")
    assert at(issue) == (2, 1, 2, 5)
    assert "first set on line 1" in issue.message


def test_unknown_key_points_at_the_key_with_did_you_mean() -> None:
    issues = issues_of(
        """\
        name: x
        steps:
          - id: scan
            kind: map
            from: scan0
            agent:
              analyzerr: flags
          - id: scan0
            kind: discover
            source: files
        """
    )
    issue = only(issues, "unknown-key")
    assert at(issue) == (7, 7, 7, 16)
    assert "unknown key `analyzerr` in `agent` of map step `scan`" in issue.message
    assert "did you mean `analyzer`?" in issue.message


def test_unknown_key_suggests_aliases_such_as_from() -> None:
    issue = only(
        issues_of(
            """\
            name: x
            steps:
              - id: a
                kind: discover
                source: files
              - id: b
                kind: filter
                form: a
                where: "true"
            """
        ),
        "unknown-key",
    )
    assert at(issue) == (8, 5, 8, 9)
    assert "did you mean `from`?" in issue.message


def test_unknown_top_level_key() -> None:
    issue = only(
        issues_of("name: x\nstep:\n  - id: a\n    kind: discover\n    source: files\n"),
        "unknown-key",
    )
    assert at(issue) == (2, 1, 2, 5)
    assert "did you mean `steps`?" in issue.message


def test_type_error_points_at_the_value() -> None:
    issues = issues_of(
        """\
        name: x
        limits:
          concurrency: lots
        steps:
          - id: a
            kind: discover
            source: files
        """
    )
    issue = only(issues, "type")
    assert at(issue) == (3, 16, 3, 20)
    assert issue.message == "`limits.concurrency` should be an integer, got 'lots'"


def test_union_type_error_is_reported_once() -> None:
    issues = issues_of(
        """\
        name: x
        steps:
          - id: a
            kind: discover
            source: files
          - id: v
            kind: verify
            from: 3
        """
    )
    issue = only(issues, "type")
    assert at(issue) == (8, 11, 8, 12)
    assert "should be a string or a list, got 3" in issue.message


def test_union_member_that_got_further_wins() -> None:
    issues = issues_of(
        """\
        name: x
        steps:
          - id: a
            kind: discover
            source: files
          - id: v
            kind: verify
            from: [a, 3]
        """
    )
    issue = only(issues, "type")
    assert at(issue) == (8, 15, 8, 16)
    assert "`from[1]` of verify step `v` should be a string, got 3" == issue.message


def test_literal_value_with_did_you_mean() -> None:
    issue = only(
        issues_of(
            """\
            name: x
            inputs:
              base:
                type: strin
            steps:
              - id: a
                kind: discover
                source: files
            """
        ),
        "type",
    )
    assert at(issue) == (4, 11, 4, 16)
    assert "did you mean `string`?" in issue.message


def test_pattern_error_explains_the_pattern() -> None:
    issue = only(
        issues_of("name: My Flow\nsteps:\n  - id: a\n    kind: discover\n    source: files\n"),
        "type",
    )
    assert at(issue) == (1, 7, 1, 14)
    assert "lowercase letters, digits and `-`" in issue.message


def test_step_that_is_not_a_mapping() -> None:
    issue = only(issues_of("name: x\nsteps:\n  - just text\n"), "type")
    assert at(issue) == (3, 5, 3, 14)
    assert "step 1 should be a mapping with `id:` and `kind:`" in issue.message


def test_missing_required_key_points_at_the_owner() -> None:
    issues = issues_of(
        """\
        name: x
        steps:
          - id: a
            kind: discover
            source: files
          - id: scan
            kind: map
            from: a
        """
    )
    issue = only(issues, "missing")
    assert at(issue) == (6, 5, 6, 13)
    assert "map step `scan` is missing the required key `agent`; add `agent:`" in issue.message


def test_missing_key_inside_a_nested_mapping_points_at_its_key() -> None:
    issue = only(
        issues_of(
            """\
            name: x
            steps:
              - id: a
                kind: discover
                source: files
              - id: v
                kind: verify
                from: a
                second_opinion:
                  model: claude
                  max_turns: nope
            """
        ),
        "type",
    )
    assert (issue.line, issue.column) == (11, 18)


def test_missing_name_points_at_the_start() -> None:
    issue = only(issues_of("steps:\n  - id: a\n    kind: discover\n    source: files\n"), "missing")
    assert (issue.line, issue.column) == (1, 1)
    assert "`name`" in issue.message


def test_missing_kind() -> None:
    issue = only(issues_of("name: x\nsteps:\n  - id: a\n    source: files\n"), "missing")
    assert at(issue) == (3, 5, 3, 10)
    assert (
        "has no `kind`" in issue.message
        and "discover, map, filter, verify, reduce, emit" in issue.message
    )


def test_invalid_kind_with_did_you_mean() -> None:
    issue = only(issues_of("name: x\nsteps:\n  - id: a\n    kind: mapp\n"), "unknown-kind")
    assert at(issue) == (4, 11, 4, 15)
    assert "unknown step kind `mapp`; did you mean `map`?" in issue.message


def test_empty_steps() -> None:
    issue = only(issues_of("name: x\nsteps: []\n"), "type")
    assert at(issue) == (2, 8, 2, 10)
    assert "no steps" in issue.message


@pytest.mark.parametrize(
    "text, what", [("", "empty"), ("- a\n", "a list"), ("just text\n", "a str")]
)
def test_file_that_is_not_a_mapping(text: str, what: str) -> None:
    issue = only(issues_of(text), "type")
    assert (issue.line, issue.column) == (1, 1)
    assert what in issue.message


def test_duplicate_step_id_points_at_the_second_id() -> None:
    issues = issues_of(
        """\
        name: x
        steps:
          - id: a
            kind: discover
            source: files
          - id: a
            kind: discover
            source: diff
        """
    )
    issue = only(issues, "duplicate-step")
    assert at(issue) == (6, 9, 6, 10)
    assert "already used by the step on line 3" in issue.message
    assert [i.code for i in issues] == [
        "duplicate-step"
    ]  # no second report from pydantic, no fake cycle


def test_unknown_step_references_everywhere() -> None:
    issues = issues_of(
        """\
        name: x
        steps:
          - id: files
            kind: discover
            source: files
          - id: keep
            kind: filter
            from: fils
            needs: [nope]
            where: "true"
          - id: out
            kind: emit
            from: [keep]
            outputs: [kep]
            report: fles
        """
    )
    refs = [i for i in issues if i.code == "unknown-step"]
    assert [at(i) for i in refs] == [
        (8, 11, 8, 15),
        (9, 13, 9, 17),
        (14, 15, 14, 18),
        (15, 13, 15, 17),
    ]
    assert (
        "`from` of step `keep` names step `fils`, which does not exist; did you mean `files`?"
        in refs[0].message
    )
    assert "did you mean `keep`?" in refs[2].message
    assert "known steps: files, out" in refs[1].message  # not the step itself


def test_cycle_reports_the_path_at_the_closing_reference() -> None:
    issues = issues_of(
        """\
        name: x
        steps:
          - id: a
            kind: reduce
            from: c
            agent: {analyzer: flags}
          - id: b
            kind: reduce
            from: a
            agent: {analyzer: flags}
          - id: c
            kind: reduce
            from: b
            agent: {analyzer: flags}
        """
    )
    issue = only(issues, "cycle")
    assert at(issue) == (5, 11, 5, 12)
    assert "a -> b -> c -> a" in issue.message
    assert "remove `c` from step `a`" in issue.message


def test_two_step_cycle_through_needs() -> None:
    issue = only(
        issues_of(
            """\
            name: x
            steps:
              - id: a
                kind: discover
                source: files
                needs: [b]
              - id: b
                kind: discover
                source: files
                needs: [a]
            """
        ),
        "cycle",
    )
    assert (issue.line, issue.column) == (6, 13)
    assert "a -> b -> a" in issue.message


def test_self_reference_is_a_cycle() -> None:
    issue = only(
        issues_of("name: x\nsteps:\n  - id: a\n    kind: filter\n    from: a\n    where: 'true'\n"),
        "cycle",
    )
    assert (issue.line, issue.column) == (5, 11)
    assert "a -> a" in issue.message


def test_unknown_registered_names() -> None:
    issues = issues_of(
        """\
        name: x
        steps:
          - id: a
            kind: discover
            source: flgs
          - id: b
            kind: map
            from: a
            agent:
              analyzer: symbol
              tools: [read_file, grepp]
              output: finding
          - id: v
            kind: verify
            from: b
            second_opinion:
              analyzer: nope
        """
    )
    by_code: dict[str, SpecIssue] = {}
    for i in issues:
        by_code.setdefault(i.code, i)
    assert at(by_code["unknown-source"]) == (5, 13, 5, 17)
    assert "did you mean `flags`?" in by_code["unknown-source"].message
    assert at(by_code["unknown-analyzer"]) == (10, 17, 10, 23)
    assert "did you mean `symbols`?" in by_code["unknown-analyzer"].message
    assert at(by_code["unknown-tool"]) == (11, 26, 11, 31)
    assert "did you mean `grep`?" in by_code["unknown-tool"].message
    assert at(by_code["unknown-schema"]) == (12, 15, 12, 22)
    assert "did you mean `findings`?" in by_code["unknown-schema"].message
    second = [i for i in issues if i.code == "unknown-analyzer" and i.line == 17]
    assert second and second[0].column == 17
    assert "known analyzers: diff-review, flags, symbols" in second[0].message


def test_names_are_not_checked_without_known_names() -> None:
    text = "name: x\nsteps:\n  - id: a\n    kind: discover\n    source: whatever\n"
    wf, issues = validate_text(text, "wf.yaml", None)
    assert wf is not None and issues == []
    wf, issues = validate_text(text, "wf.yaml", KnownNames(analyzers={"flags"}))
    assert wf is not None  # sources=None: not checked


def test_template_syntax_error_in_block_scalar_points_at_the_template_line() -> None:
    issue = only(
        issues_of(
            """\
            name: x
            steps:
              - id: a
                kind: discover
                source: files
              - id: m
                kind: map
                from: a
                agent:
                  instructions: |
                    Review {{ item.path }}.
                    {% for f in findings %}
                      {{ f.message }
            """
        ),
        "template",
    )
    assert at(issue) == (13, 11, 13, 25)
    assert "instructions" in issue.message and "template line 3" in issue.message


def test_template_error_in_inline_system_prompt_points_at_the_value() -> None:
    issue = only(
        issues_of(
            """\
            name: x
            steps:
              - id: a
                kind: discover
                source: files
              - id: r
                kind: reduce
                from: a
                agent: {system: "be {{ brief"}
            """
        ),
        "template",
    )
    assert (issue.line, issue.column) == (9, 21)
    assert "`agent.system` of reduce step `r`" in issue.message


def test_filter_expression_syntax_error() -> None:
    issue = only(
        issues_of(
            """\
            name: x
            steps:
              - id: a
                kind: discover
                source: files
              - id: f
                kind: filter
                from: a
                where: output.score >
            """
        ),
        "template",
    )
    assert at(issue) == (9, 12, 9, 26)
    assert "expression" in issue.message


def test_every_problem_is_reported_in_one_pass_sorted_by_position() -> None:
    issues = issues_of(
        """\
        name: x
        limits:
          concurrency: 0
        steps:
          - id: a
            kind: discover
            source: nope
          - id: m
            kind: map
            from: zz
            agent:
              instructions: "{{ x"
              bogus: 1
        """
    )
    assert [(i.line, i.code) for i in issues] == [
        (3, "type"),
        (7, "unknown-source"),
        (10, "unknown-step"),
        (12, "template"),
        (13, "unknown-key"),
    ]
    assert "greater than or equal to 1" in issues[0].message


def test_load_workflow_text_raises_with_all_issues() -> None:
    with pytest.raises(WorkflowError) as info:
        load_workflow_text("name: x\nsteps:\n  - id: a\n    kind: mapp\n  - id: b\n", "w.yaml")
    err = info.value
    assert len(err.issues) == 2
    assert str(err).splitlines() == [str(i) for i in err.issues]
    assert str(err).startswith("w.yaml:3:5: ") or str(err).startswith("w.yaml:4:11: ")


def test_references_of_a_step_without_a_valid_id_are_still_checked() -> None:
    issues = issues_of("name: x\nsteps:\n  - id: 5\n    kind: emit\n    from: b\n")
    assert [(i.line, i.column, i.code) for i in issues] == [(3, 9, "type"), (5, 11, "unknown-step")]
    assert issues[1].message.startswith("`from` of emit step 1 names step `b`")


def test_wrongly_shaped_reference_is_a_type_error_only() -> None:
    issues = issues_of(
        "name: x\nsteps:\n  - id: a\n    kind: discover\n    source: files\n    needs: a\n"
    )
    assert [(i.line, i.column, i.code) for i in issues] == [(6, 12, "type")]
    assert issues[0].message == "`needs` of discover step `a` should be a list, got 'a'"


def test_null_value_points_at_its_key() -> None:
    issue = only(issues_of("name: x\nsteps:\n"), "type")
    assert at(issue) == (2, 1, 2, 6)
    assert issue.message == "`steps` should be a list, got nothing (null)"


def test_unknown_template_names_are_load_errors_at_the_name() -> None:
    issues = issues_of(
        """\
        name: x
        inputs:
          base: {type: string}
        steps:
          - id: a
            kind: discover
            source: files
          - id: b
            kind: map
            from: a
            agent:
              instructions: |
                Review {{ itme.path }}
                against {{ inputs.bsae }}.
          - id: c
            kind: filter
            from: b
            where: "ouput.score > 3"
        """
    )
    names = [i for i in issues if i.code == "template-name"]
    assert [(i.line, i.column) for i in names] == [(13, 19), (14, 27), (18, 13)]
    assert "did you mean `item`?" in names[0].message
    assert (
        "declares no input `bsae`" in names[1].message
        and "did you mean `base`?" in names[1].message
    )
    assert "did you mean `output`?" in names[2].message
