"""Every built-in workflow's SARIF, from a real run and from a run served by the cache:
valid SARIF 2.1.0, and carrying what GitHub code scanning requires of rules and results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import swath
from tests.findings.test_render_sarif import schema_errors
from tests.gitrepo import commit_files, copy_example, git, init_repo

DEMO = Path(__file__).resolve().parents[2] / "examples" / "flags-demo"
OLD = "2024-01-15T12:00:00+00:00"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_repo(tmp_path_factory.mktemp("sarif") / "repo")
    copy_example(DEMO, root)
    commit_files(root, {"app/notes.py": "# TODO: one\n# TODO: one\nX = 1\n"}, date=OLD)
    # An uncommitted change for review-diff: a security and a correctness problem.
    (root / "app" / "tool.py").write_text(
        "import subprocess\n\n\ndef run(cmd):\n    try:\n"
        "        return subprocess.call(cmd, shell=True)\n    except:\n        return None\n",
        encoding="utf-8",
    )
    git(root, "add", "app/tool.py")
    return root


def sarif_of(root: Path, workflow: str, n: int) -> dict[str, Any]:
    out = root.parent / f"{workflow}-{n}.sarif"
    proc = swath(root, "run", workflow, "--format", "sarif", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


def github_problems(doc: dict[str, Any]) -> list[str]:
    """What GitHub's ingestion and Microsoft's validator (GitHub rule set) ask beyond the schema."""
    problems = []
    categories = [run["automationDetails"]["id"].rsplit("/", 1)[0] for run in doc["runs"]]
    if len(set(categories)) != len(categories):
        problems.append(f"two runs share a category: {categories}")
    for run in doc["runs"]:
        rules = run["tool"]["driver"]["rules"]
        for rule in rules:
            for key in ("shortDescription", "fullDescription"):
                if not rule.get(key, {}).get("text"):
                    problems.append(f"{rule['id']}: no {key}")
            if not rule.get("help", {}).get("text") or not rule["help"].get("markdown"):
                problems.append(f"{rule['id']}: no help text and markdown")
            if not rule.get("properties", {}).get("tags"):
                problems.append(f"{rule['id']}: no tags")
            if "security" in rule["properties"]["tags"]:
                score = float(rule["properties"].get("security-severity", "nan"))
                if not 0.0 <= score <= 10.0:
                    problems.append(f"{rule['id']}: security rule without security-severity")
        for res in run["results"]:
            if rules[res["ruleIndex"]]["id"] != res["ruleId"]:
                problems.append(f"{res['ruleId']}: ruleIndex points elsewhere")
            if not res.get("partialFingerprints"):
                problems.append(f"{res['ruleId']}: no partialFingerprints")
            uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            if uri.startswith(("/", "./", "file:")):
                problems.append(f"{uri}: not relative to the repository")
    return problems


def rules_of(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        run["automationDetails"]["id"].rsplit("/", 1)[0]: run["tool"]["driver"]["rules"]
        for run in doc["runs"]
    }


@pytest.mark.parametrize("workflow", ["todo-audit", "flag-audit", "map-module", "review-diff"])
def test_sarif_of_every_workflow_first_and_cached(repo: Path, workflow: str) -> None:
    first = sarif_of(repo, workflow, 1)
    cached = sarif_of(repo, workflow, 2)
    assert cached["runs"][0]["properties"]["agents"]["cached"] > 0
    for doc in (first, cached):
        assert schema_errors(doc) == []
        assert github_problems(doc) == []
    # Served from the cache, the rules are described exactly as on the first run.
    assert rules_of(cached) == rules_of(first)
    results = [r for run in first["runs"] for r in run["results"]]
    assert "map/summary" not in {r["ruleId"] for r in results}
    if workflow == "map-module":
        assert all(r["ruleId"] != "map/summary" for r in results)
    if workflow == "todo-audit":  # two identical TODO lines are two alerts
        notes = [r for r in results if "app/notes.py" in json.dumps(r["locations"])]
        assert len(notes) == 2
        assert len({json.dumps(r["partialFingerprints"]) for r in notes}) == 2
    if workflow == "review-diff":
        cats = [run["automationDetails"]["id"].rsplit("/", 1)[0] for run in first["runs"]]
        assert "review-diff/security" in cats and "review-diff/correctness" in cats
        security = next(r for r in first["runs"] if "/security/" in r["automationDetails"]["id"])
        assert security["results"], "shell=True is a security finding"
        rule = security["tool"]["driver"]["rules"][security["results"][0]["ruleIndex"]]
        assert float(rule["properties"]["security-severity"]) >= 7.0
