"""`swath lsp`: builds the server from its features and serves it.

The LSP methods every feature cares about — the lifecycle, settings, workspace folders and
the document events — are registered here, once, and fanned out to the features' hooks
(`lsp/feature.py`); each feature registers the methods only it answers. To add a feature,
write its module under `lsp/features/` and add it in `make_server`.
"""

from __future__ import annotations

import faulthandler
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from swath.lsp.convert import ClientFeatures
from swath.lsp.features.findings import FindingsFeature
from swath.lsp.features.new_workflow import NewWorkflowFeature
from swath.lsp.features.recorded_runs import RecordedRunsFeature
from swath.lsp.features.run_commands import RunCommandsFeature
from swath.lsp.features.run_history import RunHistoryFeature
from swath.lsp.features.runs import RunsFeature
from swath.lsp.features.workflows import WorkflowFilesFeature
from swath.lsp.folders import uri_to_path
from swath.lsp.server import SwathServer

log = logging.getLogger(__name__)


def make_server() -> SwathServer:
    server = SwathServer()
    findings = FindingsFeature(server)
    recorded = RecordedRunsFeature(server, findings)
    runs = RunsFeature(server, findings, recorded)
    # The order is the order of the hooks, and of the diagnostics in one file's publish.
    for feature in (
        findings,
        WorkflowFilesFeature(server),
        recorded,
        runs,
        RunCommandsFeature(server, runs),
        RunHistoryFeature(server),
        NewWorkflowFeature(server),
    ):
        server.add_feature(feature)
    _register_shared(server)
    return server


def _register_shared(server: SwathServer) -> None:
    # -- lifecycle -------------------------------------------------------------------------
    @server.feature(lsp.INITIALIZE)
    def initialize(ls: SwathServer, params: lsp.InitializeParams) -> None:
        ls.client_features = ClientFeatures.of(params.capabilities)
        ls.texts.workspace = ls.workspace
        ls.apply_settings(params.initialization_options, initial=True)
        ls.folders.set_roots(_folder_paths(params))

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: SwathServer, params: lsp.InitializedParams) -> None:
        ls.start_pacing()

        async def settle_in() -> None:  # the features start once the client's settings are in
            await ls.pull_settings()
            ls.each_feature(lambda f: f.initialized())

        ls.spawn(settle_in(), name="swath-settle-in")

    @server.feature(lsp.SHUTDOWN)
    async def shutdown(ls: SwathServer, params: Any) -> None:
        await ls.aclose()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: SwathServer, params: lsp.DidChangeConfigurationParams) -> None:
        if params.settings:  # push model
            ls.apply_settings(params.settings)
        else:  # pull model: the client only says something changed
            ls.spawn(ls.pull_settings(), name="swath-pull-settings")

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: SwathServer, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        for f in params.event.removed:
            ls.folders.remove_root(uri_to_path(f.uri))
        added = ls.folders.set_roots([uri_to_path(f.uri) for f in params.event.added])
        if added:
            ls.each_feature(lambda f: f.folders_added(added))

    # -- documents ---------------------------------------------------------------------------
    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SwathServer, params: lsp.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        ls.each_feature(lambda f: f.document_opened(doc.uri, doc.text))

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SwathServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.each_feature(lambda f: f.document_changed(uri, params.content_changes))

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SwathServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.each_feature(lambda f: f.document_saved(uri))

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SwathServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.texts.closed(uri)
        ls.each_feature(lambda f: f.document_closed(uri))


def _folder_paths(params: lsp.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    roots = []
    for uri in uris:
        try:
            roots.append(uri_to_path(uri))
        except ValueError:
            log.warning("ignoring workspace folder %s: not a file URI", uri)
    if not roots and params.root_path:
        roots.append(Path(params.root_path))
    return roots


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
