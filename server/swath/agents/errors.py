"""Which API errors mean "stop the run" and which mean "this task failed" or "slow down".

The SDK retries 408/409/429/5xx by itself. That is right for real rate limiting and
overload, and wrong for the errors that no retry can fix:

- the monthly spend cap of the organisation's tier: a 429 `rate_limit_error` whose
  `error.details.error_code` is `enforced_spend_limit_reached`, without `retry-after`;
  retrying fails until the first of next month, and treating it as rate limiting drops the
  run's concurrency to 1 while every remaining task fails one by one;
- a spend limit the user set (organisation or workspace): a 400 `invalid_request_error`
  whose message begins "You have reached your specified ... API usage limits";
- a bad key (401), no credit (402), no permission or an organisation on hold (403), a
  retired or misspelt model (404): every other task would fail the same way;
- any other 400: Swath shapes each request from the model's capability row, so a request
  the API rejects is rejected for every task of that model; stop and say what to fix.

Each of these stops the run at once with one message; finished results stay in the store and
`swath resume RUN` carries on after the fix. A 400 that belongs to one task's input (its
prompt is too long) and a 413 fail that task alone. Only a plain 429 and 529 are pushback
for the adaptive limiter. Sources: the API's errors page and rate-limits page (stored copies
read on 2026-12-02).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

SPEND_CAP_CODE = "enforced_spend_limit_reached"


class ErrorKind(str, Enum):
    fatal = "fatal"  # stop the run: no other task can succeed until the user acts
    task = "task"  # this task fails alone
    pushback = "pushback"  # rate limiting / overload: retry later, slow down
    transient = "transient"  # a server error: retry


@dataclass(frozen=True)
class ErrorVerdict:
    kind: ErrorKind
    reason: str  # one line for the user: what happened and what to do

    @property
    def fatal(self) -> bool:
        return self.kind is ErrorKind.fatal

    @property
    def retryable(self) -> bool:
        return self.kind in (ErrorKind.pushback, ErrorKind.transient)


def error_parts(body: Any) -> tuple[str, str, str]:
    """(error type, message, details.error_code) of an API error body, '' where absent."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return "", "", ""
    details = err.get("details")
    code = details.get("error_code") if isinstance(details, dict) else None
    return str(err.get("type") or ""), str(err.get("message") or ""), str(code or "")


def _spend_limit(message: str) -> bool:
    lowered = message.lower()
    return "reached your specified" in lowered and "usage limit" in lowered


def _per_task_400(message: str) -> bool:
    lowered = message.lower()
    return "prompt is too long" in lowered or "too many tokens" in lowered


_FATAL_STATUS = {
    401: "the API key was refused (authentication_error): check ANTHROPIC_API_KEY",
    402: "the organisation has no credit left (billing_error): add credit in the Claude Console",
    403: "the key may not do this, or the organisation is on hold (permission_error)",
    404: "the model or resource does not exist (not_found_error): check the model name",
}


def classify(status: int, body: Any) -> ErrorVerdict:
    kind, message, code = error_parts(body)
    detail = f": {message}" if message else ""
    if status == 429 and (code == SPEND_CAP_CODE or _spend_limit(message)):
        return ErrorVerdict(
            ErrorKind.fatal,
            "the organisation's monthly spend cap is reached (enforced_spend_limit_reached); "
            f"usage resumes next month or at a higher tier{detail}",
        )
    if status in (429, 529):
        return ErrorVerdict(ErrorKind.pushback, f"{kind or 'rate limited'}{detail}")
    if status == 400 and _spend_limit(message):
        return ErrorVerdict(ErrorKind.fatal, f"a spend limit you set is reached{detail}")
    if status == 400 and _per_task_400(message):
        return ErrorVerdict(ErrorKind.task, f"{kind}{detail}")
    if status == 400:
        return ErrorVerdict(ErrorKind.fatal, f"the API rejected the request ({kind}){detail}")
    if status in _FATAL_STATUS:
        return ErrorVerdict(ErrorKind.fatal, f"{_FATAL_STATUS[status]}{detail}")
    if status == 413:
        return ErrorVerdict(ErrorKind.task, f"the request is too large (request_too_large){detail}")
    if status >= 500 or status in (408, 409):
        return ErrorVerdict(ErrorKind.transient, f"{kind or 'server error'}{detail}")
    return ErrorVerdict(ErrorKind.task, f"{kind or 'error'}{detail}")


# The HTTP status each error type comes with (the errors page): a batch's errored entry has
# the error object but no status, and is classified as the same call made directly would be.
STATUS_OF_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


def classify_entry(error: Any) -> tuple[int, ErrorVerdict]:
    """(status, verdict) of an errored Message Batch entry's `error` object."""
    kind, _, _ = error_parts(error)
    status = STATUS_OF_TYPE.get(kind, 500)
    return status, classify(status, error)


class FatalAPIError(Exception):
    """Raised from the transport middleware for an error no retry can fix (the spend cap),
    so the SDK does not retry it: the SDK lets middleware exceptions through as they are."""

    def __init__(self, status: int, verdict: ErrorVerdict) -> None:
        super().__init__(verdict.reason)
        self.status = status
        self.verdict = verdict
