"""The CLI as CI and a person at a terminal use it: exit codes, machine output on stdout
only, paths and options in any order, `-C`, read-only commands, run ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from swath.findings.run_schema import run_schema_text
from tests.cli.test_cli import AS_OF, repo, swath  # noqa: F401  (the fixture)
from tests.gitrepo import commit_files, copy_example, init_repo

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "flags-demo"
RUN_SCHEMA = REPO / "docs" / "run.schema.json"


def _todo(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return swath(root, "run", "todo-audit", "-i", f"as_of={AS_OF}", *args)


# -- --fail-on -------------------------------------------------------------------------
def test_fail_on_levels_and_exit_codes(repo: Path) -> None:  # noqa: F811
    # The run has warnings (FIXME, HACK) and information (TODO), no error.
    assert _todo(repo).returncode == 0
    assert _todo(repo, "--fail-on", "never").returncode == 0
    assert _todo(repo, "--fail-on", "error").returncode == 0
    warn = _todo(repo, "--fail-on", "warning")
    assert warn.returncode == 3, warn.stderr
    assert "2 findings at warning or above" in warn.stderr
    assert _todo(repo, "--fail-on", "note").returncode == 3
    bad = _todo(repo, "--fail-on", "sometimes")
    assert bad.returncode == 2 and "--fail-on" in bad.stderr


# -- machine output --------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_repo(tmp_path_factory.mktemp("demo") / "demo")
    copy_example(DEMO, root)
    commit_files(root, {}, date="2024-01-15T12:00:00+00:00")
    return root


def test_fix_preview_joins_the_json_and_leaves_sarif_alone(demo: Path) -> None:
    js = swath(demo, "run", "flag-audit", "--format", "json", "--fix-preview")
    assert js.returncode == 0, js.stderr
    doc = json.loads(js.stdout)  # nothing after the object
    assert doc["fix_preview"].startswith("--- a/") and "+++ b/" in doc["fix_preview"]
    sarif = swath(demo, "run", "flag-audit", "--format", "sarif", "--fix-preview")
    assert json.loads(sarif.stdout)["version"] == "2.1.0"
    assert "+++ b/" in sarif.stderr
    text = swath(demo, "run", "flag-audit", "--fix-preview")
    assert "+++ b/" in text.stdout  # a person's format: the diff follows the findings


def test_json_output_follows_the_published_schema(demo: Path, repo: Path) -> None:  # noqa: F811
    assert RUN_SCHEMA.read_text(encoding="utf-8") == run_schema_text(), (
        "docs/run.schema.json is stale; run `python -m swath.findings.run_schema`"
    )
    schema = json.loads(RUN_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for root, args in ((demo, ("flag-audit",)), (repo, ("todo-audit", "-i", f"as_of={AS_OF}"))):
        doc = json.loads(swath(root, "run", *args, "--format", "json").stdout)
        assert doc["schema_version"] == 1
        assert [e.message for e in validator.iter_errors(doc)] == []
        doc["findings"][0]["severity"] = "fatal"  # and the schema does check
        assert list(validator.iter_errors(doc))


def test_closed_pipe_exits_quietly(repo: Path) -> None:  # noqa: F811
    proc = subprocess.Popen(
        [sys.executable, "-m", "swath", "run", "todo-audit", "-i", f"as_of={AS_OF}"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ANTHROPIC_API_KEY": ""},
    )
    assert proc.stdout is not None
    proc.stdout.close()  # like `| head -0`: the reader is gone before anything is written
    _, stderr = proc.communicate(timeout=120)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert proc.returncode == 1


# -- paths and options -----------------------------------------------------------------
def test_dash_c_resolves_paths_and_output_in_dir(repo: Path) -> None:  # noqa: F811
    parent = repo.parent
    proc = swath(
        parent, "-C", repo.name, "run", "todo-audit", "app", "-i", f"as_of={AS_OF}",
        "--format", "json", "-o", "out.json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((repo / "out.json").read_text(encoding="utf-8"))
    paths = {f["path"] for f in doc["findings"]}
    assert paths == {"app/main.py"}  # web/ui.ts has a HACK too, outside `app`
    missing = swath(parent, "-C", "nowhere", "runs")
    assert missing.returncode == 2 and "-C nowhere: does not exist" in missing.stderr


def test_paths_after_options(repo: Path) -> None:  # noqa: F811
    proc = swath(repo, "run", "todo-audit", "-i", f"as_of={AS_OF}", "web", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert {f["path"] for f in json.loads(proc.stdout)["findings"]} == {"web/ui.ts"}
    plan = swath(repo, "plan", "todo-audit", "--format", "json", "app")
    assert plan.returncode == 0, plan.stderr
    bad = swath(repo, "run", "todo-audit", "web", "--frobnicate")
    assert bad.returncode == 2 and "unrecognized arguments: --frobnicate" in bad.stderr


# -- the store ---------------------------------------------------------------------------
def test_read_only_commands_create_nothing(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "fresh")
    assert swath(root, "runs").stdout.startswith("no runs yet")
    assert json.loads(swath(root, "runs", "--format", "json").stdout) == []
    show = swath(root, "show", "2026")
    assert show.returncode == 2 and "no runs in" in show.stderr
    assert swath(root, "resume", "2026").returncode == 2
    assert swath(root, "plan", "todo-audit").returncode == 0
    assert not (root / ".swath").exists()


def test_run_ids_ambiguous_unknown_and_finished(repo: Path) -> None:  # noqa: F811
    ids = [json.loads(_todo(repo, "--format", "json").stdout)["run_id"] for _ in range(2)]
    common = os.path.commonprefix(ids)
    amb = swath(repo, "show", common)
    assert amb.returncode == 2 and "is ambiguous" in amb.stderr
    assert ids[0] in amb.stderr and ids[1] in amb.stderr
    none = swath(repo, "show", "19990101")
    assert none.returncode == 2 and "no run '19990101'" in none.stderr
    done = swath(repo, "resume", ids[1])
    assert done.returncode == 0
    assert f"run {ids[1]} already finished (succeeded); nothing to resume" in done.stderr
    assert swath(repo, "show", ids[1][:-2]).returncode == 0  # a unique prefix is enough


def test_todo_lines_after_a_form_feed_keep_their_line_and_blame(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "ff")
    text = "x = 1\n\f\n# TODO: after the form feed\n\v# TODO: after a vertical tab\n"
    commit_files(root, {"a.py": text}, date="2024-01-15T12:00:00+00:00")
    proc = swath(root, "run", "todo-audit", "-i", f"as_of={AS_OF}", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    found = {f["range"]["start"]["line"]: f for f in json.loads(proc.stdout)["findings"]}
    assert sorted(found) == [2, 3]  # the editor's lines: \f and \v break no line
    assert all("Ada Lovelace" in f["message"] for f in found.values())
    text_out = swath(root, "run", "todo-audit", "-i", f"as_of={AS_OF}").stdout
    assert "\v" not in text_out and "\f" not in text_out


def test_gc_keeps_the_newest_runs_and_compacts(repo: Path) -> None:  # noqa: F811
    ids = [json.loads(_todo(repo, "--format", "json").stdout)["run_id"] for _ in range(3)]
    gc = swath(repo, "gc", "--keep", "1")
    assert gc.returncode == 0, gc.stderr
    assert "dropped 2 runs" in gc.stdout and "MB ->" in gc.stdout
    listed = [r["run_id"] for r in json.loads(swath(repo, "runs", "--format", "json").stdout)]
    assert listed == [ids[-1]]
    shown = json.loads(swath(repo, "show", ids[-1], "--format", "json").stdout)
    assert shown["findings"] and shown["run_id"] == ids[-1]
    assert swath(repo, "gc", "--keep", "0").returncode == 2
