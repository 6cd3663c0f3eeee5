"""Batch mode: single-turn model tasks through the Message Batches API at half price.

The engine submits once and stores the batch id (`submit_batch`); it can then collect
the results now or after a restart (`collect_batch`), which polls until the batch has
ended, reporting progress, and maps each result back to its task by `custom_id`. A
result that fails validation gets its repair turn through the ordinary Messages API
(at the ordinary price): a batch cannot hold a conversation.

`custom_id`s are derived from task keys (a hash, as the API allows only 64 characters
of `[A-Za-z0-9_-]`), so the same tasks map back to the same results on resume.

One batch holds at most 100,000 requests and 256 MB ("Batches may contain up to 100,000
requests and be up to 256 MB in total size", the Create a Message Batch reference, stored
copy read on 2026-12-03). `submit_batches` splits a larger set of tasks into as many batches
as needed (`BatchLimits`), reporting each id as soon as it exists so the caller can store it
before the next is created.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypedDict

import anthropic
from pydantic import BaseModel, ConfigDict, Field

from swath.agents.base import AgentEnv, ModelResult, ModelTask, ModelTaskFailed
from swath.agents.errors import classify, classify_entry
from swath.agents.llm import AnthropicRunner, MessagesRequest
from swath.agents.transport import current_env

log = logging.getLogger(__name__)

EnvFor = Callable[[ModelTask], AgentEnv]

API_MAX_REQUESTS = 100_000
API_MAX_BYTES = 256 * 1024 * 1024
# "256 MB" may be counted in decimal megabytes: split at the smaller reading, so a batch the
# API would count as over its limit is never sent.
SAFE_MAX_BYTES = 256_000_000
_ENVELOPE = len(b'{"requests":[]}')


class BatchLimits(BaseModel):
    """Where `submit_batches` splits: the API's limits by default; smaller ones in tests."""

    model_config = ConfigDict(frozen=True)

    max_requests: int = Field(API_MAX_REQUESTS, ge=1, le=API_MAX_REQUESTS)
    max_bytes: int = Field(SAFE_MAX_BYTES, ge=1, le=API_MAX_BYTES)


class BatchRequest(TypedDict):
    """One request of a Message Batch: a task's first (and only) turn, under its id."""

    custom_id: str
    params: MessagesRequest


