"""Start-up cost: an offline command never imports the Anthropic SDK (a second or more of
CPU before anything happens, measured as 3.2 s -> 1.2 s of CPU for an offline review of a
one-line diff on a loaded machine). Checked with `-X importtime` on the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def test_a_command_tunes_the_collector_and_gives_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One-shot commands run with a larger young generation and the imports frozen out of
    collections (gcpause.one_shot_collector); whoever called `main` gets its own back."""
    import gc

    from swath.cli.main import main
    from swath.gcpause import YOUNG

    root = init_repo(tmp_path / "repo")
    commit_files(root, {"a.py": "x = 1\n"})
    monkeypatch.chdir(root)
    before = gc.get_threshold()
    seen: list[tuple[int, ...]] = []
    real_freeze = gc.freeze

    def freeze() -> None:  # the threshold in force when the imports are frozen
        seen.append(gc.get_threshold())
        real_freeze()

    monkeypatch.setattr(gc, "freeze", freeze)
    assert main(["workflows", "list"]) == 0
    assert seen and seen[0][0] == YOUNG
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_review_of_a_plain_repository_imports_no_yaml_or_toml_parser(tmp_path: Path) -> None:
    """A built-in loads from its stored form (spec/compiled.py) and a tree with no
    `.swath/review.yaml`, `pyproject.toml` or ruff configuration has nothing for ruamel or
    tomllib to read; finding libc for the malloc arenas needs no `ctypes.util` (which runs
    `ldconfig`)."""
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"a.py": "x = 1\n"})
    (root / "a.py").write_text("x = 1\ny = eval(input())\n")
    modules = imported(root, "run", "review-diff")
    assert "swath.analyzers.review_facts" in modules  # the review's own modules were measured
    assert not {m for m in modules if m.split(".")[0] in ("ruamel", "tomllib")}
    assert "ctypes.util" not in modules
    # The parsers are still there when a repository has the files.
    (root / "pyproject.toml").write_text('[tool.swath.review]\npasses = ["security"]\n')
    assert "tomllib" in imported(root, "run", "review-diff")


def loaded(root: Path, *args: str) -> set[str]:
    """Every module a CLI run has loaded by its end (`sys.modules` at exit): also those
    imported through `importlib.import_module`, which `-X importtime` does not report."""
    code = (
        "import atexit, json, runpy, sys\n"
        "atexit.register(lambda: print('MODULES', json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
        f"sys.argv = ['swath', *{list(args)!r}]\n"
        "runpy.run_module('swath', run_name='__main__', alter_sys=True)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "ANTHROPIC_API_KEY": "", "NO_COLOR": "1"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in reversed(proc.stderr.splitlines()) if x.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


def test_an_offline_review_imports_no_template_engine(tmp_path: Path) -> None:
    """Only a model reads the pass prompts, and a built-in's template checks are stored:
    an offline review renders, parses and checks no template, so Jinja stays out; a line
    only detect-secrets' keyword plugin could match imports that plugin, not every one."""
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"a.py": "x = 1\n"})
    (root / "a.py").write_text('x = 1\npassword = "Xk9#mQ2!vR7pL4zW"\n')
    modules = loaded(root, "run", "review-diff")
    assert "swath.analyzers.review_facts" in modules  # the review's own modules were loaded
    assert "detect_secrets.plugins.keyword" in modules  # the line's secret was looked at
    assert not {m for m in modules if m.split(".")[0] == "jinja2"}
    assert not {"detect_secrets.plugins.aws", "detect_secrets.plugins.stripe"} & modules
