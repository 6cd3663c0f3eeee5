"""The VS Code client (client-vscode/): its unit tests, `tsc --noEmit`, the .vsix, and the
end-to-end test in a real VS Code (code-server + headless Chromium, client-vscode/e2e/).

The e2e is skipped, saying so, when code-server or Chromium is not installed here
(`client-vscode/e2e/install.sh` installs both); with SWATH_E2E_REQUIRED=1 (set by .ci/run)
a missing piece is a failure instead.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "client-vscode"
TOOLS = CLIENT / "e2e" / ".tools"
CODE_SERVER = TOOLS / "cs" / "node_modules" / ".bin" / "code-server"
PLAYWRIGHT = TOOLS / "pw" / "node_modules" / "playwright-core"
CHROMIUM = Path(os.environ.get("SWATH_E2E_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = os.environ.get("SWATH_E2E_REQUIRED") == "1"

# The first test to use a session fixture pays for `npm ci` (a minute or two cold); the e2e
# takes 2-4 minutes on two busy cores. Both exceed the suite's default 300 s per test.
pytestmark = pytest.mark.timeout(900)


def _missing(what: str) -> None:
    if REQUIRED:
        pytest.fail(f"{what} (SWATH_E2E_REQUIRED=1: .ci/run installs it first)")
    pytest.skip(what)


def _env() -> dict[str, str]:
    # npm's cache stays inside the checkout (git-ignored), like everything the client needs.
    return {**os.environ, "npm_config_cache": str(TOOLS / "npm-cache"), "npm_config_fund": "false"}


def _run(*cmd: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=CLIENT, env=_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def client_deps() -> None:
    """`npm ci` once per change of package-lock.json; one process at a time (xdist workers)."""
    if shutil.which("npm") is None:
        _missing("npm is not installed: the VS Code client cannot be built")
    TOOLS.mkdir(parents=True, exist_ok=True)
    with (TOOLS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        want = hashlib.sha256((CLIENT / "package-lock.json").read_bytes()).hexdigest()
        stamp = CLIENT / "node_modules" / ".swath-ci-stamp"
        if not stamp.is_file() or stamp.read_text() != want:
            proc = _run("npm", "ci", "--no-audit", timeout=600)
            assert proc.returncode == 0, f"npm ci failed:\n{proc.stdout}\n{proc.stderr}"
            stamp.write_text(want)


@pytest.fixture(scope="session")
def vsix(client_deps: None) -> Path:
    with (TOOLS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = _run("npm", "run", "package")
        assert proc.returncode == 0, f"npm run package failed:\n{proc.stdout}\n{proc.stderr}"
    path = CLIENT / "dist" / "swath.vsix"
    assert path.is_file()
    return path


def test_unit_tests_pass(client_deps: None) -> None:
    proc = _run("npm", "test")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    passed = int(re.search(r"^# pass (\d+)$", out, re.M).group(1))  # type: ignore[union-attr]
    assert passed >= 17 and re.search(r"^# fail 0$", out, re.M), out


def test_typecheck_is_clean(client_deps: None) -> None:
    proc = _run("npx", "tsc", "--noEmit", "-p", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_vsix_holds_the_bundled_extension(vsix: Path) -> None:
    with zipfile.ZipFile(vsix) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("extension/package.json"))
    assert {"extension/dist/extension.js", "extension/package.json", "extension/readme.md"} <= names
    assert not any("node_modules" in n or n.startswith("extension/src/") for n in names)
    assert manifest["engines"]["vscode"] == "^1.100.0"
    assert manifest["capabilities"]["untrustedWorkspaces"]["supported"] == "limited"


@pytest.mark.alone
@pytest.mark.timeout(1200)
def test_end_to_end_in_a_real_vscode(vsix: Path) -> None:
    """The three jobs with the mouse and the palette in code-server (client-vscode/e2e/)."""
    if not CODE_SERVER.exists() or not PLAYWRIGHT.is_dir():
        _missing(
            "VS Code e2e skipped: code-server and playwright-core are not installed "
            "(client-vscode/e2e/install.sh installs them; .ci/run does)"
        )
    if not CHROMIUM.exists():
        _missing(
            f"VS Code e2e skipped: no Chromium at {CHROMIUM} "
            "(client-vscode/e2e/install.sh installs Debian's; .ci/run does)"
        )
    proc = _run("node", "e2e/run.mjs", "--vsix", str(vsix), timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-12000:]
    for job in ("map", "flags", "review"):
        assert f"job {job}: passed" in out, out[-6000:]
