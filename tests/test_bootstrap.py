"""`source scripts/bootstrap.sh` (the README's first step) leaves the shell as it was."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BOOTSTRAP = REPO / "scripts" / "bootstrap.sh"


@pytest.fixture
def ready_venv(tmp_path: Path) -> Path:
    """A venv the script finds installed (its stamp matches), so it installs nothing."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text("#!/bin/sh\nexit 0\n")
    python.chmod(0o755)
    want = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()
    (venv / ".swath-installed").write_text(want + "\n")
    return venv


@pytest.mark.parametrize("options", ["", "-e", "-u"])
def test_sourcing_leaves_shell_options_and_variables(ready_venv: Path, options: str) -> None:
    script = f"""
        set +euo pipefail {"; set " + options if options else ""}
        before="$-:$(shopt -po pipefail || true)"
        ROOT=mine
        source {BOOTSTRAP}
        after="$-:$(shopt -po pipefail || true)"
        echo "before=$before"
        echo "after=$after"
        echo "root=$ROOT"
        echo "path=$PATH"
        false
        echo "alive"
    """
    proc = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "SWATH_VENV": str(ready_venv)},
        timeout=60,
    )
    lines = dict(ln.split("=", 1) for ln in proc.stdout.splitlines() if "=" in ln)
    assert lines["before"] == lines["after"], proc.stdout
    assert lines["root"] == "mine"  # the script's own variables do not leak
    assert lines["path"].startswith(f"{ready_venv}/bin:")
    if options != "-e":
        assert "alive" in proc.stdout  # a failing command after it does not end the shell
    assert (
        "_swath"
        not in subprocess.run(
            ["bash", "-c", f"source {BOOTSTRAP}; set | grep ^_swath || true"],
            capture_output=True,
            text=True,
            env={**os.environ, "SWATH_VENV": str(ready_venv)},
        ).stdout
    )
