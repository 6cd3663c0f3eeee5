"""What the fake Messages API answers: scripted replies, faults, and the default echo agent."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

_ids = itertools.count(1)

SUBMIT_TOOL = "submit_result"


# -- replies --------------------------------------------------------------------------------
@dataclass
class Text:
    text: str


@dataclass
class ToolUse:
    name: str
    input: dict[str, Any]
    id: str | None = None


@dataclass
class Submit:
    """A `submit_result` call. Wrapped in {"result": ...} when the tool's schema wraps."""

    output: Any


@dataclass
class JsonText:
    """A text reply holding JSON (what a structured-output reply looks like)."""

    value: Any


@dataclass
class Reply:
    """A full reply: several blocks, an explicit stop reason or usage, a delay."""

    content: list[Union[Text, ToolUse, Submit, JsonText]] = field(default_factory=list)
    stop_reason: str | None = None
    usage: dict[str, int] | None = None  # overrides the computed usage
    delay_s: float = 0.0
    stop_details: dict[str, Any] | None = None  # e.g. a refusal's category and explanation


@dataclass
class Fault:
    """An HTTP error: 429 (with retry-after), 529, 500, ..."""

    status: int
    retry_after: float | None = None
    error_type: str | None = None
    message: str = "fake fault"
    delay_s: float = 0.0
    details: dict[str, Any] | None = None  # `error.details`, e.g. {"error_code": ...}
    # Send `x-should-retry` (true for 429/5xx) as the API does for plain faults; the spend cap
    # is answered without it, so only the client's own judgement keeps it from being retried.
    retry_header: bool = True

    def body(self) -> dict[str, Any]:
        kind = self.error_type or {
            400: "invalid_request_error",
            401: "authentication_error",
            402: "billing_error",
            403: "permission_error",
            404: "not_found_error",
            413: "request_too_large",
            429: "rate_limit_error",
            500: "api_error",
            529: "overloaded_error",
        }.get(self.status, "api_error")
        error: dict[str, Any] = {"type": kind, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"type": "error", "error": error, "request_id": "req_fake_fault"}


@dataclass
class Malformed:
    """A 200 whose body is not JSON."""

    body: str = '{"id": "msg_broken", "type": "message", "content": [ this is not json'


@dataclass
class Slow:
    seconds: float
    reply: Any = None  # None: the echo agent


@dataclass
class Echo:
    """The default agent: a valid answer for whatever the request asks."""


ReplyLike = Union[Text, ToolUse, Submit, JsonText, Reply, Fault, Malformed, Slow, Echo, dict, str]


def rate_limited(retry_after: float = 0.2) -> Fault:
    return Fault(429, retry_after=retry_after, message="rate limited (fake)")


def overloaded(retry_after: float | None = None) -> Fault:
    return Fault(529, retry_after=retry_after, message="overloaded (fake)")


def server_error() -> Fault:
    return Fault(500, message="internal error (fake)")


def spend_cap() -> Fault:
    """The monthly spend cap of the organisation's tier, as the errors page shows it: a 429
    `rate_limit_error` with `details.error_code`, and no `retry-after`."""
    return Fault(
        429,
        error_type="rate_limit_error",
        message="Your organization has reached its monthly usage limit for its API tier. "
        "Access resumes on 2027-01-01 at 00:00 UTC.",
        details={"error_code": "enforced_spend_limit_reached"},
        retry_header=False,
    )


def workspace_spend_limit() -> Fault:
    """A spend limit the user set: a 400 `invalid_request_error`."""
    return Fault(
        400,
        error_type="invalid_request_error",
        message="You have reached your specified workspace API usage limits. You will regain "
        "access on 2027-01-01 at 00:00 UTC.",
    )


def org_on_hold() -> Fault:
    return Fault(403, message="Your organization has been placed on hold. Contact support.")


def invalid_key() -> Fault:
    return Fault(401, message="invalid x-api-key")


def refusal(
    explanation: str = "This request was declined because it could enable cyber harm.",
    category: str | None = "cyber",
) -> Reply:
    """`stop_reason: refusal` as the streaming-refusals page shows it (empty content)."""
    return Reply(
        content=[],
        stop_reason="refusal",
        usage={"output_tokens": 0},
        stop_details={"type": "refusal", "category": category, "explanation": explanation},
    )


