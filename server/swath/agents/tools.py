"""The read-only workspace tools a model agent may call.

There is deliberately no tool that writes, executes or fetches: an instruction planted in
a repository file ("run rm -rf /", "read ../../etc/passwd") can at most make the model
ask for a tool that does not exist or a path that is refused. Every path goes through
`Workspace.resolve` (no absolute paths, no `..` escapes, no symlinks leaving the
workspace, the deny list), every result through secret redaction and a size cap, and
every call is reported to the audit log with its arguments and result size.
"""

from __future__ import annotations

import ast
import asyncio
import copy
import logging
import re
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pathspec
import re2
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from swath.agents.base import ToolCall
from swath.agents.deny_gate import DenyGate
from swath.agents.redaction import Redactor
from swath.agents.tool_names import TOOL_NAMES as TOOL_NAMES
from swath.findings.wording import plural
from swath.workspace import PathRefused, Workspace
from swath.workspace.regular_files import (
    FileTooLarge,
    NotARegularFile,
    file_kind,
    read_regular_file,
)
from swath.workspace.workspace import exclude_pathspecs

if TYPE_CHECKING:  # the SDK's types only: offline commands never import the SDK
    from anthropic.types import ToolParam

log = logging.getLogger(__name__)


# One size limit for every tool that reads a file, stated in their answers: a file too big
# for read_file is not silently "no matches" for grep.
MAX_FILE_BYTES = 8 * 1024 * 1024
GREP_TIME_LIMIT_S = 10.0
# A tool call that is still running after this is answered with an error; the agent goes on.
TOOL_TIME_LIMIT_S = 30.0
READ_DEFAULT_LINES = 400
_SAFE_REV = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/~^@{}:\-]{0,199}$")


class ToolError(Exception):
    """A refusal or failure the model should read (it becomes an error tool_result)."""


# -- arguments ---------------------------------------------------------------------------
class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReadFileArgs(_Args):
    path: str = Field(description="Workspace-relative path of the file.")
    start_line: int = Field(default=1, ge=1, description="First line to return (1-based).")
    end_line: int | None = Field(
        default=None,
        ge=1,
        description=f"Last line to return (inclusive); default start_line + {READ_DEFAULT_LINES - 1}.",
    )


class ListDirArgs(_Args):
    path: str = Field(default=".", description="Workspace-relative directory.")


class GlobArgs(_Args):
    pattern: str = Field(description="gitignore-style glob, e.g. `src/**/*.py` or `*.md`.")
    path: str = Field(default=".", description="Directory to search under.")


class GrepArgs(_Args):
    pattern: str = Field(
        description="Regular expression (RE2 syntax: no backreferences or lookaround), "
        "searched line by line."
    )
    path: str = Field(default=".", description="File or directory to search under.")
    glob: str | None = Field(
        default=None, description="Only files matching this gitignore-style glob."
    )
    ignore_case: bool = False
    max_results: int = Field(default=100, ge=1, le=500)


class GitLogArgs(_Args):
    path: str | None = Field(default=None, description="Only commits touching this path.")
    max_count: int = Field(default=20, ge=1, le=200)


class GitBlameArgs(_Args):
    path: str
    start_line: int = Field(default=1, ge=1)
    end_line: int | None = Field(default=None, ge=1)


class GitDiffArgs(_Args):
    base: str | None = Field(
        default=None, description="Revision to diff against (default: the index / HEAD)."
    )
    path: str | None = Field(default=None, description="Limit the diff to this path.")
    staged: bool = Field(default=False, description="Diff the staged changes.")


class SymbolsArgs(_Args):
    path: str


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    args: type[_Args]


SPECS: dict[str, ToolSpec] = {
    s.name: s
    for s in (
        ToolSpec(
            "read_file",
            "Read a text file of the workspace, with line numbers. Use line ranges for big files.",
            ReadFileArgs,
        ),
        ToolSpec(
            "list_dir",
            "List a directory of the workspace (files and subdirectories, .gitignore honoured).",
            ListDirArgs,
        ),
        ToolSpec("glob", "Find files by glob pattern (.gitignore honoured).", GlobArgs),
        ToolSpec(
            "grep",
            "Search file contents with a regular expression; returns path:line: text "
            f"(.gitignore honoured, binaries and files over {MAX_FILE_BYTES // 2**20} MB "
            "skipped and counted).",
            GrepArgs,
        ),
        ToolSpec(
            "git_log",
            "Recent commits (short hash, date, author, subject), optionally for one path.",
            GitLogArgs,
        ),
        ToolSpec(
            "git_blame", "Who last changed each line of a file, and in which commit.", GitBlameArgs
        ),
        ToolSpec(
            "git_diff",
            "Unified diff of the working tree against a revision (default: uncommitted changes).",
            GitDiffArgs,
        ),
        ToolSpec(
            "symbols",
            "Outline of a source file: classes, functions and methods with their lines.",
            SymbolsArgs,
        ),
    )
}


