"""Workflow files (`.swath/workflows/*.yaml`) in the editor: live validation as diagnostics,
hover, completion, and `swath.listWorkflows`.

Every document event reaches this feature; it acts only on workflow files. The checks
themselves (the loader, hover and completion texts) are in `lsp/workflow_files.py` and run
in a thread.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, ClassVar, Sequence, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

# Imported now, at start-up, so the first run or hover does not import on the event loop.
import swath.spec.keypath  # noqa: F401
import swath.spec.loader  # noqa: F401
from swath.lsp.commands import Args, folder_root, parse, register_commands
from swath.lsp.convert import from_client
from swath.lsp.feature import LanguageFeature
from swath.lsp.folders import path_to_uri
from swath.lsp.server import SwathServer
from swath.lsp.workflow_files import (
    WorkflowValidator,
    completion,
    hover,
    is_workflow_uri,
    issue_diagnostic,
)
from swath.spec.errors import SpecIssue


_T = TypeVar("_T")


class FolderArgs(Args):
    MAIN: ClassVar[str | None] = "folder"
    folder: str | None = None


class WorkflowFilesFeature(LanguageFeature):
    name = "workflow files"

    def __init__(self, server: SwathServer) -> None:
        self.server = server
        self.validator = WorkflowValidator(server.names, self._issues_changed)
        server.add_diagnostics(self.diagnostics_for)

    def register(self, server: LanguageServer) -> None:
        @server.feature(lsp.TEXT_DOCUMENT_HOVER)
        async def on_hover(ls: LanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
            return await self.hover(params)

        @server.feature(
            lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[":", " ", "-"])
        )
        async def on_completion(
            ls: LanguageServer, params: lsp.CompletionParams
        ) -> lsp.CompletionList | None:
            return await self.completion(params)

        register_commands(server, {"swath.listWorkflows": self.list_workflows})

    # -- validation ------------------------------------------------------------------------------
    def document_opened(self, uri: str, text: str) -> None:
        if is_workflow_uri(uri):
            self.validator.changed(uri, text, immediately=True)

    def document_changed(
        self, uri: str, changes: Sequence[lsp.TextDocumentContentChangeEvent]
    ) -> None:
        if is_workflow_uri(uri):
            self.validator.changed(uri, self._text(uri))

    def document_saved(self, uri: str) -> None:
        if not is_workflow_uri(uri):
            return
        self.validator.changed(uri, self._text(uri), immediately=True)
        # A saved workflow may be the base an open one `extends:`; bases are read from disk,
        # so the open extensions are checked again against what was saved.
        for other in list(self.validator.issues):
            text = self._text(other) if other != uri else ""
            if "extends:" in text:
                self.validator.changed(other, text)

    def document_closed(self, uri: str) -> None:
        if is_workflow_uri(uri):
            self.validator.closed(uri)
            self.validator.issues.pop(uri, None)
            self.server.diagnostics_changed([uri])

    def _issues_changed(self, uri: str, issues: list[SpecIssue]) -> None:
        self.server.diagnostics_changed([uri])

    def diagnostics_for(self, uri: str) -> list[lsp.Diagnostic]:
        issues = self.validator.issues.get(uri)
        if not issues:
            return []
        codec = self.server.workspace.position_codec
        lines = self.server.texts.lines(uri)
        return [issue_diagnostic(issue, codec, lines) for issue in issues]

    def _text(self, uri: str) -> str:
        return self.server.workspace.get_text_document(uri).source

    # -- hover and completion -------------------------------------------------------------------
    async def hover(self, params: lsp.HoverParams) -> lsp.Hover | None:
        return await self._at_position(params, hover)

    async def completion(self, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        return await self._at_position(params, completion)

    async def _at_position(
        self, params: lsp.HoverParams | lsp.CompletionParams, answer: Callable[..., _T]
    ) -> _T | None:
        """`answer(text, line, character, names, path)` for a workflow file, in a thread (it
        parses the YAML, and a base that a step change extends); None for any other file."""
        uri = params.text_document.uri
        if not is_workflow_uri(uri):
            return None
        doc = self.server.workspace.get_text_document(uri)
        line, char = from_client(self.server.workspace.position_codec, doc.lines, params.position)
        names = await self.server.names.get()
        return await asyncio.to_thread(answer, doc.source, line, char, names, doc.path)

    # -- commands ---------------------------------------------------------------------------------
    async def list_workflows(self, args: tuple[Any, ...]) -> Any:
        """Built-in and saved workflows with what an editor needs to ask for their inputs."""
        from swath.spec.loader import describe_workflows

        a: FolderArgs = parse(FolderArgs, args)
        root = folder_root(self.server.folders, a.folder, None)
        names = await self.server.names.get()

        def describe() -> list[dict[str, Any]]:
            return [
                {
                    "name": entry.name,
                    "description": entry.description,
                    "builtin": entry.builtin,
                    "overridesBuiltin": entry.overrides_builtin,
                    "uri": path_to_uri(entry.path),
                    "inputs": {k: v.model_dump(mode="json") for k, v in entry.inputs.items()},
                    "error": entry.error,
                }
                for entry in describe_workflows(root, names)
                if not entry.ignored
            ]

        return {"folder": path_to_uri(root), "workflows": await asyncio.to_thread(describe)}
