"""`diff`: one item per changed file (or per hunk) of `git diff`, with its added lines.

What is compared: the working tree (staged and unstaged changes alike) against HEAD, or,
with `base`, against the merge base of `base` and HEAD — what a reviewer of the branch
sees, without the commits that landed on `base` since the branch was cut (those would
otherwise show up reversed, as if this branch had added them). Untracked files that git
does not ignore count as added in full (option `untracked`).

Line numbers are those of the working-tree file, zero-based, split the way the LSP and
the evidence verifier split lines (`\\r\\n`, `\\r` and `\\n`), so the analyzers can read
the file and look at exactly the added lines.

The diff is parsed with `unidiff` from `git diff -U0 --no-color --no-ext-diff
--no-textconv -M`: renames (with or without edits), deleted and binary files, mode-only
changes and C-quoted paths are handled; submodules are skipped, and so are paths on the
workspace's deny list (their contents are not handed out).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from unidiff.patch import PatchedFile, PatchSet

from swath.items.diff import DiffItemData, DiffStatus, Hunk
from swath.sources.base import SourceContext
from swath.spec.records import Item
from swath.workspace import Workspace
from swath.workspace.globs import gitignore_spec
from swath.workspace.roles import TEST_PATHSPECS, linguist_marks, path_role
from swath.workspace.skips import SkipCounts

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree
LINE_BREAK = re.compile(r"\r\n|\r|\n")
LONE_CR = re.compile(rb"\r(?!\n)")
DEV_NULL = "/dev/null"
MAX_TESTS_LISTED = 20
INDEX_LINE = re.compile(r"^index ([0-9a-f]{40,64})\.\.0+\b", re.M)


class DiffError(ValueError):
    """The diff cannot be taken: not a git repository, an unknown base, git failed."""


class DiffOptions(BaseModel):
    """Options of the `diff` source."""

    model_config = ConfigDict(extra="forbid")
    base: str | None = Field(
        None,
        description="Compare against the merge base of this revision and HEAD (input `base` wins).",
    )
    merge_base: bool = Field(
        True, description="Use the merge base of `base` and HEAD rather than `base` itself."
    )
    untracked: bool = Field(
        True, description="Count untracked, not ignored files as added (input `untracked` wins)."
    )
    per: Literal["file", "hunk"] = Field(
        "file", description="One item per changed file, or per hunk."
    )
    include: list[str] = Field(
        default_factory=lambda: ["**/*"], description="gitignore-style globs to keep"
    )
    exclude: list[str] = Field(default_factory=list, description="gitignore-style globs to drop")
    max_lines: int = Field(
        5000,
        ge=0,
        description="Added text kept per file; line ranges are always complete (`truncated` is set).",
    )
    max_bytes: int = Field(2_000_000, description="Untracked files larger than this are skipped")


def _git_run(
    ws: Workspace, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", "-c", "core.quotepath=off", *args],
        cwd=ws.root,
        input=stdin,
        capture_output=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )


def _git_start(ws: Workspace, *args: str) -> subprocess.Popen[bytes]:
    """A git process started now and read later (`_git_output`): it runs beside another."""
    return subprocess.Popen(
        ["git", "-c", "core.quotepath=off", *args],
        cwd=ws.root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )


def _git_output(proc: subprocess.Popen[bytes], args: tuple[str, ...]) -> bytes:
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)} failed: {stderr.decode('utf-8', 'replace').strip()}")
    return stdout


def _git_bytes(ws: Workspace, *args: str, check: bool = True) -> bytes:
    """git's raw output: a diff must keep lone `\\r` and non-UTF-8 bytes as they are."""
    proc = _git_run(ws, *args)
    if check and proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)} failed: {_stderr(proc)}")
    return proc.stdout


