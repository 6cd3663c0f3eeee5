"""map-module and review-diff with a model: the real SDK against the fake Messages API.

The analyzers still run; the model's findings join theirs and go through the same
evidence check, and the model's report replaces the analyzer's Markdown in the run report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swath.agents.llm import AnthropicRunner
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.findings.report import RunStatus
from swath.store import RunStore
from swath.workspace import Workspace
from tests.fake_anthropic.fixtures import config_for, fake_anthropic  # noqa: F401
from tests.fake_anthropic.replies import SUBMIT_TOOL, JsonText, ReplyLike, RequestContext, Submit
from tests.fake_anthropic.server import FakeAnthropicServer
from tests.workflows.test_workflows_e2e import builtin, diff_repo, module_repo  # noqa: F401


def answer(value: Any) -> Any:
    """The final answer however the agent asks for it: the submit tool, or structured JSON text."""

    def reply(ctx: RequestContext) -> ReplyLike:
        return Submit(value) if SUBMIT_TOOL in ctx.tools else JsonText(value)

    return reply


async def run_with_model(
    root: Path, server: FakeAnthropicServer, name: str, paths: list[str] | None = None
) -> Any:
    runner = AnthropicRunner.create(config_for(server), api_key="test-key")
    store = RunStore.open(root)
    try:
        engine = Engine(Workspace(root), store, model_runner=runner)
        return await engine.run(builtin(name), RunOptions(engine="model", paths=paths or []))
    finally:
        await store.aclose()
        await runner.aclose()


async def test_review_diff_with_a_model(
    diff_repo: Path, fake_anthropic: FakeAnthropicServer
) -> None:  # noqa: F811
    server = fake_anthropic
    server.script(answer({"findings": []}), match="Review this change")
    server.script(
        answer(
            {
                "findings": [
                    {
                        "rule": "review/bug/swallowed-error",
                        "severity": "warning",
                        "path": "svc/handlers.py",
                        "line": 12,
                        "quote": "return None",
                        "message": "The failure is swallowed: callers cannot tell it from no output.",
                    },
                    {
                        "rule": "review/bug/invented",
                        "severity": "error",
                        "path": "svc/handlers.py",
                        "line": 3,
                        "quote": "this line is not in the file",
                        "message": "A hallucinated problem.",
                    },
                ]
            }
        ),
        match="File `svc/handlers.py`",
    )
    server.script(
        answer({"markdown": "## Review by the model\n\nFix the shell call first.\n"}),
        match="Write the review of this change",
    )
    report = await run_with_model(diff_repo, server, "review-diff")
    assert report.status == RunStatus.succeeded
    model_finding = next(f for f in report.findings if f.rule == "review/bug/swallowed-error")
    assert model_finding.verified and model_finding.range.start.line == 11
    assert not any(f.rule == "review/bug/invented" for f in report.findings)
    assert report.dropped_findings == 1
    assert {"review/security/subprocess-shell", "review/bug/console-log"} <= {
        f.rule for f in report.findings
    }
    summary = report.outputs["summary"]
    assert summary["model"] == {"markdown": "## Review by the model\n\nFix the shell call first.\n"}
    assert summary["analyzer"]["verdict"] == "changes requested"
    prompts = server.all_request_text()
    assert (
        "return subprocess.run(f'sh {cmd}', shell=True)" in prompts
    )  # the added lines reach the model
    assert "sk_live_abcdefghijklmnopqrstuvwx" not in prompts  # and the planted secret does not
    assert report.usage.input_tokens > 0


async def test_map_module_with_a_model(
    module_repo: Path, fake_anthropic: FakeAnthropicServer
) -> None:  # noqa: F811
    server = fake_anthropic
    server.script(
        answer(
            {
                "findings": [
                    {
                        "rule": "map/hidden-entry-point",
                        "severity": "warning",
                        "path": "shop/__main__.py",
                        "line": 4,
                        "quote": "print(Cart().total())",
                        "message": "Prints at run time; fine for __main__, noted for the map.",
                    },
                ],
                "summary": "shop/cart.py: the cart",
            }
        ),
        match="You are mapping",
    )
    server.script(answer({"markdown": "## The shop, explained\n"}), match="Write the module map")
    report = await run_with_model(module_repo, server, "map-module", ["shop"])
    assert report.status == RunStatus.succeeded
    assert any(f.rule == "map/hidden-entry-point" and f.verified for f in report.findings)
    assert any(f.rule == "map/import-cycle" for f in report.findings)
    assert report.outputs["modmap"]["model"] == {"markdown": "## The shop, explained\n"}
    assert report.outputs["modmap"]["analyzer"]["cycles"][0]["files"] == [
        "shop/cart.py",
        "shop/pricing.py",
    ]
