"""Workflow files (`.swath/workflows/*.yaml`) in the editor: live validation, hover, completion.

Validation runs in a worker thread, debounced per file by cancelling the pending check
when a newer edit arrives. Problems come from the same loader the engine uses, so the
editor and `swath workflows validate` always agree.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import PurePosixPath
from typing import Any, Callable, Sequence

from lsprotocol import types as lsp
from pygls.uris import to_fs_path
from pygls.workspace.position_codec import PositionCodec

from swath.findings.model import Position, Range
from swath.lsp.convert import to_client
from swath.spec.checks import KnownNames
from swath.spec.errors import SpecIssue

log = logging.getLogger(__name__)

DEBOUNCE_S = 0.15
_KEY_BEFORE_CURSOR = re.compile(r"^\s*(?:-\s+)*(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>[^#]*)$")
_ITEM_BEFORE_CURSOR = re.compile(r"^\s*-\s+(?P<value>[^#:]*)$")

VALUE_KINDS = {
    "kind": "kind",
    "analyzer": "analyzer",
    "source": "source",
    "output": "schema",
    "tools": "tool",
    "from": "step",
    "needs": "step",
    "report": "step",
    "outputs": "step",
}


def is_workflow_uri(uri: str) -> bool:
    path = PurePosixPath((to_fs_path(uri) or uri).replace("\\", "/"))
    return (
        path.suffix in (".yaml", ".yml")
        and path.parent.name == "workflows"
        and path.parent.parent.name == ".swath"
    )


def issue_diagnostic(
    issue: SpecIssue, codec: PositionCodec, lines: Sequence[str] | None
) -> lsp.Diagnostic:
    """A loader issue (1-based, code points) as a diagnostic (0-based, the client's units)."""
    r = Range(
        start=Position(line=issue.line - 1, character=issue.column - 1),
        end=Position(line=issue.end_line - 1, character=issue.end_column - 1),
    )
    return lsp.Diagnostic(
        range=to_client(codec, lines, r),
        severity=lsp.DiagnosticSeverity.Error,
        code=issue.code,
        source="swath",
        message=issue.message,
    )


class KnownNamesCache:
    """Registered analyzers, tools, schemas and sources, collected once off the event loop."""

    def __init__(self) -> None:
        self._names: KnownNames | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> KnownNames:
        async with self._lock:
            if self._names is None:
                self._names = await asyncio.to_thread(_collect_names)
            return self._names


def _collect_names() -> KnownNames:
    from swath.engine.catalog import known_names

    try:
        return known_names()
    except Exception:  # a broken plugin must not stop validation: skip the name checks
        log.exception("collecting registered names failed; names in workflow files go unchecked")
        return KnownNames()


class WorkflowValidator:
    """Validates workflow documents as they change and hands the issues to `publish`."""

    def __init__(
        self, names: KnownNamesCache, publish: Callable[[str, list[SpecIssue]], None]
    ) -> None:
        self._names = names
        self._publish = publish
        self._pending: dict[str, asyncio.Task[None]] = {}
        self.issues: dict[str, list[SpecIssue]] = {}

    def changed(self, uri: str, text: str, *, immediately: bool = False) -> None:
        previous = self._pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.get_running_loop().create_task(
            self._validate(uri, text, 0 if immediately else DEBOUNCE_S),
            name=f"swath-validate-{uri}",
        )
        self._pending[uri] = task
        task.add_done_callback(lambda t: self._done(uri, t))

    def closed(self, uri: str) -> None:
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()

    def _done(self, uri: str, task: asyncio.Task[None]) -> None:
        if self._pending.get(uri) is task:
            del self._pending[uri]
        if not task.cancelled() and task.exception() is not None:
            log.error("validating %s failed", uri, exc_info=task.exception())

    async def _validate(self, uri: str, text: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        from swath.spec.loader import shown_in, validate_text

        names = await self._names.get()
        filename = to_fs_path(uri) or uri
        _, issues = await asyncio.to_thread(validate_text, text, filename, names)
        issues = shown_in(filename, text, issues)
        self.issues[uri] = issues
        self._publish(uri, issues)


# -- hover and completion ------------------------------------------------------------------


def hover(
    text: str,
    line: int,
    character: int,
    names: KnownNames | None = None,
    filename: str | None = None,
) -> lsp.Hover | None:
    from swath.spec.keypath import hover_at

    description = hover_at(text, line, character, names, filename)
    if not description:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=description))


def completion(
    text: str, line: int, character: int, names: KnownNames, filename: str | None = None
) -> lsp.CompletionList:
    from swath.spec.keypath import (
        allowed_keys_at,
        extends_at,
        key_path_at,
        options_root,
        step_kind_at,
    )
    from swath.spec.modelnav import step_kinds

    lines = text.split("\n")
    before = lines[line][:character] if line < len(lines) else ""
    path = key_path_at(text, line, character) or [""]
    kind = (
        step_kind_at(text, path[1], filename)
        if len(path) > 1 and path[0] == "steps" and isinstance(path[1], int)
        else None
    )

    value_of = _value_context(before, path)
    if value_of is not None:
        what = VALUE_KINDS.get(value_of)
        choices: dict[str, str] = {}
        if what == "kind":
            choices = {k: "step kind" for k in step_kinds()}
        elif what == "analyzer":
            choices = {n: "analyzer" for n in sorted(names.analyzers or ())}
        elif what == "source":
            choices = {n: "source" for n in sorted(names.sources or ())}
        elif what == "schema":
            choices = {n: "output schema" for n in sorted(names.schemas or ())}
        elif what == "tool":
            choices = {n: "read-only tool" for n in sorted(names.tools or ())}
        elif what == "step":
            choices = {s: "step" for s in _step_ids(text)}
        items = [
            lsp.CompletionItem(label=k, kind=lsp.CompletionItemKind.Value, detail=d)
            for k, d in choices.items()
        ]
        return lsp.CompletionList(is_incomplete=False, items=items)

    keys = allowed_keys_at(
        path[:-1],
        kind,
        options_root(text, path, names, filename),
        extending=extends_at(text) is not None,
    )
    items = [
        lsp.CompletionItem(
            label=k,
            kind=lsp.CompletionItemKind.Property,
            detail=(d.split(". ")[0] if d else None),
            documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=d) if d else None,
            insert_text=f"{k}: ",
        )
        for k, d in keys.items()
    ]
    return lsp.CompletionList(is_incomplete=False, items=items)


def _value_context(before: str, path: list[Any]) -> str | None:
    """The key whose value the cursor is in, or None when a key is being typed."""
    m = _KEY_BEFORE_CURSOR.match(before)
    if m is not None:
        return m.group("key")
    if _ITEM_BEFORE_CURSOR.match(before) and len(path) >= 2 and isinstance(path[-1], int):
        parent = path[-2]
        return parent if isinstance(parent, str) else None
    if _ITEM_BEFORE_CURSOR.match(before) and path and isinstance(path[-1], str):
        # `- ` under `tools:` on a new line: the path ends with the typed word
        for elem in reversed(path[:-1]):
            if isinstance(elem, str):
                return elem if elem in ("tools", "needs", "outputs") else None
    return None


def _step_ids(text: str) -> list[str]:
    return list(
        dict.fromkeys(re.findall(r"^\s*-?\s*id:\s*([a-z][a-z0-9_-]*)\s*$", text, flags=re.M))
    )
