"""What an editor's pickers and status line ask for: the workflows and the runs going now."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from tests.fake_anthropic.replies import JsonText
from tests.fake_anthropic.server import FakeAnthropicServer
from tests.gitrepo import commit_files
from tests.lsp.conftest import capabilities, lsp_session, make_repo


async def test_list_workflows_gives_builtins_saved_ones_and_their_inputs(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=1)
    commit_files(root, {".swath/workflows/broken.yaml": "name: broken\nsteps: 3\n"}, message="x")
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        listed = (await s.command("swath.listWorkflows"))["workflows"]
        by_name = {w["name"]: w for w in listed}
        assert {"map-module", "flag-audit", "review-diff", "todo-audit"} <= set(by_name)
        assert by_name["flag-audit"]["builtin"] is True and by_name["flag-audit"]["description"]
        saved = by_name["slow-todos"]
        assert saved["builtin"] is False and saved["error"] is None
        assert saved["description"].startswith("todo-audit one file per agent")
        assert saved["uri"].endswith("/.swath/workflows/slow-todos.yaml")
        assert saved["inputs"] == {
            "max_age_days": {
                "type": "integer",
                "default": 180,
                "description": "",
                "required": False,
                "choices": None,
                "many": False,
            }
        }
        # An editor can offer the choices (review-diff's passes) instead of a free text box.
        passes = by_name["review-diff"]["inputs"]["passes"]
        assert passes["choices"][0] == "all" and passes["many"] is True
        # a file that does not load is listed with its problem, not hidden
        assert "broken.yaml:2" in by_name["broken"]["error"]
        assert by_name["broken"]["inputs"] == {}


async def test_active_runs_counts_the_runs_going_and_forgets_finished_ones(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=200)
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        assert await s.command("swath.activeRuns") == {"runs": [], "costUsd": 0.0}
        run_id = (await s.command("swath.runWorkflow", {"workflow": "slow-todos"}))["runId"]
        seen: list[dict] = []

        async def going() -> bool:
            seen[:] = (await s.command("swath.activeRuns"))["runs"]
            return bool(seen) and seen[0]["done"] > 0

        while not await going():
            assert not s.run_ended(run_id), "the run ended before activeRuns saw it going"
            await asyncio.sleep(0.02)
        (run,) = seen
        assert run["runId"] == run_id and run["workflow"] == "slow-todos"
        assert run["total"] == 200 and 0 < run["done"] <= 200 and run["costUsd"] == 0.0
        await s.command("swath.cancel", {"runId": run_id})
        await s.wait_run(run_id)
        for _ in range(100):  # the progress ends a moment before the run is let go of
            if (await s.command("swath.activeRuns"))["runs"] == []:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("a cancelled run is still listed as going")


async def test_new_workflow_answers_with_the_file_and_its_plan(tmp_path: Path) -> None:
    """The client confirms before running: the answer carries the saved file and its plan."""
    root = make_repo(tmp_path / "repo", modules=1)
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        with pytest.raises(JsonRpcException, match="could not write a workflow: .*needs a model"):
            await s.command("swath.newWorkflow", {"prompt": "xyzzy plugh", "wait": True})
        # Offline, the closest shipped workflow is the starting point, and the answer says so.
        offline = await s.command(
            "swath.newWorkflow", {"prompt": "TODO comments older than 30 days", "wait": True}
        )
        assert offline["offline"]["name"] == "todo-audit" and offline["rounds"] == 0
        assert offline["fills"] == ["`max_age_days` = 30 (from “30 days”)"]
        assert offline["plan"]["workflow"] == offline["workflow"]
    fake = FakeAnthropicServer().start()
    fake.script(lambda ctx: JsonText({"name": "py-todos", "yaml": DRAFT}))
    env = {"ANTHROPIC_API_KEY": "sk-test-key", "ANTHROPIC_BASE_URL": fake.url}
    try:
        async with lsp_session(root, capabilities("visual-studio-code"), extra_env=env) as s:
            result = await s.command("swath.newWorkflow", {"prompt": "todos", "wait": True})
            assert result["uri"] == s.uri(".swath/workflows/py-todos.yaml")
            text = (root / ".swath" / "workflows" / "py-todos.yaml").read_text()
            assert text.startswith("# Written by `swath new`") and text.endswith(DRAFT)
            assert result["rounds"] == 1 and result["offline"] is None
            # the plan in the answer is the one swath.plan gives for the saved file
            plan = await s.command("swath.plan", {"workflow": result["uri"]})
            assert result["plan"]["total_agents"] == plan["plan"]["total_agents"] >= 1
            assert plan["refused"] is False
            runs = await s.command("swath.listRuns")
            assert runs["runs"] == []  # saved and planned, never run
    finally:
        fake.stop()


DRAFT = """name: py-todos
steps:
  - id: files
    kind: discover
    source: files
    with: {include: ['pkg/*.py']}
  - id: scan
    kind: map
    from: files
    agent: {analyzer: todo-comments}
"""
