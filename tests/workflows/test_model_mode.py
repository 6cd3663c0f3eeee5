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
from tests.workflows.helpers import write
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


def _finding(rule: str, severity: str, line: int, quote: str, message: str) -> dict[str, Any]:
    return {
        "rule": rule,
        "severity": severity,
        "path": "svc/handlers.py",
        "line": line,
        "quote": quote,
        "message": message,
    }


async def test_review_diff_with_a_model(
    diff_repo: Path, fake_anthropic: FakeAnthropicServer
) -> None:  # noqa: F811
    server = fake_anthropic
    server.script(answer({"findings": []}), match="pass of a code review")
    server.script(
        answer(
            {
                "findings": [
                    _finding(
                        "review/security/shell-injection",
                        "error",
                        10,
                        "return subprocess.run(f'sh {cmd}', shell=True)",
                        "cmd reaches the shell unquoted.",
                    ),
                    _finding(
                        "review/security/bare-except", "warning", 11, "except:", "Hides errors."
                    ),
                ]
            }
        ),
        match="You are the **security** pass",
    )
    server.script(
        answer(
            {
                "findings": [
                    # cited one line off: the verify step finds the quote two lines down
                    _finding(
                        "review/correctness/swallowed-error",
                        "warning",
                        10,
                        "return None",
                        "The failure is swallowed: callers cannot tell it from no output.",
                    ),
                    _finding(
                        "review/correctness/bare-except",
                        "warning",
                        11,
                        "except:",
                        "Catches SystemExit.",
                    ),
                    _finding(
                        "review/correctness/invented",
                        "warning",
                        3,
                        "this line is not in the file",
                        "A hallucinated problem.",
                    ),
                ]
            }
        ),
        match="You are the **correctness** pass",
    )

    def second_opinion(ctx: RequestContext) -> ReplyLike:
        keep = (
            "shell-injection" not in ctx.conversation
        )  # the secret is real; the shell call is not
        value = {"keep": keep, "reason": "checked against the callers"}
        return Submit(value) if SUBMIT_TOOL in ctx.tools else JsonText(value)

    server.script(second_opinion, match="Another reviewer reported this as an error")
    server.script(
        answer({"markdown": "## Review by the model\n\nFix the bare except first.\n"}),
        match="Write the review of this change",
    )
    report = await run_with_model(diff_repo, server, "review-diff")
    assert report.status == RunStatus.succeeded
    rules = {f.rule for f in report.findings}
    swallowed = next(f for f in report.findings if f.rule == "review/correctness/swallowed-error")
    assert swallowed.verified and swallowed.range.start.line == 11  # re-anchored from line 10
    assert "review/correctness/invented" not in rules
    assert "review/security/shell-injection" not in rules  # the second opinion rejected it
    secret = next(f for f in report.findings if f.rule == "review/security/hardcoded-secret")
    assert secret.data.extra("second_opinion") == "checked against the callers"
    assert report.dropped_findings == 2
    # security and correctness saw the same bare except: one finding, both passes
    [both] = [f for f in report.findings if f.rule.endswith("/bare-except")]
    assert both.data.extra("passes") == ["security", "correctness"]
    assert both.data.extra("source") == "swath/security+correctness"
    assert {"ruff/S602", "ruff/E722", "review/correctness/console-log"} <= rules
    summary = report.outputs["summary"]
    assert summary["model"] == {
        "markdown": "## Review by the model\n\nFix the bare except first.\n"
    }
    assert summary["analyzer"]["verdict"] == "changes requested"
    prompts = server.all_request_text()
    assert "   10 +         return subprocess.run(f'sh {cmd}', shell=True)" in prompts
    assert "sk_live_abcdefghijklmnopqrstuvwx" not in prompts  # the planted secret never leaves
    assert "You are the **tests** pass" in prompts
    # no markup changed: the accessibility pass's agent is never started
    assert "You are the **accessibility** pass" not in prompts
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
    assert report.outputs["modmap"]["model"] == {
        "markdown": "## The shop, explained\n",
        "unknown_names": [],
        "names_checked": 0,
    }
    assert report.outputs["modmap"]["analyzer"]["cycles"][0]["files"] == [
        "shop/cart.py",
        "shop/pricing.py",
    ]


async def test_the_reduce_prompt_counts_the_tests_users_apart(
    module_repo: Path, fake_anthropic: FakeAnthropicServer
) -> None:  # noqa: F811
    """The report and lenses count a file's test users apart; the model's facts did not."""
    write(module_repo, {"tests/test_cart.py": "from shop.cart import Cart\n"})
    server = fake_anthropic
    server.script(answer({"findings": [], "summary": ""}), match="You are mapping")
    server.script(answer({"markdown": "## The shop\n"}), match="Write the module map")
    report = await run_with_model(module_repo, server, "map-module", ["shop", "tests"])
    assert report.status == RunStatus.succeeded
    prompts = server.all_request_text()
    assert (
        "Most depended on (files of the code using it, tests apart): `shop/cart.py` (3 +1 tests)"
        in prompts
    )


async def test_the_narrative_names_are_checked_against_the_map(
    module_repo: Path, fake_anthropic: FakeAnthropicServer
) -> None:  # noqa: F811
    server = fake_anthropic
    server.script(answer({"findings": [], "summary": ""}), match="You are mapping")
    narrative = (
        "## The shop\n\n"
        "`Cart` in `shop/cart.py` totals through `price` (`pricing.py`); `Cart.total` is the "
        "entry. `PaymentGateway` in `shop/payments.py` charges cards, and `shop.cart.refund()` "
        "undoes it. `os` and `None` are fine.\n\n```python\nPaymentGateway()  # code, not a claim\n```\n"
    )
    server.script(answer({"markdown": narrative}), match="Write the module map")
    report = await run_with_model(module_repo, server, "map-module", ["shop"])
    assert report.status == RunStatus.succeeded
    model = report.outputs["modmap"]["model"]
    # the made-up class, file and function are flagged; everything real is kept as written
    assert model["unknown_names"] == ["PaymentGateway", "shop/payments.py", "shop.cart.refund"]
    assert model["names_checked"] == 9
    md = model["markdown"]
    assert "`PaymentGateway` ⚠ *(not in the map)* in `shop/payments.py` ⚠ *(not in the map)*" in md
    assert "`Cart` in `shop/cart.py` totals" in md and "`Cart.total` is" in md
    assert "PaymentGateway()  # code, not a claim\n```" in md  # a code block is left alone
    assert md.rstrip().endswith("- `shop.cart.refund`")
    assert "### Names not found in the map" in md
