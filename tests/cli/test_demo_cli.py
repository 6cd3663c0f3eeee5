"""The README's main job: the flag audit of examples/flags-demo, offline, through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.gitrepo import commit_files, init_repo

DEMO = Path(__file__).resolve().parents[2] / "examples" / "flags-demo"


def swath(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swath", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "ANTHROPIC_API_KEY": ""},
    )


def test_flag_audit_demo_json_and_fix_preview_write_nothing(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "demo")
    shutil.copytree(DEMO, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".swath"))
    commit_files(root, {}, date="2025-01-10T10:00:00+00:00")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    proc = swath(
        root,
        "run",
        "flag-audit",
        "--format",
        "json",
        "--fix-preview",
        "-o",
        str(tmp_path / "out.json"),
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    rules = {f["rule"] for f in out["findings"]}
    assert {"flag/fully-on", "flag/fully-off", "flag/unreferenced", "flag/undefined"} <= rules
    assert all(f["verified"] for f in out["findings"])
    catalogue = {f["key"]: f for f in out["outputs"]["plan"]["catalogue"]}
    assert catalogue["new_checkout"]["state"] == "on" and catalogue["old_pricing"]["state"] == "off"
    assert "since 2025-01-10" in next(
        f["message"] for f in out["findings"] if f["rule"] == "flag/fully-on"
    )
    # The preview is a unified diff on stdout; not one byte of the workspace changed.
    assert (
        proc.stdout.startswith("--- a/")
        and '-    if client.get_boolean_value("new_checkout", False):' in proc.stdout
    )
    after = {
        p: p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts and ".swath" not in p.parts
    }
    assert after == {p: b for p, b in before.items() if ".swath" not in p.parts}
