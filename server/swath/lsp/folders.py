"""One engine session per workspace folder: each folder has its own `.swath/`.

The server's sessions read the store (runs, reports, restore) and plan; runs themselves
go to worker processes that open their own. Sessions open lazily, in a thread (SQLite and
configuration files are disk work), and reopen after a settings change for the model.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pygls.uris import from_fs_path, to_fs_path

from swath.engine.session import Session, find_root

log = logging.getLogger(__name__)


def uri_to_path(uri: str) -> Path:
    fs = to_fs_path(uri)
    if fs is None:
        raise ValueError(f"{uri}: not a file URI; Swath works on files on disk")
    return Path(fs)


def path_to_uri(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def folder_problem(root: Path) -> str | None:
    """Why `root` cannot be a workspace folder, or None when it can."""
    if root == Path(root.anchor):
        return "the filesystem root is never a workspace; open a project folder"
    if not root.exists():
        return "it does not exist"
    if not root.is_dir():
        return "it is a file, not a folder"
    return None


@dataclass
class Folder:
    root: Path
    session: Session | None = None
    stale: bool = False  # settings changed: reopen on next use
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class FolderSessions:
    def __init__(
        self,
        overrides: Callable[[], dict[str, Any]],
        engine: Callable[[], str],
        warn: Callable[[str], None],
    ) -> None:
        self._folders: dict[Path, Folder] = {}
        # Whether the client named any workspace folder: then nothing outside them is used.
        self.declared = False
        self._overrides = overrides
        self._engine = engine
        self._warn = warn

    # -- which folder ---------------------------------------------------------------------
    def set_roots(self, roots: list[Path]) -> list[Path]:
        """Declare the workspace folders; returns those newly added.

        A folder that is missing, is a file, or is the filesystem root is refused with a
        warning: nothing may create directories there or run over the whole disk.
        """
        added = []
        self.declared = self.declared or bool(roots)
        for r in roots:
            r = r.resolve()
            problem = folder_problem(r)
            if problem is not None:
                self._warn(f"Swath: ignoring workspace folder {r}: {problem}")
                continue
            if r not in self._folders:
                self._folders[r] = Folder(r)
                added.append(r)
        return added

    def remove_root(self, root: Path) -> Folder | None:
        return self._folders.pop(root.resolve(), None)

    @property
    def roots(self) -> list[Path]:
        return list(self._folders)

    def root_for(self, path: Path) -> Path:
        """The innermost workspace folder holding `path`.

        The workspace is the boundary: a path outside every declared folder is refused
        (LookupError). Only a client that declared no folder at all (one file opened on its
        own) gets the path's git work tree, and never the filesystem root.
        """
        path = path.resolve()
        best: Path | None = None
        for root in self._folders:
            if path == root or root in path.parents:
                if best is None or len(root.parts) > len(best.parts):
                    best = root
        if best is not None:
            return best
        if self.declared:
            raise LookupError(
                f"{path} is outside the workspace folders "
                f"({', '.join(str(r) for r in self._folders) or 'none usable'}); "
                "Swath runs only inside a folder the editor opened"
            )
        root = find_root(path if path.is_dir() else path.parent)
        if not ((root / ".git").exists() or (root / ".swath").is_dir()) or folder_problem(root):
            raise LookupError(
                f"{path} is in no workspace folder and no git work tree; open its folder first"
            )
        self._folders[root] = Folder(root)
        return root

    def default_root(self) -> Path:
        if not self._folders:
            raise LookupError(
                "no workspace folder is open; open a folder (or pass a file URI) to run a workflow"
            )
        return next(iter(self._folders))

    # -- sessions -------------------------------------------------------------------------
    async def session(self, root: Path) -> Session:
        folder = self._folders.get(root) or self._folders.setdefault(root, Folder(root))
        async with folder.lock:
            if folder.session is not None and folder.stale:
                old, folder.session, folder.stale = folder.session, None, False
                await old.aclose()
            if folder.session is None:
                folder.session, warnings = await asyncio.to_thread(self._open, root)
                for w in warnings:
                    self._warn(w)
            assert folder.session is not None
            return folder.session

    def _open(self, root: Path) -> tuple[Session, list[str]]:
        """Runs in a worker thread: returns what to tell the user instead of telling it."""
        from swath.engine.worker import model_wanted

        use_model, problem = model_wanted(root, self._engine(), self._overrides())
        warnings = [f"Swath: {problem}"] if problem else []
        try:
            return Session.open(root, model=use_model, overrides=self._overrides()), warnings
        except (
            Exception
        ) as exc:  # a broken model config must not cost the user the offline analyzers
            warnings.append(
                f"Swath: the model configuration of {root} is not usable ({exc}); "
                "running offline analyzers only until it is fixed"
            )
            return Session.open(root, model=False), warnings

    def mark_stale(self) -> None:
        for folder in self._folders.values():
            if folder.session is not None:
                folder.stale = True

    def open_sessions(self) -> list[tuple[Path, Session]]:
        return [(r, f.session) for r, f in self._folders.items() if f.session is not None]

    async def aclose(self) -> None:
        for folder in self._folders.values():
            if folder.session is not None:
                try:
                    await folder.session.aclose()
                except Exception:
                    log.exception("closing the session of %s", folder.root)
                folder.session = None
