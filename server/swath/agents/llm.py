"""The model agent: one tool-using conversation with an Anthropic model per task.

Shape of a conversation:

    system  = Swath's rules + the step's `system` text        (cached: shared by the step)
    tools   = the step's read-only tools + `submit_result`    (cached: shared by the step)
    user    = rendered instructions + facts + items/records   (redacted)
    ... up to `max_turns` rounds of tool_use / tool_result ...
    final   = when the rounds or the token ceiling run out: `submit_result` forced where the
              model accepts a forced tool choice, else tools forbidden (`tool_choice: none`)
              and the text answer held to the schema by `output_config.format`
    repair  = one more turn quoting the validation error, if the answer does not validate
    refusal = `stop_reason: refusal`: the task starts over once in a fresh context

Each request is shaped by the model's row in `swath.agents.capabilities` (what it rejects:
forced tool choice, sampling parameters, prefill, thinking settings), with `max_tokens` and
`output_config.effort` per tier; replies that could outlast a plain request are streamed.

The answer is validated against the step's output schema with `jsonschema`; findings in
it become `Finding`s whose quotes the engine verifies afterwards. Usage is reported to
the engine every turn, exactly as the API reported it, priced by the price table.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Required, TypedDict, cast

import anthropic
from anthropic import AsyncAnthropic
from anthropic.types import (
    CacheControlEphemeralParam,
    ContentBlockParam,
    Message,
    MessageParam,
    OutputConfigParam,
    TextBlockParam,
    ToolChoiceParam,
    ToolParam,
    ToolResultBlockParam,
    ToolUseBlock,
)
from anthropic.types.json_output_format_param import JSONOutputFormatParam

from swath.agents.base import AgentEnv, ModelEstimate, ModelResult, ModelTask, ModelTaskFailed
from swath.agents.capabilities import UNKNOWN, Effort, ModelCaps, caps_for
from swath.agents.config import ModelConfig, load_model_config, resolve_model
from swath.agents.errors import FatalAPIError, classify
from swath.agents.policy import Policy, model_allowed
from swath.agents.pricing import PriceTable
from swath.agents.prompts import SUBMIT_TOOL, InstructionsError, system_text, user_context
from swath.agents.redaction import Redactor, default_redactor
from swath.agents.schemas import OutputSchema, SchemaError, findings_from_output
from swath.agents.tools import FileCache, ToolBox
from swath.agents.transport import PushbackMiddleware, TransportStats, current_env
from swath.findings.report import Usage

log = logging.getLogger(__name__)

EPHEMERAL: CacheControlEphemeralParam = {"type": "ephemeral"}
PER_ROUND_IN, PER_ROUND_OUT = 2000, 300  # an average tool result, an average tool call
# Thinking tokens one reply is assumed to spend at each effort level (they are billed as
# output). The effort page gives no numbers; these err high so the budget errs safe.
THINKING_BY_EFFORT = {"low": 1024, "medium": 4096, "high": 8192, "xhigh": 16_000, "max": 32_000}
SUBMIT_DESCRIPTION = (
    "Submit your final answer for this task. The input is the answer itself, in the required "
    "output format. Call it exactly once, when you are done."
)


class CountRequest(TypedDict, total=False):
    """A Messages API request as the token-counting endpoint takes it (the SDK's types)."""

    model: Required[str]
    system: Required[list[TextBlockParam]]
    messages: Required[list[MessageParam]]
    tools: list[ToolParam]
    tool_choice: ToolChoiceParam
    output_config: OutputConfigParam


class MessagesRequest(CountRequest, total=False):
    """One Messages API request as Swath sends it: to `messages.create`/`stream`, and
    inside a batch request."""

    max_tokens: Required[int]


class ModelAPIError(ModelTaskFailed):
    """The API failed the request after the SDK's retries. `fatal` (bad key, no credit,
    no permission) means every other task would fail the same way: stop the run."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        fatal: bool = False,
        raw: str | None = None,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message, raw=raw, usage=usage)
        self.status = status
        self.fatal = fatal


@dataclass
class Conversation:
    """Everything one agent sends; built once per task, grown each turn."""

    task: ModelTask
    model: str
    mode: str  # "tool" (submit_result), "json_schema" (structured output) or "text"
    schema: OutputSchema | None
    toolbox: ToolBox
    system: list[TextBlockParam]
    tools: list[ToolParam]
    messages: list[MessageParam] = field(default_factory=list)
    force_answer: bool = True
    caps: ModelCaps = UNKNOWN
    max_tokens: int = 4096
    effort: Effort | None = None
    stream: bool = False  # a reply this long could outlast a plain request's timeout

    @property
    def multi_turn(self) -> bool:
        return bool(self.toolbox.names)

    def params(self, *, final: bool) -> MessagesRequest:
        """Request parameters for the next turn, shaped by the model's capability row."""
        p: MessagesRequest = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": self.system,
            "messages": self._messages_for_request(),
        }
        if self.tools:
            p["tools"] = self.tools
        output: OutputConfigParam = {}
        if self.caps.accepts_effort(self.effort):
            output["effort"] = self.effort
        answer_now = final or not self.multi_turn
        if self.mode == "tool" and answer_now:
            if self.force_answer and self.caps.forced_tool_choice:
                p["tool_choice"] = {"type": "tool", "name": SUBMIT_TOOL}
            else:
                # Forcing a tool is a 400 where the model thinks: forbid tools for this turn
                # and let the API hold the text answer to the schema instead.
                p["tool_choice"] = {"type": "none"}
                output["format"] = self._format()
        elif self.mode == "text" and final and self.tools:
            p["tool_choice"] = {"type": "none"}
        if self.mode == "json_schema":
            output["format"] = self._format()
        if output:
            p["output_config"] = output
        return p

    def _format(self) -> JSONOutputFormatParam:
        assert self.schema is not None
        return {"type": "json_schema", "schema": self.schema.tool_schema}

    def _messages_for_request(self) -> list[MessageParam]:
        # A second breakpoint on the newest turn lets turn N+1 read turns 1..N from the
        # cache. A single-turn agent would only pay the 1.25x write for nothing.
        if not self.multi_turn or not self.messages:
            return self.messages
        last = self.messages[-1]
        given = last["content"]
        content: list[Any] = (
            [{"type": "text", "text": given}] if isinstance(given, str) else list(given)
        )
        content[-1] = {**content[-1], "cache_control": EPHEMERAL}
        return [*self.messages[:-1], cast(MessageParam, {**last, "content": content})]

    def count_params(self) -> CountRequest:
        """The first turn, as the token-counting endpoint takes it (no `max_tokens`)."""
        p = self.params(final=False)
        count: CountRequest = {
            "model": p["model"],
            "system": p["system"],
            "messages": p["messages"],
        }
        if "tools" in p:
            count["tools"] = p["tools"]
        if "tool_choice" in p:
            count["tool_choice"] = p["tool_choice"]
        if "output_config" in p:
            count["output_config"] = p["output_config"]
        return count


