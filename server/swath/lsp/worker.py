"""The language server's side of a run's worker process (`python -m swath.engine.worker`).

Pipes are read by the event loop itself (no reader threads); large lines (a report with
thousands of findings) are parsed in a thread so one parse never stalls the editor.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sys
from typing import AsyncIterator

from pydantic import ValidationError

from swath.engine.worker_messages import (
    Cancel,
    EventReply,
    RefusedReply,
    WarningReply,
    WorkerRequest,
    encode,
    from_worker,
)

log = logging.getLogger(__name__)

LINE_LIMIT = 256 * 1024 * 1024  # one event line: a final report can be large
PARSE_INLINE = 64 * 1024  # bytes; longer lines are parsed in a thread

__all__ = ["EventReply", "RefusedReply", "RunWorker", "WarningReply", "WorkerRequest"]


class RunWorker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._stderr_task = asyncio.get_running_loop().create_task(self._drain_stderr())

    @classmethod
    async def start(cls, request: WorkerRequest) -> "RunWorker":
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "swath.engine.worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=request.root,
            limit=LINE_LIMIT,
        )
        worker = cls(proc)
        assert proc.stdin is not None
        proc.stdin.write(encode(request))
        await proc.stdin.drain()
        return worker

    async def messages(self) -> AsyncIterator[EventReply | WarningReply | RefusedReply]:
        """Each line as its typed message."""
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            if not line.strip():
                continue
            try:
                if len(line) > PARSE_INLINE:
                    yield await asyncio.to_thread(from_worker, line)
                else:
                    yield from_worker(line)
            except ValidationError:
                log.warning("run worker wrote a line that is no message: %.200s", line)

    def cancel(self) -> None:
        """Ask the worker to end the run as cancelled (finished results are kept)."""
        stdin = self.proc.stdin
        if stdin is not None and not stdin.is_closing() and self.proc.returncode is None:
            try:
                stdin.write(encode(Cancel()))
            except (ConnectionError, RuntimeError):
                pass

    async def wait(self) -> int:
        code = await self.proc.wait()
        await asyncio.gather(self._stderr_task, return_exceptions=True)
        return code

    async def stop(self, grace: float = 1.0) -> None:
        """Cancel, give the run `grace` seconds to record itself as cancelled, then kill."""
        if self.proc.returncode is None:
            self.cancel()
            try:
                await asyncio.wait_for(asyncio.shield(self.proc.wait()), grace)
            except (TimeoutError, asyncio.CancelledError):
                pass
        self.kill()

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
        if not self._stderr_task.done():
            self._stderr_task.cancel()

    def stderr_tail(self) -> str:
        return " | ".join(self._stderr) or "(no output)"

    async def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            text = line.decode("utf-8", errors="replace").rstrip()
            self._stderr.append(text)
            log.warning("%s", text)
