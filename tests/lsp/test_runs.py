"""Runs started from the editor: progress, streamed diagnostics, lenses, cancel, restart."""

from __future__ import annotations

import asyncio
from itertools import pairwise
import json
import os
import sys
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import CLIENTS, capabilities, lsp_session, make_repo


def _kinds(session, run_id):  # the $/progress kinds of one run, in arrival order
    return [v.get("kind") for v in session.client.progress_reports.get(f"swath-run-{run_id}", [])]


@pytest.mark.parametrize("client_name", CLIENTS)
async def test_run_streams_progress_and_diagnostics(tmp_path: Path, client_name: str) -> None:
    root = make_repo(tmp_path / "repo", modules=40)
    async with lsp_session(root, capabilities(client_name)) as s:
        result = await s.command("swath.runWorkflow", {"workflow": "slow-todos"})
        run_id = result["runId"]
        assert result["workflow"] == "slow-todos"
        await s.wait_run(run_id)

        kinds = _kinds(s, run_id)
        assert kinds[0] == "begin" and kinds[-1] == "end" and kinds.count("end") == 1
        assert "report" in kinds and set(kinds[1:-1]) == {"report"}
        reports = [
            v for v in s.client.progress_reports[f"swath-run-{run_id}"] if v.get("kind") == "report"
        ]
        assert reports[-1]["message"] == "40/40 agents · 40 findings · $0.00"
        assert reports[-1]["percentage"] == 100
        end = s.client.progress_reports[f"swath-run-{run_id}"][-1]
        assert "slow-todos succeeded" in end["message"] and "40 findings" in end["message"]

        # Streamed: diagnostics were published before the run's progress ended.
        token = f"swath-run-{run_id}"
        first_diag = s.rec.index("diagnostics", lambda p: bool(p.diagnostics))
        end_at = s.rec.index("progress", lambda p: p[0] == token and p[1].get("kind") == "end")
        assert 0 <= first_diag < end_at

        await s.wait_for(
            lambda: all(s.swath_diagnostics(s.uri(f"pkg/m{n:03d}.py")) for n in range(40)),
            what="every file's diagnostics",
        )
        d = s.swath_diagnostics(s.uri("pkg/m007.py"))
        assert len(d) == 1
        (diag,) = d
        assert (diag.range.start.line, diag.range.start.character) == (3, 6)
        assert (diag.range.end.line, diag.range.end.character) == (3, 10)
        assert diag.code == "todo/stale" and diag.source == "swath"
        assert diag.severity == lsp.DiagnosticSeverity.Information
        assert isinstance(diag.data, str) and len(diag.data) == 16
        assert "handle negative x in f7" in diag.message
        if client_name != "emacs":  # emacs 29 says it has no relatedInformation support
            assert (
                diag.related_information
                and "# TODO: handle negative x in f7" in diag.related_information[0].message
            )
        else:
            assert not diag.related_information

        # The summary, and the report where the client can show documents.
        await s.wait_for(
            lambda: any("slow-todos succeeded" in m.message for m in s.client.messages),
            what="the summary message",
        )
        report = root / ".swath" / "reports" / f"{run_id}.md"
        assert report.is_file()
        if client_name in ("visual-studio-code", "neovim"):
            await s.wait_for(lambda: s.client.shown_documents, what="showDocument")
            assert s.client.shown_documents[-1].uri.endswith(f"/.swath/reports/{run_id}.md")


async def test_no_file_is_republished_more_than_a_few_times_a_second(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=2)
    # one file with many TODOs: many findings arrive for it in one task
    (root / "pkg" / "many.py").write_text(
        "".join(f"# TODO: item {i}\n" for i in range(300)), encoding="utf-8"
    )
    from tests.gitrepo import commit_files

    commit_files(root, {}, date="2020-01-01T12:00:00+00:00", message="many")
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        run_id = (await s.command("swath.runWorkflow", {"workflow": "todo-audit"}))["runId"]
        await s.wait_run(run_id)
        u = s.uri("pkg/many.py")
        await s.wait_for(lambda: len(s.swath_diagnostics(u)) == 300, what="300 diagnostics")
        times = [t for t, k, p in s.rec.events if k == "diagnostics" and p.uri == u]
        for a, b in pairwise(times):
            assert b - a > 0.15, "publishes of one file must be coalesced"


