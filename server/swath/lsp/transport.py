"""stdin read by the event loop itself.

pygls reads stdin with `run_in_executor(readline)`: three thread hand-offs per message.
Under load every hand-off waits for the GIL, so an editor's request sat in the pipe
while a worker thread queued for the interpreter. A pipe transport wakes the loop
directly through epoll.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import Any, BinaryIO

from pygls.io_ import StdoutWriter, run_async

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 64 * 1024 * 1024


class PipeReader:
    """The reader interface pygls's message loop wants, over an asyncio StreamReader."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.stream = stream

    async def readline(self) -> bytes:
        try:
            return await self.stream.readline()
        except (asyncio.LimitOverrunError, ValueError):
            log.error("a header line from the client is too long; closing")
            return b""

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self.stream.readexactly(n)
        except asyncio.IncompleteReadError as exc:
            return exc.partial


def serve_stdio(server: Any, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
    """Like pygls's `start_io`, reading stdin on the loop (falls back to pygls when it cannot)."""
    stdin = stdin or sys.stdin.buffer
    # pygls's own start_io sets this attribute too: its `exit` handler stops the loop by it.
    server._stop_event = stop_event = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stream = asyncio.StreamReader(limit=MESSAGE_LIMIT)
        try:
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), stdin)
            reader: Any = PipeReader(stream)
        except (
            ValueError,
            OSError,
        ):  # not a pipe (a file, a tty): pygls's threaded reader works anywhere
            from pygls.io_ import StdinAsyncReader

            reader = StdinAsyncReader(stdin, server.thread_pool)
        await run_async(
            stop_event=stop_event,
            reader=reader,
            protocol=server.protocol,
            logger=log,
            error_handler=server.report_server_error,
        )
        # The client went away without `shutdown`: still end runs as cancelled, not killed.
        await server.aclose()

    try:
        asyncio.run(main())
    except BrokenPipeError:
        log.error("the connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
