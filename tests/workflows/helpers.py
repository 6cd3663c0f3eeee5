"""Helpers for the built-in workflows' tests: run a source or an analyzer on a real repo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swath.analyzers import registry as analyzers
from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.sources.diff import DiffSource
from swath.sources.files import FilesSource
from swath.sources.base import SourceContext
from swath.spec.records import Item, Record
from swath.workspace import Workspace
from tests.gitrepo import git


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_bytes(content.encode("utf-8"))  # keep \r and \r\n exactly as written


def diff_items(root: Path, *, paths: list[str] | None = None, **options: Any) -> list[Item]:
    inputs = {k: options.pop(k) for k in ("base", "untracked") if k in options}
    ctx = SourceContext(
        workspace=Workspace(root), paths=paths or [], inputs=inputs, options=options
    )
    return DiffSource().discover(ctx)


def by_path(items: list[Item]) -> dict[str, Item]:
    return {i.path: i for i in items if i.path}


def file_items(
    root: Path, paths: list[str] | None = None, include: list[str] | None = None
) -> list[Item]:
    ctx = SourceContext(
        workspace=Workspace(root),
        paths=paths or [],
        options={"include": include or ["*.py", "*.ts", "*.tsx", "*.js", "*.go"]},
    )
    return FilesSource().discover(ctx)


def analyze(
    name: str, items: list[Item], root: Path, params: dict[str, Any] | None = None
) -> AnalyzerOutput:
    ctx = AnalyzerContext(workspace=Workspace(root), params=params or {})
    return analyzers.get(name).analyze(items, ctx)  # type: ignore[union-attr]


def reduce(
    name: str, records: list[Record], root: Path, params: dict[str, Any] | None = None
) -> AnalyzerOutput:
    ctx = AnalyzerContext(workspace=Workspace(root), params=params or {})
    return analyzers.get(name).reduce(records, ctx)  # type: ignore[union-attr]


def stage(root: Path, *paths: str) -> None:
    git(root, "add", *paths)
