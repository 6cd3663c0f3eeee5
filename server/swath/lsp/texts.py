"""The text of a file as the editor shows it: the open document, else the file on disk.

Disk reads happen in a worker thread (`load`), never on the event loop; `lines` only
answers from what is already in memory.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Iterable, Sequence

from pygls.uris import to_fs_path
from pygls.workspace import Workspace as LspWorkspace

from swath.lsp.anchors import split_lines
from swath.workspace.regular_files import read_regular_file

MAX_FILE_BYTES = 4 * 1024 * 1024


def read_lines(path: str) -> list[str] | None:
    try:
        data = read_regular_file(Path(path), MAX_FILE_BYTES)  # a FIFO must not hang a thread
        return split_lines(data.decode("utf-8", errors="replace"))
    except OSError:  # missing, too large, a pipe or a device: no text to show
        return None


class TextSource:
    def __init__(self) -> None:
        self._open: dict[str, tuple[int | None, list[str]]] = {}  # uri -> (version, lines)
        self._disk: dict[str, list[str]] = {}
        self.workspace: LspWorkspace | None = None

    def is_open(self, uri: str) -> bool:
        return self.workspace is not None and uri in self.workspace.text_documents

    def lines(self, uri: str) -> Sequence[str] | None:
        if self.is_open(uri):
            assert self.workspace is not None
            doc = self.workspace.get_text_document(uri)
            cached = self._open.get(uri)
            if cached is None or cached[0] != doc.version or doc.version is None:
                cached = (doc.version, split_lines(doc.source))
                self._open[uri] = cached
            return cached[1]
        return self._disk.get(uri)

    def closed(self, uri: str) -> None:
        self._open.pop(uri, None)
        self._disk.pop(uri, None)

    def forget(self, uris: Iterable[str]) -> None:
        for uri in uris:
            self._disk.pop(uri, None)

    async def load(self, uris: Iterable[str]) -> None:
        """Read from disk the files not open and not yet read."""
        missing = [u for u in dict.fromkeys(uris) if not self.is_open(u) and u not in self._disk]
        if not missing:
            return

        def read_all() -> dict[str, list[str] | None]:
            return {u: read_lines(to_fs_path(u) or u) for u in missing}

        for uri, lines in (await asyncio.to_thread(read_all)).items():
            if lines is not None:
                self._disk[uri] = lines

    async def reload(self, uri: str) -> Sequence[str] | None:
        self._disk.pop(uri, None)
        await self.load([uri])
        return self.lines(uri)
