"""Everything a front end needs for one workspace: the workspace, its store, an engine,
and (when configured) a model runner. The CLI and the LSP server both start here."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swath.agents.base import ModelRunner
from swath.engine.runner import Engine
from swath.store import RunStore
from swath.workspace import Workspace

log = logging.getLogger(__name__)


def find_root(start: Path) -> Path:
    """The enclosing git work tree (or a folder holding .swath/), else `start` itself."""
    start = start.resolve()
    for d in (start, *start.parents):
        if (d / ".git").exists() or (d / ".swath").is_dir():
            return d
    return start


def make_model_runner(root: Path, overrides: dict[str, Any] | None = None) -> ModelRunner | None:
    """The Anthropic runner when an API key is configured, else None (offline analyzers)."""
    from swath.agents.config import load_model_config

    config = load_model_config(root, overrides or {})
    if not os.environ.get(config.api_key_env):
        # No key, no model: skip importing the SDK at all (it is the slowest import we have).
        return None
    from swath.agents.llm import AnthropicRunner

    return AnthropicRunner.from_environment(config, workspace_root=root)


@dataclass
class Session:
    workspace: Workspace
    store: RunStore
    engine: Engine

    @classmethod
    def open(cls, root: Path, *, model: bool = True, overrides: dict[str, Any] | None = None) -> "Session":
        workspace = Workspace(root)
        store = RunStore.open(workspace.root)
        runner = make_model_runner(workspace.root, overrides) if model else None
        engine = Engine(workspace, store, runner)
        return cls(workspace, store, engine)

    async def aclose(self) -> None:
        runner = self.engine.model_runner
        if runner is not None:
            await runner.aclose()
        await self.store.aclose()
