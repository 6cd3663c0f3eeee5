"""The built-in workflows' commands, settings, and several workspace folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from tests.gitrepo import commit_files, git, init_repo
from tests.lsp.conftest import capabilities, lsp_session, make_repo, uri

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flags-demo"


async def test_audit_flags_offers_the_removal_as_a_previewed_fix(tmp_path: Path) -> None:
    root = tmp_path / "flags-demo"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".swath"))
    init_repo(root)
    commit_files(root, {}, date="2023-01-01T12:00:00+00:00", message="demo")
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        result = await s.command("swath.auditFlags")
        assert result["workflow"] == "flag-audit"
        await s.wait_run(result["runId"])
        u = s.uri("web/src/checkout.ts")

        def settled() -> bool:  # publishes are coalesced: wait for the full set, not the first one
            ds = s.swath_diagnostics(u)
            return any(d.code == "flag/fully-on" and d.range.start.line == 7 for d in ds) and any(
                d.tags and lsp.DiagnosticTag.Unnecessary in d.tags for d in ds
            )

        await s.wait_for(settled, what="flag findings in checkout.ts")
        with_fix = []
        for d in s.swath_diagnostics(u):
            actions = await s.client.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=u),
                    range=d.range,
                    context=lsp.CodeActionContext(diagnostics=[d]),
                )
            )
            with_fix += list(actions or [])
        assert with_fix, "a fully-on flag check that can be rewritten away comes with its fix"
        edit = with_fix[0].edit
        (doc_edit,) = edit.document_changes
        assert doc_edit.text_document.uri == u
        annotation = doc_edit.edits[0].annotation_id
        assert edit.change_annotations[annotation].needs_confirmation is True
        lenses = {
            (lens.range.start.line, lens.command.title)
            for lens in await s.lenses(u)
            if lens.command
        }
        assert (7, "⚑ new_checkout · 100% on · 6 refs") in lenses
        assert (16, "⚑ holiday-theme · off (0%) · 2 refs") in lenses
        definitions = {
            (lens.range.start.line, lens.command.title)
            for lens in await s.lenses(s.uri("flags/flags.flagd.json"))
            if lens.command
        }
        assert (3, "⚑ 6 references in 4 files") in definitions and (
            39,
            "⚑ 0 references",
        ) in definitions
        # The diagnostic says what the state is, since when, where it is defined and what to keep.
        on = next(
            d
            for d in s.swath_diagnostics(u)
            if d.code == "flag/fully-on" and d.range.start.line == 7
        )
        assert on.severity == lsp.DiagnosticSeverity.Information
        assert "100% on since 2023-01-01" in on.message and "flags/flags.flagd.json:4" in on.message
        assert "keep the enabled branch" in on.message
        dead = [
            d for d in s.swath_diagnostics(u) if d.tags and lsp.DiagnosticTag.Unnecessary in d.tags
        ]
        assert dead, "the branch that would die is tagged Unnecessary"


async def test_map_module_of_a_file_maps_its_folder(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=3)
    async with lsp_session(root, capabilities("neovim")) as s:
        result = await s.command("swath.mapModule", {"uri": s.uri("pkg/m001.py")})
        await s.wait_run(result["runId"])
        await s.wait_for(
            lambda: all(s.swath_diagnostics(s.uri(f"pkg/m{n:03d}.py")) for n in range(3)),
            what="a note on every file of the module",
        )
        assert not s.swath_diagnostics(s.uri("README.md"))
        assert await s.lenses(s.uri("pkg/m002.py"))
        with pytest.raises(JsonRpcException, match="uri: Field required"):
            await s.command("swath.mapModule", {})


async def test_review_diff_against_a_base(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=1)
    git(root, "branch", "base")
    commit_files(
        root,
        {"pkg/run.py": "import os\n\n\ndef run(cmd):\n    return eval(cmd)\n"},
        message="eval",
    )
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        result = await s.command("swath.reviewDiff", {"base": "base", "passes": ["security"]})
        await s.wait_run(result["runId"])
        await s.wait_for(lambda: s.swath_diagnostics(s.uri("pkg/run.py")), what="review finding")
        (d,) = s.swath_diagnostics(s.uri("pkg/run.py"))  # the tests pass was not asked for
        assert d.range.start.line == 4 and d.code == "ruff/S307" and d.source == "swath/security"
        # the file's review lens stands on its first changed line, not on the finding's
        (lens,) = await s.lenses(s.uri("pkg/run.py"))
        assert lens.range.start.line == 0 and lens.command.title == "review: 1 security"
        # a pass that does not exist is refused before any run starts, naming the passes
        with pytest.raises(JsonRpcException, match="'nope'.*all, security, correctness"):
            await s.command("swath.reviewDiff", {"passes": ["security", "nope"]})
        bad = await s.command("swath.reviewDiff", {"base": "no-such-branch"})
        await s.wait_run(bad["runId"])
        await s.wait_message("review-diff did not start", "'no-such-branch' is not a commit")


async def test_settings_from_initialization_and_changes(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=2)
    init = {"swath": {"engine": "model", "concurrency": "lots"}}
    async with lsp_session(root, capabilities("neovim"), init_options=init) as s:
        # the invalid value is reported, and the valid one applies: no model here, so runs refuse
        await s.wait_for(
            lambda: any("swath.concurrency" in m.message for m in s.client.messages),
            what="settings error shown",
        )
        result = await s.command("swath.runWorkflow", {"workflow": "todo-audit"})
        await s.wait_run(result["runId"])
        await s.wait_message("did not start", "--engine model needs a model")
        # a new configuration pushed by the editor applies to the next run
        s.client.workspace_did_change_configuration(
            lsp.DidChangeConfigurationParams(
                settings={"swath": {"engine": "static", "maxAgents": 1}}
            )
        )
        result = await s.command("swath.runWorkflow", {"workflow": "todo-audit"})
        await s.wait_run(result["runId"])
        await s.wait_message("needs 2 agents, more than the limit of 1")
        s.client.workspace_did_change_configuration(
            lsp.DidChangeConfigurationParams(settings={"swath": {"maxAgents": 100}})
        )
        result = await s.command("swath.runWorkflow", {"workflow": "todo-audit"})
        await s.wait_run(result["runId"])
        await s.wait_message("todo-audit succeeded")


async def test_new_workflow_offline_with_nothing_close_says_so(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=0)
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        result = await s.command("swath.newWorkflow", {"prompt": "xyzzy plugh frobnicate"})
        assert result["runId"].startswith("new-")
        await s.wait_for(
            lambda: any("could not write a workflow" in m.message for m in s.client.messages),
            what="error message",
        )
        assert any(
            v.get("kind") == "end"
            for v in s.client.progress_reports.get(f"swath-{result['runId']}", [])
        )


async def test_each_workspace_folder_has_its_own_store(tmp_path: Path) -> None:
    a = make_repo(tmp_path / "a", modules=1)
    b = make_repo(tmp_path / "b", modules=2)
    async with lsp_session(a, capabilities("visual-studio-code")) as s:
        s.client.workspace_did_change_workspace_folders(
            lsp.DidChangeWorkspaceFoldersParams(
                event=lsp.WorkspaceFoldersChangeEvent(
                    added=[lsp.WorkspaceFolder(uri=uri(b), name="b")], removed=[]
                )
            )
        )
        ra = await s.command("swath.runWorkflow", {"workflow": "todo-audit"})
        rb = await s.command("swath.runWorkflow", {"workflow": "todo-audit", "folder": uri(b)})
        assert ra["folder"] == uri(a) and rb["folder"] == uri(b)
        await s.wait_run(ra["runId"])
        await s.wait_run(rb["runId"])
        await s.wait_for(
            lambda: s.swath_diagnostics(uri(b / "pkg" / "m001.py")), what="findings in b"
        )
        assert s.swath_diagnostics(uri(a / "pkg" / "m000.py"))
        assert (a / ".swath" / "reports" / f"{ra['runId']}.md").is_file()
        assert (b / ".swath" / "reports" / f"{rb['runId']}.md").is_file()
        runs = (await s.command("swath.listRuns"))["runs"]
        assert {r["folder"] for r in runs} == {uri(a), uri(b)}
        # a run scoped by a file URI goes to that file's folder
        rc = await s.command("swath.runWorkflow", {"workflow": "todo-audit", "uri": uri(b / "pkg")})
        assert rc["folder"] == uri(b)
        await s.wait_run(rc["runId"])
