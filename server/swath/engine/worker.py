"""One run in its own process, streaming engine events as JSON lines.

    python -m swath.engine.worker      # request on stdin's first line, events on stdout

A front end that must stay responsive (the language server) runs each workflow here:
analyzers hold the GIL in their threads and would otherwise starve the editor's event
loop. The protocol (one JSON object a line: the request, then maybe a cancel, in; events,
warnings or a refusal, out) is `swath.engine.worker_messages`, whose models both ends use.
End of input (the parent died) cancels the run too.

Exit code 0 whenever a report (any status) or a refusal was written; 1 on a crash.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import IO, Any

from swath.engine.events import Event
from swath.gcpause import one_shot_collector
from swath.engine.worker_messages import (
    Cancel,
    RefusedReply,
    WarningReply,
    WorkerRequest,
    encode,
    event_line,
    to_worker,
)

log = logging.getLogger(__name__)

__all__ = ["WorkerRequest", "lower_priority", "main", "model_wanted", "run"]


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


async def run(request: WorkerRequest, reader: asyncio.StreamReader, out: IO[bytes]) -> int:
    from swath.engine.inputs import InputError
    from swath.engine.options import EngineError, PlanRefused
    from swath.engine.session import Session

    def write(line: bytes) -> None:
        out.write(line)
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
        write(encode(WarningReply(warning=w)))

    cancel = asyncio.Event()

    async def listen() -> None:
        while True:
            line = await reader.readline()
            if not line:  # the parent is gone
                cancel.set()
                return
            try:
                message = to_worker(line)
            except ValueError:
                log.warning("ignored a line that is no message: %.200r", line)
                continue
            if isinstance(message, Cancel):
                cancel.set()
                return

    listener = asyncio.create_task(listen())
    skip = set(request.skip_events)

    def sink(event: Event) -> None:
        if event.type not in skip:
            write(event_line(event))

    try:
        await session.engine.run(request.workflow, request.options, sink=sink, cancel=cancel)
    except (PlanRefused, EngineError, InputError, ValueError) as exc:
        # ValueError: a source refusing its input (an unknown diff base…) before anything ran
        write(encode(RefusedReply(refused=str(exc), kind=type(exc).__name__)))
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
    request = to_worker(line)
    if not isinstance(request, WorkerRequest):
        print("swath.engine.worker: the first line must be the run's request", file=sys.stderr)
        return 2
    lower_priority(request.nice)
    return await run(request, reader, sys.stdout.buffer)


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
    with one_shot_collector():  # one run, then the process exits (as `swath run`)
        return asyncio.run(amain())


if __name__ == "__main__":
    raise SystemExit(main())
