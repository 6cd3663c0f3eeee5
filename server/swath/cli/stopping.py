"""Ctrl-C and SIGTERM always stop the CLI: cleanly when it can, at once when asked twice.

`loop.add_signal_handler` runs its callback only when the event loop is free, so a long
synchronous step made both signals wait for it; and at exit Python joins every worker
thread, so a run cancelled in the middle of a minute-long analysis still took the minute.
Here the handler is a plain `signal.signal` one, which runs between any two bytecodes:

- the first signal asks the run to stop (it finishes as `cancelled`, report written,
  finished results kept) and starts a watchdog: if the event loop has not even taken the
  request within `GRACE_S`, the process exits anyway — every finished result is already
  committed by the store's own thread, and `swath resume` finishes the rest;
- a second signal exits at once;
- once the command has finished after a stop, analyses still running on worker threads
  are not waited for.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

# How long the event loop may take to notice a stop before the process leaves without it.
GRACE_S = 2.0
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a Ctrl-C'd command


def _say(text: str) -> None:
    try:
        sys.stderr.write(f"swath: {text}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed: nothing to tell
        pass


class Stopper:
    """Owns SIGINT/SIGTERM for one command; `cancel` is the event the engine watches."""

    def __init__(self, loop: asyncio.AbstractEventLoop, cancel: asyncio.Event) -> None:
        self.loop = loop
        self.cancel = cancel
        self.signals = 0
        self._taken = threading.Event()  # set on the loop once it has seen the request
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._on_signal)
            except (ValueError, OSError):  # not the main thread: the caller owns signals
                pass

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        if self.signals > 1:
            _say("stopped at once; finished results are kept (`swath runs` lists the run)")
            os._exit(EXIT_INTERRUPTED)
        _say("stopping; finished results are kept (press Ctrl-C again to quit at once)")
        try:
            self.loop.call_soon_threadsafe(self._take)
        except RuntimeError:  # the loop has closed: we are on the way out already
            return
        threading.Thread(target=self._watchdog, name="swath-stop-watchdog", daemon=True).start()

    def _take(self) -> None:
        self._taken.set()
        self.cancel.set()

    def _watchdog(self) -> None:
        if self._taken.wait(GRACE_S):
            return
        _say(
            f"the run did not take the stop within {GRACE_S:g} s (a step is blocking); "
            "leaving now — finished results are kept and `swath resume RUN` finishes the rest"
        )
        os._exit(EXIT_INTERRUPTED)

    def leave(self, code: int) -> int:
        """After a stop, exit without joining worker threads still inside an analysis."""
        if not self.cancel.is_set():
            return code
        busy = [
            t
            for t in threading.enumerate()
            if t is not threading.main_thread() and not t.daemon and t.is_alive()
        ]
        if busy:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            os._exit(code)
        return code
