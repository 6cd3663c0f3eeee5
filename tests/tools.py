"""Outside tools some tests need, found on the PATH: a test skips, saying which, when one is
missing on a developer's machine, and fails instead under .ci/run (SWATH_TOOLS_REQUIRED=1),
which installs them first, so that CI never passes by skipping."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REQUIRED = os.environ.get("SWATH_TOOLS_REQUIRED") == "1"


BENCH_TOOLS = Path(__file__).resolve().parents[1] / "bench" / ".tools" / "node_modules" / ".bin"


def tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is not None:
        return found
    what = f"{name} is not installed (apt-get install {package})"
    if REQUIRED:
        pytest.fail(f"{what}; SWATH_TOOLS_REQUIRED=1: .ci/run installs it first")
    pytest.skip(what)


def depcruise_or_none() -> str | None:
    """dependency-cruiser (bench/install-tools.sh puts it in bench/.tools): None when it is
    missing on a developer's machine, so a test that only compares with it when it can goes
    on without it; under .ci/run a missing one fails the test."""
    for cand in (
        os.environ.get("DEPCRUISE"),
        str(BENCH_TOOLS / "depcruise"),
        shutil.which("depcruise"),
    ):
        if cand and Path(cand).is_file():
            return cand
    if REQUIRED:
        pytest.fail(
            "dependency-cruiser is not installed; SWATH_TOOLS_REQUIRED=1: .ci/run runs bench/install-tools.sh first"
        )
    return None


def gofmt() -> str:
    """Go's own parser and formatter: a Go edit that `gofmt -e` accepts parses."""
    return tool("gofmt", "golang-go")


def go() -> str:
    """The Go toolchain: `go build` compiles, so an unused variable or import fails it."""
    return tool("go", "golang-go")