class Refused(ModelTaskFailed):
    """`stop_reason: refusal`: the context must be reset, so the caller starts afresh."""


@dataclass
class _Loop:
    """The state of one conversation's tool-use loop."""

    final: bool
    spent: Usage = field(default_factory=Usage)
    turns: int = 0
    tool_rounds: int = 0
    repaired: bool = False
    raw: str | None = None


@dataclass
class _Turn:
    """What one reply amounts to: an answer (valid or not), tool calls, or plain text."""

    answered: bool = False
    answer: Any = None
    problem: str | None = None
    text: str | None = None  # a text-mode answer
    work: list[ToolUseBlock] = field(default_factory=list)
    tool_uses: list[ToolUseBlock] = field(default_factory=list)
    submit: ToolUseBlock | None = None


def _block_param(block: Any) -> ContentBlockParam:
    """A response content block as a request content block (only the fields the API takes back)."""
    kind = getattr(block, "type", None)
    if kind == "text":
        return {"type": "text", "text": block.text}
    if kind == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if kind == "thinking":
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    if kind == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.data}
    return cast(ContentBlockParam, block.model_dump(mode="json", exclude_none=True))


def _reply_text(message: Message) -> str:
    return "".join(
        getattr(b, "text", "") for b in message.content if getattr(b, "type", None) == "text"
    )


