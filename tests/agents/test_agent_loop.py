"""The tool-use loop through the real SDK and real HTTP: answers, repairs, limits."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from swath.agents.base import ModelTaskFailed
from swath.agents.llm import AnthropicRunner, parse_json_reply
from swath.agents.redaction import Redactor
from swath.findings.model import Severity
from tests.agents.conftest import Recorder, make_task
from tests.fake_anthropic import (
    FakeAnthropicServer,
    JsonText,
    RequestContext,
    Submit,
    Text,
    ToolUse,
    tools_forever,
)
from tests.fake_anthropic.fixtures import config_for

FINDING = {
    "path": "src/shop/checkout.py",
    "line": 13,
    "quote": 'if is_enabled("new-checkout"):',
    "rule": "flag/check",
    "severity": "warning",
    "message": "The new-checkout flag is checked here.",
}


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    last = body["messages"][-1]
    return [b for b in last["content"] if isinstance(b, dict) and b.get("type") == "tool_result"]


async def test_multi_turn_tool_use_produces_validated_output(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.script(
        [
            ToolUse("grep", {"pattern": "is_enabled", "path": "src"}),
            ToolUse(
                "read_file", {"path": "src/shop/checkout.py", "start_line": 10, "end_line": 16}
            ),
            Submit({"findings": [FINDING], "summary": "one flag check"}),
        ]
    )
    result = await runner.run(make_task(), recorder.env())

    assert result.turns == 3
    assert result.output["summary"] == "one flag check"
    assert result.model == runner.config.model_map
    assert result.files_read == ["src/shop/checkout.py"]
    [finding] = result.findings
    assert finding.rule == "flag/check" and finding.severity is Severity.warning
    assert finding.path == "src/shop/checkout.py"
    # 1-based from the model, zero-based in the evidence; the column is where the quote stands.
    assert finding.evidence[0].line == 12 and finding.range.start.line == 12
    assert finding.range.start.character == 8
    assert finding.data.extra("source") == "model"

    requests = fake_anthropic.message_requests()
    assert len(requests) == 3
    grep_result = tool_results(requests[1].body)[0]
    assert "src/shop/checkout.py:13:" in grep_result["content"]
    read_result = tool_results(requests[2].body)[0]
    assert '13\t        if is_enabled("new-checkout"):' in read_result["content"]
    assert [(c.tool, c.ok) for c in recorder.audits] == [("grep", True), ("read_file", True)]
    assert recorder.audits[1].arguments == {
        "path": "src/shop/checkout.py",
        "start_line": 10,
        "end_line": 16,
    }
    assert recorder.audits[1].result_chars == len(read_result["content"])
    # The answer is constrained by a strict submit tool carrying the step's schema.
    submit = next(t for t in requests[0].body["tools"] if t["name"] == "submit_result")
    assert submit["strict"] is True and "findings" in submit["input_schema"]["properties"]


async def test_grounding_facts_and_rendered_instructions_are_sent(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    task = make_task(
        instructions="Audit {{ item.path }} for flag {{ inputs.flag }}.",
        facts={"flags": ["new-checkout"]},
    )
    task.inputs["flag"] = "new-checkout"
    await runner.run(task, recorder.env())
    [request] = fake_anthropic.message_requests()
    texts = [b["text"] for b in request.body["messages"][0]["content"]]
    assert texts[0] == "Audit src/shop/checkout.py for flag new-checkout."
    assert "Facts from the offline analyzer" in texts[1] and '"new-checkout"' in texts[1]
    # The template used `item`, so the items are not repeated as a separate block.
    assert not any(t.startswith("Work items") for t in texts)


async def test_repair_turn_quotes_the_validation_error(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    bad = dict(FINDING, line="fourteen")
    fake_anthropic.script([Submit({"findings": [bad]}), Submit({"findings": [FINDING]})])
    result = await runner.run(make_task(), recorder.env())
    assert result.turns == 2 and len(result.findings) == 1
    repair = tool_results(fake_anthropic.message_requests()[1].body)[0]
    assert repair["is_error"] is True
    assert (
        "$.findings[0].line" in repair["content"]
        and "'fourteen' is not of type 'integer'" in repair["content"]
    )
    # The repair turn asks for the answer without forcing a tool (Haiku 5.5 thinks, and a
    # forced tool choice is a 400 there): tools forbidden, the text held to the schema.
    second = fake_anthropic.message_requests()[1].body
    assert second["tool_choice"] == {"type": "none"}
    assert second["output_config"]["format"]["schema"]["properties"]["findings"]


async def test_second_invalid_answer_fails_with_the_raw_reply(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.script([Submit({"nope": 1}), Submit({"still": "wrong"})])
    with pytest.raises(ModelTaskFailed) as caught:
        await runner.run(make_task(), recorder.env())
    assert "after a repair turn" in str(caught.value)
    assert (
        caught.value.raw is not None and "still" in caught.value.raw and "wrong" in caught.value.raw
    )
    assert caught.value.usage.output_tokens > 0
    assert len(fake_anthropic.message_requests()) == 2


async def test_max_turns_forces_the_answer(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    def polite(ctx: RequestContext) -> Any:
        if ctx.must_answer:
            return Submit({"findings": []})
        return ToolUse("list_dir", {"path": "src"})

    fake_anthropic.script(polite)
    result = await runner.run(make_task(max_turns=2), recorder.env())
    assert result.turns == 3 and result.output == {"findings": []}
    requests = fake_anthropic.message_requests()
    assert [r.body.get("tool_choice") for r in requests] == [None, None, {"type": "none"}]
    assert "format" in requests[2].body["output_config"]
    assert all("format" not in r.body.get("output_config", {}) for r in requests[:2])
    assert "used all 2 tool rounds" in json.dumps(requests[2].body["messages"][-1])


async def test_an_agent_calling_tools_forever_is_stopped(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.script(tools_forever("read_file", {"path": "src/shop/util.py"}))
    with pytest.raises(ModelTaskFailed, match="max_turns=3"):
        await runner.run(make_task(max_turns=3), recorder.env())
    assert len(fake_anthropic.message_requests()) == 4  # three rounds and the forced final turn
    assert len(recorder.audits) == 3


async def test_token_ceiling_forces_the_answer(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    def polite(ctx: RequestContext) -> Any:
        return Submit({"findings": []}) if ctx.must_answer else ToolUse("list_dir", {})

    fake_anthropic.script(polite)
    runner = AnthropicRunner.create(
        config_for(fake_anthropic, max_tokens_per_agent=1000), api_key="k"
    )
    try:
        result = await runner.run(make_task(max_turns=10), recorder.env())
    finally:
        await runner.aclose()
    assert result.turns == 2
    assert "token budget" in json.dumps(fake_anthropic.message_requests()[1].body["messages"][-1])


async def test_tool_less_agent_uses_structured_output(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    schema = {
        "type": "object",
        "properties": {"verdict": {"enum": ["keep", "remove"]}},
        "required": ["verdict"],
    }
    fake_anthropic.script([JsonText({"verdict": "maybe"}), JsonText({"verdict": "remove"})])
    result = await runner.run(make_task(tools=[], output=schema), recorder.env())
    assert result.output == {"verdict": "remove"} and result.turns == 2
    first, second = fake_anthropic.message_requests()
    fmt = first.body["output_config"]["format"]
    assert fmt["type"] == "json_schema" and fmt["schema"]["additionalProperties"] is False
    assert "tools" not in first.body
    assert "does not match the required output schema" in json.dumps(second.body["messages"][-1])


async def test_echo_agent_answers_any_schema(runner: AnthropicRunner, recorder: Recorder) -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    result = await runner.run(make_task(output=schema), recorder.env())
    assert result.output == []  # wrapped as {"result": [...]} for the tool, unwrapped here


async def test_free_text_agent_without_schema(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    fake_anthropic.script([Text("# Report\nAll good.")])
    result = await runner.run(make_task(output=None, tier="reduce"), recorder.env())
    assert result.output == "# Report\nAll good."
    assert result.model == "claude-sonnet-5-5"


async def test_model_precedence(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    task = make_task(model="claude-opus-5-5")
    task.workflow_model = "claude-sonnet-5"
    assert runner.model_for(task) == "claude-opus-5-5"
    task.agent.model = None
    assert runner.model_for(task) == "claude-sonnet-5"
    task.workflow_model = None
    assert runner.model_for(task) == runner.config.model_map


async def test_sandboxed_template_cannot_reach_python_internals(
    runner: AnthropicRunner, recorder: Recorder
) -> None:
    task = make_task(instructions="{{ item.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(ModelTaskFailed, match="instructions template"):
        await runner.run(task, recorder.env())


async def test_unknown_output_schema_fails_the_task(
    runner: AnthropicRunner, recorder: Recorder
) -> None:
    with pytest.raises(ModelTaskFailed, match="unknown output schema"):
        await runner.run(make_task(output="no-such-schema"), recorder.env())


async def test_estimate_uses_the_token_counting_endpoint(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    estimate = await runner.estimate(make_task(tools=[]), recorder.env())
    counted = [r for r in fake_anthropic.requests if r.path == "/v1/messages/count_tokens"]
    assert len(counted) == 1 and counted[0].body["model"] == runner.config.model_map
    assert estimate.input_tokens > 100 and estimate.output_tokens > 0 and estimate.cost_usd > 0
    assert not fake_anthropic.message_requests()  # estimating runs nothing


async def test_estimate_falls_back_to_a_local_count(recorder: Recorder) -> None:
    runner = AnthropicRunner.create(
        config_for(FakeAnthropicServer(port=1), max_retries=0), api_key="k"
    )  # nothing listens on port 1
    try:
        estimate = await runner.estimate(make_task(), recorder.env())
    finally:
        await runner.aclose()
    assert estimate.input_tokens > 100 and estimate.cost_usd > 0


def test_from_environment_needs_a_key(tmp_path: Any) -> None:
    assert AnthropicRunner.from_environment(environ={}) is None
    runner = AnthropicRunner.from_environment(
        environ={
            "ANTHROPIC_API_KEY": "k",
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
            "SWATH_MODEL_MAP": "claude-haiku-4-5",
        }
    )
    assert runner is not None
    assert str(runner.client.base_url).startswith("http://127.0.0.1:9")
    assert runner.config.model_map == "claude-haiku-4-5"


def test_parse_json_reply() -> None:
    assert parse_json_reply('{"a": 1}') == ({"a": 1}, None)
    assert parse_json_reply('Here:\n```json\n{"a": 2}\n```') == ({"a": 2}, None)
    assert parse_json_reply('so {"a": 3} it is') == ({"a": 3}, None)
    assert parse_json_reply("no json")[1] is not None


async def test_answer_tool_can_be_asked_for_instead_of_forced(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    def polite(ctx: RequestContext) -> Any:
        if "used all 1 tool rounds" in ctx.text():
            return Submit({"findings": []})
        return ToolUse("list_dir", {})

    fake_anthropic.script(polite)
    runner = AnthropicRunner.create(
        config_for(fake_anthropic, force_answer_tool=False), api_key="k"
    )
    try:
        result = await runner.run(make_task(max_turns=1), recorder.env())
    finally:
        await runner.aclose()
    assert result.turns == 2
    assert all(
        r.body.get("tool_choice", {}).get("type") not in ("tool", "any")
        for r in fake_anthropic.message_requests()
    )


async def test_prompts_are_built_and_redacted_off_the_event_loop(
    fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner, recorder: Recorder
) -> None:
    # Redacting a large prompt takes about a second per MB: done on the loop, it would stall
    # every other agent's stream (and the run's progress) for that long.
    loop_thread = threading.current_thread()
    seen: list[threading.Thread] = []

    class Watching(Redactor):
        def redact(self, text: str, filename: str = "") -> str:
            seen.append(threading.current_thread())
            return super().redact(text, filename)

    runner.redactor = Watching()
    fake_anthropic.script([Submit({"findings": [], "summary": "nothing"})])
    await runner.run(make_task(facts={"flags": ["new-checkout"]}), recorder.env())
    await runner.estimate(make_task(), recorder.env())
    assert seen, "the prompt went through no redaction"
    assert loop_thread not in seen
