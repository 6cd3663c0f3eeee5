"""Finding workflows: built-in ones shipped with the package, and a repository's own.

A repository's workflows live in `<workspace>/.swath/workflows/*.yaml` (committed and
shared); one with the same name as a built-in replaces it for that repository, which is
how a team customises `review-diff` without forking swath.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field

from swath.spec.errors import WorkflowNotFound
from swath.spec.wording import did_you_mean

WORKFLOW_SUFFIXES = (".yaml", ".yml")
REPO_WORKFLOWS = Path(".swath") / "workflows"
# The built-ins' `name:` -> file, so that `swath run review-diff` in a repository with no
# workflows of its own finds the file without parsing every built-in for its name (a
# quarter of a one-shot run's start-up). tests/spec/test_discovery.py keeps it true.
BUILTIN_FILES = {
    "flag-audit": "flag-audit.yaml",
    "map-module": "map-module.yaml",
    "review-diff": "review-diff.yaml",
    "todo-audit": "todo-audit.yaml",
}


class WorkflowInfo(BaseModel):
    name: str = Field(description="The file's `name:` (the file stem when it has none).")
    path: Path
    builtin: bool = Field(description="Shipped with swath rather than saved in the repository.")
    description: str = ""
    overrides_builtin: bool = Field(
        default=False, description="A repository workflow that replaces a built-in of that name."
    )
    error: str | None = Field(
        default=None, description="What is wrong with the file, if it cannot be read or is ignored."
    )
    ignored: bool = Field(
        default=False, description="Another file in the same folder already uses this name."
    )


def builtin_workflows_dir() -> Path:
    return Path(str(resources.files("swath.spec") / "workflows"))


def example_workflows_dir() -> Path:
    """The example workflows shipped with the package (examples/workflows/ links to them)."""
    return Path(str(resources.files("swath.spec") / "examples"))


def repo_workflows_dir(workspace_root: Path) -> Path:
    return workspace_root / REPO_WORKFLOWS


def list_workflows(
    workspace_root: Path | None, *, builtin_dir: Path | None = None
) -> list[WorkflowInfo]:
    """Every workflow available in `workspace_root`, sorted by name.

    Only `name` and `description` are read. A broken file still shows up, with `error`
    set, so `swath workflows list` can say what is wrong instead of hiding it.
    """
    builtins = _scan(builtin_dir or builtin_workflows_dir(), builtin=True)
    repo = _scan(repo_workflows_dir(workspace_root), builtin=False) if workspace_root else []
    by_name = {w.name: w for w in builtins if not w.ignored}
    ignored = [w for w in builtins + repo if w.ignored]
    for info in repo:
        if info.ignored:
            continue
        previous = by_name.get(info.name)
        info.overrides_builtin = previous is not None and previous.builtin
        by_name[info.name] = info
    return sorted([*by_name.values(), *ignored], key=lambda w: (w.name, w.ignored, str(w.path)))


def _scan(folder: Path, *, builtin: bool) -> list[WorkflowInfo]:
    if not folder.is_dir():
        return []
    infos: list[WorkflowInfo] = []
    owner: dict[str, Path] = {}
    for path in sorted(
        p for p in folder.iterdir() if p.suffix in WORKFLOW_SUFFIXES and p.is_file()
    ):
        info = _read_info(path, builtin=builtin)
        if info.name in owner:
            # Two files claim one name: the first by file name wins; say so on the other
            # rather than silently picking one.
            info.ignored = True
            info.error = (
                f"name `{info.name}` is also used by {owner[info.name].name}; this file is ignored"
            )
        else:
            owner[info.name] = path
        infos.append(info)
    return infos


# `_read_info` by (path, mtime, size): a listing loads every workflow, each load may look
# for its base among all of them, and the LSP lists on every picker; unchanged files are
# not parsed again.
_INFO_CACHE: dict[tuple[str, int, int, bool], WorkflowInfo] = {}
_INFO_CACHE_MAX = 4096


def _read_info(path: Path, *, builtin: bool) -> WorkflowInfo:
    try:
        st = path.stat()
    except OSError:
        return _parse_info(path, builtin=builtin)
    key = (str(path.absolute()), st.st_mtime_ns, st.st_size, builtin)
    cached = _INFO_CACHE.get(key)
    if cached is None:
        if len(_INFO_CACHE) >= _INFO_CACHE_MAX:
            _INFO_CACHE.clear()
        cached = _INFO_CACHE[key] = _parse_info(path, builtin=builtin)
    # A copy: callers set `ignored` and `overrides_builtin` on what they get.
    return cached.model_copy()


def _parse_info(path: Path, *, builtin: bool) -> WorkflowInfo:
    # ruamel here, not at the top: a run of a built-in found by name reads no header.
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from swath.spec.yaml_bounds import check_yaml_bounds

    name, description, error = path.stem, "", None
    try:
        text = path.read_text(encoding="utf-8")
        check_yaml_bounds(text)
        data = YAML(typ="safe").load(text)
    except (OSError, UnicodeDecodeError, YAMLError, RecursionError, MemoryError) as exc:
        # Whatever is wrong with one file, the other workflows (and every command) still work.
        data, error = None, f"cannot read workflow: {str(exc).splitlines()[0]}"
    if isinstance(data, dict):
        if isinstance(data.get("name"), str) and data["name"]:
            name = data["name"]
        if isinstance(data.get("description"), str):
            description = data["description"].strip()
    elif error is None:
        error = "not a workflow: the file is not a YAML mapping with `name:` and `steps:`"
    return WorkflowInfo(name=name, path=path, builtin=builtin, description=description, error=error)


def resolve_workflow(
    name_or_path: str, workspace_root: Path | None, *, builtin_dir: Path | None = None
) -> Path:
    """The file a WORKFLOW argument means.

    In order: an existing file (relative to the current directory, then to the
    workspace); anything ending in .yaml/.yml is a path and must exist; a workflow saved in
    the repository; a built-in. Raises WorkflowNotFound listing what is available.
    """
    as_path = _existing_path(name_or_path, workspace_root)
    if as_path is not None:
        return as_path
    if builtin_dir is None and name_or_path in BUILTIN_FILES and not _saved(workspace_root):
        return builtin_workflows_dir() / BUILTIN_FILES[name_or_path]
    # Unreadable files stay resolvable (by stem) so loading them reports what is wrong.
    available = [
        w for w in list_workflows(workspace_root, builtin_dir=builtin_dir) if not w.ignored
    ]
    names = [w.name for w in available]
    if name_or_path.endswith(WORKFLOW_SUFFIXES) or "/" in name_or_path:
        raise WorkflowNotFound(
            name_or_path, names, None, detail=f"workflow file {name_or_path!r} does not exist"
        )
    for info in available:
        if info.name == name_or_path:
            return info.path
    for info in available:  # a file's stem also works when its `name:` differs
        if info.path.stem == name_or_path:
            return info.path
    raise WorkflowNotFound(name_or_path, names, did_you_mean(name_or_path, names))


def _saved(workspace_root: Path | None) -> bool:
    """Whether the repository has workflow files of its own (one may take a built-in's name)."""
    if workspace_root is None:
        return False
    folder = repo_workflows_dir(workspace_root)
    try:
        return any(p.suffix in WORKFLOW_SUFFIXES for p in folder.iterdir())
    except OSError:  # no such folder, or not one
        return False


def _existing_path(name_or_path: str, workspace_root: Path | None) -> Path | None:
    candidates = [Path(name_or_path).expanduser()]
    if workspace_root is not None and not Path(name_or_path).is_absolute():
        candidates.append(workspace_root / name_or_path)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def extendable_workflows(
    workspace_root: Path | None, *, builtin_dir: Path | None = None
) -> list[WorkflowInfo]:
    """What `extends:` may name, saved ones first: read once per load, however deep the
    chain of bases goes."""
    repo = _scan(repo_workflows_dir(workspace_root), builtin=False) if workspace_root else []
    builtins = _scan(builtin_dir or builtin_workflows_dir(), builtin=True)
    return [w for w in repo + builtins if not w.ignored]


def workflow_named(
    name: str, candidates: list[WorkflowInfo], *, exclude: Path | None = None
) -> tuple[Path | None, list[str]]:
    """The file of the workflow called `name` that `extends: name` means, and every name
    that could have been meant.

    A saved workflow wins over a built-in of that name, except when it is `exclude` (the
    file doing the extending): `.swath/workflows/review-diff.yaml` saying
    `extends: review-diff` customises the built-in rather than extending itself.
    """
    skip = exclude.resolve() if exclude is not None else None
    usable = [w for w in candidates if w.path.resolve() != skip]
    names = sorted({w.name for w in usable})
    for info in usable:
        if info.name == name:
            return info.path, names
    for info in usable:
        if info.path.stem == name:
            return info.path, names
    return None, names