async def test_code_lenses_and_refresh(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=3)
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        run_id = (await s.command("swath.runWorkflow", {"workflow": "todo-audit"}))["runId"]
        await s.wait_run(run_id)
        await s.wait_for(lambda: s.rec.lens_refreshes > 0, what="workspace/codeLens/refresh")
        lenses = await s.client.text_document_code_lens_async(
            lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=s.uri("pkg/m002.py")))
        )
        assert lenses and len(lenses) == 2
        rerun, lens = lenses
        assert rerun.range.start.line == 0 and rerun.command.title == "↻ re-run todo-audit"
        assert rerun.command.command == "swath.rerun" and list(rerun.command.arguments) == [
            {"runId": run_id}
        ]
        assert lens.range.start.line == 3
        assert lens.command.title.startswith("TODO · ") and "Ada Lovelace" in lens.command.title
        assert lens.command.command == "swath.showRun"
        assert lens.command.arguments[0] == {"runId": run_id, "open": True}
        # the lens's command opens the run's report
        shown = len(s.client.shown_documents)
        info = await s.command(lens.command.command, *lens.command.arguments)
        assert info["runId"] == run_id and info["status"] == "succeeded" and info["findings"] == 3
        await s.wait_for(lambda: len(s.client.shown_documents) > shown, what="report opened")
        # refreshes are throttled: a handful per run, not one per agent or finding
        assert s.rec.lens_refreshes <= 4
        # the re-run lens starts the same workflow again with the same inputs
        again = await s.command(rerun.command.command, *rerun.command.arguments)
        assert (
            again["rerunOf"] == run_id
            and again["runId"] != run_id
            and again["workflow"] == "todo-audit"
        )
        await s.wait_run(again["runId"])
        info = await s.command("swath.showRun", {"runId": again["runId"]})
        assert info["status"] == "succeeded" and info["findings"] == 3
        assert (
            info["agents"]["cached"] == info["agents"]["total"]
        )  # nothing changed: all from the cache


@pytest.mark.parametrize("client_name", CLIENTS)
async def test_cancel_through_work_done_progress(tmp_path: Path, client_name: str) -> None:
    root = make_repo(tmp_path / "repo", modules=300)
    async with lsp_session(root, capabilities(client_name)) as s:
        run_id = (await s.command("swath.runWorkflow", {"workflow": "slow-todos"}))["runId"]
        await s.wait_for(
            lambda: any(s.swath_diagnostics(u) for u in list(s.client.diagnostics)),
            what="first diagnostics",
        )
        s.client.window_work_done_progress_cancel(
            lsp.WorkDoneProgressCancelParams(token=f"swath-run-{run_id}")
        )
        await s.wait_run(run_id)
        end = s.client.progress_reports[f"swath-run-{run_id}"][-1]
        assert end["kind"] == "end" and "slow-todos cancelled" in end["message"]
        # finished results are kept, and shown
        with_findings = [u for u in s.client.diagnostics if s.swath_diagnostics(u)]
        assert 0 < len(with_findings) < 300
        runs = (await s.command("swath.listRuns"))["runs"]
        assert runs[0]["runId"] == run_id and runs[0]["status"] == "cancelled"
        assert 0 < runs[0]["findings"] < 300


async def test_cancel_command_and_running_lens(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=300)
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        u = s.uri("pkg/m000.py")
        run_id = (
            await s.command("swath.runWorkflow", {"workflow": "slow-todos", "uri": s.uri("pkg")})
        )["runId"]
        await s.wait_for(lambda: s.swath_diagnostics(u), what="first diagnostics")
        lenses = await s.client.text_document_code_lens_async(
            lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=u))
        )
        running = [x for x in lenses if x.command.command == "swath.cancel"]
        assert running and "slow-todos running" in running[0].command.title
        assert list(running[0].command.arguments) == [{"runId": run_id}]
        assert (await s.command("swath.cancel", {"runId": run_id})) == {
            "runId": run_id,
            "cancelled": True,
        }
        await s.wait_run(run_id)
        assert "cancelled" in s.client.progress_reports[f"swath-run-{run_id}"][-1]["message"]
        lenses = await s.client.text_document_code_lens_async(
            lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=u))
        )
        assert not [x for x in lenses if x.command.command == "swath.cancel"]
        assert (await s.command("swath.cancel", {"runId": run_id}))["cancelled"] is False


