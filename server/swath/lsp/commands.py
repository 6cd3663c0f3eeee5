"""`workspace/executeCommand` plumbing every feature's commands share: one argument object
checked by a pydantic model, errors the client shows, and the look-ups commands repeat
(the workspace folder meant, a workflow by name, a recorded run by id).

The commands themselves live with their feature (`lsp/features/`). Commands that start
work answer at once with `{"runId": …}`; the work goes on in the background (cancelling
the request would not stop it: pygls keeps running the body). Arguments are one JSON
object; a bare string is accepted for the main argument, so editors that pass positional
strings (or nothing) still work.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from swath.engine.session import Session
from swath.lsp.folders import FolderSessions, uri_to_path
from swath.lsp.workflow_files import KnownNamesCache
from swath.spec.models import Workflow
from swath.store import RunRow

Command = Callable[[tuple[Any, ...]], Awaitable[Any]]


class CommandError(JsonRpcInvalidParams):
    """Bad arguments or a refused request: the client shows the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)
    MAIN: ClassVar[str | None] = None  # the field a bare string argument fills


def parse(model: type[Args], args: tuple[Any, ...]) -> Any:
    raw: Any = args[0] if args else {}
    if len(args) > 1:
        raise CommandError(f"expected one argument object, got {len(args)} arguments")
    if isinstance(raw, str) and model.MAIN:
        raw = {model.MAIN: raw}
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise CommandError(f"expected an object argument, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'argument'}: {e['msg']}" for e in exc.errors()
        )
        raise CommandError(f"invalid arguments: {problems}") from None


def register_commands(server: LanguageServer, commands: dict[str, Command]) -> None:
    for name, fn in commands.items():
        server.command(name)(_handler(name, fn))


def _handler(name: str, fn: Command) -> Callable[..., Awaitable[Any]]:
    # pygls hands the server to a first parameter named `ls`, and converts the arguments
    # by the handler's signature: `*args` takes them as the client sent them.
    async def handler(ls: LanguageServer, *args: Any) -> Any:
        return await fn(args)

    handler.__name__ = name.replace(".", "_")
    return handler


def folder_root(folders: FolderSessions, folder: str | None, target: str | None) -> Path:
    """The workspace folder a command is about: the one named, else the target's, else the
    first."""
    try:
        if folder:
            return folders.root_for(uri_to_path(folder))
        if target:
            return folders.root_for(uri_to_path(target))
        return folders.default_root()
    except (LookupError, ValueError) as exc:
        raise CommandError(str(exc)) from None


async def load_workflow(names: KnownNamesCache, name: str, root: Path) -> Workflow:
    """A built-in or saved workflow by name, or a workflow file by path or URI (in a thread)."""
    from swath.spec.loader import WorkflowError, WorkflowNotFound, load_workflow, resolve_workflow

    if name.startswith("file:"):
        name = str(uri_to_path(name))
    known = await names.get()

    def load() -> Workflow:
        return load_workflow(resolve_workflow(name, root), known, workspace_root=root)

    try:
        return await asyncio.to_thread(load)
    except (WorkflowError, WorkflowNotFound) as exc:
        raise CommandError(str(exc)) from None


async def find_run(folders: FolderSessions, run_id: str) -> tuple[Path, Session, RunRow]:
    """The recorded run `run_id`, from whichever workspace folder's store has it."""
    for root in folders.roots:
        session = await folders.session(root)
        row = await session.store.get_run(run_id)
        if row is not None:
            return root, session, row
    raise CommandError(f"no run {run_id!r} in any workspace folder; swath.listRuns lists them")
