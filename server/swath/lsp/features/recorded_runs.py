"""Runs recorded in each folder's store, in the editor: the latest run of each workflow is
shown at start-up, runs finished outside this server (`swath run` in a terminal, CI writing
the same store) replace what is shown, and runs whose findings the user cleared stay hidden
across restarts (`.swath/editor.json`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, ClassVar

from pygls.lsp.server import LanguageServer

from swath.lsp.active import EmitFlags
from swath.lsp.commands import Args, parse, register_commands
from swath.lsp.feature import LanguageFeature
from swath.lsp.features.findings import FindingsFeature
from swath.lsp.folders import path_to_uri
from swath.lsp.server import SwathServer

log = logging.getLogger(__name__)

FOLLOW_INTERVAL = 3.0  # seconds between looks for runs finished outside this server
EDITOR_STATE = "editor.json"  # in .swath/: runs whose findings the user cleared


class ClearArgs(Args):
    MAIN: ClassVar[str | None] = "workflow"
    workflow: str | None = None
    uri: str | None = None


class RecordedRunsFeature(LanguageFeature):
    name = "recorded runs"

    def __init__(
        self, server: SwathServer, findings: FindingsFeature, interval: float = FOLLOW_INTERVAL
    ) -> None:
        self.server = server
        self.findings = findings
        self.interval = interval
        self._hidden_runs: dict[Path, set[str]] = {}
        self._shown_runs: dict[tuple[Path, str], str] = {}  # (folder, workflow) -> newest shown

    def register(self, server: LanguageServer) -> None:
        register_commands(server, {"swath.clearFindings": self.clear_findings})

    def initialized(self) -> None:
        async def settle_in() -> None:
            await self.restore(self.server.folders.roots)
            self.server.spawn(self.follow_stores(), name="swath-follow-stores")

        self.server.spawn(settle_in(), name="swath-restore")

    def folders_added(self, roots: list[Path]) -> None:
        self.server.spawn(self.restore(roots), name="swath-restore-folders")

    async def restore(self, roots: list[Path]) -> None:
        """Show the findings of each workflow's latest run, as recorded in each folder's store."""
        for root in roots:
            if not await asyncio.to_thread((root / ".swath" / "swath.db").is_file):
                continue  # never create a store just by opening a folder
            session = await self.server.folders.session(root)
            hidden = await self._load_hidden(root)
            for row in await session.store.latest_runs_per_workflow():
                self._shown_runs[(root, row.workflow)] = row.id
                if row.report is None or row.id in hidden:
                    continue
                await self.findings.ingest(
                    root,
                    row.workflow,
                    row.id,
                    row.report.findings,
                    EmitFlags.of(row.spec),
                    on_disk_only=True,
                )

    def mark_shown(self, root: Path, workflow: str, run_id: str) -> None:
        """This server's own run is what the editor shows now; the follower need not load it."""
        if run_id > self._shown_runs.get((root, workflow), ""):
            self._shown_runs[(root, workflow)] = run_id

    async def follow_stores(self) -> None:
        """Runs finished outside this server replace what the editor shows, as this server's
        own runs do."""
        while not self.server.closed:
            await asyncio.sleep(self.interval)
            for root in list(self.server.folders.roots):
                try:
                    await self._follow(root)
                except Exception:  # a locked or broken store must not end the loop
                    log.exception("could not check %s for new runs", root)

    async def _follow(self, root: Path) -> None:
        if not await asyncio.to_thread((root / ".swath" / "swath.db").is_file):
            return
        session = await self.server.folders.session(root)
        active = self.server.active_runs.ids()
        for workflow, run_id in (await session.store.latest_run_ids_per_workflow()).items():
            shown = self._shown_runs.get((root, workflow), "")
            if run_id <= shown or run_id in active:
                continue
            self._shown_runs[(root, workflow)] = run_id
            row = await session.store.get_run(run_id)
            if row is None or row.report is None or run_id in await self._load_hidden(root):
                continue
            # A run limited to some paths replaces findings only there, as the editor's own runs do.
            prefixes = tuple(path_to_uri(root / p).rstrip("/") for p in row.paths) or (
                path_to_uri(root).rstrip("/"),
            )
            in_scope = lambda u, ps=prefixes: any(u == p or u.startswith(p + "/") for p in ps)  # noqa: E731
            self.findings.replace_older(workflow, run_id, in_scope)
            await self.findings.ingest(
                root,
                workflow,
                run_id,
                row.report.findings,
                EmitFlags.of(row.spec),
                on_disk_only=True,
            )
            self.server.lenses_changed()

    async def clear_findings(self, args: tuple[Any, ...]) -> Any:
        """`swath.clearFindings {workflow?, uri?}`; whole runs cleared stay hidden on restart."""
        a: ClearArgs = parse(ClearArgs, args)
        cleared, whole_runs = self.findings.clear(a.workflow, a.uri)
        for root, runs in whole_runs.items():
            hidden = await self._load_hidden(root)
            hidden |= runs
            await asyncio.to_thread(_write_hidden, root, hidden)
        return {"cleared": cleared}

    async def _load_hidden(self, root: Path) -> set[str]:
        if root not in self._hidden_runs:
            self._hidden_runs[root] = await asyncio.to_thread(_read_hidden, root)
        return self._hidden_runs[root]


def _read_hidden(root: Path) -> set[str]:
    try:
        data = json.loads((root / ".swath" / EDITOR_STATE).read_text(encoding="utf-8"))
        return set(data.get("hidden_runs", []))
    except (OSError, ValueError, AttributeError):
        return set()


def _write_hidden(root: Path, hidden: set[str]) -> None:
    d = root / ".swath"
    if not d.is_dir():
        return
    (d / EDITOR_STATE).write_text(
        json.dumps({"hidden_runs": sorted(hidden)[-500:]}, indent=1), encoding="utf-8"
    )
