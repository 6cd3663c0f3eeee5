"""Helpers for the flag audit tests: throwaway git repositories and the pipeline run offline."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from swath.analyzers.base import AnalyzerContext
from swath.analyzers.flags.analyzer import FlagClassify
from swath.analyzers.flags.plan import FlagPlan
from swath.findings.model import Finding
from swath.sources.base import SourceContext
from swath.sources.flags import FlagsSource
from swath.spec.records import Item, Record
from swath.workspace import Workspace
from tests.gitrepo import copy_example

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "flags-demo"


def git(root: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_AUTHOR_DATE": "2024-03-01T12:00:00Z",
        "GIT_COMMITTER_DATE": "2024-03-01T12:00:00Z",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True, env=env
    ).stdout


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(
            textwrap.dedent(text).lstrip("\n") if not rel.endswith(".json") else text,
            encoding="utf-8",
        )


def make_repo(root: Path, files: dict[str, str], commit: bool = True) -> Workspace:
    write(root, files)
    git(root, "init", "-q")
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "init")
    return Workspace(root)


def discover(ws: Workspace, **options: Any) -> list[Item]:
    return FlagsSource().discover(SourceContext(workspace=ws, options=options))


def flag_items(items: list[Item]) -> dict[str, Item]:
    return {i.id: i for i in items if i.kind == "flag"}


def errors(items: list[Item]) -> list[dict[str, Any]]:
    return [i.data for i in items if i.kind == "flag-error"]


def run_offline(
    ws: Workspace, batch: int = 10, **params: Any
) -> tuple[list[Record], list[Finding], dict[str, Any]]:
    """discover -> flag-classify in batches -> flag-plan, as the engine would run them."""
    items = discover(ws)
    records, found = [], []
    for i in range(0, len(items), batch):
        chunk = items[i : i + batch]
        out = FlagClassify().analyze(chunk, AnalyzerContext(workspace=ws, params=params))
        records.append(
            Record(
                step="classify",
                key=f"batch{i}",
                items=chunk,
                output=out.output,
                findings=out.findings,
            )
        )
        found += out.findings
    plan = FlagPlan().reduce(records, AnalyzerContext(workspace=ws))
    return records, found, plan.output


@pytest.fixture
def demo(tmp_path: Path) -> Workspace:
    root = tmp_path / "flags-demo"
    copy_example(DEMO, root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "demo")
    return Workspace(root)
