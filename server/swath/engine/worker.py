"""One run in its own process, streaming engine events as JSON lines.

    python -m swath.engine.worker      # request on stdin's first line, events on stdout

A front end that must stay responsive (the language server) runs each workflow here:
analyzers hold the GIL in their threads and would otherwise starve the editor's event
loop. Protocol, one JSON object per line:

- in, first line: `WorkerRequest` (workflow spec already validated, options, root);
- in, later: `cancel` — the run ends as `cancelled`, finished results kept. End of input
  (the parent died) cancels too;
- out: `{"event": {...}}` for every engine event (`type` tells which), `{"warning": "…"}`,
  and, when the run could not start, `{"refused": "…", "kind": "PlanRefused" | …}`.

Exit code 0 whenever a report (any status) or a refusal was written; 1 on a crash.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import BaseModel, Field, TypeAdapter

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

log = logging.getLogger(__name__)

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(
    Annotated[
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
)


class WorkerRequest(BaseModel):
    root: str
    workflow: dict[str, Any] = Field(
        description="The workflow as validated by the caller (by alias)"
    )
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


def parse_event(line: bytes | str) -> Event:
    """An event line's `event` object back as its typed model."""
    return EVENT_ADAPTER.validate_python(json.loads(line)["event"])


def model_wanted(root: Path, engine: str, overrides: dict[str, Any]) -> tuple[bool, str | None]:
    """Whether to open the model runner (importing the SDK costs a second), and why not if broken."""
    if engine == "static":
        return False, None
    from swath.agents.config import load_model_config

    try:
        return load_model_config(root, overrides).api_key() is not None or engine == "model", None
    except Exception as exc:  # a broken config: offline analyzers still run
        return (
            False,
            f"the model configuration of {root} is not usable ({exc}); running offline analyzers only",
        )


async def run(request: WorkerRequest, reader: asyncio.StreamReader, out: Any) -> int:
    from swath.engine.inputs import InputError
    from swath.engine.options import EngineError, PlanRefused
    from swath.engine.session import Session
    from swath.spec.models import Workflow

    def write(obj: dict[str, Any]) -> None:
        out.write(json.dumps(obj, separators=(",", ":")) + "\n")
        out.flush()

    root = Path(request.root)
    use_model, problem = model_wanted(root, request.options.engine, request.model_overrides)
    warnings = [problem] if problem else []
    try:
        session = Session.open(root, model=use_model, overrides=request.model_overrides)
    except Exception as exc:
        warnings.append(
            f"the model configuration of {root} is not usable ({exc}); running offline analyzers only"
        )
        session = Session.open(root, model=False)
    warnings.extend(session.notices)
    for w in warnings:
        write({"warning": w})

    cancel = asyncio.Event()

    async def listen() -> None:
        while True:
            line = await reader.readline()
            if not line or line.strip() == b"cancel":
                cancel.set()
                return

    listener = asyncio.create_task(listen())
    skip = set(request.skip_events)

    def sink(event: Event) -> None:
        if event.type not in skip:
            out.write('{"event":' + event.model_dump_json() + "}\n")
            out.flush()

    try:
        workflow = Workflow.model_validate(request.workflow)
        await session.engine.run(workflow, request.options, sink=sink, cancel=cancel)
    except (PlanRefused, EngineError, InputError, ValueError) as exc:
        # ValueError: a source refusing its input (an unknown diff base…) before anything ran
        write({"refused": str(exc), "kind": type(exc).__name__})
    finally:
        listener.cancel()
        await session.aclose()
    return 0


async def amain() -> int:
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    line = await reader.readline()
    if not line:
        print("swath.engine.worker: expected a request line on stdin", file=sys.stderr)
        return 2
    request = WorkerRequest.model_validate_json(line)
    lower_priority(request.nice)
    return await run(request, reader, sys.stdout)


def lower_priority(by: int) -> None:
    # Before any analysis worker starts, so they inherit it. Where there is no nice
    # (Windows) or the kernel refuses, the run goes on at normal priority.
    if by and hasattr(os, "nice"):
        try:
            os.nice(by)
        except OSError as exc:
            logging.getLogger(__name__).warning("could not lower the run's priority: %s", exc)


def main() -> int:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format="swath-worker %(levelname)s %(name)s: %(message)s",
    )
    return asyncio.run(amain())


if __name__ == "__main__":
    raise SystemExit(main())
