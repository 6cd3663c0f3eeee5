"""Seeing pushback and retries from inside the SDK.

The SDK retries 429/529/5xx and connection errors by itself, honouring `retry-after`;
we keep that. What we add is a middleware (anthropic 2.x runs client middleware once per
HTTP attempt, inside its retry loop) that reports every 429/529 to the agent whose
request it was, so the engine can lower its concurrency while the SDK waits, and that
counts attempts and retries for the progress display and benchmarks.

The client is shared by all agents; the agent a request belongs to is found through a
context variable set around each agent's run (asyncio copies the context into tasks,
and the SDK awaits the middleware in the caller's task).
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from anthropic import Middleware
from anthropic._request import APIRequest
from pydantic import BaseModel, Field

from swath.agents.base import AgentEnv, ModelTaskFailed
from swath.agents.context import task_deadline
from swath.agents.errors import ErrorKind, FatalAPIError, classify

log = logging.getLogger(__name__)

PUSHBACK_STATUSES = frozenset({429, 529})

current_env: ContextVar[AgentEnv | None] = ContextVar("swath_agent_env", default=None)


class RetryAfterBeyondTimeout(ModelTaskFailed):
    """The API asked for a wait longer than the task has left: fail now, not at the timeout.

    The SDK honours any `retry-after`, so a `retry-after: 3600` used to keep a task asleep
    until its whole timeout ran out. Other tasks are held back by the limiter for at most
    its `max_hold_s` (60 s), whatever the header says.
    """


class TransportStats(BaseModel):
    attempts: int = 0  # HTTP attempts, retries included
    retries: int = 0
    pushbacks: int = 0  # 429 + 529 responses
    errors: int = 0  # responses >= 500 other than 529
    fatal: int = 0  # responses that stop the run without a retry (the spend cap)
    by_status: dict[int, int] = Field(default_factory=dict)


def retry_after_seconds(headers: Any) -> float | None:
    """`retry-after-ms` or `retry-after` (seconds or an HTTP date), as the SDK reads them."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return max(0.0, email.utils.mktime_tz(parsed) - time.time()) if parsed else None


class PushbackMiddleware(Middleware):
    def __init__(self) -> None:
        self.stats = TransportStats()
        self._listeners: list[Callable[[float], None]] = []

    def add_listener(self, callback: Callable[[float], None]) -> None:
        """Also tell `callback` about every pushback (e.g. a run-wide limiter)."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[float], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    async def handle_async(self, request: APIRequest, call_next: Any) -> Any:
        self.stats.attempts += 1
        if request.retries_taken:
            self.stats.retries += 1
        response = await call_next(request)
        status = int(response.status_code)
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
        if status == 429:
            # The spend cap answers 429 too, but no retry can fix it: stop the SDK's retries
            # here and keep it away from the limiter (it is not rate limiting).
            verdict = classify(status, await _json_or_none(response))
            if verdict.kind is ErrorKind.fatal:
                self.stats.fatal += 1
                raise FatalAPIError(status, verdict)
        if status in PUSHBACK_STATUSES:
            self.stats.pushbacks += 1
            retry_after = retry_after_seconds(response.headers) or 0.0
            self._notify(retry_after)
            _refuse_wait_past_deadline(status, retry_after)
        elif status >= 500:
            self.stats.errors += 1
        return response

    def _notify(self, retry_after: float) -> None:
        targets: list[Callable[[float], None]] = list(self._listeners)
        env = current_env.get()
        if env is not None:
            targets.append(env.on_pushback)
        for callback in targets:
            try:
                callback(retry_after)
            except Exception:  # a sink must not break the request path
                log.exception("pushback callback failed")


async def _json_or_none(response: Any) -> Any:
    try:
        return await response.json()
    except Exception:  # not JSON: classified by its status alone
        return None


def _refuse_wait_past_deadline(status: int, retry_after: float) -> None:
    deadline = task_deadline.get()
    if deadline is None or retry_after <= 0:
        return
    left = deadline - time.monotonic()
    if retry_after > left:
        raise RetryAfterBeyondTimeout(
            f"the API answered {status} and asked to retry after {retry_after:g} s, more than "
            f"the {max(left, 0):.0f} s left of this task's timeout: failed now instead of waiting"
        )
