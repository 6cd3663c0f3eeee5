"""map-module and review-diff end to end: through the engine in-process, and through
`python -m swath` in a subprocess on temporary git repositories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from swath.agents.base import ModelTask
from swath.agents.prompts import render_instructions
from swath.engine.catalog import known_names
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.findings.report import RunStatus
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import load_workflow
from swath.store import RunStore
from swath.workspace import Workspace
from tests.gitrepo import commit_files, git, init_repo
from swath.spec.records import Record
from tests.workflows.helpers import analyze, by_path, diff_items, file_items, reduce, write
from tests.clirun import swath

MODULE = {
    "shop/__init__.py": '"""The shop."""\nfrom shop.cart import Cart\n',
    "shop/cart.py": '"""Shopping cart."""\nfrom shop.pricing import price\n\n\nclass Cart:\n    def total(self):\n'
    "        return price(self)\n",
    "shop/pricing.py": '"""Prices."""\nfrom shop.cart import Cart\n\n\ndef price(cart: Cart) -> int:\n    return 1\n',
    "shop/__main__.py": "from shop.cart import Cart\n\nif __name__ == '__main__':\n    print(Cart().total())\n",
    "shop/web/app.ts": "import { api } from './api';\nexport const app = api;\n",
    "shop/web/api.ts": "export const api = 1;\n",
    "README.md": "The shop.\n",
}

BEFORE = {
    "svc/handlers.py": "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd)\n",
    "web/ui.ts": "export function show(x: number) {\n  return x;\n}\n",
    # The project has tests (none changes), so the tests pass reports the untested changes.
    "tests/test_handlers.py": "def test_run():\n    assert True\n",
}
AFTER = {
    "svc/handlers.py": "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd)\n\n\n"
    "def run_shell(cmd, seen=[]):\n    try:\n        return subprocess.run(f'sh {cmd}', shell=True)\n"
    "    except:\n        return None\n",
    "web/ui.ts": "export function show(x: number) {\n  console.log(x);\n  return x;\n}\n",
}


@pytest.fixture
def module_repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    commit_files(root, MODULE)
    return root


@pytest.fixture
def diff_repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    commit_files(root, BEFORE)
    write(root, AFTER)
    write(root, {"svc/new_secret.py": 'STRIPE = "sk_live_abcdefghijklmnopqrstuvwx"\n'})
    return root


def builtin(name: str) -> Any:
    return load_workflow(builtin_workflows_dir() / f"{name}.yaml", known_names())


# -- in-process ------------------------------------------------------------------------------


async def run_engine(root: Path, name: str, paths: list[str] | None = None, **inputs: Any) -> Any:
    store = RunStore.open(root)
    try:
        engine = Engine(Workspace(root), store)
        return await engine.run(
            builtin(name), RunOptions(engine="static", paths=paths or [], inputs=inputs)
        )
    finally:
        await store.aclose()


async def test_map_module_through_the_engine(module_repo: Path) -> None:
    report = await run_engine(module_repo, "map-module", ["shop"])
    assert report.status == RunStatus.succeeded and report.dropped_findings == 0
    modmap = report.outputs["modmap"]
    assert modmap["files"] == 6 and modmap["entry_points"] == ["shop/__main__.py"]
    assert [c["files"] for c in modmap["cycles"]] == [["shop/cart.py", "shop/pricing.py"]]
    rules = sorted({f.rule for f in report.findings})
    assert rules == ["map/import-cycle", "map/summary", "map/symbol"]
    # a symbol's lens quotes nothing (it states a count), every other finding is verified
    assert all(f.verified for f in report.findings if f.rule != "map/symbol")
    assert all(not f.evidence for f in report.findings if f.rule == "map/symbol")
    lens = {f.path: f.data.lens for f in report.findings if f.rule == "map/summary"}
    assert (
        lens["shop/cart.py"] == "Shopping cart · ⇄ used by 3 · imports 1"
        and lens["shop/web/api.ts"] == "⇄ used by 1 · imports 0"
    )
    assert {r.id for r in report.rules} >= {"map/import-cycle", "map/summary", "map/syntax-error"}


async def test_review_diff_through_the_engine(diff_repo: Path) -> None:
    report = await run_engine(diff_repo, "review-diff")
    assert report.status == RunStatus.succeeded and report.dropped_findings == 0
    found = sorted(
        (f.path, f.range.start.line, f.rule, f.data.extra("pass")) for f in report.findings
    )
    assert found == [
        ("svc/handlers.py", 7, "review/tests/untested-change", "tests"),
        ("svc/handlers.py", 7, "ruff/B006", "correctness"),
        ("svc/handlers.py", 9, "ruff/S602", "security"),
        ("svc/handlers.py", 10, "ruff/E722", "correctness"),
        ("svc/new_secret.py", 0, "review/security/hardcoded-secret", "security"),
        ("web/ui.ts", 0, "review/tests/untested-change", "tests"),
        ("web/ui.ts", 1, "review/correctness/console-log", "correctness"),
    ]
    assert all(f.verified for f in report.findings)
    # One code lens per file, on its first changed line, counting the file's findings by pass.
    lenses = {
        f.path: (f.data.lens, f.data.extra("lens_line"))
        for f in report.findings
        if f.data.lens is not None
    }
    assert lenses == {
        "svc/handlers.py": ("review: 1 security · 2 correctness · 1 tests", 5),
        "svc/new_secret.py": ("review: 1 security", 0),
        "web/ui.ts": ("review: 1 correctness · 1 tests", 1),
    }
    summary = report.outputs["summary"]
    assert summary["counts"]["by_severity"] == {
        "error": 1,
        "warning": 3,
        "information": 3,
        "hint": 0,
    }
    assert summary["counts"]["by_pass"] == {
        "security": 2,
        "correctness": 3,
        "performance": 0,
        "tests": 2,
        "accessibility": 0,
    }
    md = summary["markdown"]
    assert [line for line in md.splitlines() if line.startswith("### ")] == [
        "### Security (2)",
        "### Correctness (3)",
        "### Performance (0)",
        "### Tests (2)",
        "### Accessibility (0)",
    ]
    assert summary["verdict"] == "changes requested" and summary["counts"]["files_changed"] == 3


def _prompt(workflow: str, step_id: str, **kw: Any) -> str:
    step = builtin(workflow).step(step_id)
    assert step.agent.output in ("findings", "report")
    task = ModelTask(
        run_id="r",
        step_id=step_id,
        task_key="k",
        tier="map" if step.kind == "map" else "reduce",
        agent=step.agent,
        **kw,
    )
    text = render_instructions(task)
    assert "{{" not in text and "{%" not in text
    return text


def test_model_prompts_of_map_module_render_with_real_facts(module_repo: Path) -> None:
    """Model mode: each step's instructions render with what the engine gives the model."""
    items = file_items(module_repo, ["shop"])
    mapped = analyze("symbols", items, module_repo)
    text = _prompt("map-module", "symbols", items=items, facts=mapped.output)
    assert "### `shop/cart.py` (python, 7 lines, module `shop.cart`)" in text
    assert "class `Cart` (lines 5–7); method `Cart.total` (lines 6–7)" in text
    assert "Imports: `shop.pricing`" in text
    records = [Record(step="symbols", key="all", items=items, output=mapped.output)]
    modmap = reduce("module-map", records, module_repo)
    text = _prompt("map-module", "modmap", records=records, facts=modmap.output)
    assert "mapped 6 files in 1 batches" in text
    assert "- shop/cart.py → shop/pricing.py → shop/cart.py (eager; 2 files)" in text
    assert "- `shop/cart.py`: Shopping cart. — used by 3, imports 1; API: Cart" in text