def tool_definitions(names: Sequence[str]) -> list[ToolParam]:
    """API tool definitions, in a stable order so every agent of a step shares the prefix."""
    return copy.deepcopy(_definitions(tuple(sorted(set(names)))))


@lru_cache(maxsize=64)
def _definitions(names: tuple[str, ...]) -> list[ToolParam]:
    out: list[ToolParam] = []
    for name in names:
        spec = SPECS[name]
        schema = spec.args.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        out.append({"name": name, "description": spec.description, "input_schema": schema})
    return out


# -- shared caches -------------------------------------------------------------------------
class FileCache:
    """Redacted file texts and file listings shared by the agents of a run.

    Sixteen agents reading the same module should not redact it sixteen times; entries
    are keyed by (path, mtime, size) so an edited file is read afresh.
    """

    def __init__(self, max_files: int = 256, listing_ttl_s: float = 5.0) -> None:
        self._texts: OrderedDict[tuple[str, str, int, int], list[str]] = OrderedDict()
        self._listings: dict[str, tuple[float, list[str]]] = {}
        self._gates: dict[tuple[str, tuple[str, ...]], DenyGate] = {}
        self._max = max_files
        self._ttl = listing_ttl_s
        self._lock = threading.Lock()

    def redacted_lines(self, workspace: Workspace, rel: str, redactor: Redactor) -> list[str]:
        full = workspace.resolve(rel)
        if full.is_dir():
            raise ToolError(f"{rel}: is a directory; use list_dir")
        st = full.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ToolError(f"{rel}: {file_kind(st.st_mode)}, not a file; no tool reads it")
        if st.st_size > MAX_FILE_BYTES:
            raise ToolError(
                f"{rel}: too large ({st.st_size:,} bytes; tools read files up to "
                f"{MAX_FILE_BYTES:,} bytes, grep included); look at smaller files around it"
            )
        key = (str(workspace.root), rel, st.st_mtime_ns, st.st_size)
        with self._lock:
            hit = self._texts.get(key)
            if hit is not None:
                self._texts.move_to_end(key)
                return hit
        try:
            data = read_regular_file(full, MAX_FILE_BYTES)
        except (NotARegularFile, FileTooLarge) as exc:  # swapped since the stat above
            raise ToolError(f"{rel}: {exc}") from None
        if Workspace.looks_binary(data):
            raise ToolError(f"{rel}: binary file")
        lines = redactor.redact(data.decode("utf-8", errors="replace"), rel).split("\n")
        with self._lock:
            self._texts[key] = lines
            while len(self._texts) > self._max:
                self._texts.popitem(last=False)
        return lines

    def gate(
        self, workspace: Workspace, denied: Callable[[str], bool], patterns: tuple[str, ...]
    ) -> DenyGate:
        """One deny gate per workspace and deny list, shared by the run's agents."""
        key = (str(workspace.root), patterns)
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = DenyGate(workspace, denied)
            return gate

    def files(self, workspace: Workspace) -> list[str]:
        key = str(workspace.root)
        now = time.monotonic()
        with self._lock:
            hit = self._listings.get(key)
            if hit is not None and now - hit[0] < self._ttl:
                return hit[1]
        files = workspace.list_files()
        with self._lock:
            self._listings[key] = (now, files)
        return files


