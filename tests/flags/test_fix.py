"""`swath run flag-audit --fix`: the whole removal written to a real git work tree."""

from __future__ import annotations

import json
import py_compile
import re
import shutil
import subprocess
from pathlib import Path

from ast_grep_py import SgRoot
from ruamel.yaml import YAML

from swath.engine.edits import apply_hunks, parse_patch, write_fix
from tests.tools import gofmt
from tests.clirun import swath as run_swath

from .conftest import DEMO, git, make_repo
from .test_prune import unused_imports


def swath(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_swath(root, *args, timeout=300)


def demo_repo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns(".swath"))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "demo")
    # The demo's own .swath/flags.yaml is part of it: put it back, committed.
    if (DEMO / ".swath" / "flags.yaml").is_file():
        (root / ".swath").mkdir(exist_ok=True)
        shutil.copy(DEMO / ".swath" / "flags.yaml", root / ".swath" / "flags.yaml")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "config")
    return root


def _has_error_node(text: str, lang: str) -> bool:
    return SgRoot(text, lang).root().find(kind="ERROR") is not None


_TS_IMPORT = re.compile(r"^import\s+(?:type\s+)?(.+?)\s+from\s", re.M)
_GO_IMPORT = re.compile(r'^\s*(?:(\w+)\s+)?"([^"]+)"\s*$', re.M)


def _go_package(path: str) -> str:
    parts = path.split("/")  # `…/go-server-sdk/v7`: the package is the element before
    name = parts[-2] if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]) else parts[-1]
    return name.replace("-", "_")


def _unread_imports(text: str) -> list[str]:
    """Names a TypeScript or Go import binds that nothing after the imports reads."""
    if text.startswith("package "):
        head, _, body = text.partition("\n)\n") if "import (" in text else ("", "", text)
        names = [alias or _go_package(path) for alias, path in _GO_IMPORT.findall(head)]
        return [n for n in names if not re.search(rf"\b{n}\.", body)]
    names = []
    for clause in _TS_IMPORT.findall(text):
        for part in re.split(r"[{},]", clause.replace("* as ", "")):
            if part.strip():
                names.append(part.split(" as ")[-1].replace("type ", "").strip())
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("import "))
    return [n for n in names if not re.search(rf"\b{re.escape(n)}\b", body)]


# A read Swath leaves alone: the getter's error is read, so its value cannot be replaced.
REPORT_GO = """package main

import (
	"fmt"

	ld "github.com/launchdarkly/go-server-sdk/v7"
	"github.com/launchdarkly/go-sdk-common/v3/ldcontext"
)

func report(ldClient *ld.LDClient) {
	holiday, err := ldClient.BoolVariation("holiday-theme", ldcontext.New("report"), false)
	fmt.Println(holiday, err)
}
"""


