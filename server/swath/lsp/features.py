"""The LSP methods the server answers, each a thin handler over `SwathServer`.

Handlers that run on the event loop only touch memory; anything that reads disk or
parses goes to a thread through the objects they call.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from swath.lsp.anchors import LineChange
from swath.lsp.commands import COMMANDS
from swath.lsp.convert import ClientFeatures, fix_action, from_client, is_swath_source
from swath.lsp.folders import uri_to_path
from swath.lsp.server import SwathServer
from swath.lsp.workflow_files import completion, hover, is_workflow_uri

# Imported now, at start-up, so the first run or hover does not import on the event loop.
import swath.spec.keypath  # noqa: E402,F401
import swath.spec.loader  # noqa: E402,F401

log = logging.getLogger(__name__)


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


def register(server: SwathServer) -> None:  # noqa: C901 - one place that lists every method
    # -- lifecycle -------------------------------------------------------------------------
    @server.feature(lsp.INITIALIZE)
    def initialize(ls: SwathServer, params: lsp.InitializeParams) -> None:
        ls.features = ClientFeatures.of(params.capabilities)
        ls.texts.workspace = ls.workspace
        ls.apply_settings(params.initialization_options, initial=True)
        ls.folders.set_roots(_folder_paths(params))

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: SwathServer, params: lsp.InitializedParams) -> None:
        ls.start_pacing()

        async def settle_in() -> None:
            await ls.pull_settings()
            await ls.restore(ls.folders.roots)
            ls.spawn(ls.follow_stores(), name="swath-follow-stores")

        ls.spawn(settle_in(), name="swath-restore")

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
            ls.spawn(ls.restore(added), name="swath-restore-folders")

    # -- documents ---------------------------------------------------------------------------
    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SwathServer, params: lsp.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        lines = ls.texts.lines(uri)
        if lines is not None and ls.index.retext(uri, lines):
            ls.findings_changed([uri])
        if is_workflow_uri(uri):
            ls.validator.changed(uri, params.text_document.text, immediately=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SwathServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        lines = ls.texts.lines(uri)
        if lines is None:
            return
        changes = [
            LineChange(
                c.range.start.line,
                c.range.start.character,
                c.range.end.line,
                c.range.end.character,
                c.text,
            )
            if isinstance(c, lsp.TextDocumentContentChangePartial)
            else None
            for c in params.content_changes
        ]
        if ls.index.edited(uri, changes, lines):
            ls.findings_changed([uri])
        if is_workflow_uri(uri):
            ls.validator.changed(uri, ls.workspace.get_text_document(uri).source)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SwathServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if is_workflow_uri(uri):
            ls.validator.changed(uri, ls.workspace.get_text_document(uri).source, immediately=True)
            # A saved workflow may be the base an open one `extends:`; bases are read from
            # disk, so the open extensions are checked again against what was saved.
            for other in list(ls.validator.issues):
                text = ls.workspace.get_text_document(other).source if other != uri else ""
                if "extends:" in text:
                    ls.validator.changed(other, text)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SwathServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.texts.closed(uri)
        if is_workflow_uri(uri):
            ls.validator.closed(uri)
            ls.validator.issues.pop(uri, None)
            ls.findings_changed([uri])

        async def back_to_disk() -> None:  # unsaved edits are gone: findings follow the file
            lines = await ls.texts.reload(uri)
            if lines is not None and ls.index.retext(uri, lines):
                ls.findings_changed([uri])

        if ls.index.anchors(uri):
            ls.spawn(back_to_disk(), name="swath-reanchor")

    # -- results -----------------------------------------------------------------------------
    @server.feature(lsp.TEXT_DOCUMENT_CODE_LENS, lsp.CodeLensOptions(resolve_provider=False))
    def code_lens(ls: SwathServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
        return ls.code_lenses(params.text_document.uri)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix], resolve_provider=False
        ),
    )
    def code_action(ls: SwathServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        uri = params.text_document.uri
        anchors = [a for a in ls.index.anchors(uri) if a.edit_range is not None]
        if not anchors or not ls.features.code_action_literals:
            return None
        lines = ls.texts.lines(uri)
        codec = ls.workspace.position_codec
        wanted_ids = {
            d.data
            for d in params.context.diagnostics
            if is_swath_source(d.source) and isinstance(d.data, str)
        }
        first = params.range.start.line
        last = params.range.end.line
        by_id = {d.data: d for d in params.context.diagnostics if isinstance(d.data, str)}
        doc = ls.workspace.get_text_document(uri) if ls.texts.is_open(uri) else None
        actions = []
        for a in anchors:
            hit = a.id in wanted_ids or (a.range.start.line <= last and a.range.end.line >= first)
            if not hit:
                continue
            action = fix_action(
                a, uri, doc.version if doc else None, codec, lines, ls.features, by_id.get(a.id)
            )
            if action is not None:
                actions.append(action)
        return actions

    # -- workflow files ------------------------------------------------------------------------
    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: SwathServer, params: lsp.HoverParams) -> lsp.Hover | None:
        uri = params.text_document.uri
        if not is_workflow_uri(uri):
            return None
        doc = ls.workspace.get_text_document(uri)
        text = doc.source
        line, char = from_client(ls.workspace.position_codec, doc.lines, params.position)
        names = await ls.names.get()
        return await asyncio.to_thread(hover, text, line, char, names)

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[":", " ", "-"])
    )
    async def on_completion(
        ls: SwathServer, params: lsp.CompletionParams
    ) -> lsp.CompletionList | None:
        uri = params.text_document.uri
        if not is_workflow_uri(uri):
            return None
        doc = ls.workspace.get_text_document(uri)
        line, char = from_client(ls.workspace.position_codec, doc.lines, params.position)
        names = await ls.names.get()
        return await asyncio.to_thread(completion, doc.source, line, char, names)

    # -- commands --------------------------------------------------------------------------------
    for name, fn in COMMANDS.items():
        _register_command(server, name, fn)


def _register_command(server: SwathServer, name: str, fn: Any) -> None:
    async def handler(ls: SwathServer, *args: Any) -> Any:
        return await fn(ls, args)

    handler.__name__ = name.replace(".", "_")
    server.command(name)(handler)
