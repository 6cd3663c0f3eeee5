"""Optional: ruff's security, bugbear and performance rules on the changed Python files.

ruff is not a dependency of swath. When a `ruff` executable is on PATH (or the `ruff`
module is importable) it runs once per batch of files; its diagnostics on added lines
become `review/ruff/<CODE>` findings, except the codes swath's own rules already cover.
Without ruff, or when it fails, the review goes on without it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

from swath.analyzers.review_rules import Hit
from swath.findings.model import Severity

log = logging.getLogger(__name__)

SELECT = "S,B,PERF,ASYNC,T10,T20,E722"
# Covered by swath's own rules (which also look at context ruff does not): not repeated.
COVERED = {
    "E722",
    "S110",
    "T100",
    "T201",
    "T203",
    "S307",
    "S102",
    "B006",
    "B008",
    "S602",
    "S604",
    "S605",
    "S606",
    "S607",
    "S301",
    "S302",
    "S403",
    "S506",
    "S608",
    "S105",
    "S106",
    "S107",
    "B011",
    "B012",
    "F632",
    "E711",
    "ASYNC251",
    "ASYNC210",
    "ASYNC220",
    "ASYNC221",
    "ASYNC222",
    "PERF401",
    "C419",
}
TIMEOUT_S = 60


def ruff_command(setting: str | None) -> list[str] | None:
    """The command to run ruff with: `auto` finds it, `off` disables, anything else is a path."""
    if setting in ("off", "false", "no", False):
        return None
    if setting and setting not in ("auto", True):
        return [str(setting)]
    exe = shutil.which("ruff")
    if exe:
        return [exe]
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    return None


def severity_of(code: str) -> Severity:
    if code.startswith(("S", "ASYNC", "T10")) or code.startswith("B"):
        return Severity.warning
    return Severity.information


def ruff_hits(
    command: list[str], root: Path, paths: list[str]
) -> tuple[dict[str, list[Hit]], str | None]:
    """Hits per workspace-relative path, and why ruff gave nothing (None when it ran)."""
    if not paths:
        return {}, None
    args = [
        *command,
        "check",
        "--isolated",
        "--no-cache",
        "--exit-zero",
        "--output-format",
        "json",
        "--select",
        SELECT,
        "--",
        *paths,
    ]
    try:
        proc = subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as exc:
        return {}, f"ruff did not run: {exc}"
    if proc.returncode not in (0, 1):
        return {}, f"ruff failed ({proc.returncode}): {proc.stderr.strip()[:300]}"
    try:
        diagnostics = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return {}, "ruff printed no JSON"
    out: dict[str, list[Hit]] = {}
    for d in diagnostics if isinstance(diagnostics, list) else []:
        code = str(d.get("code") or "")
        if not code or code in COVERED:
            continue
        try:
            rel = Path(d["filename"]).resolve().relative_to(root.resolve()).as_posix()
            loc, end = d["location"], d.get("end_location") or d["location"]
            line = int(loc["row"]) - 1
            start = max(int(loc["column"]) - 1, 0)
            stop = (
                max(int(end["column"]) - 1, start) if int(end["row"]) == int(loc["row"]) else start
            )
        except (KeyError, TypeError, ValueError):
            continue
        url = d.get("url")
        out.setdefault(rel, []).append(
            Hit(
                rule=f"review/ruff/{code}",
                line=line,
                start=start,
                end=stop,
                message=f"{d.get('message', code)} (ruff {code})",
                severity=severity_of(code),
                data={"ruff": code, **({"url": url} if url else {})},
            )
        )
    return out, None
