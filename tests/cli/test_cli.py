"""`swath` end to end in a subprocess on temporary git repositories."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.clirun import swath
from tests.gitrepo import commit_files, init_repo

OLD = "2024-01-15T12:00:00+00:00"
AS_OF = "2025-06-01"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    commit_files(
        root,
        {
            "app/main.py": "import os\n\n# TODO: drop the legacy path\ndef main():\n    return 1  # FIXME(bob): wrong\n",
            "web/ui.ts": "// HACK remove after launch\nexport const x = 1;\n",
            "README.md": "No todo markers in prose: TODO-less.\n",
        },
        date=OLD,
    )
    commit_files(root, {"app/new.py": "# TODO: recent one\n"}, date="2025-05-20T12:00:00+00:00")
    return root


def test_run_text_prints_one_based_findings(repo: Path) -> None:
    proc = swath(repo, "run", "todo-audit", "-i", f"as_of={AS_OF}")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert (
        "app/main.py:3:3: information todo/stale TODO by Ada Lovelace, 503 days old" in proc.stdout
    )
    assert any(ln.startswith("app/main.py:5:17: warning todo/stale FIXME by bob") for ln in lines)
    assert any(ln.startswith("web/ui.ts:1:4: warning todo/stale HACK") for ln in lines)
    assert "app/new.py" not in proc.stdout  # 12 days old, under the 180-day threshold
    assert (repo / ".swath" / ".gitignore").is_file()
    assert list((repo / ".swath" / "reports").glob("*.md"))


def test_run_json_follows_the_contract(repo: Path) -> None:
    proc = swath(
        repo,
        "run",
        "todo-audit",
        "-i",
        f"as_of={AS_OF}",
        "-i",
        "max_age_days=10",
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert list(out)[:7] == [
        "run_id",
        "workflow",
        "status",
        "agents",
        "usage",
        "findings",
        "outputs",
    ]
    assert out["workflow"] == "todo-audit" and out["status"] == "succeeded"
    assert set(out["agents"]) == {"total", "succeeded", "failed", "cached"}
    assert out["usage"]["cost_usd"] == 0.0
    f = next(f for f in out["findings"] if f["path"] == "app/new.py")
    assert f["range"]["start"] == {"line": 0, "character": 2}
    assert f["evidence"] == [{"path": "app/new.py", "line": 0, "quote": "# TODO: recent one"}]
    assert f["verified"] is True and f["fingerprint"]
    catalogue = out["outputs"]["catalogue"]
    assert catalogue["total"] == 4 and catalogue["by_owner"]["Ada Lovelace"]["count"] == 3


def test_sarif_to_file_and_rerun_is_cached(repo: Path) -> None:
    first = swath(repo, "run", "todo-audit", "-i", f"as_of={AS_OF}", "--format", "json")
    total = json.loads(first.stdout)["agents"]["total"]
    out_file = repo.parent / "out.sarif"  # outside the repo: a new file in it would be new work
    proc = swath(
        repo, "run", "todo-audit", "-i", f"as_of={AS_OF}", "--format", "sarif", "-o", str(out_file)
    )
    assert proc.returncode == 0, proc.stderr
    sarif = json.loads(out_file.read_text())
    assert sarif["version"] == "2.1.0"
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    }
    assert "app/main.py" in uris
    again = json.loads(
        swath(repo, "run", "todo-audit", "-i", f"as_of={AS_OF}", "--format", "json").stdout
    )
    assert again["agents"]["cached"] == again["agents"]["total"] == total


def test_plan_runs_nothing_and_counts_agents(repo: Path) -> None:
    proc = swath(repo, "plan", "todo-audit", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    by_id = {s["id"]: s for s in plan["steps"]}
    assert by_id["files"]["items"] == 4
    assert 1 <= by_id["todos"]["agents"] <= 4 and by_id["catalogue"]["agents"] == 1
    assert plan["est_cost_usd"] == 0.0 and plan["cached_agents"] == 0
    assert not (repo / ".swath" / "reports").exists()
    run = json.loads(swath(repo, "run", "todo-audit", "--format", "json").stdout)
    assert run["agents"]["total"] == plan["total_agents"]
    again = json.loads(swath(repo, "plan", "todo-audit", "--format", "json").stdout)
    assert (
        again["cached_agents"] == by_id["todos"]["agents"]
    )  # the reduce's cache is checked only when it runs


def test_invalid_workflow_exits_2_with_position(repo: Path) -> None:
    wf = repo / "bad.yaml"
    wf.write_text(
        "name: bad\nsteps:\n  - id: files\n    kind: discover\n    source: files\n    colour: red\n"
    )
    proc = swath(repo, "run", str(wf))
    assert proc.returncode == 2
    assert "bad.yaml:6:5:" in proc.stderr and "colour" in proc.stderr
    val = swath(repo, "workflows", "validate", str(wf))
    assert val.returncode == 2 and "bad.yaml:6:5:" in val.stderr


def test_unknown_workflow_and_bad_input_exit_2(repo: Path) -> None:
    proc = swath(repo, "run", "todo-audti")
    assert proc.returncode == 2 and "todo-audit" in proc.stderr
    proc = swath(repo, "run", "todo-audit", "-i", "max_age=3")
    assert proc.returncode == 2 and "max_age_days" in proc.stderr


def test_workflows_list_and_show(repo: Path) -> None:
    (repo / ".swath" / "workflows").mkdir(parents=True)
    (repo / ".swath" / "workflows" / "mine.yaml").write_text(
        "name: mine\ndescription: my own\nsteps:\n  - id: files\n    kind: discover\n    source: files\n"
    )
    listing = swath(repo, "workflows", "list").stdout
    assert "todo-audit" in listing and "mine" in listing
    shown = swath(repo, "workflows", "show", "mine")
    assert shown.returncode == 0 and "my own" in shown.stdout


def test_runs_and_show(repo: Path) -> None:
    out = json.loads(
        swath(repo, "run", "todo-audit", "-i", f"as_of={AS_OF}", "--format", "json").stdout
    )
    runs = json.loads(swath(repo, "runs", "--format", "json").stdout)
    assert runs[0]["run_id"] == out["run_id"] and runs[0]["status"] == "succeeded"
    md = swath(repo, "show", out["run_id"][:17])
    assert md.returncode == 0 and "todo/stale" in md.stdout and out["run_id"] in md.stdout
    js = json.loads(swath(repo, "show", out["run_id"], "--format", "json").stdout)
    assert js["findings"] == out["findings"]


def _slow_repo(root: Path, n: int) -> None:
    files = {f"src/m{i:04d}.py": f"# TODO: item {i}\nx = {i}\n" for i in range(n)}
    commit_files(root, files, date=OLD)
    wf = root / ".swath" / "workflows" / "slow-todos.yaml"
    wf.parent.mkdir(parents=True, exist_ok=True)
    wf.write_text(
        "name: slow-todos\nlimits: {concurrency: 1}\nsteps:\n"
        "  - {id: files, kind: discover, source: files, with: {include: ['*.py']}}\n"
        "  - {id: todos, kind: map, from: files, batch: 1, agent: {analyzer: todo-comments}}\n"
    )


def _succeeded(db: Path) -> dict[str, float]:
    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return dict(
            con.execute("SELECT key, finished_at FROM tasks WHERE status='succeeded'").fetchall()
        )
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()


def test_resume_after_sigkill_repeats_only_unfinished_tasks(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "big")
    n = 300
    _slow_repo(root, n)
    proc = subprocess.Popen(
        [sys.executable, "-m", "swath", "run", "slow-todos", "--no-cache", "--format", "json"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    db = root / ".swath" / "swath.db"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(_succeeded(db)) < 40:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _succeeded(db)
    assert 40 <= len(before) < n, "the run must be killed in the middle"
    run_id = sqlite3.connect(db).execute("SELECT id, status FROM runs").fetchone()
    assert run_id[1] == "running"  # killed: nobody marked it finished
    res = swath(root, "resume", run_id[0], "--format", "json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["run_id"] == run_id[0] and out["status"] == "succeeded"
    assert out["agents"]["succeeded"] == n and out["agents"]["cached"] == len(before)
    after = _succeeded(db)
    assert len(after) == n
    assert all(after[k] == t for k, t in before.items()), "finished tasks must not run again"


def test_ctrl_c_cancels_and_keeps_finished_results(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "big")
    _slow_repo(root, 300)
    proc = subprocess.Popen(
        [sys.executable, "-m", "swath", "run", "slow-todos", "--no-cache", "--format", "json"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    db = root / ".swath" / "swath.db"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(_succeeded(db)) < 20:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stderr
    out = json.loads(stdout)
    assert out["status"] == "cancelled"
    # One line on stderr says so and how to go on, even with machine output on stdout.
    assert f"swath: run {out['run_id']} cancelled" in stderr
    assert f"swath resume {out['run_id']}" in stderr
    assert 20 <= out["agents"]["succeeded"] < 300
    assert len(_succeeded(db)) == out["agents"]["succeeded"]
