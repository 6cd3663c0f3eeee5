"""Fixtures every test gets."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _cwd_restored() -> Iterator[None]:
    """`swath -C DIR` changes the process's folder as `git -C` does, and tests call the CLI
    in-process: without this, every later test in the same xdist worker ran in that test's
    temporary folder (a worker started as `python -m tests.procworker` could not import)."""
    before = os.getcwd()
    yield
    os.chdir(before)


# `swath run` hands its run to a warm per-workspace process (swath.cli.warm) unless told not
# to: the tests' CLI subprocesses run in their own process, as they measure and expect;
# tests/cli/test_warm.py turns it on where it is the subject.
os.environ["SWATH_WARM"] = "0"