# -- the toolbox ---------------------------------------------------------------------------
class ToolBox:
    """The tools of one agent: the names it may call, bound to one workspace."""

    def __init__(
        self,
        workspace: Workspace,
        redactor: Redactor,
        names: Sequence[str],
        *,
        audit: Callable[[ToolCall], None] = lambda call: None,
        extra_deny: Sequence[str] = (),
        max_result_chars: int = 20_000,
        cache: FileCache | None = None,
    ) -> None:
        unknown = [n for n in names if n not in SPECS]
        if unknown:
            raise ValueError(f"unknown tools {unknown}; available: {', '.join(TOOL_NAMES)}")
        self.workspace = workspace
        self.redactor = redactor
        self.names = tuple(sorted(set(names)))
        self.audit = audit
        self._extra_patterns = tuple(extra_deny)
        self._extra_deny = (
            pathspec.GitIgnoreSpec.from_lines(list(extra_deny)) if extra_deny else None
        )
        self.max_result_chars = max_result_chars
        self.cache = cache or FileCache()
        self.gate = self.cache.gate(workspace, self._denied, self._extra_patterns)
        self.withheld = 0  # pieces of denied files the gate took out of results
        self.files_read: set[str] = set()
        self.calls = 0

    def definitions(self) -> list[ToolParam]:
        return tool_definitions(self.names)

    # -- dispatch ------------------------------------------------------------------
    async def call(self, name: str, arguments: Any) -> tuple[str, bool]:
        """Run one tool call; returns (text for the tool_result, is_error). Never raises."""
        self.calls += 1
        started = time.perf_counter()
        args = arguments if isinstance(arguments, dict) else {"_": arguments}
        ok = False
        text = ""
        error: str | None = None
        try:
            if name not in self.names:
                offered = ", ".join(self.names) or "none"
                raise ToolError(
                    f"unknown tool {name!r}: this agent can only read the workspace with: {offered}. "
                    "There is no tool to write files, run commands or access the network."
                )
            text = await asyncio.wait_for(
                asyncio.to_thread(self._run, name, args), TOOL_TIME_LIMIT_S
            )
            ok = True
        except TimeoutError:
            error = (
                f"{name} did not finish within {TOOL_TIME_LIMIT_S:.0f}s; "
                "narrow the path or the pattern"
            )
        except ToolError as exc:
            error = str(exc)
        except ValidationError as exc:
            error = "invalid arguments: " + "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
            )
        except PathRefused as exc:
            error = f"refused: {exc}"
        except FileNotFoundError as exc:
            error = f"not found: {exc}"
        except (OSError, RuntimeError, ValueError, SyntaxError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a bug in a tool fails the call, not the agent
            log.exception("tool %s failed", name)
            error = f"internal error in {name}: {type(exc).__name__}"
        # Off the event loop: the gate may walk the workspace, redaction is CPU work.
        result = self._cap(
            await asyncio.to_thread(self._outgoing, text if ok else f"Error: {error}")
        )
        self.audit(
            ToolCall(
                tool=name,
                arguments=args,
                ok=ok,
                result_chars=len(result),
                error=error,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
            )
        )
        return result, not ok

    def _outgoing(self, text: str) -> str:
        """Every result, whatever the tool, on its way out: pieces of denied files withheld,
        then secrets redacted (the tools redact what they read; this holds for all of them,
        error messages included, however a tool came by its text)."""
        text, hits = self.gate.scrub(text)
        self.withheld += hits
        return self.redactor.redact(text)

    def _run(self, name: str, raw: dict[str, Any]) -> str:
        spec = SPECS[name]
        args = spec.args.model_validate(raw)
        handler: Callable[[Any], str] = getattr(self, f"_t_{name}")
        return handler(args)

    def _cap(self, text: str) -> str:
        if len(text) <= self.max_result_chars:
            return text
        return (
            text[: self.max_result_chars]
            + f"\n[... output cut at {self.max_result_chars} characters; narrow the request ...]"
        )

    # -- paths -----------------------------------------------------------------------
    def _denied(self, rel: str) -> bool:
        return self.workspace.is_denied(rel) or (
            self._extra_deny is not None and self._extra_deny.match_file(rel)
        )

    def _resolve(self, path: str, *, must_exist: bool = True) -> str:
        """The workspace-relative form of `path` after every sandbox check."""
        full = self.workspace.resolve(path, must_exist=must_exist)
        rel = full.relative_to(self.workspace.root).as_posix()
        if self._extra_deny is not None and rel != "." and self._extra_deny.match_file(rel):
            raise PathRefused(f"{path}: on the deny list")
        return rel

    def _files_under(self, rel_dir: str) -> list[str]:
        files = self.cache.files(self.workspace)
        if rel_dir in (".", ""):
            scoped = files
        else:
            prefix = rel_dir.rstrip("/") + "/"
            scoped = [f for f in files if f == rel_dir or f.startswith(prefix)]
        if self._extra_deny is None:
            return scoped
        return [f for f in scoped if not self._extra_deny.match_file(f)]

    # -- tools ---------------------------------------------------------------------------
    def _t_read_file(self, a: ReadFileArgs) -> str:
        rel = self._resolve(a.path)
        lines = self.cache.redacted_lines(self.workspace, rel, self.redactor)
        if lines and lines[-1] == "":
            lines = lines[:-1]  # the newline that ends the last line does not start another
        total = len(lines)
        self.files_read.add(rel)
        if total == 0:
            return f"{rel}: empty file"
        start = min(a.start_line, total)
        end = min(a.end_line or start + READ_DEFAULT_LINES - 1, total)
        if end < start:
            raise ToolError(f"end_line {end} is before start_line {start}")
        body: list[str] = []
        size = 0
        shown_end = start - 1
        for n in range(start, end + 1):
            row = f"{n:>6}\t{lines[n - 1]}"
            size += len(row) + 1
            if size > self.max_result_chars - 200 and body:
                break
            body.append(row)
            shown_end = n
        head = f"{rel} (lines {start}-{shown_end} of {total})"
        more = (
            f"\n[... more lines: call read_file with start_line={shown_end + 1}]"
            if shown_end < total
            else ""
        )
        return head + "\n" + "\n".join(body) + more

    def _t_list_dir(self, a: ListDirArgs) -> str:
        rel = self._resolve(a.path)
        full = self.workspace.root / rel
        if not full.is_dir():
            raise ToolError(f"{a.path}: not a directory")
        prefix = "" if rel == "." else rel + "/"
        dirs: dict[str, int] = {}
        files: list[str] = []
        for f in self._files_under(rel):
            rest = f[len(prefix) :]
            head, sep, _ = rest.partition("/")
            if sep:
                dirs[head] = dirs.get(head, 0) + 1
            else:
                files.append(head)
        entries = [f"{d}/  ({n} files)" for d, n in sorted(dirs.items())] + sorted(files)
        if not entries:
            return f"{rel}: empty (or everything in it is ignored or denied)"
        shown = entries[:500]
        tail = f"\n[... {len(entries) - 500} more entries]" if len(entries) > 500 else ""
        return f"{rel}/\n" + self._names("\n".join(shown)) + tail

    def _t_glob(self, a: GlobArgs) -> str:
        rel = self._resolve(a.path)
        spec = pathspec.GitIgnoreSpec.from_lines([a.pattern])
        base = "" if rel == "." else rel + "/"
        matches = [f for f in self._files_under(rel) if spec.match_file(f[len(base) :])]
        if not matches:
            return f"no files match {a.pattern!r} under {rel}"
        tail = f"\n[... {len(matches) - 1000} more]" if len(matches) > 1000 else ""
        return self._names("\n".join(matches[:1000])) + tail

    def _t_grep(self, a: GrepArgs) -> str:  # noqa: C901 - argument checks, then one scan under its budgets
        rx = compile_grep_pattern(a.pattern, a.ignore_case)
        rel = self._resolve(a.path)
        files = [rel] if (self.workspace.root / rel).is_file() else self._files_under(rel)
        if a.glob:
            spec = pathspec.GitIgnoreSpec.from_lines([a.glob])
            files = [f for f in files if spec.match_file(f)]
        out: list[str] = []
        size = 0
        skipped: dict[str, list[str]] = {}
        deadline = time.monotonic() + GREP_TIME_LIMIT_S
        stopped = ""
        for f in files:
            if len(out) >= a.max_results:
                stopped = f"stopped at {a.max_results} matches"
                break
            if size > self.max_result_chars:
                stopped = f"stopped at {self.max_result_chars:,} characters of output"
                break
            if time.monotonic() > deadline:
                stopped = f"stopped after {GREP_TIME_LIMIT_S:.0f}s; narrow the path or pattern"
                break
            if self._denied(f):
                continue
            try:
                data = read_regular_file(self.workspace.root / f, MAX_FILE_BYTES)
            except FileTooLarge:
                skipped.setdefault(f"over the {MAX_FILE_BYTES // 2**20} MB limit", []).append(f)
                continue
            except OSError:  # gone, unreadable, or a pipe/device swapped in: nothing to search
                continue
            if Workspace.looks_binary(data):
                continue
            if rx.search(data.decode("utf-8", errors="replace")) is None:
                continue
            # Match again on the redacted text: a secret must not be findable character by
            # character through yes/no answers to ever narrower patterns.
            try:
                lines = self.cache.redacted_lines(self.workspace, f, self.redactor)
            except (ToolError, PathRefused, OSError):
                continue
            for n, line in enumerate(lines, start=1):
                if rx.search(line):
                    row = f"{self._names(f)}:{n}: {line[:400]}"
                    out.append(row)
                    size += len(row) + 1
                    if len(out) >= a.max_results:
                        break
        notes = [f"[... {stopped}]"] if stopped else []
        for why, names in skipped.items():
            shown = ", ".join(self._names(n) for n in names[:5])
            more = f" and {len(names) - 5} more" if len(names) > 5 else ""
            notes.append(f"[{plural(len(names), 'file')} {why} not searched: {shown}{more}]")
        body = "\n".join(out) if out else f"no matches for {a.pattern!r} under {rel}"
        return "\n".join([body, *notes])

    def _names(self, text: str) -> str:
        """Paths as shown to the model: a secret in a file name is redacted like one inside."""
        return self.redactor.redact(text)

    def _require_git(self) -> None:
        if not self.workspace.is_git():
            raise ToolError("the workspace is not a git repository")

    def _t_git_log(self, a: GitLogArgs) -> str:
        self._require_git()
        cmd = [
            "log",
            f"-n{a.max_count}",
            "--date=short",
            "--format=%h%x09%ad%x09%an%x09%s",
            "--no-color",
            "--",
        ]
        if a.path:
            cmd.append(self._resolve(a.path, must_exist=False))
        out = self.workspace.git(*cmd, check=False).strip()
        return self.redactor.redact(out) if out else "no commits"

    def _t_git_blame(self, a: GitBlameArgs) -> str:
        self._require_git()
        rel = self._resolve(a.path)
        blame = self.workspace.blame(rel)
        if not blame:
            return f"{rel}: no blame (untracked or empty)"
        lines = self.cache.redacted_lines(self.workspace, rel, self.redactor)
        self.files_read.add(rel)
        end = min(a.end_line or a.start_line + 199, len(blame))
        rows = []
        for b in blame[a.start_line - 1 : end]:
            date = time.strftime("%Y-%m-%d", time.gmtime(b.author_time)) if b.author_time else "-"
            text = lines[b.line] if b.line < len(lines) else ""
            commit = b.commit[:10] if b.commit.strip("0") else "uncommitted"
            rows.append(f"{b.line + 1:>6} {commit} {date} {self.redactor.redact(b.author)}\t{text}")
        return "\n".join(rows) if rows else f"{rel}: lines out of range"

    def _t_git_diff(self, a: GitDiffArgs) -> str:
        self._require_git()
        # --relative: only changes inside the workspace, named relative to it (a workspace in a
        # subfolder of a repository would otherwise see, and send, the whole repository's diff).
        revs = ["--relative"]
        if a.staged:
            revs.append("--cached")
        if a.base:
            # A revision starting with '-' would be read as an option (`--output=...` writes files).
            if not _SAFE_REV.match(a.base):
                raise ToolError(f"refused revision {a.base!r}")
            revs.append(a.base)
        scope = [f":(literal){self._resolve(a.path, must_exist=False)}"] if a.path else ["."]
        # Denied files are left out by git itself, through exclude pathspecs; the NUL-separated
        # name list (unambiguous whatever the path holds) catches what a pattern cannot say.
        excludes = self.workspace.deny_pathspecs() + exclude_pathspecs(self._extra_patterns)
        names = self.workspace.git(
            "diff", "--name-only", "-z", "--no-renames", *revs, "--", *scope, check=False
        )
        denied = sorted({n for n in names.split("\0") if n and self._denied(n)})
        excludes += [f":(exclude,literal){n}" for n in denied]
        cmd = ["diff", "--no-color", "--no-ext-diff", "--no-textconv", *revs]
        out = self.workspace.git(*cmd, "--", *scope, *excludes, check=False)
        text = self.redactor.redact(out) if out.strip() else "no differences"
        if denied:
            text += f"\n[{plural(len(denied), 'changed file')} on the deny list withheld]"
        return text

    def _t_symbols(self, a: SymbolsArgs) -> str:
        rel = self._resolve(a.path)
        lines = self.cache.redacted_lines(self.workspace, rel, self.redactor)
        self.files_read.add(rel)
        text = "\n".join(lines)
        if rel.endswith((".py", ".pyi")):
            try:
                outline = python_outline(text)
            except SyntaxError as exc:
                outline = [
                    f"(syntax error at line {exc.lineno}; regex outline follows)"
                ] + regex_outline(text)
        else:
            outline = regex_outline(text)
        return f"{rel}\n" + ("\n".join(outline) if outline else "(no symbols found)")


# -- grep patterns -------------------------------------------------------------------------
def compile_grep_pattern(pattern: str, ignore_case: bool) -> Any:
    """An RE2 program for `pattern`: linear time whatever the pattern (`(a+)+$` included).

    Python's `re` backtracks, holding the GIL, so one hostile pattern froze the whole
    process, timeouts and signals included; RE2 has no backtracking to exploit.
    """
    if len(pattern) > 500:
        raise ToolError("pattern too long (500 characters at most)")
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not ignore_case
    options.max_mem = 64 * 2**20
    try:
        return re2.compile("(?m)" + pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ToolError(
            f"invalid regular expression: {reason} (grep uses RE2 syntax: no backreferences "
            "or lookaround)"
        ) from None


# -- outlines ------------------------------------------------------------------------------
def python_outline(source: str) -> list[str]:
    tree = ast.parse(source)
    out: list[str] = []

    def sig(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        try:
            args = ast.unparse(fn.args)
        except Exception:  # pragma: no cover - unparse is total on parsed trees
            args = "..."
        ret = f" -> {ast.unparse(fn.returns)}" if fn.returns is not None else ""
        prefix = "async def" if isinstance(fn, ast.AsyncFunctionDef) else "def"
        return f"{prefix} {fn.name}({args}){ret}"

    def visit(body: list[ast.stmt], depth: int) -> None:
        pad = "  " * depth
        for node in body:
            span = f"L{node.lineno}-{getattr(node, 'end_lineno', node.lineno)}"
            if isinstance(node, ast.ClassDef):
                bases = ", ".join(ast.unparse(b) for b in node.bases)
                out.append(
                    f"{pad}class {node.name}({bases})  {span}"
                    if bases
                    else f"{pad}class {node.name}  {span}"
                )
                visit(node.body, depth + 1)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append(f"{pad}{sig(node)}  {span}")
            elif depth == 0 and isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if names:
                    out.append(f"{pad}{', '.join(names)}  L{node.lineno}")
            elif depth == 0 and isinstance(node, (ast.Import, ast.ImportFrom)):
                mod = getattr(node, "module", None)
                imported = ", ".join(a.name for a in node.names)
                out.append(f"{pad}import {mod + ': ' if mod else ''}{imported}  L{node.lineno}")

    visit(tree.body, 0)
    return out


_OUTLINE_PATTERNS = [
    re.compile(
        r"^\s*(?:export\s+)?(?:default\s+)?(?:abstract\s+)?(?:class|interface|enum|trait|struct|module|type)\s+([A-Za-z_$][\w$]*)"
    ),
    re.compile(r"^\s*(?:export\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)"),
    re.compile(
        r"^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)\s*=>"
    ),
    re.compile(r"^\s*func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)"),  # Go
    re.compile(
        r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+([A-Za-z_]\w*)"
    ),  # Rust
    re.compile(r"^\s*(?:pub\s+)?impl(?:<[^>]*>)?\s+([A-Za-z_][\w:<>, ]*)"),
    re.compile(r"^\s*def\s+([A-Za-z_]\w*[?!]?)"),  # Ruby, Python fallback
    re.compile(
        r"^\s*(?:public|private|protected|internal|static|final|override|virtual|async|\s)+"
        r"[\w<>\[\],.? ]+\s+([A-Za-z_]\w*)\s*\([^;]*$"
    ),  # Java / C# / Kotlin-ish methods
]


def regex_outline(text: str) -> list[str]:
    out = []
    for n, line in enumerate(text.split("\n"), start=1):
        if len(line) > 300:
            continue
        for rx in _OUTLINE_PATTERNS:
            m = rx.match(line)
            if m:
                out.append(f"L{n}: {line.strip()[:160]}")
                break
        if len(out) >= 500:
            out.append("[... more symbols not shown]")
            break
    return out
