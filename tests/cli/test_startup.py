"""Start-up cost: an offline command never imports the Anthropic SDK (a second or more of
CPU before anything happens, measured as 3.2 s -> 1.2 s of CPU for an offline review of a
one-line diff on a loaded machine). Checked with `-X importtime` on the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clirun import swath
from tests.gitrepo import commit_files, init_repo


def imported(root: Path, *args: str) -> set[str]:
    proc = swath(root, *args, python_flags=("-X", "importtime"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }


@pytest.mark.parametrize(
    "args", [("--help",), ("run", "review-diff"), ("run", "todo-audit"), ("workflows", "list")]
)
def test_offline_commands_do_not_import_the_sdk(tmp_path: Path, args: tuple[str, ...]) -> None:
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"a.py": "x = 1  # TODO: later\n"})
    (root / "a.py").write_text("x = 1  # TODO: later\ny = eval(input())\n")
    modules = imported(root, *args)
    assert "swath.cli.main" in modules  # the measurement saw the CLI's imports at all
    assert not {m for m in modules if m == "anthropic" or m.startswith("anthropic.")}
