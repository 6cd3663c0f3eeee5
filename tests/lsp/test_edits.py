"""Findings follow the user's edits; fixes are offered as previewed code actions."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp

from swath.findings.model import Evidence, Finding, Range, Severity
from swath.findings.report import RunReport, RunStatus
from swath.store import RunStore
from tests.gitrepo import commit_files
from tests.lsp.conftest import CLIENTS, OLD, Session, capabilities, lsp_session, make_repo


async def _run_todo_audit(s: Session, rel: str) -> None:
    run_id = (await s.command("swath.runWorkflow", {"workflow": "todo-audit"}))["runId"]
    await s.wait_run(run_id)
    await s.wait_for(lambda: s.swath_diagnostics(s.uri(rel)), what=f"diagnostics on {rel}")


def _lines(s: Session, u: str) -> list[int]:
    return [d.range.start.line for d in s.swath_diagnostics(u)]


@pytest.mark.parametrize("client_name", CLIENTS)
async def test_edit_above_moves_edit_on_line_removes(tmp_path: Path, client_name: str) -> None:
    root = make_repo(tmp_path / "repo", modules=2)
    async with lsp_session(root, capabilities(client_name)) as s:
        await _run_todo_audit(s, "pkg/m001.py")
        u = s.open("pkg/m001.py")
        assert _lines(s, u) == [3]

        s.change(u, 2, (0, 0), (0, 0), "import os\n")  # a line inserted above
        await s.wait_for(lambda: _lines(s, u) == [4], what="diagnostic moved to line 4")
        assert [x.range.start.line for x in await s.lenses(u)] == [4]

        s.change(u, 3, (2, 0), (3, 0), "")  # a line deleted above
        await s.wait_for(lambda: _lines(s, u) == [3], what="diagnostic moved back to line 3")

        eol = len("    # TODO: handle negative x in f1")
        s.change(u, 4, (3, eol), (3, eol), "\n    y = 1")  # Enter at the end of its line: untouched
        s.change(u, 5, (6, 0), (6, 0), "# the end\n")  # below it: untouched
        s.change(u, 6, (3, 12), (3, 18), "deal with")  # its own line changed: gone
        await s.wait_for(lambda: _lines(s, u) == [], what="diagnostic removed")
        assert await s.lenses(u) == []

        # the other file's findings were never touched
        assert _lines(s, s.uri("pkg/m000.py")) == [3]


async def test_whole_document_change_reanchors_by_quote(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=1)
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        await _run_todo_audit(s, "pkg/m000.py")
        u = s.open("pkg/m000.py")
        text = (root / "pkg" / "m000.py").read_text(encoding="utf-8")
        s.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=u, version=2),
                content_changes=[
                    lsp.TextDocumentContentChangeWholeDocument(text="# a\n# b\n" + text)
                ],
            )
        )
        await s.wait_for(lambda: _lines(s, u) == [5], what="re-anchored two lines down")
        s.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=u, version=3),
                content_changes=[
                    lsp.TextDocumentContentChangeWholeDocument(text="def f0(x):\n    return x\n")
                ],
            )
        )
        await s.wait_for(lambda: _lines(s, u) == [], what="dropped with its quote")


@pytest.mark.parametrize("client_name", CLIENTS)
async def test_positions_use_the_negotiated_encoding(tmp_path: Path, client_name: str) -> None:
    root = make_repo(tmp_path / "repo", modules=0)
    line = 's = "h\u00e9llo \U0001f600"  # TODO: say it in ASCII\n'
    commit_files(root, {"pkg/uni.py": line}, date=OLD, message="unicode")
    async with lsp_session(root, capabilities(client_name)) as s:
        await _run_todo_audit(s, "pkg/uni.py")
        (d,) = s.swath_diagnostics(s.uri("pkg/uni.py"))
        before = line[: line.index("TODO")]
        expected = {
            "utf-8": len(before.encode("utf-8")),
            "utf-16": len(before.encode("utf-16-le")) // 2,
            "utf-32": len(before),
        }[s.encoding]
        assert (d.range.start.line, d.range.start.character) == (0, expected)
        assert d.range.end.character == expected + 4  # "TODO" is ASCII in every encoding
        # an edit sent in the client's units on that line still drops it
        u = s.open("pkg/uni.py")
        s.change(u, 2, (0, expected), (0, expected + 4), "FIXME")
        await s.wait_for(lambda: not s.swath_diagnostics(u), what="dropped")


FLAGS_PY = """import flags


