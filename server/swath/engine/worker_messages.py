"""What the language server and a run's worker process (`swath.engine.worker`) say to each other.

One JSON object a line, each named by its one key, the same models on both ends:

- to the worker: `WorkerRequest` on the first line (the workflow already validated, options,
  root), then at most `{"cancel":true}`: the run ends as `cancelled`, finished results kept;
- from the worker: `{"event":{...}}` for each engine event (its `type` tells which),
  `{"warning":"…"}`, and, when the run could not start, `{"refused":"…","kind":"PlanRefused"}`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter

from swath.engine.events import (
    Event,
    FindingsEmitted,
    RunFinished,
    RunStarted,
    StepFinished,
    StepProgress,
    TaskFinished,
    TaskStarted,
)
from swath.engine.options import RunOptions
from swath.spec.models import Workflow

AnyEvent = Annotated[
    Union[
        RunStarted,
        TaskStarted,
        TaskFinished,
        FindingsEmitted,
        StepProgress,
        StepFinished,
        RunFinished,
    ],
    Field(discriminator="type"),
]


class WorkerRequest(BaseModel):
    """The first line: which run to do, and how."""

    model_config = ConfigDict(extra="forbid")
    root: str
    workflow: Workflow = Field(description="The workflow as the caller loaded and checked it")
    options: RunOptions
    model_overrides: dict[str, Any] = Field(default_factory=dict)
    skip_events: list[str] = Field(default_factory=lambda: ["task_started", "step_finished"])
    nice: int = Field(
        10,
        ge=0,
        le=19,
        description="How much to lower the run's CPU priority (its analysis workers inherit it):"
        " on 2 cores three runs otherwise took the editor's code lenses past 50 ms p99",
    )


class Cancel(BaseModel):
    """End the run as cancelled (finished results are kept)."""

    model_config = ConfigDict(extra="forbid")
    cancel: Literal[True] = True


class EventReply(BaseModel):
    event: AnyEvent


class WarningReply(BaseModel):
    warning: str


class RefusedReply(BaseModel):
    """The run did not start: `kind` names the refusal (PlanRefused, InputError, …)."""

    refused: str
    kind: str


def _named_by(*names: str) -> Any:
    """A line's kind is its one key (`event`, `warning`, …): the wire stays as compact as it was."""

    def kind(value: Any) -> str | None:
        keys = value if isinstance(value, dict) else vars(value)
        return next((n for n in names if n in keys), None)

    return Discriminator(kind)


ToWorker = Annotated[
    Union[Annotated[WorkerRequest, Tag("root")], Annotated[Cancel, Tag("cancel")]],
    _named_by("cancel", "root"),
]
FromWorker = Annotated[
    Union[
        Annotated[EventReply, Tag("event")],
        Annotated[WarningReply, Tag("warning")],
        Annotated[RefusedReply, Tag("refused")],
    ],
    _named_by("event", "warning", "refused"),
]

_TO: TypeAdapter[WorkerRequest | Cancel] = TypeAdapter(ToWorker)
_FROM: TypeAdapter[EventReply | WarningReply | RefusedReply] = TypeAdapter(FromWorker)


def to_worker(line: bytes | str) -> WorkerRequest | Cancel:
    return _TO.validate_json(line)


def from_worker(line: bytes | str) -> EventReply | WarningReply | RefusedReply:
    return _FROM.validate_json(line)


def encode(message: BaseModel) -> bytes:
    """One line of the protocol, compact as json.dumps(separators=(",", ":")) wrote it; by
    alias, as a workflow's `from:` and `with:` are spelled in its file."""
    return message.model_dump_json(by_alias=True).encode("utf-8") + b"\n"


def event_line(event: Event) -> bytes:
    return encode(EventReply(event=event))