async def test_client_without_progress_or_lens_refresh(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=5)
    caps = capabilities("neovim", progress=False, lens_refresh=False)
    async with lsp_session(root, caps) as s:
        run_id = (await s.command("swath.runWorkflow", {"workflow": "todo-audit"}))["runId"]
        await s.wait_run(run_id)
        await s.wait_for(lambda: s.swath_diagnostics(s.uri("pkg/m004.py")), what="diagnostics")
        assert not s.client.progress_reports  # no window/workDoneProgress/create, no $/progress
        await s.wait_message("Swath: todo-audit", "planning")
        await s.wait_message("todo-audit succeeded")
        assert any("todo-audit succeeded" in m.message for m in s.client.log_messages)
        assert s.rec.lens_refreshes == 0
        assert [x.range.start.line for x in await s.lenses(s.uri("pkg/m004.py"))] == [3]


async def test_restart_restores_findings_and_rerun_replaces(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=4)
    caps = capabilities("visual-studio-code")
    async with lsp_session(root, caps) as s:
        run_id = (await s.command("swath.runWorkflow", {"workflow": "todo-audit"}))["runId"]
        await s.wait_run(run_id)
        await s.wait_for(lambda: s.swath_diagnostics(s.uri("pkg/m003.py")), what="diagnostics")
    # the code changed while the server was down: one TODO gone, one moved down two lines
    (root / "pkg" / "m000.py").write_text("def f0(x):\n    return x\n", encoding="utf-8")
    text = (root / "pkg" / "m001.py").read_text(encoding="utf-8")
    (root / "pkg" / "m001.py").write_text("import os\nimport sys\n" + text, encoding="utf-8")
    async with lsp_session(root, caps) as s:
        await s.wait_for(
            lambda: s.swath_diagnostics(s.uri("pkg/m003.py")), what="restored diagnostics"
        )
        await s.wait_for(lambda: s.swath_diagnostics(s.uri("pkg/m001.py")), what="restored, moved")
        assert s.swath_diagnostics(s.uri("pkg/m001.py"))[0].range.start.line == 5
        assert not s.swath_diagnostics(s.uri("pkg/m000.py"))
        (d,) = s.swath_diagnostics(s.uri("pkg/m003.py"))
        assert d.range.start.line == 3 and d.code == "todo/stale"

        # a second workflow's findings coexist with the first's on the same file
        run2 = (
            await s.command(
                "swath.runWorkflow", {"workflow": "slow-todos", "inputs": {"max_age_days": 100}}
            )
        )["runId"]
        await s.wait_run(run2)
        await s.wait_for(
            lambda: len(s.swath_diagnostics(s.uri("pkg/m003.py"))) == 2, what="two workflows"
        )

        # re-running a workflow replaces its own findings (none are stale past 100000 days)
        run3 = (
            await s.command(
                "swath.runWorkflow", {"workflow": "todo-audit", "inputs": {"max_age_days": 100000}}
            )
        )["runId"]
        await s.wait_run(run3)
        await s.wait_for(
            lambda: len(s.swath_diagnostics(s.uri("pkg/m003.py"))) == 1, what="replaced"
        )
        assert (
            "(since 2020-01-01; limit 100)" in s.swath_diagnostics(s.uri("pkg/m003.py"))[0].message
        )

        # clearFindings clears, and a restart does not bring them back
        cleared = await s.command("swath.clearFindings")
        assert cleared["cleared"] >= 3
        await s.wait_for(lambda: not s.swath_diagnostics(s.uri("pkg/m003.py")), what="cleared")
    async with lsp_session(root, caps) as s:
        runs = await s.command("swath.listRuns")
        assert {r["runId"] for r in runs["runs"]} >= {run_id, run2, run3}
        await s.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="swath.listRuns")
        )
        assert not s.swath_diagnostics(s.uri("pkg/m003.py"))


