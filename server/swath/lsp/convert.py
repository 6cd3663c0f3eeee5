"""Findings as LSP objects: diagnostics, code lenses, code actions.

Ranges are kept in code points (what the engine counts); they become the client's units
(UTF-16 by default, UTF-8 or UTF-32 when negotiated) here, against the text shown.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pygls.workspace.position_codec import PositionCodec

from swath.findings.model import Finding, Range
from swath.lsp.anchors import Anchor

SOURCE = "swath"


def source_of(f: Finding) -> str:
    """`swath`, or `swath/<part>` when the finding names its part (a review pass: `swath/security`)."""
    named = f.data.extra("source")
    return named if isinstance(named, str) and named.startswith(SOURCE + "/") else SOURCE


def is_swath_source(source: str | None) -> bool:
    return source == SOURCE or (source or "").startswith(SOURCE + "/")


SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "information": lsp.DiagnosticSeverity.Information,
    "hint": lsp.DiagnosticSeverity.Hint,
}
TAGS = {"unnecessary": lsp.DiagnosticTag.Unnecessary, "deprecated": lsp.DiagnosticTag.Deprecated}


@dataclass(frozen=True)
class ClientFeatures:
    """What the client said it supports, read once at initialize."""

    related_information: bool = True
    tags: frozenset[int] = frozenset({1, 2})
    work_done_progress: bool = True
    code_lens_refresh: bool = False
    show_document: bool = False
    document_changes: bool = False
    change_annotations: bool = False
    configuration: bool = False
    code_action_literals: bool = True

    @classmethod
    def of(cls, caps: lsp.ClientCapabilities) -> "ClientFeatures":
        td = caps.text_document
        pd = td.publish_diagnostics if td else None
        tag_support = pd.tag_support if pd else None
        ws = caps.workspace
        edit = ws.workspace_edit if ws else None
        window = caps.window
        return cls(
            related_information=bool(pd and pd.related_information),
            tags=frozenset(int(t) for t in (tag_support.value_set if tag_support else [])),
            work_done_progress=bool(window and window.work_done_progress),
            code_lens_refresh=bool(ws and ws.code_lens and ws.code_lens.refresh_support),
            show_document=bool(window and window.show_document and window.show_document.support),
            document_changes=bool(edit and edit.document_changes),
            change_annotations=bool(edit and edit.change_annotation_support),
            configuration=bool(ws and ws.configuration),
            code_action_literals=bool(
                td and td.code_action and td.code_action.code_action_literal_support
            ),
        )


def to_client(codec: PositionCodec, lines: Sequence[str] | None, r: Range) -> lsp.Range:
    start = lsp.Position(line=r.start.line, character=r.start.character)
    end = lsp.Position(line=r.end.line, character=r.end.character)
    if lines is None:  # text not at hand: code points (right for ASCII, the common case)
        return lsp.Range(start=start, end=end)
    return lsp.Range(start=_pos(codec, lines, start), end=_pos(codec, lines, end))


def units(codec: PositionCodec, text: str) -> int:
    """Length of `text` in the client's position units (ASCII: characters, the common case)."""
    if text.isascii():
        return len(text)
    enc = str(getattr(codec.encoding, "value", codec.encoding) or "utf-16")
    if enc == "utf-8":
        return len(text.encode("utf-8"))
    if enc == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _pos(codec: PositionCodec, lines: Sequence[str], p: lsp.Position) -> lsp.Position:
    if p.line >= len(lines):
        return p
    return lsp.Position(line=p.line, character=units(codec, lines[p.line][: p.character]))


def from_client(codec: PositionCodec, lines: Sequence[str], p: lsp.Position) -> tuple[int, int]:
    """A client position as (line, code point)."""
    if p.line >= len(lines):
        return p.line, p.character
    line = lines[p.line]
    if line.isascii():
        return p.line, min(p.character, len(line))
    count = 0
    for i, ch in enumerate(line):
        if count >= p.character:
            return p.line, i
        count += units(codec, ch)
    return p.line, len(line)


@functools.lru_cache(maxsize=8192)
def file_uri(root: Path, rel: str) -> str:
    return from_fs_path(os.path.join(str(root), rel)) or (root / rel).as_uri()


