"""ruff over the changed Python files: one process for all of them and every pass.

ruff is a dependency (its PyPI wheel ships the binary). It runs from the workspace root
with the project's own configuration, so `target-version` / `requires-python`,
`per-file-ignores`, `exclude` (with `--force-exclude`) and `# noqa` are ruff's to apply.
Two things a command line `--select` would lose are applied here: the rules the project
`ignore`s stay off, and the rules it `select`s in a pass's family join that pass (the
project keeps its code clean of them, so a new one is news).

ruff's parser knows the syntax of every Python version, unlike the interpreter running
Swath: a file is reported as not parsing only when ruff says so, and syntax newer than the
project's target version is a warning about the target, not an error.

The result is kept per (files, their sizes and mtimes, settings), so the five passes of
one review share one ruff run.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import threading
import tomllib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swath.analyzers.review_passes import RUFF, ruff_pass, selector_matches
from swath.analyzers.review_python import default_only_read
from swath.analyzers.review_rules import Hit
from swath.analyzers.sourcetext import split_lines
from swath.findings.model import Severity

log = logging.getLogger(__name__)

TIMEOUT_S = 60
CONFIG_FILES = (".ruff.toml", "ruff.toml", "pyproject.toml")
UNSUPPORTED = re.compile(r"^Cannot use .+ on Python (?P<target>\d+\.\d+)")
SYNTAX_ERROR = "review/correctness/syntax-error"
UNSUPPORTED_SYNTAX = "review/correctness/unsupported-syntax"


def ruff_command(setting: Any) -> list[str] | None:
    """`auto`: the ruff that came with Swath (or the one on PATH); `off`: none; else a path."""
    if setting in ("off", "false", "no", False):
        return None
    if setting and setting not in ("auto", True):
        return [str(setting)]
    try:
        from ruff.__main__ import find_ruff_bin

        return [os.fsdecode(find_ruff_bin())]
    except (ImportError, FileNotFoundError):
        from shutil import which

        exe = which("ruff")
        return [exe] if exe else None


@dataclass(frozen=True)
class ProjectRuff:
    """The parts of the project's ruff configuration a `--select` on the command line drops."""

    ignore: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    target: str | None = None  # from requires-python, for the run without the config
    source: str | None = None


def _lint_table(data: dict[str, Any]) -> dict[str, Any]:
    lint = dict(data.get("lint") or {})
    for key in ("ignore", "extend-ignore", "select", "extend-select"):
        if key in data and key not in lint:
            lint[key] = data[key]
    return lint


def project_ruff(root: Path) -> ProjectRuff:
    target = None
    for name in CONFIG_FILES:
        path = root / name
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if name == "pyproject.toml":
            rp = str(data.get("project", {}).get("requires-python") or "")
            m = re.search(r">=?\s*3\.(\d+)", rp)
            target = f"py3{m.group(1)}" if m else None
            data = data.get("tool", {}).get("ruff")
            if data is None:
                continue
        lint = _lint_table(data)
        return ProjectRuff(
            ignore=tuple(lint.get("ignore") or ()) + tuple(lint.get("extend-ignore") or ()),
            select=tuple(lint.get("select") or ()) + tuple(lint.get("extend-select") or ()),
            target=str(data.get("target-version") or target or "") or None,
            source=name,
        )
    return ProjectRuff(target=target, source="pyproject.toml requires-python" if target else None)


def selection(project: ProjectRuff) -> list[str]:
    chosen = [s for sels in RUFF.values() for s in sels]
    chosen += [s for s in project.select if s != "ALL" and ruff_pass(s) and s not in chosen]
    return chosen


def severity_of(code: str) -> Severity:
    if code.startswith(("PERF", "PT", "TRY")):
        return Severity.information
    return Severity.warning


@dataclass
class RuffResult:
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    problem: str | None = None  # why ruff gave nothing, when it did not run