async def test_bad_requests_are_answered_with_their_reason(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=1)
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        with pytest.raises(
            JsonRpcException, match="no workflow named 'todo-audi'.*did you mean 'todo-audit'"
        ):
            await s.command("swath.runWorkflow", {"workflow": "todo-audi"})
        with pytest.raises(JsonRpcException, match="max_age_days"):
            await s.command(
                "swath.runWorkflow", {"workflow": "todo-audit", "inputs": {"max_age_days": "soon"}}
            )
        with pytest.raises(JsonRpcException, match="workflow: Field required"):
            await s.command("swath.runWorkflow", {})
        with pytest.raises(JsonRpcException, match="no run 'nope'"):
            await s.command("swath.showRun", "nope")
        with pytest.raises(JsonRpcException, match="outside the workspace"):
            await s.command(
                "swath.runWorkflow", {"workflow": "todo-audit", "paths": ["../elsewhere"]}
            )
        plan = await s.command("swath.plan", {"workflow": "slow-todos"})
        assert plan["plan"]["total_agents"] == 1 and plan["refused"] is False
        # a bare string is the main argument
        run_id = (await s.command("swath.runWorkflow", "todo-audit"))["runId"]
        await s.wait_run(run_id)


async def test_client_gone_without_shutdown_ends_runs_as_cancelled(tmp_path: Path) -> None:
    import asyncio

    from swath.store import RunStore

    root = make_repo(tmp_path / "repo", modules=300)
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        run_id = (await s.command("swath.runWorkflow", {"workflow": "slow-todos"}))["runId"]
        await s.wait_for(
            lambda: any(s.swath_diagnostics(u) for u in list(s.client.diagnostics)),
            what="first diagnostics",
        )
        server = s.client._server
        server.stdin.close()  # the editor crashed: no shutdown, no exit
        assert await asyncio.wait_for(server.wait(), 60) == 0
        s.client.capabilities = None  # nothing left to shut down
    store = RunStore.open(root)
    try:
        row = await store.get_run(run_id)
    finally:
        await store.aclose()
    assert row is not None and row.status == "cancelled"
    assert row.report is not None and 0 < len(row.report.findings) < 300


async def test_many_findings_in_one_file_are_capped_and_summarised(tmp_path: Path) -> None:
    from tests.gitrepo import commit_files

    root = make_repo(tmp_path / "repo", modules=1)
    commit_files(
        root,
        {"pkg/many.py": "".join(f"# FIXME: item {i}\n" for i in range(30))},
        date="2020-01-01T12:00:00+00:00",
        message="many",
    )
    async with lsp_session(
        root, capabilities("emacs"), init_options={"maxDiagnosticsPerFile": 10}
    ) as s:
        run_id = (await s.command("swath.runWorkflow", {"workflow": "todo-audit"}))["runId"]
        await s.wait_run(run_id)
        u = s.uri("pkg/many.py")
        await s.wait_for(
            lambda: len(s.swath_diagnostics(u)) == 11, what="10 diagnostics and a summary"
        )
        diags = s.swath_diagnostics(u)
        assert [d.code for d in diags[:10]] == ["todo/stale"] * 10
        assert diags[:10][0].severity == lsp.DiagnosticSeverity.Warning  # FIXME: warnings first
        assert (
            diags[10].code == "swath/more" and "20 more findings of todo-audit" in diags[10].message
        )


async def test_a_run_from_the_terminal_shows_up_in_the_open_editor(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=3)
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        u = s.uri("pkg/m001.py")
        assert not s.swath_diagnostics(u)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "swath",
            "run",
            "todo-audit",
            "--format",
            "json",
            cwd=root,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "ANTHROPIC_API_KEY": ""},
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        run_id = json.loads(out)["run_id"]
        diags = await s.wait_for(
            lambda: s.swath_diagnostics(u), timeout=20, what="the terminal run's findings"
        )
        assert [d.range.start.line for d in diags] == [3] and diags[0].code == "todo/stale"
        lenses = await s.client.text_document_code_lens_async(
            lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=u))
        )
        assert any(
            lens.command.command == "swath.rerun"
            and list(lens.command.arguments) == [{"runId": run_id}]
            for lens in lenses
        )
