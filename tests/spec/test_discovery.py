"""Finding built-in and repository workflows by name or path."""

from __future__ import annotations

from pathlib import Path

import pytest
from swath.spec.loader import (
    WorkflowNotFound,
    builtin_workflows_dir,
    list_workflows,
    resolve_workflow,
)


def _wf(folder: Path, filename: str, name: str | None, description: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    head = f"name: {name}\n" if name else ""
    path.write_text(
        f"{head}description: {description or 'x'}\nsteps:\n  - id: a\n    kind: discover\n    source: files\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    builtin = tmp_path / "builtin"
    workspace = tmp_path / "repo"
    _wf(builtin, "review-diff.yaml", "review-diff", "Built-in review")
    _wf(builtin, "map-module.yaml", "map-module", "Map a module")
    _wf(workspace / ".swath" / "workflows", "review.yaml", "review-diff", "Our review")
    _wf(workspace / ".swath" / "workflows", "mine.yml", "todo-hunt", "Find TODOs")
    return builtin, workspace


def test_builtin_dir_is_package_data() -> None:
    folder = builtin_workflows_dir()
    assert folder.name == "workflows" and folder.parent.name == "spec"


def test_repo_workflows_override_builtins(dirs: tuple[Path, Path]) -> None:
    builtin, workspace = dirs
    infos = list_workflows(workspace, builtin_dir=builtin)
    by_name = {i.name: i for i in infos}
    assert [i.name for i in infos] == ["map-module", "review-diff", "todo-hunt"]
    assert by_name["review-diff"].builtin is False
    assert by_name["review-diff"].overrides_builtin is True
    assert by_name["review-diff"].description == "Our review"
    assert (
        by_name["map-module"].builtin is True and by_name["map-module"].overrides_builtin is False
    )
    assert by_name["todo-hunt"].path.name == "mine.yml"


def test_without_workspace_only_builtins(dirs: tuple[Path, Path]) -> None:
    builtin, _ = dirs
    assert [i.name for i in list_workflows(None, builtin_dir=builtin)] == [
        "map-module",
        "review-diff",
    ]


def test_saved_name_comes_from_the_file(dirs: tuple[Path, Path]) -> None:
    builtin, workspace = dirs
    assert resolve_workflow("todo-hunt", workspace, builtin_dir=builtin).name == "mine.yml"
    assert (
        resolve_workflow("mine", workspace, builtin_dir=builtin).name == "mine.yml"
    )  # the stem works too


def test_resolve_prefers_repo_then_builtin(dirs: tuple[Path, Path]) -> None:
    builtin, workspace = dirs
    assert (
        resolve_workflow("review-diff", workspace, builtin_dir=builtin)
        == workspace / ".swath/workflows/review.yaml"
    )
    assert (
        resolve_workflow("map-module", workspace, builtin_dir=builtin)
        == builtin / "map-module.yaml"
    )


def test_resolve_existing_path(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    builtin, workspace = dirs
    other = _wf(tmp_path / "elsewhere", "review-diff", "x")  # a path wins over a name
    assert resolve_workflow(str(other), workspace, builtin_dir=builtin) == other
    rel = resolve_workflow(".swath/workflows/review.yaml", workspace, builtin_dir=builtin)
    assert rel == workspace / ".swath/workflows/review.yaml"


def test_missing_yaml_path_is_not_found(dirs: tuple[Path, Path]) -> None:
    builtin, workspace = dirs
    with pytest.raises(WorkflowNotFound) as info:
        resolve_workflow("nope/missing.yaml", workspace, builtin_dir=builtin)
    assert "does not exist" in str(info.value)


def test_unknown_name_lists_available_with_did_you_mean(dirs: tuple[Path, Path]) -> None:
    builtin, workspace = dirs
    with pytest.raises(WorkflowNotFound) as info:
        resolve_workflow("reveiw-diff", workspace, builtin_dir=builtin)
    err = info.value
    assert err.suggestion == "review-diff"
    assert err.available == ["map-module", "review-diff", "todo-hunt"]
    assert "did you mean 'review-diff'?" in str(err)
    assert "available: map-module, review-diff, todo-hunt" in str(err)


def test_broken_files_are_listed_with_their_error(tmp_path: Path) -> None:
    folder = tmp_path / ".swath" / "workflows"
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text("name: [oops\n", encoding="utf-8")
    (folder / "list.yaml").write_text("- 1\n", encoding="utf-8")
    infos = {i.name: i for i in list_workflows(tmp_path, builtin_dir=tmp_path / "none")}
    assert infos["broken"].error and "cannot read workflow" in infos["broken"].error
    assert infos["list"].error and "not a workflow" in infos["list"].error
    # still resolvable, so loading it reports the exact problem
    assert (
        resolve_workflow("broken", tmp_path, builtin_dir=tmp_path / "none")
        == folder / "broken.yaml"
    )


def test_two_files_with_one_name(tmp_path: Path) -> None:
    folder = tmp_path / ".swath" / "workflows"
    _wf(folder, "a.yaml", "same")
    _wf(folder, "b.yaml", "same")
    infos = list_workflows(tmp_path, builtin_dir=tmp_path / "none")
    assert [(i.path.name, i.ignored) for i in infos] == [("a.yaml", False), ("b.yaml", True)]
    assert infos[1].error is not None and "also used by a.yaml" in infos[1].error
    assert resolve_workflow("same", tmp_path, builtin_dir=tmp_path / "none") == folder / "a.yaml"


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "repo" / ".swath" / "workflows"
    path = _wf(folder, "mine.yaml", "aaaa", "first")
    assert [w.name for w in list_workflows(tmp_path / "repo") if not w.builtin] == ["aaaa"]
    # Same size, so only the modification time tells the listing's cache it changed.
    before = path.stat()
    _wf(folder, "mine.yaml", "bbbb", "first")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    listed = [w for w in list_workflows(tmp_path / "repo") if not w.builtin]
    assert [w.name for w in listed] == ["bbbb"]
    # What a caller sets on an entry does not leak into the next listing.
    listed[0].ignored = True
    assert not any(w.ignored for w in list_workflows(tmp_path / "repo"))


def test_the_builtin_table_names_every_builtin_by_its_file() -> None:
    # resolve_workflow's short cut (no parsing of every built-in) rests on this table.
    from swath.spec.discovery import BUILTIN_FILES

    listed = {w.name: w.path.name for w in list_workflows(None) if w.builtin and not w.ignored}
    assert BUILTIN_FILES == listed


def test_a_saved_workflow_still_replaces_a_builtin_by_name(tmp_path: Path) -> None:
    assert resolve_workflow("review-diff", tmp_path) == builtin_workflows_dir() / "review-diff.yaml"
    saved = _wf(tmp_path / ".swath" / "workflows", "ours.yaml", "review-diff", "Our review")
    assert resolve_workflow("review-diff", tmp_path) == saved