def checkout():
    if flags.enabled("new-checkout"):
        return "new"
    return "old"
"""


async def _seed_flag_run(root: Path) -> str:
    """A finished flag-audit run in the store whose finding carries an edit."""
    quote = 'if flags.enabled("new-checkout"):'
    finding = Finding(
        rule="flag/fully-on",
        severity=Severity.information,
        path="pkg/flags.py",
        range=Range.of_line(4, 7, 36),
        message="flag new-checkout is 100% on everywhere; remove the check",
        evidence=[Evidence(path="pkg/flags.py", line=4, quote=quote)],
        verified=True,
        tags=["unnecessary"],
        data={
            "key": "new-checkout",
            "lens": "flag new-checkout · fully on",
            "edit": {
                "range": {"start": {"line": 4, "character": 0}, "end": {"line": 7, "character": 0}},
                "new_text": '    return "new"\n',
                "title": "Remove flag new-checkout (keep the on branch)",
            },
        },
    )
    run_id = "20240101-000000-f1a9f1"
    store = RunStore.open(root)
    await store.create_run(
        run_id,
        "flag-audit",
        {"name": "flag-audit", "steps": []},
        {},
        [],
        "static",
        "2024-01-01T00:00:00+00:00",
    )
    await store.finish_run(
        RunReport(
            run_id=run_id,
            workflow="flag-audit",
            status=RunStatus.succeeded,
            findings=[finding],
            started_at="2024-01-01T00:00:00+00:00",
            finished_at="2024-01-01T00:00:01+00:00",
        )
    )
    await store.aclose()
    return run_id


@pytest.mark.parametrize("client_name", CLIENTS)
async def test_fix_is_a_code_action_needing_confirmation(tmp_path: Path, client_name: str) -> None:
    root = make_repo(tmp_path / "repo", modules=0)
    commit_files(root, {"pkg/flags.py": FLAGS_PY}, message="flags")
    await _seed_flag_run(root)
    async with lsp_session(root, capabilities(client_name)) as s:
        u = s.uri("pkg/flags.py")
        await s.wait_for(lambda: s.swath_diagnostics(u), what="restored flag finding")
        (d,) = s.swath_diagnostics(u)
        assert d.code == "flag/fully-on" and list(d.tags) == [lsp.DiagnosticTag.Unnecessary]
        s.open("pkg/flags.py")
        s.change(u, 2, (0, 0), (0, 0), "# checkout\n")
        await s.wait_for(lambda: _lines(s, u) == [5], what="moved with the edit")
        (d,) = s.swath_diagnostics(u)

        actions = await s.client.text_document_code_action_async(
            lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=u),
                range=d.range,
                context=lsp.CodeActionContext(diagnostics=[d]),
            )
        )
        assert actions and len(actions) == 1
        (action,) = actions
        assert action.title == "Remove flag new-checkout (keep the on branch)"
        assert action.kind == lsp.CodeActionKind.QuickFix
        edit = action.edit
        if client_name == "visual-studio-code":  # change annotations: the editor previews the edit
            (doc_edit,) = edit.document_changes
            (text_edit,) = doc_edit.edits
            assert text_edit.annotation_id in edit.change_annotations
            assert edit.change_annotations[text_edit.annotation_id].needs_confirmation is True
            assert doc_edit.text_document.version == 2
        else:  # clients without annotation support get a plain edit (still applied only on request)
            (text_edit,) = edit.changes[u]
        assert (text_edit.range.start.line, text_edit.range.end.line) == (
            5,
            8,
        )  # followed the edit too
        assert text_edit.new_text == '    return "new"\n'

        # nothing is offered away from the finding
        nothing = await s.client.text_document_code_action_async(
            lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=u),
                range=lsp.Range(
                    start=lsp.Position(line=1, character=0), end=lsp.Position(line=1, character=0)
                ),
                context=lsp.CodeActionContext(diagnostics=[]),
            )
        )
        assert not nothing
        # the lens follows too
        assert [x.range.start.line for x in await s.lenses(u)] == [5]
