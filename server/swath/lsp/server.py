"""`SwathServer`: what every feature of the language server shares, and nothing else.

The server holds the settings, the client's capabilities, the sessions per workspace folder,
the text of files as shown, the runs going now, the background tasks it owns, and the ways
out to the client (messages, one merged diagnostics publish per file, code-lens refresh).
What the editor can do — findings, runs, workflow files, … — lives in one module per
feature under `lsp/features/`, each registering its own handlers (`lsp/feature.py`);
`lsp/setup.py` builds the server with them.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Callable, Coroutine, Iterable

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from swath import __version__
from swath.lsp.active import ActiveRuns
from swath.lsp.convert import ClientFeatures
from swath.lsp.feature import LanguageFeature
from swath.lsp.folders import FolderSessions, path_to_uri
from swath.lsp.pacing import Coalescer, Throttle
from swath.lsp.protocol import ReplyingProtocol
from swath.lsp.settings import Settings, parse_settings
from swath.lsp.texts import TextSource
from swath.lsp.workflow_files import KnownNamesCache

log = logging.getLogger(__name__)

PUBLISH_INTERVAL = 0.25  # per file: at most four publishes a second
LENS_REFRESH_INTERVAL = 1.0

DiagnosticsProducer = Callable[[str], list[lsp.Diagnostic]]


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
        self.client_features = ClientFeatures()
        self.folders = FolderSessions(
            lambda: self.settings.model_overrides(), lambda: self.settings.engine, self.warn
        )
        self.texts = TextSource()
        self.names = KnownNamesCache()
        self.active_runs = ActiveRuns()
        self.background: set[asyncio.Task[Any]] = set()
        self.closed = False
        self._language_features: list[LanguageFeature] = []
        self._diagnostics: list[DiagnosticsProducer] = []
        self._publisher: Coalescer | None = None
        self._lens_refresh: Throttle | None = None

    # -- features ----------------------------------------------------------------------------
    def add_feature(self, feature: LanguageFeature) -> None:
        """A feature joins: its own handlers are registered, and it gets every hook."""
        self._language_features.append(feature)
        feature.register(self)

    def each_feature(self, hook: Callable[[LanguageFeature], None]) -> None:
        """Call one hook on every feature, in the order they were added; a feature that fails
        is logged and shown, and the others still get the event."""
        for feature in self._language_features:
            try:
                hook(feature)
            except Exception as exc:
                log.exception("feature %s failed", feature.name)
                self.tell(f"Swath: internal error in {feature.name}: {exc}", lsp.MessageType.Error)

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
        if not self.client_features.show_document:
            return
        params = lsp.ShowDocumentParams(uri=path_to_uri(path), take_focus=focus)

        async def show() -> None:
            try:
                await self.window_show_document_async(params)
            except Exception as exc:  # the client refused or does not handle it: nothing lost
                log.info("window/showDocument failed: %s", exc)

        self.spawn(show(), name="swath-show-document")

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
        after = self.settings
        self.each_feature(lambda f: f.settings_changed(before, after))

    async def pull_settings(self) -> None:
        if not self.client_features.configuration:
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

    # -- diagnostics and lenses -> client ------------------------------------------------------
    def add_diagnostics(self, producer: DiagnosticsProducer) -> None:
        """One more source of a file's diagnostics; every publish merges all of them, in the
        order they were added, so producers never overwrite each other's."""
        self._diagnostics.append(producer)

    def start_pacing(self) -> None:
        self._publisher = Coalescer(self._publish, PUBLISH_INTERVAL)
        self._lens_refresh = Throttle(self._refresh_lenses, LENS_REFRESH_INTERVAL)

    def diagnostics_changed(self, uris: Iterable[str]) -> None:
        if self._publisher is not None:
            self._publisher.touch(uris)

    def lenses_changed(self) -> None:
        if self._lens_refresh is not None and self.client_features.code_lens_refresh:
            self._lens_refresh.poke()

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
        return [d for producer in self._diagnostics for d in producer(uri)]

    # -- the end -------------------------------------------------------------------------------
    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.each_feature(lambda f: f.shutdown())
        pending = [t for t in self.background if not t.done()]
        if pending:  # let cancelled runs record their status, briefly
            await asyncio.wait(pending, timeout=1.5)
        for t in list(self.background):
            t.cancel()
        for pacing in (self._publisher, self._lens_refresh):
            if pacing is not None:
                pacing.cancel()
        await self.folders.aclose()
