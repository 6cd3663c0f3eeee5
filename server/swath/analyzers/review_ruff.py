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

The result is kept per (files, their sizes and mtimes, settings, added lines): given every
Python file of the step (`AnalyzerContext.step_items`), every batch of every pass of one
review shares one ruff run.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from swath.analyzers.review_passes import RUFF, ruff_pass, selector_matches
from swath.analyzers.review_python import default_only_read
from swath.analyzers.review_rules import Hit, rule
from swath.analyzers.sourcetext import split_lines
from swath.findings.model import Severity

log = logging.getLogger(__name__)

TIMEOUT_S = 60
CONFIG_FILES = (".ruff.toml", "ruff.toml", "pyproject.toml")
UNSUPPORTED = re.compile(r"^Cannot use .+ on Python (?P<target>\d+\.\d+)")
SYNTAX_ERROR = rule(
    "correctness", "syntax-error", Severity.error, "The changed file no longer parses (ruff)."
)
UNSUPPORTED_SYNTAX = rule(
    "correctness",
    "unsupported-syntax",
    Severity.warning,
    "Valid Python that is newer than the project's target version.",
)


def ruff_command(setting: Any) -> list[str] | None:
    """`auto`: the ruff that came with Swath (or the one on PATH); `off`: none; else a path."""
    if setting in ("off", "false", "no", False):
        return None
    if setting and setting not in ("auto", True):
        return [str(setting)]
    found = _bundled_ruff()
    return list(found) if found else None


@lru_cache(maxsize=1)  # every task of every pass asks; finding it reads sysconfig each time
def _bundled_ruff() -> tuple[str, ...] | None:
    try:
        from ruff.__main__ import find_ruff_bin

        return (os.fsdecode(find_ruff_bin()),)
    except (ImportError, FileNotFoundError):
        from shutil import which

        exe = which("ruff")
        return (exe,) if exe else None


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
        import tomllib  # here: a tree without these files never needs the parser

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


Added = dict[str, frozenset[int]]  # per workspace-relative path, its added lines


@dataclass
class RuffResult:
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    problem: str | None = None  # why ruff gave nothing, when it did not run


def _attempts(command: list[str], project: ProjectRuff) -> list[list[str]]:
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
    # The project's configuration may be for another ruff: once more without it.
    return [
        base,
        [*base, "--isolated", *(["--target-version", project.target] if project.target else [])],
    ]


class RuffJob:
    """One ruff run, started at once and collected when its hits are wanted: the caller
    runs its own checks meanwhile, and ruff has the other core."""

    def __init__(
        self, command: list[str], root: Path, paths: list[str], added: Added | None = None
    ) -> None:
        self.root, self.paths, self.added = root, paths, added
        self.project = project_ruff(root)
        self.attempts = _attempts(command, self.project)
        self._lock = threading.Lock()
        self._result: RuffResult | None = None
        self._proc: subprocess.Popen[str] | None = None
        try:
            self._proc = self._spawn(self.attempts[0])
        except (OSError, subprocess.SubprocessError) as exc:
            self._result = RuffResult(problem=f"ruff did not run: {exc}")

    def _spawn(self, args: list[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*args, "--", *self.paths],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self) -> RuffResult:
        """The hits (the first caller waits for ruff, the others for the first caller)."""
        with self._lock:
            if self._result is None:
                self._result = self._collect()
            return self._result

    def _collect(self) -> RuffResult:
        problem = None
        proc = self._proc
        for args in self.attempts:
            try:
                if proc is None:
                    proc = self._spawn(args)
                try:
                    stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
                    raise
            except (OSError, subprocess.SubprocessError) as exc:
                return RuffResult(problem=f"ruff did not run: {exc}")
            if proc.returncode == 0:
                try:
                    return RuffResult(hits=_parse(stdout, self.root, self.project, self.added))
                except (json.JSONDecodeError, TypeError):
                    return RuffResult(problem="ruff printed no JSON")
            problem = f"ruff failed ({proc.returncode}): {stderr.strip()[:300]}"
            log.info("%s", problem)
            proc = None
        return RuffResult(problem=problem)


