"""The request rules the real Messages API enforces, per model, as the fake server enforces them.

A fake that accepts anything hides the requests a real user would see fail: a forced
`tool_choice` on a model that thinks, a sampling parameter the model no longer takes, more
than four cache breakpoints. `check_request` answers what the API answers for such a request
(status, error type and a message worded as the API's), or None when the request passes.
The per-model facts come from `swath.agents.capabilities`, the table Swath shapes its
requests from; the rules themselves are written from the API documentation, not from
Swath's code, so a request Swath builds wrongly is caught here.

The strict rules are on by default (`FakeAnthropicServer(strict=True)`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from swath.agents.capabilities import ModelCaps, caps_for, known

MAX_CACHE_BREAKPOINTS = 4
BATCH_MAX_REQUESTS = 100_000
BATCH_MAX_BYTES = 256 * 1024 * 1024
SAMPLING = ("temperature", "top_p", "top_k")


@dataclass(frozen=True)
class Rejection:
    status: int
    error_type: str
    message: str

    def body(self) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {"type": self.error_type, "message": self.message},
            "request_id": "req_fake_rejected",
        }


def _bad(message: str) -> Rejection:
    return Rejection(400, "invalid_request_error", message)


Rule = Callable[[dict[str, Any], ModelCaps], "Rejection | None"]


def check_request(body: dict[str, Any]) -> Rejection | None:
    """What the API answers a /v1/messages body that breaks a rule; None if it passes."""
    model = body.get("model")
    if not isinstance(model, str) or not known(model):
        return Rejection(404, "not_found_error", f"model: {model}")
    caps = caps_for(model)
    for rule in RULES:
        rejected = rule(body, caps)
        if rejected is not None:
            return rejected
    return None


def check_count_tokens(body: dict[str, Any]) -> Rejection | None:
    model = body.get("model")
    if not isinstance(model, str) or not known(model):
        return Rejection(404, "not_found_error", f"model: {model}")
    return None


# -- the rules ----------------------------------------------------------------------------
def _max_tokens(body: dict[str, Any], caps: ModelCaps) -> Rejection | None:
    n = body.get("max_tokens")
    if not isinstance(n, int) or n < 1:
        return _bad("max_tokens: Field required")
    if n > caps.max_output:
        return _bad(
            f"max_tokens: {n} > {caps.max_output}, which is the maximum allowed number of "
            f"output tokens for {body['model']}"
        )
    return None


def thinking_type(body: dict[str, Any], caps: ModelCaps) -> str:
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type"):
        return str(thinking["type"])
    return caps.thinking_default if caps.thinks_by_default else "disabled"


def _thinking(body: dict[str, Any], caps: ModelCaps) -> Rejection | None:
    thinking = body.get("thinking")
    if thinking is None:
        return None
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind not in caps.thinking_types:
        return _bad(
            f'"thinking.type.{kind}" is not supported for this model. Use '
            '"thinking.type.adaptive" and "output_config.effort" to control thinking behavior.'
        )
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            return _bad(
                "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
            )
        if budget >= int(body.get("max_tokens") or 0):
            return _bad("`max_tokens` must be greater than `thinking.budget_tokens`")
    return None


def _effort(body: dict[str, Any], caps: ModelCaps) -> Rejection | None:
    output = body.get("output_config") or {}
    if "effort" in output and not caps.accepts_effort(output["effort"]):
        return _bad(f"output_config.effort: {output['effort']!r} is not supported for this model")
    return None


def _sampling(body: dict[str, Any], caps: ModelCaps) -> Rejection | None:
    given = [k for k in SAMPLING if body.get(k) is not None]
    if given and caps.sampling == "none":
        return _bad(
            f"`{given[0]}` is not supported for this model: sampling parameters may only take "
            "their default values"
        )
    if caps.sampling == "one" and "temperature" in given and "top_p" in given:
        return _bad(
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
        )
    return None


def _tool_choice(body: dict[str, Any], caps: ModelCaps) -> Rejection | None:
    choice = body.get("tool_choice") or {}
    kind = choice.get("type")
    if kind not in ("any", "tool"):
        return None
    if not caps.forced_tool_choice:
        return _bad(
            f"tool_choice.type: {kind!r} is not supported for this model: forced tool use is "
            'not supported; use tool_choice {"type": "auto"} or {"type": "none"}'
        )
    if thinking_type(body, caps) != "disabled":
        return _bad("Thinking may not be enabled when tool_choice forces tool use.")
    names = {t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)}
    if kind == "tool" and choice.get("name") not in names:
        return _bad(f"tool_choice.name: tool {choice.get('name')!r} is not in tools")
    return None


def _roles(body: dict[str, Any], caps: ModelCaps) -> Rejection | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _bad("messages: at least one message is required")
    if messages[0].get("role") != "user":
        return _bad('messages: first message must use the "user" role')
    if messages[-1].get("role") == "assistant" and not caps.prefill:
        return _bad(
            "This model does not support assistant message prefill. The conversation must end "
            "with a user message."
        )
    return None


def _blocks(content: Any) -> list[Any]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content) if isinstance(content, list) else []


def _content(body: dict[str, Any], caps: ModelCaps) -> Rejection | None:
    messages = body.get("messages") or []
    for i, m in enumerate(messages):
        blocks = _blocks(m.get("content"))
        if not blocks and not (i == len(messages) - 1 and m.get("role") == "assistant"):
            return _bad(
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        for j, b in enumerate(blocks):
            if (
                isinstance(b, dict)
                and b.get("type") == "text"
                and not str(b.get("text", "")).strip()
            ):
                return _bad(f"messages.{i}.content.{j}.text: text content blocks must be non-empty")
    for j, b in enumerate(_system_blocks(body)):
        if isinstance(b, dict) and b.get("type") == "text" and not str(b.get("text", "")).strip():
            return _bad(f"system.{j}.text: text content blocks must be non-empty")
    return None


def _system_blocks(body: dict[str, Any]) -> list[Any]:
    system = body.get("system")
    if isinstance(system, str):
        return [{"type": "text", "text": system}] if system else []
    return list(system) if isinstance(system, list) else []


def _breakpoints(body: dict[str, Any]) -> Iterator[Any]:
    yield from body.get("tools") or []
    yield from _system_blocks(body)
    for m in body.get("messages") or []:
        yield from _blocks(m.get("content"))


def _cache(body: dict[str, Any], caps: ModelCaps) -> Rejection | None:
    n = sum(1 for b in _breakpoints(body) if isinstance(b, dict) and b.get("cache_control"))
    n += 1 if body.get("cache_control") else 0  # automatic caching takes a slot too
    if n > MAX_CACHE_BREAKPOINTS:
        return _bad(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {n}."
        )
    return None


def _ids(blocks: list[Any], kind: str, key: str) -> list[str]:
    return [str(b.get(key)) for b in blocks if isinstance(b, dict) and b.get("type") == kind]


def _tool_results(body: dict[str, Any], caps: ModelCaps) -> Rejection | None:
    messages = body.get("messages") or []
    for i, m in enumerate(messages):
        blocks = _blocks(m.get("content"))
        if m.get("role") == "user":
            asked = _ids(_blocks(messages[i - 1].get("content")), "tool_use", "id") if i > 0 else []
            for j, rid in enumerate(_ids(blocks, "tool_result", "tool_use_id")):
                if rid not in asked:
                    return _bad(
                        f"messages.{i}.content.{j}: unexpected `tool_use_id` found in "
                        f"`tool_result` blocks: {rid}. Each `tool_result` block must have a "
                        "corresponding `tool_use` block in the previous message."
                    )
            continue
        uses = _ids(blocks, "tool_use", "id")
        if not uses or i == len(messages) - 1:
            continue
        answered = set(_ids(_blocks(messages[i + 1].get("content")), "tool_result", "tool_use_id"))
        missing = [u for u in uses if u not in answered]
        if missing:
            return _bad(
                f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a "
                "corresponding `tool_result` block in the next message."
            )
    return None


def open_objects(schema: Any, where: str = "") -> Iterator[str]:
    """Paths of object schemas that do not set `additionalProperties: false`."""
    if isinstance(schema, list):
        for i, s in enumerate(schema):
            yield from open_objects(s, f"{where}.{i}")
        return
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    is_object = kind == "object" or (isinstance(kind, list) and "object" in kind)
    if is_object and schema.get("additionalProperties") is not False:
        yield where or "."
    for key in ("properties", "$defs", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            yield from open_objects(sub, f"{where}.{key}.{name}")
    for key in ("items", "anyOf", "oneOf", "allOf", "prefixItems"):
        if key in schema:
            yield from open_objects(schema[key], f"{where}.{key}")


def _strict_tools(body: dict[str, Any], caps: ModelCaps) -> Rejection | None:
    for i, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, dict) or not tool.get("strict"):
            continue
        if not caps.structured_outputs:
            return _bad(f"tools.{i}.custom.strict: strict tools are not supported for this model")
        schema = tool.get("input_schema") or {}
        if schema.get("type") != "object":
            return _bad(f"tools.{i}.custom.input_schema.type: Input should be 'object'")
        for path in open_objects(schema):
            return _bad(
                f"tools.{i}.custom: For 'strict' tools, 'additionalProperties' must be "
                f"explicitly set to false (at input_schema{path if path != '.' else ''})"
            )
    return None


def _output_format(body: dict[str, Any], caps: ModelCaps) -> Rejection | None:
    fmt = (body.get("output_config") or {}).get("format")
    if fmt is None:
        return None
    if not caps.structured_outputs:
        return _bad("output_config.format: structured outputs are not supported for this model")
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return _bad("output_config.format.type: Input should be 'json_schema'")
    schema = fmt.get("schema") or {}
    if schema.get("type") != "object":
        return _bad("output_config.format.schema: the root of the schema must be an object")
    for path in open_objects(schema):
        return _bad(
            "output_config.format.schema: 'additionalProperties' must be explicitly set to false "
            f"for every object (at schema{path if path != '.' else ''})"
        )
    return None


RULES: tuple[Rule, ...] = (
    _max_tokens,
    _thinking,
    _effort,
    _sampling,
    _tool_choice,
    _roles,
    _content,
    _cache,
    _tool_results,
    _strict_tools,
    _output_format,
)


def check_batch(raw_bytes: int, requests: Any) -> Rejection | None:
    """A Message Batch over the documented limits: 100,000 requests or 256 MB."""
    if not isinstance(requests, list) or not requests:
        return _bad("requests: must be a non-empty list")
    if len(requests) > BATCH_MAX_REQUESTS:
        return _bad(
            f"requests: a batch may hold at most {BATCH_MAX_REQUESTS:,} requests; got "
            f"{len(requests):,}"
        )
    if raw_bytes > BATCH_MAX_BYTES:
        return Rejection(
            413, "request_too_large", f"Request exceeds the maximum size of {BATCH_MAX_BYTES} bytes"
        )
    ids = [r.get("custom_id") for r in requests if isinstance(r, dict)]
    if len(set(ids)) != len(ids):
        return _bad("requests: custom_id values must be unique within a batch")
    return None


def describe(rejection: Rejection) -> str:
    return json.dumps(rejection.body())
