"""Shared bits of the spec tests."""

from __future__ import annotations

import textwrap

from swath.spec.loader import KnownNames, SpecIssue, validate_text

KNOWN = KnownNames(
    analyzers={"flags", "symbols", "diff-review"},
    tools={"read_file", "grep", "list_files"},
    schemas={"findings", "report"},
    sources={"files", "diff", "flags", "symbols", "grep"},
)

GOOD = textwrap.dedent(
    """\
    name: flag-cleanup
    description: Find feature flags that are fully rolled out.
    inputs:
      catalogue:
        type: path
        default: flags.yaml
    limits:
      concurrency: 8
      budget_usd: 2.5
    steps:
      - id: flags
        kind: discover
        source: flags
        with:
          catalogue: flags.yaml
      - id: usages
        kind: map
        from: flags
        batch: 4
        agent:
          analyzer: flags
          tools: [read_file, grep]
          output: findings
          instructions: |
            Check whether {{ item.id }} is still toggled anywhere.
            {% for f in items %}- {{ f.path }}
            {% endfor %}
      - id: removable
        kind: filter
        from: usages
        where: "findings | length > 0"
      - id: checked
        kind: verify
        from: removable
      - id: plan
        kind: reduce
        from: checked
        agent:
          output: report
          instructions: Write a removal plan for {{ records | length }} flags.
      - id: publish
        kind: emit
        from: checked
        outputs: [plan]
        report: plan
    """
)


def issues_of(text: str, known: KnownNames | None = KNOWN) -> list[SpecIssue]:
    wf, issues = validate_text(textwrap.dedent(text), "wf.yaml", known)
    assert wf is None, "expected the workflow to be invalid"
    return issues


def only(issues: list[SpecIssue], code: str) -> SpecIssue:
    matching = [i for i in issues if i.code == code]
    assert len(matching) == 1, f"expected one {code!r} issue, got: {[str(i) for i in issues]}"
    return matching[0]


def at(issue: SpecIssue) -> tuple[int, int, int, int]:
    return issue.line, issue.column, issue.end_line, issue.end_column
