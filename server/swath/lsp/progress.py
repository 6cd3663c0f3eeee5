"""A run's progress in the editor: work-done progress, or log lines for clients without it.

    37/120 agents · 5 findings · $0.12

Reports are throttled (the engine finishes tasks far faster than anyone reads), the last
state is always sent before `end`, and the client's cancel button cancels the run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Callable

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from swath.findings.wording import plural

log = logging.getLogger(__name__)

REPORT_INTERVAL = 0.2  # seconds between $/progress reports
LOG_INTERVAL = 2.0  # seconds between logMessage lines for clients without progress
CREATE_TIMEOUT = 5.0  # a client that never answers window/workDoneProgress/create gets log lines


@dataclass
class RunState:
    done: int = 0
    total: int = 0
    findings: int = 0
    cost_usd: float = 0.0
    failed: int = 0
    note: str = ""  # what a step reports between tasks, e.g. a Message Batch being processed

    def line(self) -> str:
        parts = [
            f"{self.done}/{self.total} agents",
            plural(self.findings, "finding"),
            f"${self.cost_usd:.2f}",
        ]
        if self.failed:
            parts.insert(1, f"{self.failed} failed")
        if self.note:
            parts.append(self.note)
        return " · ".join(parts)

    def percentage(self) -> int:
        return min(100, int(self.done * 100 / self.total)) if self.total else 0


class RunProgress:
    """Progress of one run; `token` is fresh per run (pygls refuses a reused one)."""

    def __init__(
        self,
        ls: LanguageServer,
        token: str,
        title: str,
        supported: bool,
        on_cancel: Callable[[], None],
    ) -> None:
        self.ls = ls
        self.token = token
        self.title = title
        self.supported = supported
        self.on_cancel = on_cancel
        self.state = RunState()
        self._begun = False
        self._ended = False
        self._last_sent = 0.0
        self._sent_line = ""
        self._pending = False

    async def begin(self, message: str) -> None:
        if self.supported:
            try:
                await asyncio.wait_for(
                    self.ls.work_done_progress.create_async(self.token), CREATE_TIMEOUT
                )
            except Exception as exc:  # the client refused: fall back to log lines
                log.warning(
                    "window/workDoneProgress/create refused (%s); logging progress instead", exc
                )
                self.supported = False
        if self.supported:
            future = self.ls.work_done_progress.tokens.get(self.token)
            if future is not None:
                future.add_done_callback(lambda f: self.on_cancel() if f.cancelled() else None)
            self.ls.work_done_progress.begin(
                self.token,
                lsp.WorkDoneProgressBegin(
                    title=self.title, message=message, percentage=0, cancellable=True
                ),
            )
        else:
            self._log(f"{self.title}: {message}")
        self._begun = True
        self._last_sent = time.monotonic()

    def update(self) -> None:
        """Called on every engine event; sends at most one report per interval."""
        if not self._begun or self._ended:
            return
        now = time.monotonic()
        interval = REPORT_INTERVAL if self.supported else LOG_INTERVAL
        if now - self._last_sent < interval:
            if not self._pending:  # make sure the latest state goes out even if events stop
                self._pending = True
                asyncio.get_running_loop().call_later(
                    interval - (now - self._last_sent), self.flush
                )
            return
        self._send()

    def flush(self) -> None:
        if self._pending and self._begun and not self._ended:
            self._send()

    def _send(self) -> None:
        self._pending = False
        self._last_sent = time.monotonic()
        self._sent_line = self.state.line()
        if self.supported:
            self.ls.work_done_progress.report(
                self.token,
                lsp.WorkDoneProgressReport(
                    message=self.state.line(), percentage=self.state.percentage(), cancellable=True
                ),
            )
        else:
            self._log(f"{self.title}: {self.state.line()}")

    def end(self, message: str) -> None:
        if self._ended:
            return
        # The last state goes out even when no report is pending: a count can change after
        # the last report (a task's findings arrive after its "finished") with no event
        # that schedules another.
        if self._begun and (self._pending or self.state.line() != self._sent_line):
            self._send()
        self._ended = True
        if self.supported and self._begun:
            self.ls.work_done_progress.end(self.token, lsp.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(self.token, None)
        else:
            self._log(f"{self.title}: {message}")

    def _log(self, message: str) -> None:
        self.ls.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Info, message=message))