def test_model_prompts_of_review_diff_render_with_real_facts(diff_repo: Path) -> None:
    """Each pass's instructions come from its own template file, with the compact diff."""
    items = by_path(diff_items(diff_repo))
    item = items["svc/handlers.py"]
    texts = {}
    for p in ("security", "correctness", "performance", "tests", "accessibility"):
        reviewed = analyze("diff-review", [item], diff_repo, {"pass": p})
        texts[p] = _prompt("review-diff", p, items=[item], facts=reviewed.output, inputs={})
    sec = texts["security"]
    assert sec.startswith("You are the **security** pass of a code review.")
    assert "=== svc/handlers.py (modified)" in sec
    assert "   10 +         return subprocess.run(f'sh {cmd}', shell=True)" in sec
    assert "- svc/handlers.py:10 `ruff/S602`" in sec  # the pass's offline facts, as grounding
    assert "ruff/E722" not in sec and "- svc/handlers.py:11 `ruff/E722`" in texts["correctness"]
    assert "rule id `review/performance/<short-name>`" in texts["performance"]
    assert texts["accessibility"].startswith("You are the **accessibility** pass")
    reviewed = analyze("diff-review", [item], diff_repo, {"pass": "security"})
    records = [
        Record(
            step="verified",
            key=item.id,
            items=[item],
            output=reviewed.output,
            findings=reviewed.findings,
        )
    ]
    merged = reduce("review-merge", records, diff_repo)
    merged_records = [
        Record(
            step="merged", key="merged", items=[], output=merged.output, findings=merged.findings
        )
    ]
    summary = reduce("review-summary", merged_records, diff_repo)
    text = _prompt("review-diff", "summary", records=merged_records, facts=summary.output)
    assert (
        "- [security] warning `ruff/S602` svc/handlers.py:10: `subprocess` call with `shell=True`"
        in text
    )
    assert "`return subprocess.run(f'sh {cmd}', shell=True)`" in text
    assert "(needs a look, unless the findings say otherwise)" in text


# -- the command line --------------------------------------------------------------------------


