"""The recorded runs as the editor lists them: `swath.listRuns` and `swath.showRun`.

A run going now is listed as `running`, whatever its store row says yet.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import Field
from pygls.lsp.server import LanguageServer

from swath.engine.reports import report_path, write_report_file
from swath.findings.report import RunReport, RunStatus
from swath.lsp.commands import Args, find_run, folder_root, parse, register_commands
from swath.lsp.feature import LanguageFeature
from swath.lsp.features.runs import RunIdArgs, summarise
from swath.lsp.folders import path_to_uri
from swath.lsp.server import SwathServer


class ShowRunArgs(RunIdArgs):
    open: bool = False


class ListRunsArgs(Args):
    folder: str | None = None
    limit: int = Field(20, ge=1, le=500)


class RunHistoryFeature(LanguageFeature):
    name = "run history"

    def __init__(self, server: SwathServer) -> None:
        self.server = server

    def register(self, server: LanguageServer) -> None:
        register_commands(
            server, {"swath.listRuns": self.list_runs, "swath.showRun": self.show_run}
        )

    async def list_runs(self, args: tuple[Any, ...]) -> Any:
        a: ListRunsArgs = parse(ListRunsArgs, args)
        folders = self.server.folders
        roots = [folder_root(folders, a.folder, None)] if a.folder else folders.roots
        out: list[dict[str, Any]] = []
        for root in roots:
            session = await folders.session(root)
            for row in await session.store.list_runs(a.limit):
                out.append(
                    {
                        "runId": row.id,
                        "workflow": row.workflow,
                        "folder": path_to_uri(root),
                        "status": "running" if row.id in self.server.active_runs else row.status,
                        "startedAt": row.started_at,
                        "finishedAt": row.finished_at,
                        "agents": row.agents,
                        "findings": row.findings,
                        "costUsd": row.cost_usd,
                    }
                )
        out.sort(key=lambda r: r["startedAt"] or "", reverse=True)
        return {"runs": out[: a.limit]}

    async def show_run(self, args: tuple[Any, ...]) -> Any:
        a: ShowRunArgs = parse(ShowRunArgs, args)
        root, session, row = await find_run(self.server.folders, a.run_id)
        report = row.report or RunReport(
            run_id=row.id,
            workflow=row.workflow,
            status=RunStatus(row.status),
            findings=await session.store.findings(row.id),
            started_at=row.started_at,
        )
        path = report_path(root, row.id)
        if not await asyncio.to_thread(path.is_file):
            path = await asyncio.to_thread(write_report_file, root, report)
        if a.open:
            self.server.show_document(path, focus=True)
        return {
            "runId": row.id,
            "workflow": row.workflow,
            "status": "running" if row.id in self.server.active_runs else row.status,
            "summary": summarise(report),
            "report": path_to_uri(path),
            "findings": len(report.findings),
            "agents": report.agents.model_dump(),
            "usage": report.usage.model_dump(),
            "errors": report.errors,
        }
