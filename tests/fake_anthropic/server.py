"""A fake Anthropic Messages API on 127.0.0.1: real HTTP for the real SDK.

    server = FakeAnthropicServer(delay_s=0.05)
    server.start()                       # in a thread (sync tests, benchmarks)
    # or: await server.start_async()     # in the running loop (async tests)
    server.script([ToolUse("read_file", {"path": "a.py"}), Submit({"findings": []})])
    server.inject(rate_limited(0.3))     # the next request gets a 429
    ... AsyncAnthropic(base_url=server.url, api_key="test") ...
    server.requests                      # every request: method, path, headers, JSON body
    server.stop()

Endpoints: POST /v1/messages, POST /v1/messages/count_tokens, POST /v1/messages/batches,
GET /v1/messages/batches/{id}, GET /v1/messages/batches/{id}/results (JSONL),
POST /v1/messages/batches/{id}/cancel.

Usage is computed the way the API reports it: tokens are len(JSON)/4 per block; a request
whose prefix up to a `cache_control` breakpoint was seen before reads it from the cache
(`cache_read_input_tokens`), a new breakpoint prefix is written (`cache_creation_input_tokens`),
the rest is `input_tokens`.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from tests.fake_anthropic import rules
from tests.fake_anthropic.replies import (
    Echo,
    Fault,
    Malformed,
    Reply,
    ReplyLike,
    RequestContext,
    Script,
    Slow,
    content_blocks,
    echo_reply,
)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None
    raw: str
    at: float


@dataclass
class RecordedResponse:
    path: str
    status: int
    body: Any


@dataclass
class _Batch:
    id: str
    requests: list[dict[str, Any]]
    created_at: datetime
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: str = "in_progress"
    cancel: bool = False
    ended_at: datetime | None = None


def _tokens(obj: Any) -> int:
    return max(
        1,
        math.ceil(
            len(json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)) / 4
        ),
    )


def sse_events(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The event stream of a complete message: start, each block's start/delta/stop, the
    final delta (stop reason, output usage) and stop."""
    usage = dict(message.get("usage") or {})
    start = {**message, "content": [], "stop_reason": None, "stop_details": None}
    start["usage"] = {**usage, "output_tokens": 1}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    for i, block in enumerate(message.get("content") or []):
        events += _block_events(i, block)
    delta = {
        "stop_reason": message.get("stop_reason"),
        "stop_sequence": message.get("stop_sequence"),
    }
    if message.get("stop_details") is not None:
        delta["stop_details"] = message["stop_details"]
    events.append({"type": "message_delta", "delta": delta, "usage": usage})
    events.append({"type": "message_stop"})
    return events


