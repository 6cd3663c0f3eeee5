"""Cache keys: what a task's result depends on.

A task's *input hash* covers the step's spec, its items and the run's inputs. Its result
also depends on the content of the files it read; those are stored beside the result as
`deps` and re-checked on lookup, so changing one file re-runs exactly the tasks that read it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from swath import __version__
from swath.spec.records import Item, Record
from swath.workspace import Workspace
from swath.workspace.depmarks import EXISTS, GIT_HEAD

# Bump when the engine changes what a cached result means.
CACHE_EPOCH = "3"  # 3: fingerprints by line text and occurrence (identity.py)


def _digest(obj: Any) -> str:
    blob = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def task_key(items: list[Item]) -> str:
    if len(items) == 1:
        return items[0].id
    ids = [i.id for i in items]
    return f"{ids[0]}+{len(ids) - 1}#{_digest(ids)[:10]}"


def step_digest(
    *,
    workflow: str,
    workflow_version: int,
    step_spec: dict[str, Any],
    analyzer_version: str,
    inputs: dict[str, Any],
    model: str | None,
) -> str:
    """What every task of a step shares; computed once per step, not once per task."""
    return _digest(
        {
            "epoch": CACHE_EPOCH,
            "swath": __version__.split(".")[0],
            "workflow": [workflow, workflow_version],
            "step": step_spec,
            "analyzer": analyzer_version,
            "inputs": inputs,
            "model": model,
        }
    )


def input_hash(
    base: str,
    items: list[Item] | None = None,
    digests: list[str] | None = None,
    item_json: Callable[[Item], bytes] | None = None,
) -> str:
    """A task's key: its step's digest plus its own items (map) or its records' digests
    (reduce: `record_digest` of each, which a cached record brings from the store).
    `item_json`: an item's JSON (the planner's, made once for every step over the item)."""
    h = hashlib.sha256(base.encode("ascii"))
    for i in items or []:
        h.update(b"\x1eI")
        h.update(item_json(i) if item_json is not None else i.model_dump_json().encode("utf-8"))
    for d in digests or []:
        h.update(b"\x1eR")
        h.update(d.encode("ascii"))
    return h.hexdigest()


def record_digest(record: Record) -> str:
    """sha256 of the record's JSON: the store keeps the record under the same hash."""
    return hashlib.sha256(record.model_dump_json().encode("utf-8")).hexdigest()


def _dep_hash(workspace: Workspace, path: str) -> str:
    """A file's content hash; for `exists:PATH`, only whether it is a file ("1" or "");
    for `git:HEAD`, the commit checked out ("" outside git or before the first commit)."""
    if path.startswith(EXISTS):
        return "1" if (workspace.root / path[len(EXISTS) :]).is_file() else ""
    if path == GIT_HEAD:
        if not workspace.is_git():
            return ""
        return workspace.git("rev-parse", "--verify", "-q", "HEAD", check=False).strip()
    return workspace.file_hash(path)


def file_deps(workspace: Workspace, paths: list[str]) -> dict[str, str]:
    return {p: _dep_hash(workspace, p) for p in sorted(set(paths))}


def deps_unchanged(workspace: Workspace, deps: dict[str, str]) -> bool:
    return all(_dep_hash(workspace, p) == h for p, h in deps.items())