def _parse(
    stdout: str, root: Path, project: ProjectRuff, added: Added | None = None
) -> dict[str, list[Hit]]:
    """ruff's diagnostics as hits. With `added`, the second looks that read the file (is a
    B006 default only read, an F821 name version-guarded?) are taken only on added lines:
    a hit elsewhere is dropped by the review anyway, and a class-sized region parsed for
    each of them cost more than the rest of the review's ruff work."""
    out: dict[str, list[Hit]] = {}
    resolved = root.resolve()
    rels: dict[str, str] = {}
    texts: dict[str, list[str]] = {}

    def lines_of(rel: str) -> list[str]:
        if rel not in texts:
            try:
                text = (root / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = None
            texts[rel] = split_lines(text) if text is not None else []
        return texts[rel]

    for d in json.loads(stdout or "[]"):
        code = str(d.get("code") or "invalid-syntax")
        if any(selector_matches(s, code) for s in project.ignore):
            continue
        try:
            name = d["filename"]
            if name not in rels:
                rels[name] = Path(name).resolve().relative_to(resolved).as_posix()
            rel = rels[name]
            loc, end = d["location"], d.get("end_location") or d["location"]
            line = int(loc["row"]) - 1
            start = max(int(loc["column"]) - 1, 0)
            same = int(end["row"]) == int(loc["row"])
            stop = max(int(end["column"]) - 1, start) if same else start
        except (KeyError, TypeError, ValueError):
            continue
        message = str(d.get("message") or code)
        look = added is None or line in added.get(rel, ())
        if (
            look
            and code == "F821"
            and NEWER_BUILTIN in message
            and _version_guarded(lines_of(rel), line)
        ):
            continue
        if code in ("S502", "S503") and NEGOTIATE.search(message):
            continue
        if look and code == "B006" and _default_only_read(rel, lines_of(rel), line):
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


def _default_only_read(rel: str, lines: list[str], line: int) -> bool:
    return bool(lines) and default_only_read(Path(rel).name, lines, line)


def _version_guarded(lines: list[str], line: int) -> bool:
    """Whether the line is inside an `if sys.version_info …:` or `try:` block: code that
    uses a newer builtin behind such a guard is how a project supports both versions."""
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
            UNSUPPORTED_SYNTAX.id,
            line,
            start,
            stop,
            f"{message}; the project targets Python {m.group('target')} "
            f"({project.source or 'ruff default'}): raise its target version or avoid this syntax.",
        )
    return Hit(
        SYNTAX_ERROR.id,
        line,
        start,
        stop,
        f"The file no longer parses: {message} (ruff's parser).",
        anywhere=True,
    )


_memo: OrderedDict[tuple[Any, ...], RuffJob] = OrderedDict()
_memo_lock = threading.Lock()
MEMO_SIZE = 16


def _stamp(root: Path, rel: str) -> tuple[str, int, int]:
    try:
        st = os.stat(f"{root}/{rel}")  # a string, not a Path: every task stamps every file
        return rel, st.st_mtime_ns, st.st_size
    except OSError:
        return rel, -1, -1


def _start(command: list[str], root: Path, paths: list[str], added: Added | None) -> RuffJob:
    return RuffJob(command, root, paths, added)


def ruff_start(
    command: list[str], root: Path, paths: list[str], added: Added | None = None
) -> RuffJob | None:
    """ruff's run over these files, started now, or the one already started or done for them
    (every pass looking at the same files shares one); None without files. `added`: the
    added lines per path, where the hits that matter are (see `_parse`)."""
    if not paths:
        return None
    config = tuple(_stamp(root, n) for n in CONFIG_FILES)
    lines = tuple(sorted(added.items())) if added is not None else None
    key = (str(root), tuple(command), tuple(_stamp(root, p) for p in sorted(paths)), config, lines)
    with _memo_lock:
        job = _memo.get(key)
        if job is None:
            job = _memo[key] = _start(command, root, sorted(paths), added)
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)
        else:
            _memo.move_to_end(key)
    return job


def ruff_hits(
    command: list[str], root: Path, paths: list[str], added: Added | None = None
) -> RuffResult:
    """ruff's hits per workspace-relative path (shared by every pass looking at the same files)."""
    job = ruff_start(command, root, paths, added)
    return job.result() if job is not None else RuffResult()