def request_bytes(request: BatchRequest) -> int:
    """One batch request's size in the create body, encoded as the SDK encodes bodies
    (compact separators, UTF-8: `anthropic._utils._json.encoder`)."""
    return len(json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def split_requests(
    requests: Sequence[BatchRequest], limits: BatchLimits
) -> list[list[BatchRequest]]:
    """`requests` in order, cut into batches within both limits. A request too large for any
    batch must be taken out by the caller first (see `BatchRunner.build_requests`)."""
    chunks: list[list[BatchRequest]] = []
    current: list[BatchRequest] = []
    size = _ENVELOPE
    for request in requests:
        n = request_bytes(request) + (1 if current else 0)  # the comma before it
        if current and (len(current) >= limits.max_requests or size + n > limits.max_bytes):
            chunks.append(current)
            current, size, n = [], _ENVELOPE, n - 1
        current.append(request)
        size += n
    if current:
        chunks.append(current)
    return chunks


Submitted = Callable[[str, list[str]], Awaitable[None]]


class BatchProgress(BaseModel):
    batch_id: str
    status: str  # in_progress, canceling, ended
    total: int
    processing: int
    succeeded: int
    errored: int
    canceled: int
    expired: int

    @property
    def done(self) -> int:
        return self.total - self.processing


ProgressCallback = Callable[[BatchProgress], None]


def custom_id_for(task_key: str) -> str:
    return "t-" + hashlib.sha256(task_key.encode("utf-8")).hexdigest()[:48]


def batchable(task: ModelTask) -> bool:
    """Only single-turn tasks fit a batch: an agent with tools needs a conversation."""
    return bool(task.agent.instructions) and not task.agent.tools


class BatchGone(RuntimeError):
    """The batch is not there any more (404): it expired (results are kept 29 days) or was
    deleted. The caller submits the tasks again rather than fail the step."""

    def __init__(self, batch_id: str) -> None:
        super().__init__(f"batch {batch_id} no longer exists (expired or deleted)")
        self.batch_id = batch_id


class BatchRunner:
    def __init__(
        self,
        runner: AnthropicRunner,
        *,
        poll_interval_s: float = 10.0,
        repair_concurrency: int = 8,
        limits: BatchLimits | None = None,
    ) -> None:
        self.runner = runner
        self.poll_interval_s = poll_interval_s
        self.repair_concurrency = repair_concurrency
        self.limits = limits or BatchLimits()
        # Tasks whose request could not be built (a bad schema or template, or too large for
        # any batch): each fails alone.
        self.unprepared: dict[str, ModelTaskFailed] = {}

    def build_requests(self, tasks: Sequence[ModelTask], env_for: EnvFor) -> list[BatchRequest]:
        """Each task's batch request (CPU work: the callers run it in a thread). Raises ValueError for tasks that cannot be batched; a
        task whose request cannot be built, or would not fit in a batch, lands in
        `unprepared`."""
        refused = [t.task_key for t in tasks if not batchable(t)]
        if refused:
            raise ValueError(f"tasks with tools cannot run in a batch: {refused[:5]}")
        requests: list[BatchRequest] = []
        seen: set[str] = set()
        room = self.limits.max_bytes - _ENVELOPE
        for task in tasks:
            cid = custom_id_for(task.task_key)
            if cid in seen:
                raise ValueError(f"task key {task.task_key!r} appears twice")
            seen.add(cid)
            try:
                conv = self.runner.prepare(task, env_for(task))
            except ModelTaskFailed as exc:
                self.unprepared[task.task_key] = exc
                continue
            request: BatchRequest = {"custom_id": cid, "params": conv.params(final=True)}
            size = request_bytes(request)
            if size > room:  # no split can send it; the API would refuse the whole batch
                self.unprepared[task.task_key] = ModelTaskFailed(
                    f"the batch request is {size:,} bytes, over the {self.limits.max_bytes:,} "
                    "bytes a Message Batch may hold"
                )
                continue
            requests.append(request)
        return requests

    async def _create(self, requests: list[BatchRequest]) -> str:
        batch = await self.runner.client.messages.batches.create(requests=requests)  # type: ignore[arg-type]
        log.info("submitted batch %s with %d requests", batch.id, len(requests))
        return batch.id

    async def submit_batches(
        self, tasks: Sequence[ModelTask], env_for: EnvFor, on_submitted: Submitted | None = None
    ) -> list[tuple[str, list[str]]]:
        """Create as many batches as the limits need; returns (batch id, its custom_ids) for
        each. `on_submitted` is awaited after each create and before the next, so a kill
        between two creates loses no id: resume collects what exists and submits the rest."""
        out: list[tuple[str, list[str]]] = []
        key_of = {custom_id_for(t.task_key): t.task_key for t in tasks}
        requests = await asyncio.to_thread(self.build_requests, tasks, env_for)
        for chunk in split_requests(requests, self.limits):
            cids = [r["custom_id"] for r in chunk]
            try:
                batch_id = await self._create(chunk)
            except anthropic.APIStatusError as exc:
                verdict = classify(exc.status_code, exc.body)
                if verdict.fatal:  # the caller stops the run with one message
                    raise
                # A create the API refuses for this batch alone (413, a 5xx left after the
                # SDK's retries) fails its tasks, each with the reason; the other batches go on.
                for cid in cids:
                    self.unprepared[key_of[cid]] = ModelTaskFailed(
                        f"the Message Batch holding this task could not be created "
                        f"(API error {exc.status_code}: {verdict.reason})"
                    )
                continue
            if on_submitted is not None:
                await on_submitted(batch_id, cids)
            out.append((batch_id, cids))
        return out

    async def submit_batch(self, tasks: Sequence[ModelTask], env_for: EnvFor) -> str | None:
        """Create one batch; returns its id (store it to resume), or None when no task's
        request could be built. Raises ValueError when the tasks need more than one batch
        (`submit_batches` splits them)."""
        requests = await asyncio.to_thread(self.build_requests, tasks, env_for)
        chunks = split_requests(requests, self.limits)
        if len(chunks) > 1:
            raise ValueError(
                f"{len(tasks)} tasks need {len(chunks)} batches under {self.limits}: "
                "use submit_batches"
            )
        return await self._create(chunks[0]) if chunks else None

    async def wait(
        self, batch_id: str, on_progress: ProgressCallback | None = None
    ) -> BatchProgress:
        """Poll until the batch has ended."""
        while True:
            try:
                batch = await self.runner.client.messages.batches.retrieve(batch_id)
            except anthropic.NotFoundError as exc:
                raise BatchGone(batch_id) from exc
            c = batch.request_counts
            progress = BatchProgress(
                batch_id=batch_id,
                status=batch.processing_status,
                total=c.processing + c.succeeded + c.errored + c.canceled + c.expired,
                processing=c.processing,
                succeeded=c.succeeded,
                errored=c.errored,
                canceled=c.canceled,
                expired=c.expired,
            )
            if on_progress is not None:
                on_progress(progress)
            if batch.processing_status == "ended":
                return progress
            await asyncio.sleep(self.poll_interval_s)

    async def collect_batch(
        self,
        batch_id: str | None,
        tasks: Sequence[ModelTask],
        env_for: EnvFor,
        on_progress: ProgressCallback | None = None,
    ) -> dict[str, ModelResult | ModelTaskFailed]:
        """Wait for the batch, then each task's result (or why it failed), by task key."""
        out: dict[str, ModelResult | ModelTaskFailed] = dict(self.unprepared)
        if batch_id is None:
            return out
        await self.wait(batch_id, on_progress)
        by_cid = {custom_id_for(t.task_key): t for t in tasks}
        pending: list[tuple[ModelTask, Any]] = []
        unknown = 0
        async for entry in await self.runner.client.messages.batches.results(batch_id):
            task = by_cid.get(entry.custom_id)
            if task is None:  # e.g. a task a killed run had already landed before resume
                unknown += 1
                continue
            result = entry.result
            if result.type == "succeeded":
                pending.append((task, result.message))
            elif result.type == "errored":
                error = _as_dict(result.error)
                status, verdict = classify_entry(error)
                if verdict.fatal:
                    out[task.task_key] = ModelTaskFailed(
                        f"API error {status}: {verdict.reason}", fatal=True
                    )
                else:
                    out[task.task_key] = ModelTaskFailed(f"batch request errored: {verdict.reason}")
            else:
                out[task.task_key] = ModelTaskFailed(f"batch request {result.type}")

        if unknown:
            log.info("batch %s: %d results for tasks not asked for, ignored", batch_id, unknown)
        gate = asyncio.Semaphore(self.repair_concurrency)

        async def finish(task: ModelTask, message: Any) -> None:
            env = env_for(task)
            async with gate:
                token = current_env.set(env)
                try:
                    # `answer` also starts a refused task over in a fresh (ordinary) request.
                    out[task.task_key] = await self.runner.answer(task, env, first=message)
                except ModelTaskFailed as exc:
                    out[task.task_key] = exc
                finally:
                    current_env.reset(token)

        await asyncio.gather(*(finish(t, m) for t, m in pending))
        for task in tasks:
            out.setdefault(task.task_key, ModelTaskFailed("no result in the batch"))
        return out

    async def run_batch(
        self,
        tasks: Sequence[ModelTask],
        env_for: EnvFor,
        on_progress: ProgressCallback | None = None,
    ) -> dict[str, ModelResult | ModelTaskFailed]:
        batch_id = await self.submit_batch(tasks, env_for)
        return await self.collect_batch(batch_id, tasks, env_for, on_progress)

    async def cancel(self, batch_id: str) -> None:
        await self.runner.client.messages.batches.cancel(batch_id)


def _as_dict(error: Any) -> dict[str, Any]:
    """The SDK's error model as the API's JSON (the shape `classify` reads)."""
    if isinstance(error, dict):
        return error
    dump = getattr(error, "model_dump", None)
    return dump() if callable(dump) else {"error": {"type": "api_error", "message": str(error)}}