def _block_events(i: int, block: dict[str, Any]) -> list[dict[str, Any]]:
    kind = block.get("type")
    if kind == "text":
        first: dict[str, Any] = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": block.get("text", "")}]
    elif kind == "tool_use":
        first = {**block, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": json.dumps(block.get("input"))}]
    elif kind == "thinking":
        first = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [
            {"type": "thinking_delta", "thinking": block.get("thinking", "")},
            {"type": "signature_delta", "signature": block.get("signature", "")},
        ]
    else:
        first, deltas = block, []
    return [
        {"type": "content_block_start", "index": i, "content_block": first},
        *({"type": "content_block_delta", "index": i, "delta": d} for d in deltas),
        {"type": "content_block_stop", "index": i},
    ]


def _fault_headers(fault: Fault) -> dict[str, str]:
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["retry-after"] = f"{fault.retry_after:g}"
    if fault.retry_header:
        headers["x-should-retry"] = "true" if fault.status in (429, 500, 529) else "false"
    return headers


def _strip_cache_control(block: Any) -> Any:
    if isinstance(block, dict) and "cache_control" in block:
        return {k: v for k, v in block.items() if k != "cache_control"}
    return block


def _prefix_blocks(body: dict[str, Any]) -> list[tuple[Any, bool]]:
    """(block, has breakpoint) in the API's prefix order: tools, system, messages."""
    out: list[tuple[Any, bool]] = []
    for tool in body.get("tools") or []:
        out.append((("tool", _strip_cache_control(tool)), "cache_control" in tool))
    system = body.get("system")
    if isinstance(system, str):
        out.append((("system", system), False))
    elif isinstance(system, list):
        for b in system:
            out.append(
                (("system", _strip_cache_control(b)), isinstance(b, dict) and "cache_control" in b)
            )
    for m in body.get("messages") or []:
        content = m.get("content")
        blocks = (
            [{"type": "text", "text": content}] if isinstance(content, str) else (content or [])
        )
        for b in blocks:
            out.append(
                (
                    (m.get("role"), _strip_cache_control(b)),
                    isinstance(b, dict) and "cache_control" in b,
                )
            )
    if body.get("cache_control") and out:  # top-level automatic caching: the last block
        out[-1] = (out[-1][0], True)
    return out


class FakeAnthropicServer:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        delay_s: float = 0.0,
        min_cache_tokens: int = 0,
        batch_delay_s: float = 0.0,
        require_api_key: bool = True,
        strict: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.delay_s = delay_s
        self.min_cache_tokens = min_cache_tokens
        self.batch_delay_s = batch_delay_s
        self.require_api_key = require_api_key
        # Reject, per model, what the real API rejects (tests/fake_anthropic/rules.py).
        self.strict = strict
        self.rejections: list[rules.Rejection] = []
        self.requests: list[RecordedRequest] = []
        self.responses: list[RecordedResponse] = []
        self._scripts: list[tuple[str | None, Script]] = []
        self._faults: deque[ReplyLike] = deque()
        self._batch_faults: deque[Fault] = deque()
        self._cache: set[str] = set()
        self._batches: dict[str, _Batch] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._batch_tasks: set[asyncio.Task[None]] = set()

    # -- control ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def script(self, script: Script, *, match: str | None = None) -> None:
        """Set how conversations are answered. A list gives the reply of each turn (the last
        one repeats); a callable gets a `RequestContext`. With `match`, only conversations whose
        first user message contains that text follow this script; later calls win."""
        with self._lock:
            self._scripts.insert(0, (match, script))

    def inject(self, *faults: ReplyLike) -> None:
        """The next requests to /v1/messages get these replies first, whatever the script."""
        with self._lock:
            self._faults.extend(faults)

    def inject_batch(self, *faults: Fault) -> None:
        """The next requests to create a Message Batch get these errors (a refused key, the
        spend cap) instead of a batch."""
        with self._lock:
            self._batch_faults.extend(faults)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.responses.clear()
            self._scripts.clear()
            self._faults.clear()
            self._batch_faults.clear()
            self._cache.clear()
            self.rejections.clear()

    def message_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/v1/messages"]

    def usage_reported(self) -> dict[str, int]:
        """Sum of the usage in every successful /v1/messages response."""
        total = {
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        for r in self.responses:
            if r.path == "/v1/messages" and r.status == 200 and isinstance(r.body, dict):
                for k in total:
                    total[k] += int(r.body.get("usage", {}).get(k) or 0)
        return total

    def all_request_text(self) -> str:
        return "\n".join(r.raw for r in self.requests)

    # -- lifecycle -----------------------------------------------------------------------
    def app(self) -> web.Application:
        # Bodies up to the batch limit reach the rules (check_batch answers as the API does);
        # only a body past it gets aiohttp's own 413.
        app = web.Application(client_max_size=rules.BATCH_MAX_BYTES + 1024 * 1024)
        app.router.add_post("/v1/messages", self._messages)
        app.router.add_post("/v1/messages/count_tokens", self._count_tokens)
        app.router.add_post("/v1/messages/batches", self._batch_create)
        app.router.add_get("/v1/messages/batches/{id}", self._batch_get)
        app.router.add_get("/v1/messages/batches/{id}/results", self._batch_results)
        app.router.add_post("/v1/messages/batches/{id}/cancel", self._batch_cancel)
        # Control endpoints, for a server in another process (`python -m tests.fake_anthropic`).
        app.router.add_post("/_fake/inject", self._control_inject)
        app.router.add_post("/_fake/reset", self._control_reset)
        app.router.add_get("/_fake/stats", self._control_stats)
        return app

    async def start_async(self) -> FakeAnthropicServer:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop_async(self) -> None:
        for task in list(self._batch_tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start(self) -> FakeAnthropicServer:
        """Serve from a thread with its own event loop (for sync tests and benchmarks)."""
        ready = threading.Event()
        error: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as exc:  # pragma: no cover - surfaced to the caller
                error.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop_async())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-anthropic", daemon=True)
        self._thread.start()
        ready.wait(10)
        if error:
            raise error[0]
        return self

    def stop(self) -> None:
        if self._thread is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None
            self._loop = None

    def __enter__(self) -> FakeAnthropicServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> FakeAnthropicServer:
        return await self.start_async()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_async()

    # -- recording ------------------------------------------------------------------------
    async def _record(self, request: web.Request) -> RecordedRequest:
        arrived = time.monotonic()
        raw = await request.text()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {
            k.lower(): v for k, v in request.headers.items()
        }  # HTTP header names are case-insensitive
        rec = RecordedRequest(request.method, request.path, headers, body, raw, arrived)
        with self._lock:
            self.requests.append(rec)
        return rec

    def _respond(
        self, path: str, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> web.Response:
        with self._lock:
            self.responses.append(RecordedResponse(path, status, body))
        return web.json_response(body, status=status, headers=headers)

    def _auth_error(self, rec: RecordedRequest) -> web.Response | None:
        if not self.require_api_key:
            return None
        key = rec.headers.get("x-api-key") or rec.headers.get("authorization")
        if key:
            return None
        return self._respond(rec.path, 401, Fault(401, message="missing API key").body())

    # -- scripting -----------------------------------------------------------------------
    def _choose(self, ctx: RequestContext) -> ReplyLike:
        with self._lock:
            scripts = list(self._scripts)
        for match, script in scripts:
            if match is not None and match not in ctx.conversation:
                continue
            if callable(script):
                return script(ctx)
            replies = list(script)
            if not replies:
                break
            return replies[min(ctx.turn, len(replies) - 1)]
        return Echo()

    @staticmethod
    def _conversation(body: dict[str, Any]) -> str:
        for m in body.get("messages") or []:
            if m.get("role") == "user":
                content = m.get("content")
                if isinstance(content, str):
                    return content
                return "\n".join(b.get("text", "") for b in content or [] if isinstance(b, dict))
        return ""

    def _usage(
        self, body: dict[str, Any], content: list[dict[str, Any]], *, batch: bool = False
    ) -> dict[str, Any]:
        blocks = _prefix_blocks(body)
        seed = hashlib.sha256(str(body.get("model")).encode()).hexdigest()
        cumulative = 0
        chain = seed
        positions: list[tuple[int, str]] = []  # (tokens up to and including block i, prefix hash)
        breakpoints: list[int] = []
        for i, (block, breakpoint) in enumerate(blocks):
            cumulative += _tokens(block)
            chain = hashlib.sha256((chain + json.dumps(block, sort_keys=True)).encode()).hexdigest()
            positions.append((cumulative, chain))
            if breakpoint:
                breakpoints.append(i)
        total = cumulative
        read = 0
        write = 0
        with self._lock:
            # As the API does: from each breakpoint, look back up to 20 blocks for the
            # longest prefix already cached (so turn N+1 finds what turn N wrote).
            for i in breakpoints:
                for j in range(i, max(-1, i - 21), -1):
                    tokens, h = positions[j]
                    if h in self._cache:
                        read = max(read, tokens)
                        break
            if breakpoints:
                last_tokens = positions[breakpoints[-1]][0]
                if last_tokens > read and last_tokens >= self.min_cache_tokens:
                    write = last_tokens - read
                for i in breakpoints:
                    tokens, h = positions[i]
                    if tokens >= self.min_cache_tokens:
                        self._cache.add(h)
        return {
            "input_tokens": total - read - write,
            "output_tokens": _tokens(content),
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
            "service_tier": "batch" if batch else "standard",
        }

    async def _answer(
        self, body: dict[str, Any], *, batch: bool = False
    ) -> tuple[int, Any, dict[str, str]]:
        status, payload, headers, delay = self._compose(body, batch=batch)
        if delay > 0:
            await asyncio.sleep(delay)
        return status, payload, headers

    def _check(self, body: dict[str, Any]) -> rules.Rejection | None:
        """The real API's answer to a request that breaks its rules (strict mode)."""
        rejected = rules.check_request(body) if self.strict else None
        if rejected is not None:
            with self._lock:
                self.rejections.append(rejected)
        return rejected

    def _compose(
        self, body: dict[str, Any], *, batch: bool = False
    ) -> tuple[int, Any, dict[str, str], float]:
        """(status, JSON body or raw text, headers, seconds to wait) for one Messages request."""
        ctx = RequestContext(body=body, conversation=self._conversation(body))
        rejected = self._check(body)
        if rejected is not None:
            return rejected.status, rejected.body(), {"x-should-retry": "false"}, self.delay_s
        reply: Any = None
        if not batch:
            with self._lock:
                if self._faults:
                    reply = self._faults.popleft()
        if reply is None:
            reply = self._choose(ctx)
        delay = self.delay_s
        while isinstance(reply, Slow):
            delay += reply.seconds
            reply = reply.reply if reply.reply is not None else Echo()
        if isinstance(reply, (Fault, Reply)):
            delay += reply.delay_s
        if isinstance(reply, Fault):
            return reply.status, reply.body(), _fault_headers(reply), delay
        if isinstance(reply, Malformed):
            return 200, reply.body, {}, delay
        if isinstance(reply, dict):  # a complete response body, sent as is
            return 200, reply, {}, delay
        if isinstance(reply, Echo):
            reply = echo_reply(ctx)
        content = content_blocks(reply, ctx)
        usage = self._usage(body, content, batch=batch)
        stop = reply.stop_reason if isinstance(reply, Reply) and reply.stop_reason else None
        if isinstance(reply, Reply) and reply.usage:
            usage.update(reply.usage)
        message = {
            "id": f"msg_fake_{next(self._ids)}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "unknown"),
            "content": content,
            "stop_reason": stop
            or ("tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"),
            "stop_sequence": None,
            "usage": usage,
        }
        if isinstance(reply, Reply) and reply.stop_details is not None:
            message["stop_details"] = reply.stop_details
        return 200, message, {}, delay

    # -- endpoints -----------------------------------------------------------------------
    async def _messages(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request)
        denied = self._auth_error(rec)
        if denied is not None:
            return denied
        if not isinstance(rec.body, dict):
            return self._respond(rec.path, 400, Fault(400, message="body is not JSON").body())
        status, body, headers, delay = self._compose(rec.body)
        stream = bool(rec.body.get("stream")) and status == 200
        if isinstance(body, str) or stream:
            with self._lock:
                self.responses.append(RecordedResponse(rec.path, status, body))
        # "Answers in `delay` seconds": counted from the request's arrival, so the fake's own
        # work (parsing, usage, JSON) does not add to the latency it is asked to show.
        remaining = rec.at + delay - time.monotonic()
        if stream:
            if remaining > 0:
                await asyncio.sleep(remaining)
            return await self._stream(request, body)
        if isinstance(body, str):
            response = web.Response(text=body, status=status, content_type="application/json")
        else:
            response = self._respond(rec.path, status, body, headers)
        if remaining > 0:
            await asyncio.sleep(remaining)
        return response

    async def _stream(self, request: web.Request, body: Any) -> web.StreamResponse:
        """A reply as server-sent events, as the API streams it (`stream: true`)."""
        response = web.StreamResponse(
            status=200, headers={"content-type": "text/event-stream", "cache-control": "no-cache"}
        )
        await response.prepare(request)
        if isinstance(body, str):  # malformed: a broken event
            await response.write(f"event: message_start\ndata: {body}\n\n".encode())
        else:
            for event in sse_events(body):
                await response.write(
                    f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
                )
        await response.write_eof()
        return response

    async def _count_tokens(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request)
        denied = self._auth_error(rec)
        if denied is not None:
            return denied
        body = rec.body if isinstance(rec.body, dict) else {}
        rejected = rules.check_count_tokens(body) if self.strict else None
        if rejected is not None:
            return self._respond(rec.path, rejected.status, rejected.body())
        total = sum(_tokens(b) for b, _ in _prefix_blocks(body))
        return self._respond(rec.path, 200, {"input_tokens": total})

    def _batch_json(self, b: _Batch) -> dict[str, Any]:
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for r in b.requests:
            res = b.results.get(r["custom_id"])
            counts[res["result"]["type"] if res else "processing"] += 1
        return {
            "id": b.id,
            "type": "message_batch",
            "processing_status": b.status,
            "request_counts": counts,
            "created_at": b.created_at.isoformat(),
            "expires_at": (b.created_at + timedelta(hours=24)).isoformat(),
            "ended_at": b.ended_at.isoformat() if b.ended_at else None,
            "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": f"{self.url}/v1/messages/batches/{b.id}/results"
            if b.status == "ended"
            else None,
        }

    async def _process_batch(self, b: _Batch) -> None:
        for r in b.requests:
            if b.cancel:
                b.results[r["custom_id"]] = {
                    "custom_id": r["custom_id"],
                    "result": {"type": "canceled"},
                }
                continue
            if self.batch_delay_s:
                await asyncio.sleep(self.batch_delay_s)
            status, body, _ = await self._answer(r.get("params") or {}, batch=True)
            if status == 200 and isinstance(body, dict):
                result: dict[str, Any] = {"type": "succeeded", "message": body}
            else:
                err = body if isinstance(body, dict) else Fault(500).body()
                result = {"type": "errored", "error": err}
            b.results[r["custom_id"]] = {"custom_id": r["custom_id"], "result": result}
        b.status = "ended"
        b.ended_at = datetime.now(timezone.utc)

    async def _batch_create(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request)
        denied = self._auth_error(rec)
        if denied is not None:
            return denied
        with self._lock:
            fault = self._batch_faults.popleft() if self._batch_faults else None
        if fault is not None:
            return self._respond(rec.path, fault.status, fault.body(), _fault_headers(fault))
        reqs = (rec.body or {}).get("requests") if isinstance(rec.body, dict) else None
        rejected = rules.check_batch(len(rec.raw.encode("utf-8")), reqs)
        if rejected is not None and (self.strict or not isinstance(reqs, list) or not reqs):
            return self._respond(rec.path, rejected.status, rejected.body())
        assert isinstance(reqs, list)
        b = _Batch(
            id=f"msgbatch_fake_{next(self._ids)}",
            requests=reqs,
            created_at=datetime.now(timezone.utc),
        )
        self._batches[b.id] = b
        task = asyncio.get_running_loop().create_task(self._process_batch(b))
        self._batch_tasks.add(task)
        task.add_done_callback(self._batch_tasks.discard)
        return self._respond(rec.path, 200, self._batch_json(b))

    async def _batch_get(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request)
        b = self._batches.get(request.match_info["id"])
        if b is None:
            return self._respond(
                rec.path,
                404,
                Fault(404, error_type="not_found_error", message="no such batch").body(),
            )
        return self._respond(rec.path, 200, self._batch_json(b))

    async def _batch_results(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request)
        b = self._batches.get(request.match_info["id"])
        if b is None or b.status != "ended":
            return self._respond(
                rec.path, 404, Fault(404, error_type="not_found_error", message="no results").body()
            )
        lines = (
            "\n".join(json.dumps(b.results[r["custom_id"]]) for r in reversed(b.requests)) + "\n"
        )
        return web.Response(text=lines, content_type="application/x-jsonl")

    async def _control_inject(self, request: web.Request) -> web.StreamResponse:
        """Body: {"faults": [{"status": 429, "retry_after": 0.2}, ...]} or {"count": N, "status": ...}."""
        body = await request.json()
        specs = body.get("faults") or [
            {k: v for k, v in body.items() if k in ("status", "retry_after", "message")}
        ] * int(body.get("count", 1))
        self.inject(*(Fault(**spec) for spec in specs))
        return web.json_response({"queued": len(self._faults)})

    async def _control_reset(self, request: web.Request) -> web.StreamResponse:
        self.reset()
        return web.json_response({"ok": True})

    async def _control_stats(self, request: web.Request) -> web.StreamResponse:
        by_status: dict[str, int] = {}
        for r in self.responses:
            by_status[str(r.status)] = by_status.get(str(r.status), 0) + 1
        return web.json_response(
            {
                "requests": len(self.requests),
                "messages": len(self.message_requests()),
                "by_status": by_status,
                "usage": self.usage_reported(),
                "faults_queued": len(self._faults),
            }
        )

    async def _batch_cancel(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request)
        b = self._batches.get(request.match_info["id"])
        if b is None:
            return self._respond(
                rec.path,
                404,
                Fault(404, error_type="not_found_error", message="no such batch").body(),
            )
        b.cancel = True
        if b.status == "in_progress":
            b.status = "canceling"
        return self._respond(rec.path, 200, self._batch_json(b))
