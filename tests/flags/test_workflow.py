"""The built-in `flag-audit` workflow: it validates, its prompts render with real facts,
and the whole run goes through the CLI on the demo (static engine, no model)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

from swath.agents.base import ModelTask
from swath.agents.prompts import render_instructions
from swath.spec.loader import load_workflow

from .conftest import run_offline

WORKFLOW = Path(str(resources.files("swath.spec") / "workflows" / "flag-audit.yaml"))


def test_workflow_loads_and_batches_ten_flags():
    wf = load_workflow(WORKFLOW)
    assert wf.name == "flag-audit"
    classify = wf.step("classify")
    assert classify.batch == 10 and classify.agent.analyzer == "flag-classify"
    assert wf.step("flags").source == "flags"
    assert wf.step("plan").agent.analyzer == "flag-plan"


def test_model_prompts_render_with_the_analyzers_facts(demo):
    wf = load_workflow(WORKFLOW)
    records, _, plan = run_offline(demo)
    classify = wf.step("classify")
    batch = records[0]
    task = ModelTask(
        run_id="r",
        step_id="classify",
        task_key=batch.key,
        tier="map",
        agent=classify.agent,
        items=batch.items,
        facts=batch.output,
    )
    text = render_instructions(task)
    first = batch.output["flags"][0]
    assert f"## `{first['key']}`" in text
    assert "verdict" in text and "agrees_with_analyzer" in text
    reduce_task = ModelTask(
        run_id="r",
        step_id="plan",
        task_key="plan",
        tier="reduce",
        agent=wf.step("plan").agent,
        records=records,
        facts=plan,
    )
    assert "# Feature flag audit" in render_instructions(reduce_task)


def test_cli_run_on_the_demo(demo):
    proc = subprocess.run(
        [sys.executable, "-m", "swath", "run", "flag-audit", "--format", "json"],
        cwd=demo.root,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["workflow"] == "flag-audit" and out["status"] == "succeeded"
    rules = {f["rule"] for f in out["findings"]}
    assert {"flag/fully-on", "flag/fully-off", "flag/unreferenced", "flag/undefined"} <= rules
    assert all(f["verified"] for f in out["findings"])
    lenses = {f["data"].get("lens") for f in out["findings"] if f["path"] == "app/checkout.py"}
    assert "⚑ new_checkout · 100% on · 6 refs" in lenses
    assert "# Feature flag audit" in json.dumps(out["outputs"])