# -- the request as a script sees it ----------------------------------------------------------
@dataclass
class RequestContext:
    body: dict[str, Any]
    conversation: str  # the first user message's text: identifies the conversation

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])

    @property
    def turn(self) -> int:
        """0 for the first request of a conversation, then one more per assistant turn."""
        return sum(1 for m in self.messages if m.get("role") == "assistant")

    @property
    def tools(self) -> dict[str, dict[str, Any]]:
        return {t["name"]: t for t in self.body.get("tools", []) if "name" in t}

    @property
    def tool_choice(self) -> dict[str, Any] | None:
        return self.body.get("tool_choice")

    @property
    def forced_tool(self) -> str | None:
        tc = self.tool_choice or {}
        return tc.get("name") if tc.get("type") == "tool" else None

    @property
    def tools_forbidden(self) -> bool:
        return (self.tool_choice or {}).get("type") == "none"

    @property
    def must_answer(self) -> bool:
        """The client asks for the final answer now: `submit_result` forced, or (on models
        that may not be forced) tools forbidden with the answer held to a JSON schema."""
        return self.forced_tool == SUBMIT_TOOL or (
            self.tools_forbidden and self.output_schema is not None
        )

    @property
    def output_schema(self) -> dict[str, Any] | None:
        fmt = (self.body.get("output_config") or {}).get("format") or {}
        return fmt.get("schema") if fmt.get("type") == "json_schema" else None

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        """The tool_result blocks of the last user message."""
        if not self.messages or self.messages[-1].get("role") != "user":
            return []
        content = self.messages[-1].get("content")
        if not isinstance(content, list):
            return []
        return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]

    def text(self) -> str:
        """Every text sent in this request, for assertions."""
        return json.dumps(self.body, ensure_ascii=False)


Script = Union[
    Callable[[RequestContext], Any], Sequence[ReplyLike]
]  # a callable returns a ReplyLike


def tools_forever(
    name: str = "read_file", arguments: dict[str, Any] | None = None
) -> Callable[[RequestContext], ReplyLike]:
    """An agent that never answers: it calls a tool every turn, whatever tool_choice says."""
    args = arguments or {"path": "README.md"}

    def script(ctx: RequestContext) -> ReplyLike:
        return ToolUse(name, dict(args))

    return script


# -- building the response body --------------------------------------------------------------
def example_for(schema: Any, root: dict[str, Any] | None = None, depth: int = 0) -> Any:  # noqa: C901 - one branch per JSON Schema keyword
    """A value valid for a (simple) JSON Schema: what the echo agent answers with."""
    if not isinstance(schema, dict) or depth > 12:
        return None
    root = root if root is not None else schema
    if "$ref" in schema:
        ref = schema["$ref"]
        target: Any = root
        for part in ref.lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return example_for(target, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example_for(options[0], root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties", {})
        keys = schema.get("required") or list(props)
        return {k: example_for(props.get(k, {}), root, depth + 1) for k in keys}
    if kind == "array":
        n = int(schema.get("minItems", 0))
        return [example_for(schema.get("items", {}), root, depth + 1) for _ in range(n)]
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return "2024-01-01"
        if fmt == "date-time":
            return "2024-01-01T00:00:00Z"
        return "x" * int(schema.get("minLength", 0)) or "example"
    if kind == "integer":
        if "minimum" in schema:
            return int(schema["minimum"])
        if "exclusiveMinimum" in schema:
            return int(schema["exclusiveMinimum"]) + 1
        return 1
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return False
    return None


def echo_reply(ctx: RequestContext) -> ReplyLike:
    forced = ctx.forced_tool
    if forced and forced in ctx.tools:
        return ToolUse(forced, example_for(ctx.tools[forced].get("input_schema", {})))
    if ctx.output_schema is not None:
        return JsonText(example_for(ctx.output_schema))
    if SUBMIT_TOOL in ctx.tools:
        return ToolUse(SUBMIT_TOOL, example_for(ctx.tools[SUBMIT_TOOL].get("input_schema", {})))
    return Text("echo: " + ctx.conversation[:200])


def _wrap_submit(ctx: RequestContext, output: Any) -> dict[str, Any]:
    schema = ctx.tools.get(SUBMIT_TOOL, {}).get("input_schema", {})
    props = schema.get("properties", {})
    if set(props) == {"result"} and not (isinstance(output, dict) and set(output) == {"result"}):
        return {"result": output}
    return output if isinstance(output, dict) else {"result": output}


def _wrap_format(ctx: RequestContext, output: Any) -> Any:
    props = (ctx.output_schema or {}).get("properties", {})
    if set(props) == {"result"} and not (isinstance(output, dict) and set(output) == {"result"}):
        return {"result": output}
    return output


def content_blocks(reply: Any, ctx: RequestContext) -> list[dict[str, Any]]:
    items = reply.content if isinstance(reply, Reply) else [reply]
    blocks: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            item = Text(item)
        if isinstance(item, Text):
            blocks.append({"type": "text", "text": item.text})
        elif isinstance(item, JsonText):
            blocks.append({"type": "text", "text": json.dumps(item.value)})
        elif isinstance(item, Submit) and ctx.tools_forbidden:
            # A model cannot call a tool under tool_choice none: the scripted answer comes as
            # the text the structured output format asks for.
            blocks.append({"type": "text", "text": json.dumps(_wrap_format(ctx, item.output))})
        elif isinstance(item, Submit):
            blocks.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_fake_{next(_ids)}",
                    "name": SUBMIT_TOOL,
                    "input": _wrap_submit(ctx, item.output),
                }
            )
        elif isinstance(item, ToolUse):
            blocks.append(
                {
                    "type": "tool_use",
                    "id": item.id or f"toolu_fake_{next(_ids)}",
                    "name": item.name,
                    "input": item.input,
                }
            )
        else:
            raise TypeError(f"cannot turn {item!r} into a content block")
    return blocks