def _run(command: list[str], root: Path, paths: list[str], project: ProjectRuff) -> RuffResult:
    base = [
        *command,
        "check",
        "--no-cache",
        "--exit-zero",
        "--force-exclude",
        "--output-format",
        "json",
        "--select",
        ",".join(selection(project)),
    ]
    attempts = [
        base,
        [*base, "--isolated", *(["--target-version", project.target] if project.target else [])],
    ]
    problem = None
    for args in attempts:
        try:
            proc = subprocess.run(
                [*args, "--", *paths], cwd=root, capture_output=True, text=True, timeout=TIMEOUT_S
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return RuffResult(problem=f"ruff did not run: {exc}")
        if proc.returncode == 0:
            try:
                return RuffResult(hits=_parse(proc.stdout, root, project))
            except (json.JSONDecodeError, TypeError):
                return RuffResult(problem="ruff printed no JSON")
        # The project's configuration may be for another ruff: once more without it.
        problem = f"ruff failed ({proc.returncode}): {proc.stderr.strip()[:300]}"
        log.info("%s", problem)
    return RuffResult(problem=problem)


def _parse(stdout: str, root: Path, project: ProjectRuff) -> dict[str, list[Hit]]:
    out: dict[str, list[Hit]] = {}
    resolved = root.resolve()
    for d in json.loads(stdout or "[]"):
        code = str(d.get("code") or "invalid-syntax")
        if any(selector_matches(s, code) for s in project.ignore):
            continue
        try:
            rel = Path(d["filename"]).resolve().relative_to(resolved).as_posix()
            loc, end = d["location"], d.get("end_location") or d["location"]
            line = int(loc["row"]) - 1
            start = max(int(loc["column"]) - 1, 0)
            same = int(end["row"]) == int(loc["row"])
            stop = max(int(end["column"]) - 1, start) if same else start
        except (KeyError, TypeError, ValueError):
            continue
        message = str(d.get("message") or code)
        if code == "F821" and NEWER_BUILTIN in message and _version_guarded(root / rel, line):
            continue
        if code in ("S502", "S503") and NEGOTIATE.search(message):
            continue
        if code == "B006" and _default_only_read(root / rel, line):
            continue
        if code == "invalid-syntax":
            hit = _syntax_hit(message, line, start, stop, project)
        else:
            url = d.get("url")
            hit = Hit(
                rule=f"ruff/{code}",
                line=line,
                start=start,
                end=stop,
                message=f"{message} (ruff {code})",
                severity=severity_of(code),
                data={"ruff": code, **({"url": url} if url else {})},
            )
        out.setdefault(rel, []).append(hit)
    return out


# ruff's F821 message for a name that a newer Python has as a builtin (ExceptionGroup, …).
NEWER_BUILTIN = "Consider specifying `requires-python"
GUARD = re.compile(r"\s*(?:(?:el)?if\b.*\bversion_info\b|try\s*:)")


# `SSLv23_METHOD` / `PROTOCOL_SSLv23` is the historical name of "negotiate the best TLS
# version" (pyOpenSSL, ssl), not SSL 2 or 3; ruff's S502/S503 read the name.
NEGOTIATE = re.compile(r"SSLv23")


def _default_only_read(path: Path, line: int) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return default_only_read(path.name, split_lines(text), line)


def _version_guarded(path: Path, line: int) -> bool:
    """Whether the line is inside an `if sys.version_info …:` or `try:` block: code that
    uses a newer builtin behind such a guard is how a project supports both versions."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    if line >= len(lines):
        return False
    indent = len(lines[line]) - len(lines[line].lstrip())
    for n in range(line - 1, -1, -1):
        text = lines[n]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        depth = len(text) - len(text.lstrip())
        if depth < indent:  # an enclosing block's header
            if GUARD.match(text):
                return True
            indent = depth
            if depth == 0:
                return False
    return False


def _syntax_hit(message: str, line: int, start: int, stop: int, project: ProjectRuff) -> Hit:
    m = UNSUPPORTED.match(message)
    if m:  # valid Python, only not on the version the project says it supports
        return Hit(
            UNSUPPORTED_SYNTAX,
            line,
            start,
            stop,
            f"{message}; the project targets Python {m.group('target')} "
            f"({project.source or 'ruff default'}): raise its target version or avoid this syntax.",
        )
    return Hit(
        SYNTAX_ERROR,
        line,
        start,
        stop,
        f"The file no longer parses: {message} (ruff's parser).",
        data={"anywhere": True},
    )


_memo: OrderedDict[tuple[Any, ...], RuffResult] = OrderedDict()
_memo_lock = threading.Lock()
_key_locks: dict[tuple[Any, ...], threading.Lock] = {}
MEMO_SIZE = 16


def _stamp(root: Path, rel: str) -> tuple[str, int, int]:
    try:
        st = (root / rel).stat()
        return rel, st.st_mtime_ns, st.st_size
    except OSError:
        return rel, -1, -1


def ruff_hits(command: list[str], root: Path, paths: list[str]) -> RuffResult:
    """ruff's hits per workspace-relative path (shared by every pass looking at the same files)."""
    if not paths:
        return RuffResult()
    config = tuple(_stamp(root, n) for n in CONFIG_FILES)
    key = (str(root), tuple(command), tuple(_stamp(root, p) for p in sorted(paths)), config)
    with _memo_lock:
        if key in _memo:
            _memo.move_to_end(key)
            return _memo[key]
        lock = _key_locks.setdefault(key, threading.Lock())
    with lock:  # the other passes wait for the first one's run instead of starting their own
        with _memo_lock:
            if key in _memo:
                return _memo[key]
        result = _run(command, root, sorted(paths), project_ruff(root))
        with _memo_lock:
            _memo[key] = result
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)
            _key_locks.pop(key, None)
    return result