def _raw(message: Message) -> str:
    return json.dumps([_block_param(b) for b in message.content], ensure_ascii=False)


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def parse_json_reply(text: str) -> tuple[Any, str | None]:
    """The JSON value in a text reply (bare, fenced, or the outermost braces); error if none."""
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    for open_, close in (("{", "}"), ("[", "]")):
        a, b = text.find(open_), text.rfind(close)
        if 0 <= a < b:
            candidates.append(text[a : b + 1])
    for c in candidates:
        if not c:
            continue
        try:
            return json.loads(c), None
        except ValueError:
            continue
    return None, "the reply is not valid JSON"


def total_tokens(u: Usage) -> int:
    return u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens


class AnthropicRunner:
    """Implements `swath.agents.base.ModelRunner` on the Anthropic Messages API."""

    def __init__(
        self,
        client: AsyncAnthropic,
        config: ModelConfig | None = None,
        *,
        middleware: PushbackMiddleware | None = None,
        prices: PriceTable | None = None,
        redactor: Redactor | None = None,
        policy: Policy | None = None,
        file_cache: FileCache | None = None,
    ) -> None:
        self.client = client
        self.config = config or ModelConfig.model_validate({})
        self.middleware = middleware or _find_middleware(client) or PushbackMiddleware()
        self.prices = prices or PriceTable(self.config.prices)
        self.redactor = redactor or default_redactor()
        self.policy = policy
        self.file_cache = file_cache or FileCache()
        self._count_unreachable = False
        self._count_ratio: dict[tuple[str, str], list[float]] = {}

    # -- construction ------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        config: ModelConfig,
        *,
        api_key: str,
        policy: Policy | None = None,
        **client_kwargs: Any,
    ) -> AnthropicRunner:
        middleware = PushbackMiddleware()
        client = AsyncAnthropic(
            api_key=api_key,
            base_url=config.base_url,
            max_retries=config.max_retries,
            timeout=config.timeout_s,
            middleware=[middleware],
            **client_kwargs,
        )
        return cls(client, config, middleware=middleware, policy=policy)

    @classmethod
    def from_environment(
        cls,
        config: ModelConfig | None = None,
        *,
        workspace_root: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        policy: Policy | None = None,
    ) -> AnthropicRunner | None:
        """A runner when an API key is configured; None means "offline analyzers only"."""
        cfg = config or load_model_config(workspace_root, environ=environ)
        key = cfg.api_key(environ)
        if key is None:
            return None
        return cls.create(cfg, api_key=key, policy=policy)

    async def aclose(self) -> None:
        await self.client.close()

    # -- introspection -----------------------------------------------------------------
    @property
    def stats(self) -> TransportStats:
        return self.middleware.stats

    def add_pushback_listener(self, callback: Any) -> None:
        self.middleware.add_listener(callback)

    def model_for(self, task: ModelTask) -> str:
        return resolve_model(self.config, task.tier, task.agent.model, task.workflow_model)

    # -- building ----------------------------------------------------------------------
    def prepare(self, task: ModelTask, env: AgentEnv) -> Conversation:
        """The conversation's fixed parts and first user turn. Raises ModelTaskFailed."""
        model = self.model_for(task)
        if self.policy is not None and not model_allowed(self.policy, model):
            raise ModelTaskFailed(f"model {model!r} is not allowed by the policy")
        try:
            schema = OutputSchema.of(task.agent.output)
        except SchemaError as exc:
            raise ModelTaskFailed(str(exc)) from exc
        names = list(task.agent.tools)
        if self.policy is not None and self.policy.allowed_tools is not None:
            names = [n for n in names if n in self.policy.allowed_tools]
        deny = list(self.config.deny_paths) + list(self.policy.denied_paths if self.policy else [])
        try:
            toolbox = ToolBox(
                env.workspace,
                self.redactor,
                names,
                audit=env.audit,
                extra_deny=deny,
                max_result_chars=self.config.max_tool_result_chars,
                cache=self.file_cache,
            )
        except ValueError as exc:
            raise ModelTaskFailed(str(exc)) from exc
        mode = self._answer_mode(schema, bool(names))
        tools = toolbox.definitions()
        if mode == "tool" and schema is not None:
            submit: ToolParam = {
                "name": SUBMIT_TOOL,
                "description": SUBMIT_DESCRIPTION,
                "input_schema": schema.tool_schema,
            }
            if self.config.strict_tools:
                submit["strict"] = True
            tools.append(submit)
        # One breakpoint at the end of the system prompt caches tools + system together
        # (the API's prefix order is tools, system, messages): the part every agent of
        # the step shares.
        system: list[TextBlockParam] = [
            {"type": "text", "text": self.redactor.redact(t)} for t in system_text(task, mode)
        ]
        system[-1]["cache_control"] = EPHEMERAL
        try:
            user = user_context(task, self.redactor, self.config.max_context_chars)
        except InstructionsError as exc:
            raise ModelTaskFailed(str(exc)) from exc
        first: list[TextBlockParam] = [{"type": "text", "text": t} for t in user]
        messages: list[MessageParam] = [{"role": "user", "content": first}]
        caps = caps_for(model)
        max_tokens = min(
            task.agent.max_tokens or self.config.max_tokens_for_tier(task.tier), caps.max_output
        )
        return Conversation(
            task,
            model,
            mode,
            schema,
            toolbox,
            system,
            tools,
            messages,
            force_answer=self.config.force_answer_tool,
            caps=caps,
            max_tokens=max_tokens,
            effort=self.config.effort_for_tier(task.tier),
            stream=max_tokens > self.stream_above_tokens,
        )

    async def prepare_async(self, task: ModelTask, env: AgentEnv) -> Conversation:
        """`prepare` in a worker thread: rendering and redacting a large prompt is CPU work
        (redaction runs at about 1 MB/s), and sixteen agents' streams share this loop."""
        return await asyncio.to_thread(self.prepare, task, env)

    @property
    def stream_above_tokens(self) -> int:
        """Replies longer than this are streamed: at the SDK's estimate of generation speed
        (128K tokens an hour) they could outlast one plain request's timeout."""
        return int(self.config.timeout_s * 128_000 / 3600)

    def _answer_mode(self, schema: OutputSchema | None, has_tools: bool) -> str:
        if schema is None:
            return "text"
        if self.config.structured_output == "tool" or has_tools:
            return "tool"
        return "json_schema"

    # -- running -----------------------------------------------------------------------
    async def run(self, task: ModelTask, env: AgentEnv) -> ModelResult:
        token = current_env.set(env)
        try:
            return await self.answer(task, env)
        finally:
            current_env.reset(token)

    async def answer(
        self, task: ModelTask, env: AgentEnv, first: Message | None = None
    ) -> ModelResult:
        """The task's result. A refusal needs a fresh context (the documentation: continuing
        the refused conversation is refused again): the task starts over once, then fails
        alone with the refusal's reason. `first` is a reply obtained elsewhere (a batch)."""
        conv = await self.prepare_async(task, env)
        try:
            return await self.drive(conv, env, first)
        except Refused as refused:
            log.info("%s: the model refused; retrying once in a fresh context", task.task_key)
            spent = refused.usage
        try:
            result = await self.drive(await self.prepare_async(task, env), env)
        except Refused as again:
            raise ModelTaskFailed(
                f"the model refused the task twice: {again}",
                raw=again.raw,
                usage=spent + again.usage,
            ) from again
        return result.model_copy(update={"usage": spent + result.usage})

    async def _send(self, params: MessagesRequest, *, stream: bool) -> Message:
        if not stream:
            message: Message = await self.client.messages.create(**params)
            return message
        async with self.client.messages.stream(**params) as events:
            return await events.get_final_message()

    async def _create(self, conv: Conversation, *, final: bool, spent: Usage) -> Message:
        params = conv.params(final=final)
        malformed = 0
        while True:
            try:
                return await self._send(params, stream=conv.stream)
            except FatalAPIError as exc:
                raise ModelAPIError(
                    f"API error {exc.status}: {exc}", status=exc.status, fatal=True, usage=spent
                ) from exc
            except anthropic.APIStatusError as exc:
                verdict = classify(exc.status_code, exc.body)
                raise ModelAPIError(
                    f"API error {exc.status_code}: {verdict.reason or _error_message(exc)}",
                    status=exc.status_code,
                    fatal=verdict.fatal,
                    usage=spent,
                ) from exc
            except anthropic.APIConnectionError as exc:
                raise ModelAPIError(f"API unreachable after retries: {exc}", usage=spent) from exc
            except (anthropic.APIResponseValidationError, ValueError) as exc:
                # A 200 whose body is not a Message: the server's fault and nothing was
                # billed to us; ask once more before failing the task.
                malformed += 1
                if malformed > 1:
                    raise ModelAPIError(f"malformed API response: {exc}", usage=spent) from exc
                log.warning("malformed API response, retrying once: %s", exc)

    async def drive(
        self, conv: Conversation, env: AgentEnv, first: Message | None = None
    ) -> ModelResult:
        """Run the conversation to a validated answer. `first` is a reply obtained elsewhere
        (a batch result), billed at the batch rate; the loop continues from it if needed."""
        loop = _Loop(final=conv.mode == "tool" and not conv.multi_turn)
        hard_cap = conv.task.agent.max_turns + 3
        pending = first
        while True:
            if loop.turns >= hard_cap:
                raise ModelTaskFailed(
                    f"no answer after {loop.turns} turns", raw=loop.raw, usage=loop.spent
                )
            message = await self._turn(conv, env, loop, pending)
            pending = None
            turn = self._read(conv, message)
            if turn.text is not None:
                return self._result(conv, turn.text, loop.spent, loop.turns, loop.raw)
            if turn.answered and turn.problem is None:
                return self._result(conv, turn.answer, loop.spent, loop.turns, loop.raw)
            if turn.answered:
                self._repair(conv, loop, turn, truncated=message.stop_reason == "max_tokens")
                continue
            await self._run_tools(conv, loop, turn.work)

    async def _turn(
        self, conv: Conversation, env: AgentEnv, loop: _Loop, pending: Message | None
    ) -> Message:
        """The next reply, counted, priced and appended to the conversation."""
        if pending is not None:
            message, batch_rate = pending, True
        else:
            message = await self._create(conv, final=loop.final, spent=loop.spent)
            batch_rate = False
        loop.turns += 1
        usage = self.prices.usage_from_api(
            message.model or conv.model, message.usage, batch=batch_rate
        )
        loop.spent = loop.spent + usage
        env.on_usage(usage)
        loop.raw = _raw(message)
        if message.stop_reason == "refusal":
            raise Refused(_refusal_reason(message), raw=loop.raw, usage=loop.spent)
        if message.content:  # an empty assistant turn is not accepted back by the API
            conv.messages.append(
                {"role": "assistant", "content": [_block_param(b) for b in message.content]}
            )
        return message

    def _read(self, conv: Conversation, message: Message) -> _Turn:
        tool_uses = [b for b in message.content if isinstance(b, ToolUseBlock)]
        submit = next((b for b in tool_uses if b.name == SUBMIT_TOOL), None)
        work = [b for b in tool_uses if b.name != SUBMIT_TOOL]
        turn = _Turn(work=work, tool_uses=tool_uses, submit=submit)
        if conv.mode == "tool" and submit is not None:
            turn.answered = True
            turn.answer = conv.schema.unwrap(submit.input) if conv.schema else submit.input
        elif conv.mode in ("tool", "json_schema") and not work:
            turn.answered = True
            value, turn.problem = parse_json_reply(_reply_text(message))
            turn.answer = conv.schema.unwrap(value) if conv.schema else value
            if turn.problem is not None and conv.mode == "tool":
                turn.problem += f"; answer by calling the `{SUBMIT_TOOL}` tool"
        elif conv.mode == "text" and not work:
            turn.text = _reply_text(message)
        if turn.answered and turn.problem is None and conv.schema is not None:
            errs = conv.schema.errors(turn.answer)
            turn.problem = "; ".join(errs) if errs else None
        return turn

    def _repair(self, conv: Conversation, loop: _Loop, turn: _Turn, *, truncated: bool) -> None:
        """One more turn quoting the validation error; a second failure fails the task."""
        problem = turn.problem or ""
        if truncated:
            problem += f" (the reply was cut at max_tokens={conv.max_tokens}; be more concise)"
        if loop.repaired:
            raise ModelTaskFailed(
                f"output does not match the schema after a repair turn: {problem}",
                raw=loop.raw,
                usage=loop.spent,
            )
        loop.repaired = True
        loop.final = True
        self._append_repair(conv, turn.tool_uses, turn.submit, problem)

    async def _run_tools(self, conv: Conversation, loop: _Loop, work: list[ToolUseBlock]) -> None:
        agent = conv.task.agent
        if loop.final:
            why = (
                "after the repair turn" if loop.repaired else f"within max_turns={agent.max_turns}"
            )
            raise ModelTaskFailed(
                f"no answer {why}: the model kept calling tools", raw=loop.raw, usage=loop.spent
            )
        results: list[ToolResultBlockParam | TextBlockParam] = []
        for use in work:
            text, is_error = await conv.toolbox.call(use.name, use.input)
            block: ToolResultBlockParam = {
                "type": "tool_result",
                "tool_use_id": use.id,
                "content": text,
            }
            if is_error:
                block["is_error"] = True
            results.append(block)
        loop.tool_rounds += 1
        out_of_rounds = loop.tool_rounds >= agent.max_turns
        if out_of_rounds or total_tokens(loop.spent) >= self.config.max_tokens_per_agent:
            loop.final = True
            why = (
                f"You have used all {agent.max_turns} tool rounds."
                if out_of_rounds
                else "You have used this agent's token budget."
            )
            results.append(
                {"type": "text", "text": why + " Give your final answer now with what you know."}
            )
        conv.messages.append({"role": "user", "content": results})

    def _append_repair(
        self,
        conv: Conversation,
        tool_uses: list[ToolUseBlock],
        submit: ToolUseBlock | None,
        problem: str,
    ) -> None:
        note = f"Your answer does not match the required output schema: {problem}. Answer again, corrected."
        if conv.mode == "tool" and tool_uses:
            blocks: list[ToolResultBlockParam] = []
            for use in tool_uses:
                if use is submit:
                    blocks.append(
                        {
                            "type": "tool_result",
                            "tool_use_id": use.id,
                            "content": note,
                            "is_error": True,
                        }
                    )
                else:
                    blocks.append(
                        {
                            "type": "tool_result",
                            "tool_use_id": use.id,
                            "content": f"not run: {SUBMIT_TOOL} was called in the same turn",
                            "is_error": True,
                        }
                    )
            conv.messages.append({"role": "user", "content": blocks})
        else:
            conv.messages.append({"role": "user", "content": [{"type": "text", "text": note}]})

    def _result(
        self, conv: Conversation, output: Any, spent: Usage, turns: int, raw: str | None
    ) -> ModelResult:
        findings, dropped = findings_from_output(
            output, conv.toolbox.workspace, model=conv.model, step=conv.task.step_id
        )
        if dropped:
            log.info(
                "%s: dropped %d findings with unusable paths or lines", conv.task.task_key, dropped
            )
        return ModelResult(
            output=output,
            findings=findings,
            usage=spent,
            files_read=sorted(conv.toolbox.files_read),
            model=conv.model,
            turns=turns,
            raw=raw,
        )

    # -- estimating --------------------------------------------------------------------
    async def estimate(self, task: ModelTask, env: AgentEnv) -> ModelEstimate:
        """Tokens and USD for one task before it runs.

        The first turn's input is counted by the API's token-counting endpoint when it is
        reachable (a few per step; the rest are scaled from the local chars/4 estimate by
        the ratio those few showed), else estimated locally. Tool rounds are then assumed:
        each adds what the conversation had so far plus an average tool result.
        """
        conv = await self.prepare_async(task, env)
        params = conv.count_params()
        local = max(1, math.ceil(len(json.dumps(params, ensure_ascii=False)) / 4))
        key = (task.step_id, conv.model)
        ratios = self._count_ratio.setdefault(key, [])
        first = local
        if not self._count_unreachable and len(ratios) < 8:
            counted = await self._count_tokens(params)
            if counted is not None:
                ratios.append(counted / local)
                first = counted
        elif ratios:
            first = math.ceil(local * sum(ratios) / len(ratios))
        rounds = min(task.agent.max_turns, 3) if conv.multi_turn else 0
        thinking = _thinking_estimate(conv)
        answer = min(conv.max_tokens, 1024)
        input_tokens = output_tokens = 0
        cost = 0.0
        # Each request is priced on its own: a late turn over a long-prompt threshold pays the
        # band's rates for that request only, as the API bills it.
        for k in range(rounds + 1):
            prompt = first + k * (PER_ROUND_IN + PER_ROUND_OUT + thinking)
            out = thinking + (answer if k == rounds else PER_ROUND_OUT)
            input_tokens += prompt
            output_tokens += out
            cost += self.prices.cost(conv.model, input_tokens=prompt, output_tokens=out)
        return ModelEstimate(
            input_tokens=input_tokens, output_tokens=output_tokens, cost_usd=round(cost, 10)
        )

    async def _count_tokens(self, params: CountRequest) -> int | None:
        try:
            quick = self.client.with_options(max_retries=0, timeout=10.0)
            result = await quick.messages.count_tokens(**params)
            return int(result.input_tokens)
        except (anthropic.APIError, ValueError) as exc:
            log.info("token counting unavailable, estimating locally: %s", exc)
            self._count_unreachable = True
            return None


def _error_message(exc: anthropic.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return str(exc.message)


def _thinking_estimate(conv: Conversation) -> int:
    if not conv.caps.thinks_by_default:
        return 0
    effort = conv.effort if conv.caps.accepts_effort(conv.effort) else conv.caps.default_effort
    return min(THINKING_BY_EFFORT.get(effort or "high", 8192), conv.max_tokens // 2)


def _refusal_reason(message: Message) -> str:
    details = getattr(message, "stop_details", None)
    if details is None and message.model_extra:
        details = message.model_extra.get("stop_details")
    if isinstance(details, dict):
        explanation, category = details.get("explanation"), details.get("category")
    else:
        explanation = getattr(details, "explanation", None)
        category = getattr(details, "category", None)
    reason = explanation or "the model declined the request (stop_reason: refusal)"
    return f"{reason} [{category}]" if category else str(reason)


def _find_middleware(client: AsyncAnthropic) -> PushbackMiddleware | None:
    for m in getattr(client, "middleware", ()):
        if isinstance(m, PushbackMiddleware):
            return m
    return None
