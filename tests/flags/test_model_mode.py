"""flag-audit in model mode: batches of flags go to the model (the fake Messages API over real
HTTP, the real SDK) with the analyzer's facts; its findings are verified like the analyzer's,
and where it disagrees with the analyzer the plan says so."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from swath.agents.llm import AnthropicRunner
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.findings.report import RunStatus
from swath.spec.loader import load_workflow, resolve_workflow
from swath.store import RunStore
from swath.workspace import Workspace
from tests.fake_anthropic.fixtures import config_for, fake_anthropic  # noqa: F401
from tests.fake_anthropic.replies import SUBMIT_TOOL, JsonText, RequestContext, Submit
from tests.fake_anthropic.server import FakeAnthropicServer
from tests.gitrepo import commit_files, init_repo

DEMO = Path(__file__).resolve().parents[2] / "examples" / "flags-demo"
KEY = re.compile(r"^## `([^`]+)`: (\S+)", re.MULTILINE)


def reviewer(ctx: RequestContext) -> Any:
    """Assess every flag of the batch as the facts say, except dark_mode; add one real and one
    invented finding."""
    if SUBMIT_TOOL not in ctx.tools:  # the plan (reduce) conversation
        return JsonText({"markdown": "# Model plan\nRemove new_checkout first."})
    prompt = ctx.conversation
    assessments = []
    for section in prompt.split("\n## ")[1:]:
        match = KEY.match("## " + section)
        assert match, section[:80]
        key, state = match.groups()
        candidate = "removal candidate" in section.split("\n- why")[0]
        disagree = key == "dark_mode"
        assessments.append(
            {
                "key": key,
                "state": "on" if disagree else state.rstrip(":,"),
                "candidate": True if disagree else candidate,
                "keep": "enabled",
                "agrees_with_analyzer": not disagree,
                "verdict": "investigate" if disagree else "keep",
                "reason": "the experiment ended" if disagree else "ok",
            }
        )
    findings = []
    if "new_checkout" in prompt:
        findings = [
            {
                "rule": "flag/risk",
                "severity": "warning",
                "path": "app/checkout.py",
                "line": 5,
                "quote": 'if client.get_boolean_value("new_checkout", False):',
                "message": "pricing differs per branch",
            },
            {
                "rule": "flag/risk",
                "severity": "warning",
                "path": "app/checkout.py",
                "line": 2,
                "quote": "this line does not exist",
                "message": "invented",
            },
        ]
    return Submit({"assessments": assessments, "findings": findings, "summary": "reviewed"})


async def test_flag_audit_with_a_model(tmp_path: Path, fake_anthropic: FakeAnthropicServer) -> None:
    root = init_repo(tmp_path / "demo")
    shutil.copytree(DEMO, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".swath"))
    commit_files(root, {}, date="2025-03-01T10:00:00+00:00")
    fake_anthropic.script(reviewer)
    runner = AnthropicRunner.create(config_for(fake_anthropic), api_key="sk-test-key")
    store = RunStore.open(root)
    try:
        engine = Engine(Workspace(root), store, model_runner=runner)
        wf = load_workflow(resolve_workflow("flag-audit", root))
        report = await engine.run(wf, RunOptions(engine="model"))
    finally:
        await runner.aclose()
        await store.aclose()
    assert report.status == RunStatus.succeeded
    prompts = [r for r in fake_anthropic.message_requests() if "You are auditing" in r.raw]
    assert len(prompts) == report.agents.total - 1  # every classify batch, ~10 flags each
    # The facts ground the model: the state, dates and verbatim references are in the prompt.
    first = json.loads(prompts[0].raw)
    text = json.dumps(first["messages"])
    assert "since 2025-03-01" in text and "defined (" in text
    risks = [f for f in report.findings if f.rule == "flag/risk"]
    assert [(f.path, f.range.start.line) for f in risks] == [("app/checkout.py", 4)]
    assert report.dropped_findings >= 1  # the invented quote did not survive verification
    plan = report.outputs["plan"]
    assert [d["key"] for d in plan["analyzer"]["disagreements"]] == ["dark_mode"]
    assert "Model and analyzer disagree" in plan["analyzer"]["markdown"]
    assert plan["model"]["markdown"].startswith("# Model plan")