def test_fix_writes_the_preview_and_the_result_compiles(tmp_path: Path) -> None:
    root = demo_repo(tmp_path)
    (root / "svc" / "report.go").write_text(REPORT_GO, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "report")
    preview = swath(
        root,
        "run",
        "flag-audit",
        "--fix-preview",
        "--format",
        "json",
        "-o",
        str(tmp_path / "r.json"),
    )
    assert preview.returncode == 0, preview.stderr
    diff = preview.stdout
    assert diff.startswith("--- a/")
    changed = sorted({line[6:].strip() for line in diff.splitlines() if line.startswith("+++ b/")})

    proc = swath(
        root, "run", "flag-audit", "--fix", "--format", "json", "-o", str(tmp_path / "f.json")
    )
    assert proc.returncode == 0, proc.stderr
    assert f"--fix wrote {len(changed)} files" in proc.stderr
    assert "Swath cannot rewrite (each finding says so at its line)" in proc.stderr
    # What git sees changed is exactly what the preview showed, and nothing else.
    names = git(root, "diff", "--name-only").split()
    assert sorted(names) == changed
    for rel in changed:
        text = (root / rel).read_text(encoding="utf-8")
        if rel.endswith(".py"):
            py_compile.compile(str(root / rel), doraise=True)
        elif rel.endswith(".go"):
            assert not _has_error_node(text, "go"), rel
        elif rel.endswith((".ts", ".tsx")):
            assert not _has_error_node(text, "tsx" if rel.endswith(".tsx") else "typescript"), rel
        elif rel.endswith(".json"):
            json.loads(text)
        elif rel.endswith(".yaml"):
            YAML(typ="safe", pure=True).load(text)
    # No import the removal left unused: ruff's F401 for Python, and for TypeScript and Go
    # every name an import binds is still read below the imports.
    # The one import ruff calls unused stays on purpose: tests/test_checkout.py reads it as
    # the module's attribute (`mock.patch.object(checkout.client, …)`).
    py = [str(root / rel) for rel in changed if rel.endswith(".py")]
    assert unused_imports(*py) == ["`app.flags.client` imported but unused"]
    assert "checkout.client" in (root / "tests/test_checkout.py").read_text(encoding="utf-8")
    for rel in changed:
        if rel.endswith((".ts", ".tsx", ".go")):
            # (`React`, read by JSX without being named, was unread before the fix too.)
            before = set(_unread_imports((DEMO / rel).read_text(encoding="utf-8")))
            after = set(_unread_imports((root / rel).read_text(encoding="utf-8")))
            assert after <= before, rel
    # The definitions of flags nothing reads any more are deleted with their checks (also
    # those read through a Go getter whose error is thrown away); one still read where
    # Swath cannot rewrite (the getter in report.go, whose error is read) keeps its
    # definition, and the report says where. An unreferenced flag's flagd entry stays:
    # other services may read that file, and their reads cannot be seen from here.
    flagd = json.loads((root / "flags/flags.flagd.json").read_text(encoding="utf-8"))["flags"]
    assert {"search_v2", "legacy_search", "new_checkout"}.isdisjoint(flagd)
    assert {"dark_mode", "payments_kill_switch", "unused_banner"} <= set(flagd)
    assert "svc/report.go" not in names
    ld = json.loads((root / "flags/launchdarkly-export.json").read_text(encoding="utf-8"))
    assert [i["key"] for i in ld["items"]] == [
        "holiday-theme",
        "beta-reports",
        "ops-maintenance-mode",
    ]
    features = (root / "app/features.py").read_text(encoding="utf-8")
    assert "FAST_SHIPPING" not in features and "GIFT_WRAP" in features
    report = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    md = report["outputs"]["plan"]["markdown"]
    assert "`holiday-theme`: definition kept: still read at svc/report.go:11" in md
    assert (
        "`unused_banner`: definition in flags/flags.flagd.json kept: referenced nowhere in "
        "this repository, but other services may read that file" in md
    )
    # Go is rewritten too, and gofmt parses the result (-e: report every error).
    assert "svc/main.go" in names
    proc = subprocess.run(
        [gofmt(), "-e", str(root / "svc/main.go")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    # Applied once: the same audit has nothing more to rewrite in those files.
    again = swath(
        root,
        "run",
        "flag-audit",
        "--fix-preview",
        "--format",
        "json",
        "-o",
        str(tmp_path / "a.json"),
    )
    assert again.returncode == 0
    assert not any(f"+++ b/{rel}" in again.stdout for rel in changed)


def test_fix_refuses_a_dirty_tree_and_writes_nothing(tmp_path: Path) -> None:
    root = demo_repo(tmp_path)
    target = root / "app" / "checkout.py"
    target.write_text(target.read_text(encoding="utf-8") + "# wip\n", encoding="utf-8")
    before = git(root, "diff")
    proc = swath(root, "run", "flag-audit", "--fix")
    assert proc.returncode == 2
    assert "uncommitted changes (app/checkout.py)" in proc.stderr and "--allow-dirty" in proc.stderr
    assert git(root, "diff") == before
    # An untracked file is uncommitted work too.
    git(root, "checkout", "--", ".")
    (root / "notes.txt").write_text("todo\n", encoding="utf-8")
    proc = swath(root, "run", "flag-audit", "--fix")
    assert proc.returncode == 2 and "notes.txt" in proc.stderr
    # --allow-dirty writes anyway.
    proc = swath(
        root,
        "run",
        "flag-audit",
        "--fix",
        "--allow-dirty",
        "--format",
        "json",
        "-o",
        str(tmp_path / "o.json"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "--fix wrote" in proc.stderr and git(root, "diff", "--name-only").strip()


def test_fix_deletes_a_definition_that_is_a_file_of_its_own(tmp_path: Path) -> None:
    from .test_presets import FLIPPER

    root = tmp_path / "gitlab"
    make_repo(root, FLIPPER)
    path = "config/feature_flags/development/new_search.yml"
    preview = swath(root, "run", "flag-audit", "--fix-preview", "-o", str(tmp_path / "r.md"))
    assert preview.returncode == 0, preview.stderr
    assert f"--- a/{path}\n+++ /dev/null\n" in preview.stdout
    assert (root / path).is_file()  # a preview writes nothing
    # Uncommitted work: refused, nothing deleted.
    (root / "wip.txt").write_text("todo\n", encoding="utf-8")
    proc = swath(root, "run", "flag-audit", "--fix")
    assert proc.returncode == 2 and "wip.txt" in proc.stderr and (root / path).is_file()
    (root / "wip.txt").unlink()
    proc = swath(root, "run", "flag-audit", "--fix", "-o", str(tmp_path / "r.md"))
    assert proc.returncode == 0, proc.stderr
    assert f"deleted 1 file ({path})" in proc.stderr
    assert not (root / path).exists()
    assert (root / "config/feature_flags/ops/fast_path.yml").is_file()
    status = git(root, "status", "--porcelain", "--", ":!.swath").splitlines()
    assert sorted(status) == [f" D {path}", " M app/controllers/search_controller.rb"]


def test_a_deletion_of_a_changed_file_is_refused(tmp_path: Path) -> None:
    from swath.analyzers.flags.removal_patch import deletion_diff

    (tmp_path / "x.yml").write_text("name: x\ndefault_enabled: true\n", encoding="utf-8")
    patch = deletion_diff("x.yml", "name: x\ndefault_enabled: true\n")
    (tmp_path / "x.yml").write_text("name: x\ndefault_enabled: true\nowner: me\n", encoding="utf-8")
    result = write_fix(tmp_path, patch)
    assert result.deleted == [] and "changed since the run" in result.refused["x.yml"]
    assert (tmp_path / "x.yml").is_file()
    (tmp_path / "x.yml").write_text("name: x\ndefault_enabled: true\n", encoding="utf-8")
    result = write_fix(tmp_path, patch)
    assert result.deleted == ["x.yml"] and not (tmp_path / "x.yml").exists()


def test_fix_outside_git_needs_allow_dirty(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "flags.json").write_text('{"flags": {"x": {"enabled": true}}}\n', encoding="utf-8")
    (root / ".swath").mkdir()
    proc = swath(root, "run", "flag-audit", "--fix")
    assert proc.returncode == 2 and "not a git work tree" in proc.stderr


def test_a_patch_applies_with_and_without_a_final_newline() -> None:
    from swath.analyzers.flags.rewrite import unified_diff

    for old, new in [
        ("a\nb\nc\n", "a\nc\n"),
        ("a\nb\nc", "a\nb\nC"),
        ("x\r\ny\r\n", "x\r\nz\r\n"),
        ("one\n" * 30 + "two\n", "one\n" * 30 + "three\nfour\n"),
    ]:
        patch = unified_diff("f.txt", old, new)
        (hunks,) = parse_patch(patch).values()
        assert apply_hunks(old, hunks) == new


def test_a_file_changed_since_the_run_is_refused_and_left_alone(tmp_path: Path) -> None:
    from swath.analyzers.flags.rewrite import unified_diff

    (tmp_path / "a.py").write_text("x = 1\ny = 2\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("z = 1\n", encoding="utf-8")
    patch = unified_diff("a.py", "x = 1\ny = 2\n", "y = 2\n") + unified_diff(
        "b.py", "z = 1\n", "z = (\n"
    )
    (tmp_path / "a.py").write_text("x = 1\ny = 3\n", encoding="utf-8")
    result = write_fix(tmp_path, patch)
    assert result.written == []
    assert "changed since the run" in result.refused["a.py"]
    assert "would not compile" in result.refused["b.py"]
    assert (tmp_path / "b.py").read_text(encoding="utf-8") == "z = 1\n"
