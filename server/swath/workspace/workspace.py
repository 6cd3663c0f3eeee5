"""The workspace root: file listing that respects .gitignore, sandboxed paths, git.

Everything here is synchronous and meant to be called from a worker thread
(`asyncio.to_thread`) by the async layers above.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pathspec

from swath.workspace.globs import gitignore_spec
from swath.workspace.regular_files import read_regular_file
from swath.workspace.skips import SkipCounts, SkipReason

# Paths no agent may read and no source hands out: secrets, credential files of the usual
# tools (netrc, npm, PyPI, direnv, git's credential store, SSH and cloud keys), git internals.
# Order matters: a `!pattern` re-allows what an earlier pattern denied, as in .gitignore.
DEFAULT_DENY = (
    ".env",
    ".env.*",
    # ...except the committed templates, which hold placeholders and document the variables
    # (the env-var catalogue compares them with the code).
    "!.env.example",
    "!.env.sample",
    "!.env.template",
    "!.env.dist",
    ".envrc",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    ".aws/credentials",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "secrets/**",
    ".git/**",
    ".swath/swath.db*",
)


def exclude_pathspecs(patterns: Iterable[str]) -> list[str]:
    """Gitignore-style deny patterns as git exclude pathspecs (`:(exclude,glob)…`).

    Handed to git so that git itself leaves denied files out of a diff: parsing them out of
    git's output afterwards missed paths with spaces and paths git quotes. A negated pattern
    (`!keep.pem`) has no pathspec form and is skipped, which only ever excludes more.
    """
    out: list[str] = []
    for raw in patterns:
        pat = raw.strip()
        if not pat or pat.startswith(("#", "!")):
            continue
        pat = pat.removeprefix("\\")
        dir_only = pat.endswith("/")
        pat = pat.rstrip("/")
        # As in .gitignore: a slash anywhere but the end anchors the pattern at the root.
        anchored = "/" in pat
        base = pat.lstrip("/") if anchored else f"**/{pat}"
        if not dir_only:
            out.append(f":(exclude,glob){base}")
        out.append(f":(exclude,glob){base}/**")
    return out


BINARY_SNIFF = 8192
# Swath's own folder (runs, reports, saved workflows) is never work for a workflow.
SWATH_DIR = ".swath/"


class PathRefused(ValueError):
    """A path outside the workspace or on the deny list."""


@dataclass(frozen=True)
class BlameLine:
    line: int  # zero-based
    commit: str
    author: str
    author_mail: str
    author_time: int  # unix seconds
    text: str


# A hash is trusted by the file's stat alone only when the file had not been written for this
# long before the hash was taken: timestamps are coarse (a clock tick, or seconds on some
# file systems), so a file written again within the tick of the write it was hashed after
# keeps its size and mtime with other bytes. Such a "racy" file is hashed again, as git
# re-reads an index entry as new as the index itself.
RACY_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class HashedFile:
    """A file's content hash and the stat it was taken under (`Workspace.file_hash`)."""

    size: int
    mtime_ns: int
    ctime_ns: int  # the kernel sets it on every write or rename; no tool sets it back
    ino: int
    hashed_ns: int  # the wall clock just before the stat the hash was taken under
    digest: str

    def serves(self, st: os.stat_result) -> bool:
        """Is this hash the content of a file that stats as `st`?"""
        return (
            self.size == st.st_size
            and self.mtime_ns == st.st_mtime_ns
            and self.ctime_ns == st.st_ctime_ns
            and self.ino == st.st_ino
            and max(self.mtime_ns, self.ctime_ns) < self.hashed_ns - RACY_NS
        )


@dataclass(frozen=True, slots=True)
class _ReadFile:
    """A file's bytes and the stat they were read under (`Workspace.file_bytes`)."""

    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    read_ns: int  # the wall clock just before the stat
    data: bytes

    def serves(self, st: os.stat_result) -> bool:
        """Are these the bytes of a regular file that stats as `st`? (HashedFile.serves)"""
        return (
            stat.S_ISREG(st.st_mode)
            and self.size == st.st_size
            and self.mtime_ns == st.st_mtime_ns
            and self.ctime_ns == st.st_ctime_ns
            and self.ino == st.st_ino
            and max(self.mtime_ns, self.ctime_ns) < self.read_ns - RACY_NS
        )


