"""Progress while a run goes on: a rich bar on a terminal, sparse plain lines elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from swath.engine.events import Event, RunStarted, StepFinished, StepProgress, TaskFinished


def _summary(ev: TaskFinished) -> str:
    return f"{ev.run_findings} findings · ${ev.run_usage.cost_usd:.4f} · {ev.agents.cached} cached · {ev.agents.failed} failed"


class RichProgress:
    """Tasks done/total, findings and cost on one live line (stderr, so stdout stays clean)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[summary]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.task_id: TaskID | None = None

    def __enter__(self) -> "RichProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, ev: Event) -> None:
        if isinstance(ev, RunStarted):
            self.task_id = self.progress.add_task(
                f"{ev.workflow} {ev.run_id}", total=max(ev.plan.total_agents, 1), summary=""
            )
        elif isinstance(ev, TaskFinished) and self.task_id is not None:
            self.progress.update(
                self.task_id, completed=ev.done, total=max(ev.total, 1), summary=_summary(ev)
            )
        elif isinstance(ev, StepProgress) and self.task_id is not None:
            self.progress.update(self.task_id, summary=f"{ev.step}: {ev.message}")


class PlainProgress:
    """Not a terminal: one line per step and at most one progress line a second."""

    def __init__(self, stream: TextIO | None = None, interval: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self._last = 0.0

    def __enter__(self) -> "PlainProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, ev: Event) -> None:
        if isinstance(ev, RunStarted):
            self._write(
                f"swath: run {ev.run_id} of {ev.workflow}: {ev.plan.total_agents} agents planned"
            )
        elif isinstance(ev, StepFinished):
            self._write(f"swath: step {ev.step} done ({ev.records} records)")
        elif isinstance(ev, StepProgress):
            self._write(f"swath: step {ev.step}: {ev.message}")
        elif isinstance(ev, TaskFinished):
            now = time.monotonic()
            if now - self._last >= self.interval or ev.done == ev.total:
                self._last = now
                self._write(f"swath: {ev.done}/{ev.total} agents · {_summary(ev)}")

    def _write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


class Quiet:
    def __enter__(self) -> "Quiet":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, ev: Event) -> None:
        return None
