"""A saved workflow that `extends: review-diff`, through the real CLI on a real git repo:
it runs offline end to end and does what its overrides say, not what the base does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.clirun import swath
from tests.gitrepo import commit_files, init_repo

BEFORE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd)\n"
AFTER = BEFORE + (
    "\n\ndef run_shell(cmd, seen=[]):\n    try:\n"
    "        return subprocess.run(f'sh {cmd}', shell=True)\n    except:\n        return None\n"
)
SECRET = 'STRIPE = "sk_live_abcdefghijklmnopqrstuvwx"\n'

# Security only, and without ruff's rules in that pass: the base's correctness findings
# (B006, E722) and ruff's S602 must all be gone, the secret stays.
SECURITY_ONLY = """\
extends: review-diff
name: review-security
description: Security review without ruff.
limits:
  concurrency: 2
steps:
  - id: correctness
    remove: true
  - id: performance
    remove: true
  - id: tests
    remove: true
  - id: accessibility
    remove: true
  - id: security
    agent:
      params:
        ruff: "off"
  - id: verified
    from: [security]
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"svc/handlers.py": BEFORE})
    (root / "svc" / "handlers.py").write_text(AFTER, encoding="utf-8")
    (root / "svc" / "new_secret.py").write_text(SECRET, encoding="utf-8")
    saved = root / ".swath" / "workflows"
    saved.mkdir(parents=True)
    (saved / "review-security.yaml").write_text(SECURITY_ONLY, encoding="utf-8")
    return root


def rules(root: Path, workflow: str) -> list[str]:
    proc = swath(root, "run", workflow, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "succeeded" and report["workflow"] == workflow
    return sorted(f["rule"] for f in report["findings"])


def test_the_extension_runs_offline_and_behaves_as_overridden(repo: Path) -> None:
    base = rules(repo, "review-diff")
    assert {"ruff/S602", "ruff/B006", "ruff/E722", "review/security/hardcoded-secret"} <= set(base)
    assert rules(repo, "review-security") == ["review/security/hardcoded-secret"]
    plan = swath(repo, "plan", "review-security")
    assert plan.returncode == 0, plan.stderr
    assert "concurrency 2" in plan.stdout
    assert "security" in plan.stdout and "correctness" not in plan.stdout


def test_validate_reports_problems_at_the_overriding_files_lines(repo: Path) -> None:
    broken = repo / ".swath" / "workflows" / "broken.yaml"
    broken.write_text(
        "extends: review-diff\nname: broken\nsteps:\n  - id: securty\n    agent:\n"
        "      params: {ruff: 'off'}\n",
        encoding="utf-8",
    )
    proc = swath(repo, "workflows", "validate", ".swath/workflows/broken.yaml")
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        ".swath/workflows/broken.yaml:4:9: step `securty` is not a step of `review-diff`"
    )
    run = swath(repo, "run", "broken")
    assert run.returncode == 2 and "broken.yaml:4:9:" in run.stderr


def test_an_extends_cycle_is_refused(repo: Path) -> None:
    saved = repo / ".swath" / "workflows"
    (saved / "ping.yaml").write_text("extends: pong\nname: ping\n", encoding="utf-8")
    (saved / "pong.yaml").write_text("extends: ping\nname: pong\n", encoding="utf-8")
    proc = swath(repo, "run", "ping")
    assert proc.returncode == 2
    assert ".swath/workflows/ping.yaml:1:10: cannot extend `pong`" in proc.stderr
    assert "ping.yaml -> pong.yaml -> ping.yaml" in proc.stderr


def test_show_prints_the_file_and_the_workflow_as_it_runs(repo: Path) -> None:
    proc = swath(repo, "workflows", "show", "review-security")
    assert proc.returncode == 0, proc.stderr
    written, merged = proc.stdout.split("\n# as it runs, merged with what it extends:\n")
    assert written.endswith(SECURITY_ONLY)
    shown = yaml.safe_load(merged)
    assert shown["name"] == "review-security" and "extends" not in shown
    ids = [s["id"] for s in shown["steps"]]
    assert "security" in ids and "correctness" not in ids and "performance" not in ids
    security = next(s for s in shown["steps"] if s["id"] == "security")
    assert security["agent"]["params"]["ruff"] == "off"
    assert security["agent"]["analyzer"] == "diff-review"  # from the base, not the file
    plain = swath(repo, "workflows", "show", "todo-audit")
    assert "as it runs" not in plain.stdout
