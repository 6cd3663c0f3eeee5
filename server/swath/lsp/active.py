"""The runs going now, as every feature sees them: the runs feature adds and removes them;
code lenses, listings and the store follower only read.

Kept apart from the runs feature so readers need not import (or know) how a run is driven.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from swath.engine.options import RunOptions
from swath.lsp.folders import uri_to_path
from swath.lsp.progress import RunProgress
from swath.spec.models import EmitStep, Workflow


@dataclass
class EmitFlags:
    diagnostics: bool = True
    lenses: bool = True

    @classmethod
    def of(cls, wf: Workflow | dict[str, Any]) -> "EmitFlags":
        steps = wf.steps if isinstance(wf, Workflow) else wf.get("steps", [])
        for s in steps:
            if isinstance(s, EmitStep):
                return cls(s.diagnostics, s.code_lenses)
            if isinstance(s, dict) and s.get("kind") == "emit":
                return cls(bool(s.get("diagnostics", True)), bool(s.get("code_lenses", True)))
        return cls()


@dataclass
class ActiveRun:
    run_id: str
    root: Path
    workflow: Workflow
    options: RunOptions
    progress: RunProgress
    flags: EmitFlags
    target: str | None = None  # the file or folder URI the command was about
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    findings: int = 0

    def in_scope(self, uri: str) -> bool:
        """Is `uri` a file this run looked at (so its older findings there are replaced)?"""
        try:
            rel = uri_to_path(uri).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return False
        if not self.options.paths:
            return True
        return any(
            rel == p or rel.startswith(p.rstrip("/") + "/") or p in ("", ".")
            for p in self.options.paths
        )

    def about(self, uri: str) -> bool:
        """Was the command that started this run about `uri` (the file, or a folder above it)?"""
        return self.target is not None and (
            uri == self.target or uri.startswith(self.target.rstrip("/") + "/")
        )


class ActiveRuns:
    """Run id → the run, in the order they started."""

    def __init__(self) -> None:
        self._runs: dict[str, ActiveRun] = {}

    def add(self, run: ActiveRun) -> None:
        self._runs[run.run_id] = run

    def remove(self, run_id: str) -> None:
        self._runs.pop(run_id, None)

    def get(self, run_id: str) -> ActiveRun | None:
        return self._runs.get(run_id)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._runs

    def __iter__(self) -> Iterator[ActiveRun]:
        return iter(list(self._runs.values()))

    def ids(self) -> set[str]:
        return set(self._runs)

    def workflows(self) -> set[str]:
        return {run.workflow.name for run in self._runs.values()}
