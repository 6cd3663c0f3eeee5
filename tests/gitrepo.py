"""Real git repositories for tests: files committed with chosen author dates."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def git(root: Path, *args: str, date: str | None = None) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": os.environ.get("TEST_GIT_AUTHOR", "Ada Lovelace"),
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Lovelace",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    out = subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout


def init_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    return root


def commit_files(
    root: Path,
    files: dict[str, str],
    *,
    date: str | None = None,
    author: str | None = None,
    message: str = "change",
) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    env_author = {"TEST_GIT_AUTHOR": author} if author else {}
    old = {k: os.environ.get(k) for k in env_author}
    os.environ.update(env_author)
    try:
        git(root, "commit", "-q", "-m", message, date=date)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _left_by_runs(folder: str, names: list[str]) -> list[str]:
    if Path(folder).name != ".swath":
        return []
    return [n for n in names if n.startswith("swath.db") or n == "reports"]


def copy_example(src: Path, dest: Path) -> Path:
    """A bundled example as a clone has it: without the store and reports a run in place
    left there (git ignores them). A copy with them serves that run's cached results —
    dates blamed from this checkout's history and all."""
    shutil.copytree(src, dest, ignore=_left_by_runs, dirs_exist_ok=True)
    return dest
