"""Workflow files in the editor: validated live at the exact place, hover, completion."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp

from tests.lsp.conftest import CLIENTS, SLOW_WORKFLOW, capabilities, lsp_session, make_repo

WF = ".swath/workflows/slow-todos.yaml"


def _open_yaml(s, rel: str, text: str) -> str:
    u = s.uri(rel)
    s.client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=u, language_id="yaml", version=1, text=text)
        )
    )
    return u


async def _labels(s, u: str, line: int, character: int) -> set[str]:
    """The labels completion offers at (line, character) of `u`."""
    got = await s.client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=u),
            position=lsp.Position(line=line, character=character),
        )
    )
    return {i.label for i in got.items}


async def _hover_text(s, u: str, line: int, character: int) -> str:
    got = await s.client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=u),
            position=lsp.Position(line=line, character=character),
        )
    )
    return got.contents.value if got is not None else ""


@pytest.mark.parametrize("client_name", CLIENTS)
async def test_invalid_workflow_file_gets_diagnostics_at_the_right_place(
    tmp_path: Path, client_name: str
) -> None:
    root = make_repo(tmp_path / "repo", modules=1)
    bad = SLOW_WORKFLOW.replace("analyzer: todo-comments", "analyzer: todo-coments")
    async with lsp_session(root, capabilities(client_name)) as s:
        u = _open_yaml(s, WF, bad)
        await s.wait_for(lambda: s.swath_diagnostics(u), what="workflow diagnostics")
        (d,) = s.swath_diagnostics(u)
        line = bad.split("\n").index("      analyzer: todo-coments")
        assert (d.range.start.line, d.range.start.character) == (line, 16)
        assert (d.range.end.line, d.range.end.character) == (line, 28)
        assert d.code == "unknown-analyzer" and d.severity == lsp.DiagnosticSeverity.Error
        assert "did you mean `todo-comments`" in d.message

        # typing the fix clears it; a new mistake elsewhere is found as it is typed
        s.change(u, 2, (line, 23), (line, 23), "m")  # todo-co|ents
        await s.wait_for(lambda: not s.swath_diagnostics(u), what="fixed")
        batch_line = bad.split("\n").index("    batch: 1")
        s.change(u, 3, (batch_line, 11), (batch_line, 12), "many")
        await s.wait_for(lambda: s.swath_diagnostics(u), what="new problem")
        (d,) = s.swath_diagnostics(u)
        assert (d.range.start.line, d.range.start.character, d.code) == (batch_line, 11, "type")

        # a broken file cannot be run: the command says where it is broken
        (root / WF).write_text(bad, encoding="utf-8")
        with pytest.raises(Exception, match=r"slow-todos.yaml:20:17: .*todo-coments"):
            await s.command("swath.runWorkflow", {"workflow": "slow-todos"})


async def test_yaml_syntax_error_position(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=0)
    async with lsp_session(root, capabilities("neovim")) as s:
        u = _open_yaml(s, ".swath/workflows/broken.yml", "name: broken\nsteps:\n  - id: [a\n")
        await s.wait_for(lambda: s.swath_diagnostics(u), what="syntax error")
        d = s.swath_diagnostics(u)[0]
        assert d.code == "yaml" and d.range.start.line >= 2
        # files that are not workflows are left alone
        other = _open_yaml(s, "config.yaml", "steps: [")
        assert not s.swath_diagnostics(other)


async def test_hover_and_completion(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=0)
    text = SLOW_WORKFLOW.replace("      analyzer: todo-comments", "      analyzer: \n      to")
    lines = text.split("\n")
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        u = _open_yaml(s, WF, text)
        id_line = lines.index("  - id: todos")
        hover = await s.client.text_document_hover_async(
            lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=u),
                position=lsp.Position(line=id_line, character=5),
            )
        )
        assert hover is not None and "Unique name of the step" in hover.contents.value

        def complete(line: int, character: int):
            return s.client.text_document_completion_async(
                lsp.CompletionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=u),
                    position=lsp.Position(line=line, character=character),
                )
            )

        analyzer_line = lines.index("      analyzer: ")
        labels = [i.label for i in (await complete(analyzer_line, 16)).items]
        assert "todo-comments" in labels and "todo-report" in labels

        key_line = analyzer_line + 1  # "      to" — a key of `agent` being typed
        labels = [i.label for i in (await complete(key_line, 8)).items]
        assert "tools" in labels and "instructions" in labels and "batch" not in labels

        kind_line = lines.index("    kind: map")
        labels = [i.label for i in (await complete(kind_line, 10)).items]
        assert {"discover", "map", "filter", "verify", "reduce", "emit"} <= set(labels)

        source_line = lines.index("    source: files")
        labels = [i.label for i in (await complete(source_line, 12)).items]
        assert "files" in labels and "grep" in labels

        # other files get nothing from us
        assert (
            await s.client.text_document_hover_async(
                lsp.HoverParams(
                    text_document=lsp.TextDocumentIdentifier(uri=s.uri("README.md")),
                    position=lsp.Position(line=0, character=0),
                )
            )
            is None
        )


async def test_a_step_change_completes_with_what_its_base_step_is(tmp_path: Path) -> None:
    # `.swath/workflows/review-diff.yaml` tweaking the built-in of that name: the step change
    # writes no `kind` and no `analyzer`, yet what goes under them is the base step's.
    root = make_repo(tmp_path / "repo", modules=0)
    text = (
        "extends: review-diff\nname: review-diff\nsteps:\n  - id: security\n"
        "    agent:\n      params:\n        ruff: 'off'\n        \n    \n"
    )
    async with lsp_session(root, capabilities("neovim")) as s:
        u = _open_yaml(s, ".swath/workflows/review-diff.yaml", text)
        assert {"pass", "disable"} <= await _labels(s, u, 7, 8)  # diff-review's declared params
        step_keys = await _labels(s, u, 8, 4)
        assert {"agent", "batch", "after", "remove"} <= step_keys  # a map step's, placed
        assert "source" not in step_keys  # ... not a discover step's
        assert "ruff" in await _hover_text(s, u, 6, 9)
        # the file is valid as it stands: no diagnostics hide a broken lookup
        await s.wait_for(lambda: u in s.client.diagnostics, what="validation", timeout=30)
        assert not s.swath_diagnostics(u)


async def test_option_and_template_typos_are_diagnostics_and_options_complete(
    tmp_path: Path,
) -> None:
    root = make_repo(tmp_path / "repo", modules=0)
    bad = SLOW_WORKFLOW.replace('include: ["pkg/**/*.py"]', 'includ: ["pkg/**/*.py"]').replace(
        "      analyzer: todo-comments",
        "      analyzer: todo-comments\n      instructions: Look at {{ itme.path }}",
    )
    lines = bad.split("\n")
    async with lsp_session(root, capabilities("neovim")) as s:
        u = _open_yaml(s, WF, bad)
        await s.wait_for(lambda: len(s.swath_diagnostics(u)) == 2, what="two diagnostics")
        by_code = {d.code: d for d in s.swath_diagnostics(u)}
        opt = by_code["unknown-key"]
        assert (opt.range.start.line, opt.range.start.character) == (
            lines.index('      includ: ["pkg/**/*.py"]'),
            6,
        )
        assert "did you mean `include`?" in opt.message
        name = by_code["template-name"]
        assert name.range.start.line == lines.index("      instructions: Look at {{ itme.path }}")
        assert name.range.start.character == lines[name.range.start.line].index("itme")
        assert "did you mean `item`?" in name.message

        # completion inside `with:` offers the `files` source's declared options
        with_line = lines.index('      includ: ["pkg/**/*.py"]')
        s.change(u, 2, (with_line, 0), (with_line, len(lines[with_line])), "      ex")
        labels = await _labels(s, u, with_line, 8)
        assert {"include", "exclude", "max_bytes", "text_only"} <= labels
        assert "source" not in labels


async def test_an_extending_file_gets_its_own_and_its_bases_problems(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=0)
    text = (
        "name: cut\nextends: review-diff\nsteps:\n  - id: correctness\n    remove: true\n"
        "  - id: securty\n    batch: 2\n"
    )
    async with lsp_session(root, capabilities("neovim")) as s:
        u = _open_yaml(s, ".swath/workflows/cut.yaml", text)
        await s.wait_for(lambda: len(s.swath_diagnostics(u)) >= 2, what="extends diagnostics")
        by_code = {
            (d.code, d.range.start.line, d.range.start.character) for d in s.swath_diagnostics(u)
        }
        # The typo where it is written; the base's step left pointing at the removed one
        # on the `extends:` line, saying where in the base it is.
        assert ("unknown-step", 5, 8) in by_code
        inherited = [d for d in s.swath_diagnostics(u) if d.range.start.line == 1]
        assert inherited and all("review-diff.yaml:" in d.message for d in inherited)
        assert any("`correctness`" in d.message for d in inherited)


async def test_saving_a_base_checks_the_open_extensions_again(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=0)
    saved = root / ".swath" / "workflows"
    saved.mkdir(parents=True, exist_ok=True)
    base = "name: base\nsteps:\n  - id: files\n    kind: discover\n    source: files\n"
    (saved / "base.yaml").write_text(base, encoding="utf-8")
    child = "extends: base\nname: child\nsteps:\n  - id: files\n    title: All files\n"
    async with lsp_session(root, capabilities("neovim")) as s:
        u = _open_yaml(s, ".swath/workflows/child.yaml", child)
        b = _open_yaml(s, ".swath/workflows/base.yaml", base)
        # Checked against the base as first saved: published, and clean.
        await s.wait_for(lambda: u in s.client.diagnostics, what="the child checked")
        assert s.swath_diagnostics(u) == []
        # The base renames its step: the child's change now names a step it does not have.
        renamed = base.replace("id: files", "id: sources")
        (saved / "base.yaml").write_text(renamed, encoding="utf-8")
        s.change(b, 2, (2, 8), (2, 13), "sources")
        s.client.text_document_did_save(
            lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=b))
        )
        await s.wait_for(lambda: s.swath_diagnostics(u), what="the child's new problem")
        (d,) = s.swath_diagnostics(u)
        assert (d.code, d.range.start.line, d.range.start.character) == ("unknown-step", 3, 8)
