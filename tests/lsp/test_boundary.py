"""The workspace is the boundary: the server runs nothing outside the folders the client
declared, and every malformed command gets an error reply, never silence or a run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import capabilities, lsp_session, make_repo, uri
from tests.lsp.rawrpc import RawClient


async def test_commands_outside_the_workspace_are_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=1)
    outside = make_repo(tmp_path / "elsewhere", modules=1, workflow=False)  # git, not opened
    etc_had_swath = Path("/etc/.swath").exists()
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        attempts = [
            ("swath.mapModule", {"uri": "file:///etc"}),
            ("swath.mapModule", {"uri": uri(outside / "pkg")}),
            ("swath.runWorkflow", {"workflow": "todo-audit", "folder": "file:///etc"}),
            ("swath.runWorkflow", {"workflow": "todo-audit", "folder": "file:///"}),
            ("swath.runWorkflow", {"workflow": "todo-audit", "folder": uri(outside)}),
            ("swath.runWorkflow", {"workflow": "todo-audit", "paths": ["../elsewhere"]}),
            ("swath.auditFlags", {"uri": uri(outside / "pkg" / "m000.py")}),
            ("swath.plan", {"workflow": "todo-audit", "uri": "file:///etc/passwd"}),
            ("swath.listRuns", {"folder": uri(outside)}),
        ]
        for name, args in attempts:
            with pytest.raises(JsonRpcException) as caught:
                await asyncio.wait_for(s.command(name, args), 60)
            assert "outside" in str(caught.value), (name, args, caught.value)
        runs = await s.command("swath.listRuns")
        assert runs["runs"] == []  # nothing was started
    assert not (outside / ".swath").exists()
    assert Path("/etc/.swath").exists() == etc_had_swath
    assert not Path("/.swath").exists()


JUNK = [
    ("swath.mapModule", [5]),
    ("swath.mapModule", [True]),
    ("swath.mapModule", [[1, 2]]),
    ("swath.mapModule", [{"uri": 5}]),
    ("swath.mapModule", ["not a uri"]),
    ("swath.mapModule", [{"uri": "file:///nonexistent/swath-nowhere"}]),
    ("swath.runWorkflow", [{"workflow": "todo-audit", "concurrency": -3}]),
    ("swath.runWorkflow", [{"workflow": "todo-audit", "paths": ["no/such/dir"]}]),
    ("swath.runWorkflow", [{"workflow": "todo-audit", "engine": "quantum"}]),
    ("swath.runWorkflow", [{"workflow": ["todo-audit"]}]),
    ("swath.runWorkflow", [{"workflow": "todo-audit", "bogus": 1}]),
    ("swath.runWorkflow", [{"workflow": "todo-audit"}, {"workflow": "todo-audit"}]),
    ("swath.cancel", [None]),
    ("swath.showRun", [{"runId": 12}]),
    ("swath.listRuns", [{"limit": "many"}]),
    # `arguments` itself not a list: pygls cannot even structure these
    ("swath.listRuns", 5),
    ("swath.listRuns", True),
    ("swath.runWorkflow", 3.5),
    ("swath.nosuchCommand", []),
]


async def test_junk_arguments_get_an_error_reply_and_start_nothing(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=1)
    client = await RawClient.start(root)
    try:
        for command, arguments in JUNK:
            reply = await client.command(command, arguments)
            assert "error" in reply, (command, arguments, reply)
            assert reply["error"]["message"], reply
        # malformed params of other requests are answered too
        for method, params in [
            ("textDocument/codeLens", {}),
            ("textDocument/codeLens", 7),
            ("textDocument/hover", {"textDocument": {"uri": 3}}),
            ("workspace/executeCommand", None),
        ]:
            reply = await client.request(method, params)
            assert "error" in reply, (method, params, reply)
        runs = await client.command("swath.listRuns", [])
        assert runs["result"]["runs"] == []  # no junk started a run
        ok = await client.command("swath.runWorkflow", [{"workflow": "todo-audit"}])
        assert "runId" in ok["result"]  # the server still works after all that
    finally:
        await client.close()
    assert not (root / "no").exists()


async def test_a_file_or_a_missing_folder_as_workspace_folder(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=1)
    missing = tmp_path / "not-there"
    client = await RawClient.start(
        root, [uri(root / "README.md"), uri(missing), "file:///", uri(root)]
    )
    try:
        runs = await client.command("swath.listRuns", [])
        assert runs["result"] == {"runs": []}, runs
        warnings = [
            n["params"]["message"]
            for n in client.notifications
            if n["method"] == "window/showMessage"
        ]
        assert any("README.md" in w and "a file" in w for w in warnings), warnings
        assert any("not-there" in w and "does not exist" in w for w in warnings), warnings
        assert any("filesystem root" in w for w in warnings), warnings
        started = await client.command("swath.runWorkflow", [{"workflow": "todo-audit"}])
        assert started["result"]["folder"] == uri(root)
    finally:
        await client.close()
    assert not missing.exists()
    assert not (root / "README.md").is_dir()
