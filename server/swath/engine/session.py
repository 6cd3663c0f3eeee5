"""Everything a front end needs for one workspace: the workspace, its store, an engine,
and (when configured) a model runner. The CLI and the LSP server both start here."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swath.agents.base import ModelRunner
from swath.agents.config import ConfigError, ModelConfig, load_model_config
from swath.agents.policy import Policy, PolicyError, load_policy
from swath.engine.options import EngineError
from swath.engine.runner import Engine
from swath.store import RunStore
from swath.workspace import Workspace
from swath.workspace.workspace import DEFAULT_DENY

log = logging.getLogger(__name__)


def find_root(start: Path) -> Path:
    """The enclosing git work tree (or a folder holding .swath/), else `start` itself."""
    start = start.resolve()
    for d in (start, *start.parents):
        if (d / ".git").exists() or (d / ".swath").is_dir():
            return d
    return start


def make_model_runner(root: Path, config: ModelConfig, policy: Policy) -> ModelRunner | None:
    """The Anthropic runner when an API key is configured, else None (offline analyzers)."""
    if config.api_key() is None:
        # No key, no model: skip importing the SDK at all (it is the slowest import we have).
        return None
    from swath.agents.llm import AnthropicRunner

    return AnthropicRunner.from_environment(config, workspace_root=root, policy=policy)


@dataclass
class Session:
    workspace: Workspace
    store: RunStore
    engine: Engine
    # Settings of workspace files that were refused (credential keys); front ends show them.
    notices: tuple[str, ...] = ()

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        model: bool = True,
        overrides: dict[str, Any] | None = None,
        read_only: bool = False,
    ) -> "Session":
        """Raises EngineError when `.swath/policy.yaml` or the model configuration is invalid.

        `read_only`: a workspace without `.swath/` gets an empty store in memory instead of
        a new `.swath/` (for plans, which run nothing)."""
        try:
            policy = load_policy(root)
            config = load_model_config(root, overrides or {})
        except (PolicyError, ConfigError, ValueError) as exc:
            raise EngineError(str(exc)) from exc
        # Denied paths hold for everything that reads the workspace: sources, verification, tools.
        workspace = Workspace(root, deny=(*DEFAULT_DENY, *policy.denied_paths, *config.deny_paths))
        store = (
            RunStore.open_existing(workspace.root) if read_only else RunStore.open(workspace.root)
        )
        runner = make_model_runner(workspace.root, config, policy) if model else None
        engine = Engine(workspace, store, runner, policy=policy, model_config=config)
        for notice in config.ignored_settings:
            log.warning("%s", notice)
        return cls(workspace, store, engine, tuple(config.ignored_settings))

    async def aclose(self) -> None:
        runner = self.engine.model_runner
        if runner is not None:
            await runner.aclose()
        await self.store.aclose()
