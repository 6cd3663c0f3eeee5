"""Per-task context the engine sets and the transport reads, without importing the SDK.

The engine sets the deadline of the task it runs; the transport middleware reads it to
refuse a retry-after that would outlive the task. Kept apart from `transport` so that
importing the engine (every CLI command, offline runs included) does not import the
`anthropic` SDK, which costs a second or more of start-up.
"""

from __future__ import annotations

from contextvars import ContextVar

# time.monotonic() by which the running task must end, or None outside a task.
task_deadline: ContextVar[float | None] = ContextVar("swath_task_deadline", default=None)
