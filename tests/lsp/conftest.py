"""Drive the real `swath lsp` over stdio with pytest-lsp's client.

Every test gets a real git repository whose TODO comments were committed in 2020, so
the offline `todo-audit` analyzers report them as stale, and a saved workflow
(`slow-todos`) that maps one file per agent, one agent at a time: slow enough to watch
findings stream in and to cancel it half-way.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from tests.gitrepo import commit_files, init_repo

CLIENTS = ["visual-studio-code", "neovim", "emacs"]
SERVER = [sys.executable, "-m", "swath", "lsp"]
OLD = "2020-01-01T12:00:00+00:00"

SLOW_WORKFLOW = """\
name: slow-todos
description: todo-audit one file per agent, one agent at a time (for streaming tests)
inputs:
  max_age_days:
    type: integer
    default: 180
limits:
  concurrency: 1
steps:
  - id: files
    kind: discover
    source: files
    with:
      include: ["pkg/**/*.py"]
  - id: todos
    kind: map
    from: files
    batch: 1
    agent:
      analyzer: todo-comments
  - id: verified
    kind: verify
    from: todos
  - id: report
    kind: emit
    from: verified
"""


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def uri(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def module_text(n: int) -> str:
    return (
        f'"""Module {n}."""\n'
        "\n"
        f"def f{n}(x):\n"
        f"    # TODO: handle negative x in f{n}\n"
        "    return x * 2\n"
    )


def make_repo(root: Path, modules: int = 3, workflow: bool = True) -> Path:
    """A repo with `modules` files pkg/mNNN.py, each with one stale TODO on line 3 (0-based)."""
    init_repo(root)
    files = {f"pkg/m{n:03d}.py": module_text(n) for n in range(modules)}
    files["README.md"] = "# demo\n"
    if workflow:
        files[".swath/workflows/slow-todos.yaml"] = SLOW_WORKFLOW
    commit_files(root, files, date=OLD, message="old code")
    return root


@dataclass
class Recorder:
    """Everything the server sent, in order, with arrival times."""

    events: list[tuple[float, str, Any]] = field(default_factory=list)
    lens_refreshes: int = 0

    def add(self, kind: str, payload: Any) -> None:
        self.events.append((time.monotonic(), kind, payload))

    def of(self, kind: str) -> list[Any]:
        return [p for _, k, p in self.events if k == kind]

    def index(self, kind: str, pred: Callable[[Any], bool] = lambda p: True) -> int:
        for i, (_, k, p) in enumerate(self.events):
            if k == kind and pred(p):
                return i
        return -1


def recording_client() -> LanguageClient:
    """pytest-lsp's client, with handlers that also record what arrived and when."""
    client = LanguageClient(converter_factory=default_converter)
    client.recorder = attach_recorder(client)  # type: ignore[attr-defined]
    mine = set(client.protocol.fm.features)
    register_lsp_features(
        client, {m: f for m, f in DEFAULT_CLIENT_FEATURES.items() if m not in mine}
    )
    return client


def attach_recorder(client: LanguageClient) -> Recorder:
    rec = Recorder()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        rec.add("diagnostics", params)

    @client.feature(lsp.PROGRESS)
    def on_progress(params: lsp.ProgressParams) -> None:
        value = params.value or {}
        client.progress_reports.setdefault(params.token, []).append(value)
        rec.add("progress", (params.token, value))

    @client.feature(lsp.WORKSPACE_CODE_LENS_REFRESH)
    def on_lens_refresh(params: Any) -> None:
        rec.lens_refreshes += 1
        rec.add("lens_refresh", None)

    @client.feature(lsp.WINDOW_SHOW_MESSAGE)
    def on_message(params: lsp.ShowMessageParams) -> None:
        client.messages.append(params)
        rec.add("message", params)

    @client.feature(lsp.WINDOW_LOG_MESSAGE)
    def on_log(params: lsp.LogMessageParams) -> None:
        client.log_messages.append(params)
        rec.add("log", params)

    @client.feature(lsp.WINDOW_SHOW_DOCUMENT)
    def on_show_document(params: lsp.ShowDocumentParams) -> lsp.ShowDocumentResult:
        client.shown_documents.append(params)
        rec.add("show_document", params)
        return lsp.ShowDocumentResult(success=True)

    return rec


