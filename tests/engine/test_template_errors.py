"""A template that fails while rendering (a sandbox refusal, `1/0`) is the workflow's bug:
the plan warns, each task fails with the workflow file's line, and nothing crashes. The
real SDK against the fake Messages API; the workflow loaded from text as from a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from swath.engine.options import RunOptions
from swath.findings.report import RunStatus
from swath.spec.loader import load_workflow_text
from tests.engine.test_model_runs import engine_for, make_files
from tests.fake_anthropic.fixtures import fake_anthropic  # noqa: F401
from tests.fake_anthropic.server import FakeAnthropicServer

WORKFLOW = """\
name: broken-prompt
steps:
  - {id: files, kind: discover, source: files, with: {include: ['*.txt']}}
  - id: sum
    kind: map
    from: files
    agent:
      output: report
      instructions: |
        Summarise {{ items[0].path }}.
        {{ EXPR }}
"""


@pytest.mark.parametrize(
    ("expr", "what"),
    [
        ("1 / 0", "ZeroDivisionError: division by zero"),
        ("items.__class__.__mro__", "access to attribute '__class__' of 'list' object is unsafe"),
        ("'x' | truncate('many')", "TypeError: '>=' not supported"),
    ],
    ids=["division", "sandbox", "bad-filter-argument"],
)
async def test_a_failing_template_fails_its_tasks_with_the_file_line(
    tmp_path: Path, fake_anthropic: FakeAnthropicServer, expr: str, what: str
) -> None:
    make_files(tmp_path, 3)
    wf = load_workflow_text(WORKFLOW.replace("EXPR", expr), "flows/broken.yaml")
    engine, runner = await engine_for(tmp_path, fake_anthropic)
    try:
        plan = await engine.plan(wf, RunOptions(engine="model"))
        report = await engine.run(wf, RunOptions(engine="model"))
    finally:
        await runner.aclose()
        await engine.store.aclose()
    [warning] = plan.warnings
    # Line 11 of the file is the template's line 2, the one that fails.
    assert "flows/broken.yaml:11: instructions template: template failed on its line 2" in warning
    assert what in warning
    assert report.status == RunStatus.failed and report.agents.failed == 3
    assert all("flows/broken.yaml:11:" in e and what in e for e in report.errors)
    assert fake_anthropic.message_requests() == [], "nothing is sent for a prompt that failed"