def diagnostic(
    a: Anchor,
    root: Path,
    codec: PositionCodec,
    lines: Sequence[str] | None,
    features: ClientFeatures,
) -> lsp.Diagnostic:
    f = a.finding
    related = None
    if features.related_information and f.evidence:
        related = [
            lsp.DiagnosticRelatedInformation(
                location=lsp.Location(
                    uri=file_uri(root, ev.path),
                    range=_evidence_range(a, ev.path, ev.line, codec, lines),
                ),
                message=f"evidence: {ev.quote.strip()}",
            )
            for ev in f.evidence
        ]
    tags = [TAGS[t] for t in f.tags if t in TAGS and int(TAGS[t]) in features.tags] or None
    return lsp.Diagnostic(
        range=to_client(codec, lines, a.range),
        severity=SEVERITY.get(f.severity.value, lsp.DiagnosticSeverity.Warning),
        code=f.rule,
        source=source_of(f),
        message=f.message if f.verified or not f.evidence else f"{f.message} (unverified)",
        related_information=related,
        tags=tags,
        data=f.id,
    )


def _evidence_range(
    a: Anchor, path: str, line: int, codec: PositionCodec, lines: Sequence[str] | None
) -> lsp.Range:
    if path != a.finding.path or lines is None:  # the whole line, without its text at hand
        return lsp.Range(
            start=lsp.Position(line=line, character=0), end=lsp.Position(line=line + 1, character=0)
        )
    line += a.range.start.line - a.finding.range.start.line  # it followed the same edits
    end = len(lines[line]) if 0 <= line < len(lines) else 0
    return to_client(codec, lines, Range.of_line(line, 0, end))


def overflow_diagnostic(hidden: int, workflows: list[str]) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=lsp.Range(
            start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)
        ),
        severity=lsp.DiagnosticSeverity.Information,
        code="swath/more",
        source=SOURCE,
        message=f"{hidden} more findings of {', '.join(sorted(workflows))} in this file are not shown; "
        "see the run's report (swath.showRun) or raise swath.maxDiagnosticsPerFile",
    )


def finding_lens(
    a: Anchor, codec: PositionCodec, lines: Sequence[str] | None
) -> lsp.CodeLens | None:
    text = a.finding.data.lens
    if not text:
        return None
    r = to_client(codec, lines, a.range)
    start = r.start
    lens_line = a.finding.data.extra("lens_line")
    if isinstance(lens_line, int):  # its own line (a file's first change), moved with the finding's
        line = max(0, lens_line + a.range.start.line - a.finding.range.start.line)
        start = lsp.Position(line=line, character=0)
    return lsp.CodeLens(
        range=lsp.Range(start=start, end=start),
        command=lsp.Command(
            title=text, command="swath.showRun", arguments=[{"runId": a.run_id, "open": True}]
        ),
    )


def fix_action(
    a: Anchor,
    uri: str,
    version: int | None,
    codec: PositionCodec,
    lines: Sequence[str] | None,
    features: ClientFeatures,
    diag: lsp.Diagnostic | None,
) -> lsp.CodeAction | None:
    """The finding's edit as a quick fix the editor previews before applying."""
    f: Finding = a.finding
    fix = f.data.edit
    if a.edit_range is None or fix is None:
        return None
    new_text = fix.new_text
    title = fix.title or f.data.extra("fix_title") or f"Swath: apply the fix for {f.rule}"
    r = to_client(codec, lines, a.edit_range)
    if features.document_changes and features.change_annotations:
        annotation = f"swath-{f.id}"
        edit = lsp.WorkspaceEdit(
            document_changes=[
                lsp.TextDocumentEdit(
                    text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=[
                        lsp.AnnotatedTextEdit(range=r, new_text=new_text, annotation_id=annotation)
                    ],
                )
            ],
            change_annotations={
                annotation: lsp.ChangeAnnotation(
                    label=title, needs_confirmation=True, description=f.message
                )
            },
        )
    else:
        edit = lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(range=r, new_text=new_text)]})
    return lsp.CodeAction(
        title=title,
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diag] if diag is not None else None,
        edit=edit,
        is_preferred=False,
    )