def capabilities(
    name: str, *, progress: bool = True, lens_refresh: bool | None = None
) -> lsp.ClientCapabilities:
    caps = client_capabilities(name)
    if not progress and caps.window is not None:
        caps.window.work_done_progress = False
    if lens_refresh is not None and caps.workspace is not None:
        caps.workspace.code_lens = lsp.CodeLensWorkspaceClientCapabilities(
            refresh_support=lens_refresh
        )
    return caps


@dataclass
class Session:
    client: LanguageClient
    rec: Recorder
    root: Path
    init: lsp.InitializeResult | None = None

    @property
    def encoding(self) -> str:
        enc = self.init.capabilities.position_encoding if self.init else None
        return str(enc.value if hasattr(enc, "value") else enc or "utf-16")

    def uri(self, rel: str) -> str:
        return uri(self.root / rel)

    async def command(self, name: str, *args: Any) -> Any:
        return await self.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=name, arguments=list(args))
        )

    def run_ended(self, run_id: str) -> bool:
        return any(
            v.get("kind") == "end"
            for v in self.client.progress_reports.get(f"swath-run-{run_id}", [])
        )

    async def wait_for(
        self, cond: Callable[[], Any], timeout: float = 30.0, what: str = "condition"
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = cond()
            if value:
                return value
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    async def wait_run(self, run_id: str, timeout: float = 180.0) -> None:
        """Until the run's end is known: progress end, or its summary in a message.

        Generous on purpose: the server runs workflows at a lower CPU priority (nice 10), so
        with the other test worker busy on both cores a run that takes 2 s alone took over
        60 s here once. This is a wait, not a time bound: speed is measured in bench/."""

        def ended() -> bool:
            if self.run_ended(run_id):
                return True
            return any(run_id in m.message for m in self.client.messages)

        await self.wait_for(ended, timeout, f"run {run_id} to end")

    async def wait_message(self, *parts: str, timeout: float = 30.0) -> str:
        """Until a showMessage (or logMessage) containing every part arrives; returns it."""

        def found() -> str | None:
            for m in [*self.client.messages, *self.client.log_messages]:
                if all(p in m.message for p in parts):
                    return m.message
            return None

        return await self.wait_for(found, timeout, f"a message with {parts!r}")

    def open(self, rel: str, version: int = 1) -> str:
        u = self.uri(rel)
        text = (self.root / rel).read_text(encoding="utf-8")
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=u, language_id="python", version=version, text=text
                )
            )
        )
        return u

    def change(
        self, u: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str
    ) -> None:
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=u, version=version),
                content_changes=[
                    lsp.TextDocumentContentChangePartial(
                        range=lsp.Range(
                            start=lsp.Position(line=start[0], character=start[1]),
                            end=lsp.Position(line=end[0], character=end[1]),
                        ),
                        text=text,
                    )
                ],
            )
        )

    async def lenses(self, u: str) -> list[lsp.CodeLens]:
        """The findings' lenses on `u` (without the file-level `↻ re-run` lens)."""
        return [
            lens
            for lens in await self.client.text_document_code_lens_async(
                lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=u))
            )
            or []
            if not (lens.command and lens.command.command == "swath.rerun")
        ]

    def swath_diagnostics(self, u: str) -> list[lsp.Diagnostic]:
        return [
            d
            for d in self.client.diagnostics.get(u, [])
            if d.source == "swath" or (d.source or "").startswith("swath/")
        ]


@asynccontextmanager
async def lsp_session(
    root: Path,
    caps: lsp.ClientCapabilities,
    init_options: Any = None,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[Session]:
    config = ClientServerConfig(
        server_command=SERVER,
        server_env={**server_env(), **(extra_env or {})},
        client_factory=recording_client,
    )
    client = await config.start()
    rec: Recorder = client.recorder  # type: ignore[attr-defined]
    try:
        init = await client.initialize_session(
            lsp.InitializeParams(
                capabilities=caps,
                root_uri=uri(root),
                workspace_folders=[lsp.WorkspaceFolder(uri=uri(root), name=root.name)],
                initialization_options=init_options,
            )
        )
        yield Session(client, rec, root, init)
        await asyncio.wait_for(client.shutdown_session(), 60)
    finally:
        server = client._server  # the process this test started
        if server is not None and server.returncode is None:
            try:
                await asyncio.wait_for(server.wait(), 15)
            except TimeoutError:  # a failed test skipped shutdown/exit: don't wait forever
                server.kill()
        await client.stop()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture(params=CLIENTS)
def client_name(request: pytest.FixtureRequest) -> str:
    return request.param
