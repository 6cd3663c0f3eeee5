"""Odd files in a real repository are reported, not fatal: symlink loops, links leaving the
workspace, a UTF-8 BOM, binaries, big files and FIFOs; each left-out file counted by reason
in the JSON report and said on stderr."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from swath.workspace import Workspace
from swath.workspace.skips import SkipCounts
from tests.clirun import swath
from tests.gitrepo import commit_files, init_repo

BOM_MODULE = b'\xef\xbb\xbf"""A module saved by an editor that writes a BOM."""\nimport os\n\n\ndef sep():\n    return os.sep\n'


def swath_run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`swath run ARGS` in `root` as a user would, offline."""
    return swath(root, "run", *args)


def odd_repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"pkg/__init__.py": "", "pkg/a.py": "from pkg import bom\n"})
    pkg = root / "pkg"
    (pkg / "bom.py").write_bytes(BOM_MODULE)
    os.symlink("loop2", pkg / "loop1")
    os.symlink("loop1", pkg / "loop2")
    os.symlink("/etc/hostname", pkg / "outside.py")
    os.symlink("a.py", pkg / "alias.py")  # inside the workspace: kept
    (pkg / "big.py").write_text("x = 1\n" * 400_000)  # 2.4 MB, over the 2 MB default
    (pkg / "blob.py").write_bytes(b"x = 1\n\0\0\0binary")
    os.mkfifo(pkg / "pipe.py")
    return root


def test_listing_skips_loops_and_outside_links_with_reasons(tmp_path: Path) -> None:
    root = odd_repo(tmp_path)
    skipped = SkipCounts()
    files = Workspace(root).list_files(["pkg"], skipped)
    assert "pkg/alias.py" in files and "pkg/bom.py" in files
    assert not {"pkg/loop1", "pkg/loop2", "pkg/outside.py"} & set(files)
    assert skipped.as_dict() == {"symlink_loop": 2, "symlink_outside": 1}


def test_outside_git_a_fifo_is_counted_not_opened(tmp_path: Path) -> None:
    # git never lists a FIFO; the plain walk of a folder that is no repository does.
    (tmp_path / "a.py").write_text("x = 1\n")
    os.mkfifo(tmp_path / "pipe.py")
    skipped = SkipCounts()
    assert Workspace(tmp_path).list_files(None, skipped) == ["a.py"]
    assert skipped.as_dict() == {"not_regular": 1}


def test_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    root = odd_repo(tmp_path)
    assert Workspace(root).read_text("pkg/bom.py").startswith('"""A module')


def test_map_reports_every_skipped_file_and_no_false_syntax_error(tmp_path: Path) -> None:
    root = odd_repo(tmp_path)
    proc = swath_run(root, "map-module", "pkg", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["skipped"] == {
        "binary": 1,
        "symlink_loop": 2,
        "symlink_outside": 1,
        "too_large": 1,
    }
    rules = {(f["rule"], f["path"]) for f in report["findings"]}
    assert ("map/syntax-error", "pkg/bom.py") not in rules
    assert ("map/summary", "pkg/bom.py") in rules
    assert "Not read: 5 files (2 in a symlink loop, 1 binary, " in proc.stderr


@pytest.mark.parametrize("workflow", ["todo-audit", "map-module"])
def test_a_symlink_loop_does_not_stop_a_run(tmp_path: Path, workflow: str) -> None:
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"src/app.py": "# TODO: remove this hack\nx = 1\n"})
    os.symlink("self", root / "src" / "self")
    proc = swath_run(root, workflow, "src")
    assert proc.returncode == 0, proc.stderr
    assert "1 in a symlink loop" in proc.stderr


def test_review_counts_the_untracked_files_it_cannot_read(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"README.md": "r\n"})
    (root / "dump.sql").write_text("x" * 2_100_000, encoding="utf-8")
    os.mkfifo(root / "pipe")  # git does not list it: nothing to count
    (root / "new.py").write_text("x = 1\n", encoding="utf-8")
    proc = swath_run(root, "review-diff", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["skipped"] == {"too_large": 1}


def test_the_flag_audit_counts_the_files_its_scan_did_not_read(tmp_path: Path) -> None:
    """The reference scan reads every listed file itself (its own size cap): a flag read only
    in a file over that cap must show up as a file left out, not vanish."""
    root = init_repo(tmp_path / "repo")
    flagd = {
        "flags": {
            "fast_lane": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "on",
            }
        }
    }
    commit_files(
        root,
        {
            "flags/flags.flagd.json": json.dumps(flagd),
            ".swath/flags.yaml": "max_file_bytes: 100000\n",
            "app/route.py": 'def lanes(client):\n    return client.get_boolean_value("fast_lane", False)\n',
            # 120 KB of generated code, over the 100 KB cap set above
            "app/generated.py": 'LANES = ["fast_lane"]\n' + "x = 1\n" * 20_000,
            "app/logo.png": "\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        },
    )
    os.symlink("/etc/hostname", root / "app" / "outside.py")
    os.symlink("route.py", root / "app" / "alias.py")  # inside: read at its own path
    proc = swath_run(root, "flag-audit", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["skipped"] == {"binary": 1, "symlink_outside": 1, "too_large": 1}
    assert "Not read: 3 files" in proc.stderr
