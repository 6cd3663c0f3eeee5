"""What one feature of the language server is: LSP methods of its own, and hooks.

Each feature (findings, runs, workflow files, …) is a `LanguageFeature` in its own module
under `lsp/features/`. It registers the methods and commands only it answers in
`register`; methods several features care about (the document lifecycle, settings,
workspace folders, shutdown) are registered once in `lsp/setup.py`, which calls the hooks
below on every feature in turn — esbonio's shape. A hook that raises is logged and shown
to the user, and the other features still get the event.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from lsprotocol import types as lsp

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

    from swath.lsp.settings import Settings


class LanguageFeature:
    """Every hook does nothing by default: a feature overrides the events it cares about."""

    name = "feature"  # for log lines and the user's error message when a hook fails

    def register(self, server: "LanguageServer") -> None:
        """Register the LSP methods and commands this feature alone answers."""

    def initialized(self) -> None:
        """The client is ready: background work may start (as tasks the server owns)."""

    def folders_added(self, roots: list[Path]) -> None:
        """Workspace folders the client added after start-up."""

    def settings_changed(self, before: "Settings", after: "Settings") -> None:
        """New settings arrived (pushed or pulled); `after` is already in effect."""

    def document_opened(self, uri: str, text: str) -> None:
        pass

    def document_changed(
        self, uri: str, changes: Sequence[lsp.TextDocumentContentChangeEvent]
    ) -> None:
        pass

    def document_saved(self, uri: str) -> None:
        pass

    def document_closed(self, uri: str) -> None:
        pass

    def shutdown(self) -> None:
        """The server is closing: stop starting work and cancel what runs (tasks are awaited
        by the server afterwards)."""