def _stderr(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stderr.decode("utf-8", "replace").strip()


def _not_a_repository(ws: Workspace) -> DiffError:
    return DiffError(f"{ws.root}: not a git repository; the diff source needs one")


def _has_head(ws: Workspace) -> bool:
    return bool(_git_bytes(ws, "rev-parse", "--verify", "--quiet", "HEAD", check=False).strip())


def _tree_has_tests(ws: Workspace) -> bool:
    """Whether any tracked or untracked (not ignored) file of the workspace is a test.

    git matches the test globs itself, so a large tree is not listed whole; path_role has
    the last word on the few files git names (its globs are a superset).
    """
    out = _git_bytes(
        ws,
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
        "--",
        *TEST_PATHSPECS,
        *ws.deny_pathspecs(),
        check=False,
    )
    return any(p and path_role(p) == "test" for p in out.decode("utf-8", "replace").split("\0"))


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote_path(raw: str) -> str:
    """A path as git prints it: C-quoted ("a/q\\"x", octal bytes) when it has odd characters."""
    if not (len(raw) >= 2 and raw.startswith('"') and raw.endswith('"')):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if re.fullmatch(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
            continue
        out += c.encode("utf-8")
        i += 1
    return out.decode("utf-8", "replace")


def _strip_prefix(path: str | None, prefix: str) -> str | None:
    if path is None:
        return None
    path = unquote_path(path)
    if path == DEV_NULL:
        return None
    return path[len(prefix) :] if path.startswith(prefix) else path


def _line_value(value: str) -> str:
    if value.endswith("\n"):
        value = value[:-1]
    if value.endswith("\r"):
        value = value[:-1]
    return value


class _LineMap:
    """git counts lines by `\\n`; the LSP also breaks at a lone `\\r`. Usually the same."""

    def __init__(self, data: bytes | None) -> None:
        self.offsets: list[int] | None = None
        if data is None or not LONE_CR.search(data):
            return
        text = data.decode("utf-8", "replace")
        offsets, acc = [], 0
        for git_line in text.split("\n"):
            offsets.append(acc)
            acc += len(LINE_BREAK.split(git_line.removesuffix("\r")))
        self.offsets = offsets

    def lsp(self, git_line0: int) -> int:
        if self.offsets is None:
            return git_line0
        if git_line0 < len(self.offsets):
            return self.offsets[git_line0]
        return self.offsets[-1] + (git_line0 - len(self.offsets) + 1) if self.offsets else git_line0


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class _Change:
    """One changed file while the diff is read: its item data, and the blob ids that pair a
    deleted file with an untracked copy of it (they never reach the item)."""

    path: str
    data: DiffItemData
    old_blob: str | None = None  # a deleted file's
    blob: str | None = None  # an untracked file's


def _pair_moves(changed: list[_Change], untracked: list[_Change]) -> list[_Change]:
    """A file moved without `git mv` shows up as deleted + untracked: pair them when the bytes
    are the same, so an unchanged file under a new name is a rename with no added lines."""
    deleted = {e.old_blob: e for e in changed if e.data.status == "deleted" and e.old_blob}
    moved: set[str] = set()
    for e in untracked:
        gone = deleted.pop(e.blob or "", None)
        if gone is not None:
            moved.add(gone.path)
            e.data.status, e.data.old_path = "renamed", gone.path
            e.data.hunks, e.data.removed = [], 0
    return [e for e in changed if e.path not in moved or e.data.status != "deleted"] + untracked


class DiffSource:
    name: ClassVar[str] = "diff"
    description: ClassVar[str] = (
        "One item per changed file (or hunk) of `git diff` against HEAD or the merge base of `base`, "
        "with the added lines (zero-based, working-tree numbering)."
    )
    options_model: ClassVar[type[BaseModel]] = DiffOptions

    def discover(self, ctx: SourceContext) -> list[Item]:
        opts = DiffOptions.model_validate(ctx.options)
        ws = ctx.workspace
        base = ctx.inputs.get("base") or opts.base
        untracked = ctx.inputs.get("untracked")
        untracked = opts.untracked if untracked is None else bool(untracked)
        rev, label = self._revision(ws, base, opts.merge_base)
        include = gitignore_spec(opts.include)
        exclude = gitignore_spec(opts.exclude)

        def wanted(path: str) -> bool:
            return (
                include.match_file(path) and not exclude.match_file(path) and not ws.is_denied(path)
            )

        # Denied files are left out by git itself (exclude pathspecs): names parsed back out of
        # git's output miss paths with spaces and the paths git quotes.
        limit = ["--", *(ctx.paths or ["."]), *ws.deny_pathspecs()]
        diff = (
            "diff",
            # Only changes inside the workspace, named relative to it, when it is a subfolder.
            "--relative",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "-M",
            "--full-index",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "--ignore-submodules=all",
        )
        # The untracked files are listed while the diff runs (their own git process).
        listing = ("ls-files", "-z", "--others", "--exclude-standard", "--", *ctx.paths)
        lister = _git_start(ws, *listing) if untracked else None
        try:
            # Against HEAD, the diff is the first git process: whether this is a repository
            # and has commits at all is asked only when it fails (one process, not three).
            proc = _git_run(ws, *diff, rev, *limit)
            if proc.returncode != 0 and rev == "HEAD" and ws.is_git() and not _has_head(ws):
                rev, label = EMPTY_TREE, "(no commits yet)"
                proc = _git_run(ws, *diff, rev, *limit)
            if proc.returncode != 0:
                if not ws.is_git():
                    raise _not_a_repository(ws)
                raise DiffError(f"git {' '.join((*diff, rev, *limit))} failed: {_stderr(proc)}")
            listed = _git_output(lister, listing) if lister is not None else b""
        finally:
            if lister is not None and lister.returncode is None:  # the diff failed first
                lister.kill()
                lister.communicate()
        raw = proc.stdout
        files: list[_Change] = []
        for patched in PatchSet(raw.decode("utf-8", "replace")):
            entry = self._file(ws, patched, label, rev)
            if entry is not None and wanted(entry.path):
                files.append(entry)
        if untracked:
            new_files = [
                e
                for e in self._untracked(ws, listed, opts, label, rev, ctx.skipped)
                if wanted(e.path)
            ]
            files = _pair_moves(files, new_files)
        files.sort(key=lambda e: e.path)
        # Whether the change touches tests at all is a fact about the whole diff, which a
        # batch of items cannot see; it changes rarely, so it costs the cache little.
        tests = [e.path for e in files if path_role(e.path) == "test"][:MAX_TESTS_LISTED]
        has_tests = bool(tests) or (bool(files) and _tree_has_tests(ws))
        marked = linguist_marks(ws, [e.path for e in files])
        for e in files:
            e.data.tests_changed = tests
            e.data.tree_has_tests = has_tests
            e.data.generated = marked.get(e.path)
        return [it for e in files for it in self._items(e, opts)]

    # -- the revision -------------------------------------------------------------------------
    @staticmethod
    def _revision(ws: Workspace, base: str | None, merge_base: bool) -> tuple[str, str]:
        """The commit to diff against and its label; without `base`, HEAD, checked by the
        diff itself (a repository without commits diffs against the empty tree)."""
        if not base:
            return "HEAD", "HEAD"
        sha = (
            _git_bytes(ws, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", check=False)
            .decode()
            .strip()
        )
        if not sha:
            if not ws.is_git():
                raise _not_a_repository(ws)
            raise DiffError(f"base {base!r} is not a commit, branch or tag of this repository")
        if merge_base:  # none without a HEAD: then against `base` itself
            mb = _git_bytes(ws, "merge-base", sha, "HEAD", check=False).decode().strip()
            if mb:
                return mb, f"{base} (merge base {mb[:12]})"
        return sha, base

    # -- one changed file ---------------------------------------------------------------------
    def _file(self, ws: Workspace, f: PatchedFile, label: str, rev: str) -> _Change | None:
        old = _strip_prefix(f.source_file, "a/")
        new = _strip_prefix(f.target_file, "b/")
        if new is None and old is None:
            return None
        status: DiffStatus
        if f.is_removed_file or new is None:
            status, path = "deleted", old or ""
        elif f.is_added_file or old is None:
            status, path = "added", new
        elif f.is_rename or (old is not None and old != new):
            status, path = "renamed", new
        else:
            status, path = "modified", new
        full = ws.root / path
        if status != "deleted" and full.is_dir():  # a submodule or a path turned into a folder
            return None
        symlink = status != "deleted" and full.is_symlink()
        data: bytes | None = None
        if status != "deleted" and not f.is_binary_file and not symlink:
            try:
                data = ws.file_bytes(full, Path.read_bytes)  # the passes read it next
            except OSError:
                data = None
        lines = _LineMap(data)
        hunks: list[Hunk] = []
        removed = 0
        if not f.is_binary_file and not symlink and status != "deleted":
            for h in f:
                added_text: list[str] = []
                for ln in h:
                    if ln.is_added:
                        added_text += (
                            LINE_BREAK.split(_line_value(ln.value))
                            if lines.offsets
                            else [_line_value(ln.value)]
                        )
                removed_text = [_line_value(ln.value) for ln in h if ln.is_removed]
                removed += len(removed_text)
                # -U0: a hunk's added lines are one run starting at target_start (1-based);
                # a pure deletion has target_length 0 and target_start = the line before it.
                start = (
                    lines.lsp(h.target_start - 1) if h.target_length else lines.lsp(h.target_start)
                )
                hunks.append(
                    Hunk(
                        new_start=start,
                        new_count=len(added_text),
                        old_start=max(h.source_start - 1, 0) if h.source_length else h.source_start,
                        old_count=h.source_length,
                        header=h.section_header.strip(),
                        added=added_text,
                        removed=removed_text,
                    )
                )
        else:
            removed = f.removed
        blob = (
            INDEX_LINE.search("".join(str(x) for x in f.patch_info or []))
            if status == "deleted"
            else None
        )
        return _Change(
            path,
            DiffItemData(
                status=status,
                old_path=old if old != path else None,
                binary=bool(f.is_binary_file),
                symlink=symlink,
                hunks=hunks,
                removed=removed,
                base=label,
                base_commit=rev,
            ),
            old_blob=blob.group(1) if blob else None,
        )

    @staticmethod
    def _untracked(
        ws: Workspace,
        out: bytes,
        opts: DiffOptions,
        label: str,
        rev: str,
        skipped: SkipCounts,
    ) -> list[_Change]:
        """The untracked files `git ls-files -z --others --exclude-standard` listed (`out`)."""
        entries = []
        for rel in (p for p in out.decode("utf-8", "replace").split("\0") if p):
            full = ws.root / rel
            # git lists neither FIFOs nor sockets as untracked; a nested repository it does.
            if not full.is_file() or full.is_symlink() or ws.is_denied(rel):
                continue
            try:
                if full.stat().st_size > opts.max_bytes:
                    skipped.add("too_large", rel)
                    continue
                data = full.read_bytes()
            except OSError:
                skipped.add("unreadable", rel)
                continue
            binary = ws.looks_binary(data)
            hunks = []
            if not binary and data:
                text = data.decode("utf-8", "replace")
                lines = LINE_BREAK.split(text)
                if lines and lines[-1] == "":
                    lines.pop()
                hunks.append(Hunk(new_start=0, new_count=len(lines), added=lines))
            entries.append(
                _Change(
                    rel,
                    DiffItemData(
                        status="untracked", binary=binary, hunks=hunks, base=label, base_commit=rev
                    ),
                    blob=git_blob_id(data),
                )
            )
        return entries

    # -- items ---------------------------------------------------------------------------------
    @staticmethod
    def _items(entry: _Change, opts: DiffOptions) -> list[Item]:
        path, d = entry.path, entry.data
        files = [] if d.status == "deleted" else [path]
        budget = opts.max_lines
        truncated = False
        for h in d.hunks:  # cap the text, never the ranges
            if len(h.added) > budget:
                h.added = h.added[:budget]
                truncated = True
            budget = max(0, budget - len(h.added))
            h.removed = h.removed[: opts.max_lines]
        d.added, d.truncated = sum(h.new_count for h in d.hunks), truncated
        if opts.per == "file" or not d.hunks:
            return [Item(id=path, kind="diff", path=path, files=files, data=d.as_item_data())]
        return [
            Item(
                id=f"{path}#{n}",
                kind="hunk",
                path=path,
                files=files,
                data=d.model_copy(
                    update={"hunk": n, "hunks": [h], "added": h.new_count}
                ).as_item_data(),
            )
            for n, h in enumerate(d.hunks, start=1)
        ]
