"""`swath lsp`: the language server. Runs workflows from the editor and streams the results.

The server object owns the shared state (settings, sessions per folder, the finding
index, active runs) and the ways out to the client (diagnostics, lenses, messages).
LSP methods are registered in `features.py`; each handler is small and delegates here.
"""

from __future__ import annotations

import asyncio
import faulthandler
import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any, Coroutine, Iterable

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from swath import __version__
from swath.findings.model import Finding
from swath.lsp.anchors import Anchor
from swath.lsp.convert import (
    ClientFeatures,
    diagnostic,
    file_uri,
    finding_lens,
    overflow_diagnostic,
)
from swath.lsp.folders import FolderSessions, path_to_uri, uri_to_path
from swath.lsp.index import FindingIndex
from swath.lsp.pacing import SLICE, Coalescer, Throttle
from swath.lsp.protocol import ReplyingProtocol
from swath.lsp.runs import EmitFlags, RunCoordinator
from swath.lsp.settings import Settings, parse_settings
from swath.lsp.texts import TextSource
from swath.lsp.workflow_files import KnownNamesCache, WorkflowValidator, issue_diagnostic
from swath.spec.errors import SpecIssue

log = logging.getLogger(__name__)

PUBLISH_INTERVAL = 0.25  # per file: at most four publishes a second
FOLLOW_INTERVAL = 3.0  # seconds between looks for runs finished outside this server
LENS_REFRESH_INTERVAL = 1.0
EDITOR_STATE = "editor.json"  # in .swath/: runs whose findings the user cleared


class SwathServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "swath",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            max_workers=4,
            protocol_cls=ReplyingProtocol,
        )
        self.settings = Settings()
        self.features = ClientFeatures()
        self.folders = FolderSessions(
            lambda: self.settings.model_overrides(), lambda: self.settings.engine, self.warn
        )
        self.texts = TextSource()
        self.index = FindingIndex()
        self.runs = RunCoordinator(self)
        self.names = KnownNamesCache()
        self.validator = WorkflowValidator(self.names, self._spec_issues_changed)
        self.background: set[asyncio.Task[Any]] = set()
        self._publisher: Coalescer | None = None
        self._lens_refresh: Throttle | None = None
        self._hidden_runs: dict[Path, set[str]] = {}
        self._shown_runs: dict[tuple[Path, str], str] = {}  # (folder, workflow) -> newest run shown
        self._closed = False

    # -- background work -------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """A task the server owns: referenced until done, its failure logged, never orphaned."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.background.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.background.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("background task %s failed", task.get_name(), exc_info=exc)
            self.tell(f"Swath: internal error in {task.get_name()}: {exc}", lsp.MessageType.Error)

    # -- messages to the user ----------------------------------------------------------------
    def tell(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    def warn(self, message: str) -> None:
        self.tell(message, lsp.MessageType.Warning)

    def show_document(self, path: Path, focus: bool = False) -> None:
        if not self.features.show_document:
            return
        params = lsp.ShowDocumentParams(uri=path_to_uri(path), take_focus=focus)

        async def show() -> None:
            try:
                await self.window_show_document_async(params)
            except Exception as exc:  # the client refused or does not handle it: nothing lost
                log.info("window/showDocument failed: %s", exc)

        self.spawn(show(), name="swath-show-document")

    def show_report(self, path: Path) -> None:
        self.show_document(path, focus=False)

    # -- settings ----------------------------------------------------------------------------
    def apply_settings(self, raw: Any, *, initial: bool = False) -> None:
        before = self.settings
        self.settings, problems = parse_settings(raw, self.settings)
        for p in problems:
            self.tell(f"Swath: {p}", lsp.MessageType.Error)
        if not initial and (self.settings.model_overrides(), self.settings.engine) != (
            before.model_overrides(),
            before.engine,
        ):
            self.folders.mark_stale()
        if self.settings.max_diagnostics_per_file != before.max_diagnostics_per_file:
            self.findings_changed(self.index.uris())

    async def pull_settings(self) -> None:
        if not self.features.configuration:
            return
        try:
            result = await self.workspace_configuration_async(
                lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section="swath")])
            )
        except Exception as exc:
            log.info("workspace/configuration failed: %s", exc)
            return
        if result and isinstance(result[0], dict) and result[0]:
            self.apply_settings(result[0])

    # -- findings -> client ------------------------------------------------------------------
    def start_pacing(self) -> None:
        self._publisher = Coalescer(self._publish, PUBLISH_INTERVAL)
        self._lens_refresh = Throttle(self._refresh_lenses, LENS_REFRESH_INTERVAL)

    def findings_changed(self, uris: Iterable[str]) -> None:
        uris = list(uris)
        if not uris:
            return
        if self._publisher is not None:
            self._publisher.touch(uris)
        self.lenses_changed()

    def lenses_changed(self) -> None:
        if self._lens_refresh is not None and self.features.code_lens_refresh:
            self._lens_refresh.poke()

    def running_changed(self) -> None:
        self.lenses_changed()  # the "running…" lens shows the count; throttled like the rest

    def _refresh_lenses(self) -> None:
        async def refresh() -> None:
            try:
                await self.workspace_code_lens_refresh_async(None)
            except Exception as exc:
                log.info("workspace/codeLens/refresh failed: %s", exc)

        self.spawn(refresh(), name="swath-lens-refresh")

    def _publish(self, uri: Any) -> None:
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=self.diagnostics_for(uri))
        )

    def diagnostics_for(self, uri: str) -> list[lsp.Diagnostic]:
        codec = self.workspace.position_codec
        lines = self.texts.lines(uri)
        out: list[lsp.Diagnostic] = []
        shown = [a for a in self.index.anchors(uri) if a.diagnostics]
        cap = self.settings.max_diagnostics_per_file
        root = root_of(uri, shown[0].finding) if shown else None
        for a in shown[:cap]:
            assert root is not None
            out.append(diagnostic(a, root, codec, lines, self.features))
        if len(shown) > cap:
            out.append(
                overflow_diagnostic(len(shown) - cap, list({a.workflow for a in shown[cap:]}))
            )
        out += [
            issue_diagnostic(issue, codec, lines) for issue in self.validator.issues.get(uri, [])
        ]
        return out

    def _spec_issues_changed(self, uri: str, issues: list[SpecIssue]) -> None:
        if self._publisher is not None:
            self._publisher.touch([uri])

    def code_lenses(self, uri: str) -> list[lsp.CodeLens]:
        codec = self.workspace.position_codec
        lines = self.texts.lines(uri)
        anchors = self.index.anchors(uri)
        lenses = [lens for a in anchors if a.lenses and (lens := finding_lens(a, codec, lines))]
        running = {run.workflow.name for run in self.runs.active.values()}
        latest: dict[str, str] = {}
        for a in anchors:  # run ids sort by time: the newest run of each workflow shown here
            if a.workflow not in running and a.run_id > latest.get(a.workflow, ""):
                latest[a.workflow] = a.run_id
        for workflow, run_id in sorted(latest.items()):
            lenses.insert(
                0,
                lsp.CodeLens(
                    range=lsp.Range(
                        start=lsp.Position(line=0, character=0),
                        end=lsp.Position(line=0, character=0),
                    ),
                    command=lsp.Command(
                        title=f"↻ re-run {workflow}",
                        command="swath.rerun",
                        arguments=[{"runId": run_id}],
                    ),
                ),
            )
        for run in self.runs.active.values():
            if self.index.has(uri, run.workflow.name) or (
                run.target is not None
                and (uri == run.target or uri.startswith(run.target.rstrip("/") + "/"))
            ):
                title = f"⟳ {run.workflow.name} running · {run.progress.state.line()} · cancel"
                lenses.insert(
                    0,
                    lsp.CodeLens(
                        range=lsp.Range(
                            start=lsp.Position(line=0, character=0),
                            end=lsp.Position(line=0, character=0),
                        ),
                        command=lsp.Command(
                            title=title, command="swath.cancel", arguments=[{"runId": run.run_id}]
                        ),
                    ),
                )
        return lenses

    # -- findings in -------------------------------------------------------------------------
    async def ingest(
        self,
        root: Path,
        workflow: str,
        run_id: str,
        findings: list[Finding],
        flags: EmitFlags,
        only_new: bool = False,
        on_disk_only: bool = False,
    ) -> None:
        """Findings of a run into the index, anchored to the text shown (files read in a thread).

        `only_new` skips what this run already streamed; `on_disk_only` (restoring) drops
        findings whose file cannot be read any more.
        """
        by_uri: dict[str, list[Finding]] = {}
        for f in findings:
            by_uri.setdefault(file_uri(root, f.path), []).append(f)
        if only_new:
            for uri in list(by_uri):
                known = {
                    a.finding.fingerprint for a in self.index.anchors(uri) if a.run_id == run_id
                }
                by_uri[uri] = [f for f in by_uri[uri] if f.fingerprint not in known]
                if not by_uri[uri]:
                    del by_uri[uri]
        if not by_uri:
            return
        await self.texts.load(by_uri)
        changed = []
        slice_start = time.monotonic()
        for uri, fs in by_uri.items():
            lines = self.texts.lines(uri)
            if lines is None and on_disk_only:
                continue  # restored findings of a file that is gone (or unreadable)
            anchors = [
                Anchor.of(f, workflow, run_id, diagnostics=flags.diagnostics, lenses=flags.lenses)
                for f in fs
            ]
            if self.index.add(uri, anchors, lines):
                changed.append(uri)
            if time.monotonic() - slice_start > SLICE:
                await asyncio.sleep(0)  # thousands of files: let requests in between
                slice_start = time.monotonic()
        self.findings_changed(changed)

    async def restore(self, roots: list[Path]) -> None:
        """Show the findings of each workflow's latest run, as recorded in each folder's store."""
        for root in roots:
            if not await asyncio.to_thread((root / ".swath" / "swath.db").is_file):
                continue  # never create a store just by opening a folder
            session = await self.folders.session(root)
            hidden = await self._load_hidden(root)
            for row in await session.store.latest_runs_per_workflow():
                self._shown_runs[(root, row.workflow)] = row.id
                if row.report is None or row.id in hidden:
                    continue
                await self.ingest(
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

    async def follow_stores(self, interval: float = FOLLOW_INTERVAL) -> None:
        """Runs finished outside this server (`swath run` in a terminal, CI writing the same
        store) replace what the editor shows, as this server's own runs do."""
        while not self._closed:
            await asyncio.sleep(interval)
            for root in list(self.folders.roots):
                try:
                    await self._follow(root)
                except Exception:  # a locked or broken store must not end the loop
                    log.exception("could not check %s for new runs", root)

    async def _follow(self, root: Path) -> None:
        if not await asyncio.to_thread((root / ".swath" / "swath.db").is_file):
            return
        session = await self.folders.session(root)
        active = set(self.runs.active)
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
            changed = self.index.drop_older(workflow, run_id, in_scope)
            self.findings_changed(changed)
            await self.ingest(
                root,
                workflow,
                run_id,
                row.report.findings,
                EmitFlags.of(row.spec),
                on_disk_only=True,
            )
            self.lenses_changed()

    async def clear_findings(self, workflow: str | None, uri: str | None) -> int:
        def in_scope(u: str) -> bool:
            return uri is None or u == uri or u.startswith(uri.rstrip("/") + "/")

        before = self.index.count()
        hide: dict[Path, set[str]] = {}
        if uri is None:  # whole runs cleared: a restart must not bring them back
            for u in self.index.uris():
                for a in self.index.anchors(u):
                    if workflow in (None, a.workflow):
                        hide.setdefault(root_of(u, a.finding), set()).add(a.run_id)
        changed = self.index.clear(workflow, in_scope)
        if self._publisher is not None:
            self._publisher.touch(changed)
        self.lenses_changed()
        for root, runs in hide.items():
            hidden = await self._load_hidden(root)
            hidden |= runs
            await asyncio.to_thread(_write_hidden, root, hidden)
        return before - self.index.count()

    async def _load_hidden(self, root: Path) -> set[str]:
        if root not in self._hidden_runs:
            self._hidden_runs[root] = await asyncio.to_thread(_read_hidden, root)
        return self._hidden_runs[root]

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.runs.cancel_all()
        pending = [t for t in self.background if not t.done()]
        if pending:  # let cancelled runs record their status, briefly
            await asyncio.wait(pending, timeout=1.5)
        for t in list(self.background):
            t.cancel()
        for pacing in (self._publisher, self._lens_refresh):
            if pacing is not None:
                pacing.cancel()
        await self.folders.aclose()


def root_of(uri: str, finding: Finding) -> Path:
    """The workspace root a finding's path is relative to, from the file's URI."""
    path = uri_to_path(uri)
    depth = len(Path(finding.path).parts)
    return path.parents[depth - 1] if depth else path


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


def make_server() -> SwathServer:
    from swath.lsp.features import register

    server = SwathServer()
    register(server)
    return server


def serve(tcp: str | None = None) -> int:
    """Run the server on stdio (or TCP, for debugging) until the client says exit."""
    logging.getLogger("pygls").setLevel(logging.WARNING)
    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 <pid>` prints every thread's stack to stderr
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    root_logger = logging.getLogger()
    if not root_logger.handlers:
        logging.basicConfig(
            stream=sys.stderr,
            level=logging.WARNING,
            format="swath-lsp %(levelname)s %(name)s: %(message)s",
        )
    server = make_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        from swath.lsp.transport import serve_stdio

        serve_stdio(server)
    return 0