def test_cli_map_module_json(module_repo: Path) -> None:
    proc = swath(module_repo, "run", "map-module", "shop", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["workflow"] == "map-module" and out["status"] == "succeeded"
    assert out["agents"]["failed"] == 0 and out["usage"]["cost_usd"] == 0.0
    cycle = next(f for f in out["findings"] if f["rule"] == "map/import-cycle")
    assert cycle["severity"] == "warning" and cycle["verified"] is True
    assert [e["quote"] for e in cycle["evidence"]] == [
        "from shop.pricing import price",
        "from shop.cart import Cart",
    ]
    summaries = [f for f in out["findings"] if f["rule"] == "map/summary"]
    assert len(summaries) == 6 and all(
        f["severity"] == "hint" and f["range"]["start"]["line"] == 0 for f in summaries
    )
    assert out["outputs"]["modmap"]["markdown"].startswith("## Module map: `shop`")
    report = next((module_repo / ".swath" / "reports").glob("*.md")).read_text()
    assert "## Module map: `shop`" in report


def test_cli_review_diff_json_text_and_cache(diff_repo: Path) -> None:
    proc = swath(diff_repo, "run", "review-diff", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["workflow"] == "review-diff" and out["status"] == "succeeded"
    rules = {(f["path"], f["rule"]) for f in out["findings"]}
    assert ("svc/handlers.py", "ruff/S602") in rules
    assert ("svc/handlers.py", "ruff/S307") not in rules
    shell = next(f for f in out["findings"] if f["rule"] == "ruff/S602")
    assert shell["severity"] == "warning" and shell["range"]["start"] == {
        "line": 9,
        "character": 15,
    }
    assert shell["evidence"] == [
        {
            "path": "svc/handlers.py",
            "line": 9,
            "quote": "return subprocess.run(f'sh {cmd}', shell=True)",
        }
    ]
    assert shell["data"]["source"] == "swath/security"
    secret = next(f for f in out["findings"] if f["path"] == "svc/new_secret.py")
    assert "abcdefghijklmnop" not in json.dumps(secret)
    summary = out["outputs"]["summary"]
    assert summary["counts"]["findings"] == len(out["findings"]) == 7, [
        (f["path"], f["rule"]) for f in out["findings"]
    ]
    assert summary["markdown"].startswith("## Review of the diff against HEAD")
    again = json.loads(swath(diff_repo, "run", "review-diff", "--format", "json").stdout)
    # Every task, the reduces included, comes from the cache.
    assert again["agents"]["cached"] == again["agents"]["total"] and len(again["findings"]) == 7, (
        again["agents"],
        [(f["path"], f["rule"]) for f in again["findings"]],
    )
    assert again["outputs"]["summary"] == summary
    text = swath(diff_repo, "run", "review-diff")
    assert "svc/handlers.py:10:16: warning ruff/S602" in text.stdout
    only = json.loads(
        swath(diff_repo, "run", "review-diff", "-i", "passes=security", "--format", "json").stdout
    )
    assert {f["data"]["pass"] for f in only["findings"]} == {"security"}
    assert only["outputs"]["summary"]["passes"] == ["security"]
    assert (
        "not run: correctness, performance, tests, accessibility"
        in only["outputs"]["summary"]["markdown"]
    )


def test_cli_refuses_an_unknown_pass_before_the_run_starts(diff_repo: Path) -> None:
    bad = swath(diff_repo, "run", "review-diff", "-i", "passes=security,nope")
    assert bad.returncode == 2, bad.stderr
    assert "'nope'" in bad.stderr and "'security'" not in bad.stderr
    assert "all, security, correctness, performance, tests, accessibility" in bad.stderr
    assert "planned" not in bad.stderr and bad.stdout == ""  # no run was started
    assert "no runs yet" in swath(diff_repo, "runs").stdout
    typo = swath(diff_repo, "plan", "review-diff", "-i", "passes=secrity")
    assert typo.returncode == 2 and "did you mean 'security'?" in typo.stderr
    # Case and spaces are as free as the review's own parsing of the list.
    ok = swath(diff_repo, "run", "review-diff", "-i", "passes=Security, correctness")
    assert ok.returncode == 0, ok.stderr


def test_cli_review_diff_against_a_base_branch(diff_repo: Path) -> None:
    git(diff_repo, "stash", "-u", "-q")
    git(diff_repo, "checkout", "-q", "-b", "feature")
    write(diff_repo, {"svc/feature.py": "def f(x):\n    return eval(x)\n"})
    git(diff_repo, "add", "-A")
    git(diff_repo, "commit", "-q", "-m", "feature")
    proc = swath(
        diff_repo,
        "run",
        "review-diff",
        "-i",
        "base=main",
        "-i",
        "untracked=false",
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [(f["path"], f["rule"]) for f in out["findings"]] == [
        ("svc/feature.py", "review/tests/untested-change"),
        ("svc/feature.py", "ruff/S307"),
    ]
    assert out["outputs"]["summary"]["base"].startswith("main (merge base ")


def test_cli_review_diff_with_nothing_changed(module_repo: Path) -> None:
    proc = swath(module_repo, "run", "review-diff", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["findings"] == [] and out["outputs"]["summary"]["verdict"] == "looks good"


def test_cli_review_diff_unknown_base_fails_with_the_reason(module_repo: Path) -> None:
    proc = swath(module_repo, "run", "review-diff", "-i", "base=no-such-branch")
    assert proc.returncode == 2
    assert "base 'no-such-branch' is not a commit, branch or tag" in proc.stderr
    assert "Traceback" not in proc.stderr
