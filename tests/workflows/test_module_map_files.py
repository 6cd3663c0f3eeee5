"""Which files map-module maps: its files step, as the built-in workflow configures it, on
trees in the shapes that went wrong (Go's testdata/, pip's src/pip/_vendor/, a repository's
.gitattributes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swath.sources.base import SourceContext
from swath.sources.files import FilesSource
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import load_workflow
from swath.spec.records import Record
from swath.workspace import Workspace
from swath.workspace.skips import SkipCounts
from tests.gitrepo import git, init_repo
from tests.workflows.helpers import analyze, reduce, write


def files_options() -> dict[str, Any]:
    wf = load_workflow(builtin_workflows_dir() / "map-module.yaml")
    return next(s for s in wf.steps if s.id == "files").with_  # type: ignore[union-attr]


def mapped(root: Path, paths: list[str] | None = None) -> tuple[list[str], dict[str, int]]:
    """The files map-module's files step keeps, and what it counted as skipped."""
    skipped = SkipCounts()
    ctx = SourceContext(
        workspace=Workspace(root), paths=paths or [], options=files_options(), skipped=skipped
    )
    return [i.path or "" for i in FilesSource().discover(ctx)], skipped.as_dict()


def test_go_testdata_is_test_input_not_the_modules_code(tmp_path: Path) -> None:
    """x/tools: go/analysis/passes/*/testdata/src/… (inputs the Go tool never builds) were
    mapped as packages, one of them listed among the test hot spots."""
    write(
        tmp_path,
        {
            "go.mod": "module example.com/m\n\ngo 1.22\n",
            "passes/printf/printf.go": "package printf\n\n// Analyzer checks.\nvar A = 1\n",
            "passes/printf/printf_test.go": "package printf\n",
            "passes/printf/testdata/src/a/a.go": "package a\n\nfunc F() { if true {} }\n",
            "internal/fixtures/f.py": "X = 1\n",
            "pkg/__snapshots__/s.js": "exports.a = 1;\n",
        },
    )
    files, _ = mapped(tmp_path)
    assert files == ["passes/printf/printf.go", "passes/printf/printf_test.go"]


def test_a_python_vendor_folder_is_third_party(tmp_path: Path) -> None:
    """pip's src/pip/_vendor/ (rich, requests, urllib3 …) was mapped as pip's own modules;
    its imports are vendored dependencies, named by package."""
    write(
        tmp_path,
        {
            "src/pip/__init__.py": '"""pip."""\n',
            "src/pip/_internal/cli.py": "from pip._vendor import rich\nfrom pip._vendor.six import moves\n",
            "src/pip/_vendor/__init__.py": "",
            "src/pip/_vendor/six.py": "moves = 1\n",
            "src/pip/_vendor/rich/__init__.py": "from . import console\n",
            "src/pip/_vendor/rich/console.py": "class Console: ...\n",
        },
    )
    files, _ = mapped(tmp_path, ["src/pip"])
    assert files == ["src/pip/__init__.py", "src/pip/_internal/cli.py"]
    items = FilesSource().discover(
        SourceContext(workspace=Workspace(tmp_path), paths=["src/pip"], options=files_options())
    )
    out = analyze("symbols", items, tmp_path)
    rec = Record(step="symbols", key="all", items=items, output=out.output, findings=out.findings)
    result = reduce("module-map", [rec], tmp_path)
    ext = {(e["name"], e["kind"]) for e in result.output["external"]}
    assert {("rich", "vendored"), ("six", "vendored")} <= ext
    assert not [e for e in result.output["external"] if "_vendor" in e["name"]]


def test_gitattributes_linguist_marks_are_honoured(tmp_path: Path) -> None:
    """The review reads linguist-vendored / linguist-generated; the map mapped such files
    as the module's own. Unset, a file the usual names call generated is kept."""
    init_repo(tmp_path)
    write(
        tmp_path,
        {
            ".gitattributes": "third_party/** linguist-vendored\n"
            "api/*_gen.go linguist-generated=true\n"
            "keep/zz_generated.deepcopy.go -linguist-generated\n",
            "core/core.go": "package core\n",
            "api/api.go": "package api\n",
            "api/zz_gen.go": "package api\n",
            "third_party/lib/lib.py": "X = 1\n",
            "keep/zz_generated.deepcopy.go": "package keep\n",
            "zz_generated.deepcopy.go": "package m\n",
        },
    )
    git(tmp_path, "add", "-A")
    files, skipped = mapped(tmp_path)
    assert files == ["api/api.go", "core/core.go", "keep/zz_generated.deepcopy.go"]
    assert "third_party/lib/lib.py" not in files and "api/zz_gen.go" not in files
    assert skipped == {"generated": 2}