# What `file_bytes` keeps: a review's files, not a whole tree's (the language server's
# workspace lives long; a map reads thousands of files, most of them once: at most this
# much more memory held while it runs).
READ_MEMO_FILES = 128
READ_MEMO_BYTES = 16 << 20


class Workspace:
    def __init__(
        self, root: str | os.PathLike[str], deny: tuple[str, ...] | list[str] = DEFAULT_DENY
    ) -> None:
        self.root = Path(root).resolve()
        self.deny_patterns = tuple(deny)
        self._deny = gitignore_spec(self.deny_patterns)
        self._root_str = str(self.root)
        self._hash_cache: dict[str, HashedFile] = {}
        # Paths whose entry changed since `new_hashes` was last asked (None: gone).
        self._hash_news: dict[str, HashedFile | None] = {}
        self._lock = threading.Lock()
        self._is_git: bool | None = None
        self._read: OrderedDict[str, _ReadFile] = OrderedDict()
        self._read_size = 0

    # -- paths ---------------------------------------------------------------------
    def relpath(self, path: str | os.PathLike[str]) -> str:
        p = Path(path)
        if not p.is_absolute():
            p = self.root / p
        return p.resolve().relative_to(self.root).as_posix()

    def is_denied(self, rel: str) -> bool:
        return self._deny.match_file(rel)

    def deny_pathspecs(self) -> list[str]:
        """The deny list as git exclude pathspecs, for every git command that shows contents."""
        return exclude_pathspecs(self.deny_patterns)

    def resolve(self, rel: str, *, must_exist: bool = True) -> Path:
        """The real path of `rel`, refused when it leaves the workspace or is denied.

        Absolute paths are refused outright (an agent has no business naming them);
        `..` and symlinks are resolved first, then checked against the root.
        """
        if not isinstance(rel, str) or not rel.strip():
            raise PathRefused("empty path")
        if rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
            raise PathRefused(
                f"{rel}: absolute paths are refused; use a path relative to the workspace"
            )
        plain = self._plain(rel)
        if plain is not None:  # no symlink, `.`, `..` or empty part: the path is as written
            candidate, exists = plain
            if self.is_denied(rel):
                raise PathRefused(f"{rel}: on the deny list ({', '.join(self.deny_patterns)})")
            if must_exist and not exists:
                raise FileNotFoundError(f"{rel}: no such file or directory in the workspace")
            return candidate
        candidate = (self.root / rel).resolve()
        try:
            inside = candidate.relative_to(self.root).as_posix()
        except ValueError:
            raise PathRefused(f"{rel}: outside the workspace") from None
        if inside != "." and self.is_denied(inside):
            raise PathRefused(f"{rel}: on the deny list ({', '.join(self.deny_patterns)})")
        lexical = os.path.normpath(rel).replace(os.sep, "/")
        if lexical != inside and lexical != "." and self.is_denied(lexical):
            raise PathRefused(f"{rel}: on the deny list")
        if must_exist and not candidate.exists():
            raise FileNotFoundError(f"{rel}: no such file or directory in the workspace")
        return candidate

    # -- files -----------------------------------------------------------------------
    def is_git(self) -> bool:
        if self._is_git is None:
            try:
                out = self.git("rev-parse", "--is-inside-work-tree", check=False)
                self._is_git = out.strip() == "true"
            except OSError:
                self._is_git = False
        return self._is_git

    def list_files(
        self, paths: list[str] | None = None, skipped: SkipCounts | None = None
    ) -> list[str]:
        """Workspace-relative files under `paths` (default: everything), honouring .gitignore.

        Symlinks are followed only to files inside the workspace; a loop or a link leaving it
        is left out (and counted in `skipped`), never an error that stops the whole walk.
        """
        prefixes = [self.relpath(p) for p in paths] if paths else ["."]
        if self.is_git():
            args = ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--"]
            args += [p for p in prefixes]
            out = self.git(*args)
            files = [f for f in out.split("\0") if f]
        else:
            files = self._walk(prefixes)
        result = []
        for f in files:
            if f.startswith(SWATH_DIR) or self.is_denied(f):
                continue
            if self._listable(f, skipped):
                result.append(f)
        return sorted(set(result))

    def _listable(self, rel: str, skipped: SkipCounts | None) -> bool:
        # One lstat, no Path, for what nearly every file is (a regular file): this runs for
        # every file of the listing, on every run.
        try:
            mode = os.lstat(os.path.join(self._root_str, rel)).st_mode
        except OSError:  # gone since it was listed
            return False
        if stat.S_ISREG(mode):
            return True
        if not stat.S_ISLNK(mode):
            # A FIFO, socket or device; a folder here is a submodule, not a skipped file.
            if skipped is not None and not stat.S_ISDIR(mode):
                skipped.add("not_regular", rel)
            return False
        full = self.root / rel
        reason: SkipReason
        try:
            self.resolve(rel)
        except RuntimeError:  # Python 3.11's Path.resolve on a symlink loop
            reason = "symlink_loop"
        except PathRefused:
            reason = "symlink_outside"
        except OSError as exc:
            reason = "symlink_loop" if exc.errno == errno.ELOOP else "unreadable"
        else:
            return full.is_file()
        if skipped is not None:
            skipped.add(reason, rel)
        return False

    def _walk(self, prefixes: list[str]) -> list[str]:
        spec_lines: list[str] = [".git/"]
        gi = self.root / ".gitignore"
        if gi.is_file():
            spec_lines += gi.read_text(encoding="utf-8", errors="replace").splitlines()
        spec = pathspec.GitIgnoreSpec.from_lines(spec_lines)
        out: list[str] = []
        for prefix in prefixes:
            base = self.root / prefix
            if base.is_file():
                out.append(prefix)
                continue
            for dirpath, dirnames, filenames in os.walk(base):
                rel_dir = Path(dirpath).relative_to(self.root).as_posix()
                rel_dir = "" if rel_dir == "." else rel_dir + "/"
                dirnames[:] = [d for d in dirnames if not spec.match_file(rel_dir + d + "/")]
                out += [rel_dir + n for n in filenames if not spec.match_file(rel_dir + n)]
        return out

    def _plain(self, rel: str) -> tuple[Path, bool] | None:
        """`(root / rel, whether it exists)` when no part of `rel` is a symlink, `.`, `..` or
        empty (the usual path: resolving it changes nothing), found with one `lstat` per
        part below the root instead of `Path.resolve`'s walk from `/`; else None (resolve
        it). A missing part ends the walk: what follows it cannot be a symlink either."""
        if os.sep != "/" or (os.altsep and os.altsep in rel):
            return None
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts):
            return None
        here = self._root_str.rstrip("/")  # the root `/` itself: no `//` prefix
        exists = True
        for part in parts:
            here = f"{here}/{part}"
            if not exists:
                continue
            try:
                mode = os.lstat(here).st_mode
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                    return None  # (permissions…) as `Path.resolve` and `exists` have it
                exists = False  # missing, or under a file: nothing below can be a symlink
                continue
            if stat.S_ISLNK(mode):
                return None
        return Path(here), exists

    def read_bytes(self, rel: str) -> bytes:
        # A FIFO or device under a cited path must not hang verification or a source.
        return self.file_bytes(self.resolve(rel))

    def file_bytes(self, full: Path, read: Callable[[Path], bytes] = read_regular_file) -> bytes:
        """`read(full)` (a path the caller has resolved and checked), or the bytes read last
        time while the file stats as it did then (`_ReadFile.serves`: a regular file of the
        same size, mtime, ctime and inode, not written within RACY_NS of that read).

        A review reads each changed file ~9 times (five passes, identity and verification,
        the diff): one `stat` now stands for the open, read and close of the others."""
        key = str(full)
        before = time.time_ns()
        try:
            st = os.stat(key)
        except OSError:
            return read(full)  # raises as the caller's read does (missing, refused…)
        with self._lock:
            hit = self._read.get(key)
            if hit is not None and hit.serves(st):
                self._read.move_to_end(key)
                return hit.data
        data = read(full)
        if not stat.S_ISREG(st.st_mode) or len(data) != st.st_size or st.st_size > READ_MEMO_BYTES:
            return data  # changed while read, or not a file to keep
        entry = _ReadFile(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, before, data)
        with self._lock:
            old = self._read.pop(key, None)
            self._read_size += len(data) - (len(old.data) if old else 0)
            self._read[key] = entry
            while len(self._read) > READ_MEMO_FILES or self._read_size > READ_MEMO_BYTES:
                _, dropped = self._read.popitem(last=False)
                self._read_size -= len(dropped.data)
        return data

    def read_text(self, rel: str) -> str:
        # A UTF-8 byte order mark is no part of the text: editors hide it, and a parser
        # that sees it reports a syntax error on line 1.
        return self.read_bytes(rel).removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")

    @staticmethod
    def looks_binary(data: bytes) -> bool:
        return b"\0" in data[:BINARY_SNIFF]

    def file_hash(self, rel: str) -> str:
        """sha256 of a file's bytes; '' when it does not exist. Memoised on the file's stat
        (`HashedFile.serves`), here and, through `known_hashes`/`new_hashes`, in the store:
        a re-run reads again only the files whose stat changed."""
        full = os.path.join(
            self._root_str, rel
        )  # not a Path: this runs for every file a run checks
        before = time.time_ns()
        try:
            st = os.stat(full)
        except OSError:
            self._forget_hash(rel)
            return ""
        with self._lock:
            hit = self._hash_cache.get(rel)
        if hit is not None and hit.serves(st):
            return hit.digest
        try:
            digest = hashlib.sha256(self.file_bytes(Path(full))).hexdigest()
        except OSError:  # a pipe or device: no content to hash, as for a missing file
            self._forget_hash(rel)
            return ""
        entry = HashedFile(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, before, digest)
        with self._lock:
            self._hash_cache[rel] = entry
            self._hash_news[rel] = entry
        return digest

    def _forget_hash(self, rel: str) -> None:
        with self._lock:
            if self._hash_cache.pop(rel, None) is not None:
                self._hash_news[rel] = None

    def known_hashes(self, known: dict[str, HashedFile]) -> None:
        """Hashes an earlier process took (the store's), used while their stat holds; what
        this workspace hashed itself stays."""
        with self._lock:
            for rel, entry in known.items():
                self._hash_cache.setdefault(rel, entry)

    def new_hashes(self) -> dict[str, HashedFile | None]:
        """What changed among the hashes since the last call (None: the file is gone), for
        the store to keep; each is handed out once."""
        with self._lock:
            news, self._hash_news = self._hash_news, {}
        return news

    # -- git -------------------------------------------------------------------------
    def git(self, *args: str, check: bool = True, input: str | None = None) -> str:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            input=input,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout

    def blame(self, rel: str) -> list[BlameLine]:
        """`git blame --line-porcelain`; uncommitted lines carry the all-zero commit."""
        if not self.is_git():
            return []
        self.resolve(rel)
        out = self.git("blame", "--line-porcelain", "--", rel, check=False)
        lines: list[BlameLine] = []
        cur: dict[str, str] = {}
        for raw in out.splitlines():
            if raw.startswith("\t"):
                lines.append(
                    BlameLine(
                        line=int(cur["final"]) - 1,
                        commit=cur["commit"],
                        author=cur.get("author", ""),
                        author_mail=cur.get("author-mail", "").strip("<>"),
                        author_time=int(cur.get("author-time", "0")),
                        text=raw[1:],
                    )
                )
                cur = {}
                continue
            head, _, rest = raw.partition(" ")
            if (
                len(head) == 40
                and all(c in "0123456789abcdef" for c in head)
                and "commit" not in cur
            ):
                cur["commit"] = head
                cur["final"] = rest.split()[1]
            else:
                cur[head] = rest
        return lines
