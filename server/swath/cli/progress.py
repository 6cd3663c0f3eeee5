"""Progress while a run goes on: a rich bar on a terminal, sparse plain lines elsewhere.

Both count findings as the verify and emit steps make them final (`FindingsEmitted`), not
from the tasks' running totals: most tasks finish before any finding is final, so those
totals say "0 findings" for a run that produces thousands.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO


from swath.engine.events import (
    Event,
    FindingsEmitted,
    RunStarted,
    StepFinished,
    StepProgress,
    TaskFinished,
)
from swath.findings.render_text import printable
from swath.findings.wording import plural

if TYPE_CHECKING:  # rich is imported by RichProgress itself: only a terminal needs it
    from rich.console import Console
    from rich.progress import TaskID

NAME_WIDTH = 16  # the workflow's name on the bar; longer names are cut
BAR_WIDTH = 20
# Spinner, name, bar, elapsed and the gaps between the six columns (N/M is added per
# run); the summary gets what is left of the line.
FIXED_WIDTH = 1 + NAME_WIDTH + BAR_WIDTH + len("0:00:00") + 5


class Tally:
    """What the progress line says, kept from the events."""

    def __init__(self) -> None:
        self.findings = 0
        self.cost_usd = 0.0
        self.cached = 0
        self.failed = 0
        self.done = 0
        self.total = 0
        self.note = ""

    def take(self, ev: Event) -> bool:
        """Folds `ev` in; True when the line changed."""
        if isinstance(ev, RunStarted):
            self.total = ev.plan.total_agents
        elif isinstance(ev, TaskFinished):
            self.done, self.total = ev.done, max(ev.total, 1)
            self.cost_usd = ev.run_usage.cost_usd
            self.cached, self.failed = ev.agents.cached, ev.agents.failed
            self.findings = max(self.findings, ev.run_findings)
            self.note = ""
        elif isinstance(ev, FindingsEmitted):
            self.findings += len(ev.findings)
        elif isinstance(ev, StepProgress):
            self.note = printable(f"{ev.step}: {ev.message}")
        else:
            return False
        return True

    def parts(self) -> list[str]:
        """Most important first: a narrow line keeps the head of this list."""
        parts = [plural(self.findings, "finding")]
        if self.failed:
            parts.append(f"{self.failed:,} failed")
        parts.append(f"${self.cost_usd:.4f}")
        if self.cached:
            parts.append(f"{self.cached:,} cached")
        if self.note:
            parts.append(self.note)
        return parts

    def summary(self, width: int) -> str:
        """The parts that fit in `width` columns; the findings count always (cut if it must)."""
        parts = self.parts()
        while len(parts) > 1 and len(" · ".join(parts)) > width:
            parts.pop()
        line = " · ".join(parts)
        return line if len(line) <= width else line[: max(width - 1, 0)] + "…"


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    name = printable(name)
    return name if len(name) <= width else name[: width - 1] + "…"


class RichProgress:
    """Bar, done/total, findings and cost on one live line on stderr (stdout stays clean).

    The bar and N/M never drop out: the columns have fixed widths and the summary is cut
    to what is left of the terminal's width (80 columns are enough for all but the note).
    """

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = console or Console(stderr=True)
        self.tally = Tally()
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.fields[name]}", markup=False),
            BarColumn(bar_width=BAR_WIDTH),
            MofNCompleteColumn(),
            TextColumn("{task.fields[summary]}", markup=False),
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

    def summary(self) -> str:
        count = 2 * len(str(max(self.tally.total, 1))) + 1  # "366/366"
        return self.tally.summary(max(self.console.width - FIXED_WIDTH - count, 14))

    def __call__(self, ev: Event) -> None:
        if isinstance(ev, RunStarted):
            # The run id on its own line: it is what `swath resume` needs, and it would
            # take a third of an 80-column bar.
            from rich.text import Text

            self.console.print(
                Text(f"swath: run {ev.run_id} of {printable(ev.workflow)}", style="dim")
            )
            self.tally.take(ev)
            self.task_id = self.progress.add_task(
                "",
                total=max(ev.plan.total_agents, 1),
                name=short_name(ev.workflow),
                summary=self.summary(),
            )
            return
        if not self.tally.take(ev) or self.task_id is None:
            return
        if isinstance(ev, TaskFinished):
            self.progress.update(
                self.task_id, completed=ev.done, total=max(ev.total, 1), summary=self.summary()
            )
        else:
            self.progress.update(self.task_id, summary=self.summary())


class PlainProgress:
    """Not a terminal: one line per step and at most one progress line a second."""

    def __init__(self, stream: TextIO | None = None, interval: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self._last = 0.0
        self.tally = Tally()

    def __enter__(self) -> "PlainProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, ev: Event) -> None:
        self.tally.take(ev)
        if isinstance(ev, RunStarted):
            self._write(
                f"swath: run {ev.run_id} of {printable(ev.workflow)}: "
                f"{plural(ev.plan.total_agents, 'agent')} planned"
            )
        elif isinstance(ev, StepFinished):
            self._write(
                f"swath: step {printable(ev.step)} done ({plural(ev.records, 'record')}); "
                f"{plural(self.tally.findings, 'finding')} so far"
            )
        elif isinstance(ev, StepProgress):
            self._write(f"swath: step {printable(ev.step)}: {printable(ev.message)}")
        elif isinstance(ev, TaskFinished):
            now = time.monotonic()
            if now - self._last >= self.interval or ev.done == ev.total:
                self._last = now
                t = self.tally
                self._write(f"swath: {t.done:,}/{t.total:,} agents · {' · '.join(t.parts())}")

    def _write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


class Quiet:
    def __enter__(self) -> "Quiet":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, ev: Event) -> None:
        return None
