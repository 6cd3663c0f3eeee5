"""Runs started from the editor: background tasks on the shared engine, with progress.

A command answers at once with the run's id; the run goes on in a task the server owns
(kept in a set, with a done-callback that logs failures and drops the reference). The
engine itself runs in a worker process (`swath.engine.worker`): analyzers are CPU work in
threads, and in this process they would hold the GIL the editor's requests wait for.
Events arrive as JSON lines; the sink only updates counters and queues findings; a
consumer task anchors them to the text shown (disk reads in a thread) and tells the
findings feature which files changed.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Callable, ClassVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from swath.engine.events import (
    Event,
    FindingsEmitted,
    RunFinished,
    RunStarted,
    StepProgress,
    TaskFinished,
)
from swath.engine.options import RunOptions
from swath.engine.reports import write_report_file
from swath.engine.runner import new_run_id
from swath.findings.model import Finding
from swath.findings.report import RunReport, RunStatus
from swath.findings.wording import plural
from swath.lsp.active import ActiveRun, EmitFlags
from swath.lsp.commands import Args, parse, register_commands
from swath.lsp.feature import LanguageFeature
from swath.lsp.features.findings import FindingsFeature
from swath.lsp.features.recorded_runs import RecordedRunsFeature
from swath.lsp.folders import path_to_uri
from swath.lsp.progress import RunProgress
from swath.lsp.server import SwathServer
from swath.lsp.worker import EventReply, RunWorker, WarningReply, WorkerRequest
from swath.spec.models import Workflow

log = logging.getLogger(__name__)

_DONE = object()  # end-of-stream marker in a run's findings queue


class RunIdArgs(Args):
    MAIN: ClassVar[str | None] = "run_id"
    run_id: str


class RunsFeature(LanguageFeature):
    name = "runs"

    def __init__(
        self, server: SwathServer, findings: FindingsFeature, recorded: RecordedRunsFeature
    ) -> None:
        self.server = server
        self.findings = findings
        self.recorded = recorded

    def register(self, server: LanguageServer) -> None:
        register_commands(
            server,
            {"swath.cancel": self.cancel_command, "swath.activeRuns": self.active_runs_command},
        )

    def shutdown(self) -> None:
        for run in self.server.active_runs:
            run.cancel.set()

    # -- starting ------------------------------------------------------------------------
    def start(self, root: Path, workflow: Workflow, options: RunOptions, target: str | None) -> str:
        run_id = options.run_id or new_run_id()
        options = options.model_copy(update={"run_id": run_id})
        progress = RunProgress(
            self.server,
            token=f"swath-run-{run_id}",
            title=f"Swath: {workflow.name}",
            supported=self.server.client_features.work_done_progress,
            on_cancel=lambda: self._cancel_quietly(run_id),
        )
        run = ActiveRun(run_id, root, workflow, options, progress, EmitFlags.of(workflow), target)
        self.server.active_runs.add(run)
        self.server.spawn(self._drive(run), name=f"swath-run-{run_id}")
        self.server.lenses_changed()
        return run_id

    def cancel(self, run_id: str) -> bool:
        run = self.server.active_runs.get(run_id)
        if run is None:
            return False
        run.cancel.set()
        return True

    def _cancel_quietly(self, run_id: str) -> None:
        self.cancel(run_id)

    # -- commands --------------------------------------------------------------------------
    async def cancel_command(self, args: tuple[Any, ...]) -> Any:
        a: RunIdArgs = parse(RunIdArgs, args)
        return {"runId": a.run_id, "cancelled": self.cancel(a.run_id)}

    async def active_runs_command(self, args: tuple[Any, ...]) -> Any:
        """The runs going now, with their live counts and spend (an editor's status line)."""
        parse(Args, args)
        runs = [
            {
                "runId": run.run_id,
                "workflow": run.workflow.name,
                "folder": path_to_uri(run.root),
                "done": run.progress.state.done,
                "total": run.progress.state.total,
                "findings": run.progress.state.findings,
                "costUsd": run.progress.state.cost_usd,
            }
            for run in self.server.active_runs
        ]
        return {"runs": runs, "costUsd": sum(r["costUsd"] for r in runs)}

    # -- one run -------------------------------------------------------------------------
    async def _drive(self, run: ActiveRun) -> None:
        """Run the workflow in a worker process and relay its events; the loop stays free."""
        server = self.server
        consumer = asyncio.get_running_loop().create_task(
            self._consume(run), name=f"swath-findings-{run.run_id}"
        )
        worker: RunWorker | None = None
        try:
            await run.progress.begin("planning…")
            worker = await RunWorker.start(
                WorkerRequest(
                    root=str(run.root),
                    workflow=run.workflow,
                    options=run.options,
                    model_overrides=server.settings.model_overrides(),
                )
            )
            forward_cancel = asyncio.get_running_loop().create_task(
                _forward_cancel(run.cancel, worker)
            )
            sink = self._sink(run)
            report: RunReport | None = None
            refused: str | None = None
            try:
                async for message in worker.messages():
                    if isinstance(message, EventReply):
                        sink(message.event)
                        if isinstance(message.event, RunFinished):
                            report = message.event.report
                    elif isinstance(message, WarningReply):
                        server.warn(f"Swath: {message.warning}")
                    else:
                        refused = message.refused
                code = await worker.wait()
            finally:
                forward_cancel.cancel()
                run.queue.put_nowait(_DONE)
                await consumer
            if refused is not None:
                run.progress.end(f"not started: {refused}")
                server.tell(
                    f"Swath: {run.workflow.name} did not start: {refused}", lsp.MessageType.Error
                )
                return
            if report is None:
                raise RuntimeError(
                    f"its worker process exited with code {code}: {worker.stderr_tail()}"
                )
            await self._finish(run, report)
        except asyncio.CancelledError:
            run.progress.end("cancelled (the server is shutting down)")
            raise
        except Exception as exc:
            log.exception("run %s failed", run.run_id)
            run.progress.end(f"failed: {exc}")
            server.tell(f"Swath: {run.workflow.name} failed: {exc}", lsp.MessageType.Error)
        finally:
            if not consumer.done():
                consumer.cancel()
            if worker is not None:
                await worker.stop()
            server.active_runs.remove(run.run_id)
            server.lenses_changed()

    def _sink(self, run: ActiveRun) -> Callable[[Event], None]:
        state = run.progress.state

        def sink(event: Event) -> None:
            if isinstance(event, TaskFinished):
                state.done, state.total = event.done, max(event.total, state.total)
                state.failed = event.agents.failed
                state.cost_usd = event.run_usage.cost_usd
                state.findings = max(state.findings, event.run_findings)
                run.progress.update()
                self.server.lenses_changed()  # the "running…" lens shows the count
            elif isinstance(event, FindingsEmitted):
                run.findings += len(event.findings)
                state.findings = max(state.findings, run.findings)
                run.queue.put_nowait(event.findings)
            elif isinstance(event, RunStarted):
                state.total = event.plan.total_agents
                run.progress.update()
            elif isinstance(event, StepProgress):
                state.note = f"{event.step}: {event.done}/{event.total} in batch"
                run.progress.update()

        return sink

    async def _consume(self, run: ActiveRun) -> None:
        """Anchor streamed findings to the text shown, in arrival order, batching bursts."""
        done = False
        while not done:
            batch: list[Finding] = []
            item = await run.queue.get()
            while True:
                if item is _DONE:
                    done = True
                    break
                batch.extend(item)
                if run.queue.empty():
                    break
                item = run.queue.get_nowait()
            if batch:
                await self.findings.ingest(
                    run.root, run.workflow.name, run.run_id, batch, run.flags
                )

    async def _finish(self, run: ActiveRun, report: RunReport) -> None:
        # Findings a workflow without `emit` reports only at the end; `ingest` skips known ones.
        await self.findings.ingest(
            run.root, run.workflow.name, run.run_id, report.findings, run.flags, only_new=True
        )
        if report.status in (RunStatus.succeeded, RunStatus.partial):
            self.findings.replace_older(run.workflow.name, run.run_id, run.in_scope)
            self.recorded.mark_shown(run.root, run.workflow.name, run.run_id)
        path = await asyncio.to_thread(write_report_file, run.root, report)
        summary = summarise(report)
        run.progress.end(summary)
        kind = (
            lsp.MessageType.Info
            if report.status in (RunStatus.succeeded, RunStatus.partial)
            else (lsp.MessageType.Warning)
        )
        self.server.tell(f"Swath: {summary}", kind)
        if self.server.settings.open_report:
            self.server.show_document(path, focus=False)


async def _forward_cancel(cancel: asyncio.Event, worker: "RunWorker") -> None:
    await cancel.wait()
    worker.cancel()


def summarise(report: RunReport) -> str:
    a = report.agents
    parts = [f"{report.workflow} {report.status.value}", plural(a.total, "agent")]
    if a.cached:
        parts.append(f"{a.cached} cached")
    if a.failed:
        parts.append(f"{a.failed} failed")
    parts += [
        plural(len(report.findings), "finding"),
        f"${report.usage.cost_usd:.2f}",
        f"run {report.run_id}",
    ]
    return " · ".join(parts)
