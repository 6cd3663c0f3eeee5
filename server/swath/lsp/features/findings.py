"""Findings in the editor: the index of what runs found, anchored to the text shown and
moved with the user's edits; served as diagnostics, code lenses and quick fixes.

Handlers on the event loop only touch memory; file reads go to a thread (`TextSource`).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from swath.findings.model import Finding
from swath.lsp.active import EmitFlags
from swath.lsp.anchors import Anchor, LineChange
from swath.lsp.convert import (
    diagnostic,
    file_uri,
    finding_lens,
    fix_action,
    is_swath_source,
    overflow_diagnostic,
)
from swath.lsp.feature import LanguageFeature
from swath.lsp.folders import uri_to_path
from swath.lsp.index import FindingIndex
from swath.lsp.pacing import SLICE
from swath.lsp.server import SwathServer
from swath.lsp.settings import Settings

_TOP = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0))


class FindingsFeature(LanguageFeature):
    name = "findings"

    def __init__(self, server: SwathServer) -> None:
        self.server = server
        self.index = FindingIndex()
        server.add_diagnostics(self.diagnostics_for)

    def register(self, server: LanguageServer) -> None:
        # pygls marks the handler it is given: plain functions, not bound methods.
        @server.feature(lsp.TEXT_DOCUMENT_CODE_LENS, lsp.CodeLensOptions(resolve_provider=False))
        def code_lens(ls: LanguageServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
            return self.code_lenses(params.text_document.uri)

        @server.feature(
            lsp.TEXT_DOCUMENT_CODE_ACTION,
            lsp.CodeActionOptions(
                code_action_kinds=[lsp.CodeActionKind.QuickFix], resolve_provider=False
            ),
        )
        def code_action(
            ls: LanguageServer, params: lsp.CodeActionParams
        ) -> list[lsp.CodeAction] | None:
            return self.code_actions(params)

    def changed(self, uris: Iterable[str]) -> None:
        """These files' findings changed: publish them again, refresh the lenses."""
        uris = list(uris)
        if not uris:
            return
        self.server.diagnostics_changed(uris)
        self.server.lenses_changed()

    def settings_changed(self, before: Settings, after: Settings) -> None:
        if after.max_diagnostics_per_file != before.max_diagnostics_per_file:
            self.changed(self.index.uris())

    # -- documents: findings follow the text -----------------------------------------------------
    def document_opened(self, uri: str, text: str) -> None:
        lines = self.server.texts.lines(uri)
        if lines is not None and self.index.retext(uri, lines):
            self.changed([uri])

    def document_changed(
        self, uri: str, changes: Sequence[lsp.TextDocumentContentChangeEvent]
    ) -> None:
        lines = self.server.texts.lines(uri)
        if lines is None:
            return
        moves = [
            LineChange(
                c.range.start.line,
                c.range.start.character,
                c.range.end.line,
                c.range.end.character,
                c.text,
            )
            if isinstance(c, lsp.TextDocumentContentChangePartial)
            else None
            for c in changes
        ]
        if self.index.edited(uri, moves, lines):
            self.changed([uri])

    def document_closed(self, uri: str) -> None:
        async def back_to_disk() -> None:  # unsaved edits are gone: findings follow the file
            lines = await self.server.texts.reload(uri)
            if lines is not None and self.index.retext(uri, lines):
                self.changed([uri])

        if self.index.anchors(uri):
            self.server.spawn(back_to_disk(), name="swath-reanchor")

    # -- findings in ---------------------------------------------------------------------------
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
        texts = self.server.texts
        await texts.load(by_uri)
        changed = []
        slice_start = time.monotonic()
        for uri, fs in by_uri.items():
            lines = texts.lines(uri)
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
        self.changed(changed)

    def replace_older(self, workflow: str, run_id: str, in_scope: Callable[[str], bool]) -> None:
        """`run_id` is the newest run of `workflow`: older runs' findings in scope go."""
        self.changed(self.index.drop_older(workflow, run_id, in_scope))

    def clear(self, workflow: str | None, uri: str | None) -> tuple[int, dict[Path, set[str]]]:
        """Clear the findings of `workflow` (or all) under `uri` (or everywhere): how many went,
        and, when whole runs went (no `uri`), those runs per workspace folder."""

        def in_scope(u: str) -> bool:
            return uri is None or u == uri or u.startswith(uri.rstrip("/") + "/")

        before = self.index.count()
        whole_runs: dict[Path, set[str]] = {}
        if uri is None:
            for u in self.index.uris():
                for a in self.index.anchors(u):
                    if workflow in (None, a.workflow):
                        whole_runs.setdefault(root_of(u, a.finding), set()).add(a.run_id)
        self.server.diagnostics_changed(self.index.clear(workflow, in_scope))
        self.server.lenses_changed()
        return before - self.index.count(), whole_runs

    # -- findings out --------------------------------------------------------------------------
    def diagnostics_for(self, uri: str) -> list[lsp.Diagnostic]:
        server = self.server
        codec = server.workspace.position_codec
        lines = server.texts.lines(uri)
        out: list[lsp.Diagnostic] = []
        shown = [a for a in self.index.anchors(uri) if a.diagnostics]
        cap = server.settings.max_diagnostics_per_file
        root = root_of(uri, shown[0].finding) if shown else None
        for a in shown[:cap]:
            assert root is not None
            out.append(diagnostic(a, root, codec, lines, server.client_features))
        if len(shown) > cap:
            out.append(
                overflow_diagnostic(len(shown) - cap, list({a.workflow for a in shown[cap:]}))
            )
        return out

    def code_lenses(self, uri: str) -> list[lsp.CodeLens]:
        """The findings' own lenses, under one "re-run" lens per workflow shown here and a
        "running… cancel" lens per run going on this file."""
        server = self.server
        codec = server.workspace.position_codec
        lines = server.texts.lines(uri)
        anchors = self.index.anchors(uri)
        lenses = [lens for a in anchors if a.lenses and (lens := finding_lens(a, codec, lines))]
        running = server.active_runs.workflows()
        latest: dict[str, str] = {}
        for a in anchors:  # run ids sort by time: the newest run of each workflow shown here
            if a.workflow not in running and a.run_id > latest.get(a.workflow, ""):
                latest[a.workflow] = a.run_id
        for workflow, run_id in sorted(latest.items()):
            lenses.insert(
                0,
                lsp.CodeLens(
                    range=_TOP,
                    command=lsp.Command(
                        title=f"↻ re-run {workflow}",
                        command="swath.rerun",
                        arguments=[{"runId": run_id}],
                    ),
                ),
            )
        for run in server.active_runs:
            if self.index.has(uri, run.workflow.name) or run.about(uri):
                title = f"⟳ {run.workflow.name} running · {run.progress.state.line()} · cancel"
                lenses.insert(
                    0,
                    lsp.CodeLens(
                        range=_TOP,
                        command=lsp.Command(
                            title=title, command="swath.cancel", arguments=[{"runId": run.run_id}]
                        ),
                    ),
                )
        return lenses

    def code_actions(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        server = self.server
        uri = params.text_document.uri
        anchors = [a for a in self.index.anchors(uri) if a.edit_range is not None]
        if not anchors or not server.client_features.code_action_literals:
            return None
        lines = server.texts.lines(uri)
        codec = server.workspace.position_codec
        wanted_ids = {
            d.data
            for d in params.context.diagnostics
            if is_swath_source(d.source) and isinstance(d.data, str)
        }
        first = params.range.start.line
        last = params.range.end.line
        by_id = {d.data: d for d in params.context.diagnostics if isinstance(d.data, str)}
        doc = server.workspace.get_text_document(uri) if server.texts.is_open(uri) else None
        actions = []
        for a in anchors:
            hit = a.id in wanted_ids or (a.range.start.line <= last and a.range.end.line >= first)
            if not hit:
                continue
            action = fix_action(
                a,
                uri,
                doc.version if doc else None,
                codec,
                lines,
                server.client_features,
                by_id.get(a.id),
            )
            if action is not None:
                actions.append(action)
        return actions


def root_of(uri: str, finding: Finding) -> Path:
    """The workspace root a finding's path is relative to, from the file's URI."""
    path = uri_to_path(uri)
    depth = len(Path(finding.path).parts)
    return path.parents[depth - 1] if depth else path
