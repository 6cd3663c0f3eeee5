"""`swath ARGS` in a subprocess, as a user runs it: offline and without colour unless told."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def swath(
    root: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    python_flags: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Runs in `root`; `env` adds to (or overrides) the offline defaults, e.g. a key and the
    fake API's URL. stdin is closed: nothing may wait for an answer."""
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "swath", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "ANTHROPIC_API_KEY": "", "NO_COLOR": "1", **(env or {})},
        check=False,
    )
