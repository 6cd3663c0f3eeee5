"""The analyzers end to end on examples/flags-demo (the README's demo)."""

from __future__ import annotations

import ast
import json
import subprocess

from swath.analyzers import registry
from swath.analyzers.flags.rewrite_ts import has_errors
from swath.engine.verify import EvidenceVerifier
from tests.tools import gofmt

from .conftest import discover, errors, flag_items, run_offline

EXPECTED = {
    "new_checkout": "fully-on",
    "search_v2": "fully-on",
    "recommendations": "fully-on",
    "new-onboarding": "fully-on",
    "FAST_SHIPPING": "fully-on",
    "go_fast_path": "fully-on",
    "legacy_search": "fully-off",
    "old_pricing": "fully-off",
    "holiday-theme": "fully-off",
    "go_batch_writes": "fully-off",
    "unused_banner": "unreferenced",
    "ghost_feature": "undefined",
    "dark_mode": None,
    "beta-reports": None,
    "ai_summary": None,
    "GIFT_WRAP": None,
    "payments_kill_switch": None,
    "ops-maintenance-mode": None,
}


def test_registry_names():
    assert registry.get("flag-classify").kind == "map"
    assert registry.get("flag-plan").kind == "reduce"


def test_demo_items(demo):
    items = discover(demo)
    assert errors(items) == []
    flags = flag_items(items)
    assert set(flags) == set(EXPECTED)
    formats = {d["format"] for f in flags.values() for d in f.data["definitions"]}
    assert formats == {"flagd", "launchdarkly", "plain", "homegrown"}
    checkout = flags["new_checkout"]
    assert "app/checkout.py" in checkout.files and "flags/flags.flagd.json" in checkout.files


def test_demo_classification_and_plan(demo):
    records, found, plan = run_offline(demo)
    facts = {f["key"]: f for r in records for f in r.output["flags"]}
    assert {k: f["category"] for k, f in facts.items()} == EXPECTED
    assert facts["new_checkout"]["history"]["since"] is not None  # dated by git blame
    assert facts["payments_kill_switch"]["not_candidate_because"].startswith("kill switch")
    assert facts["dark_mode"]["percent"] == 50

    catalogue = {c["key"]: c for c in plan["catalogue"]}
    assert set(catalogue) == set(EXPECTED)  # all flags, not only candidates
    assert catalogue["new_checkout"]["evidence"][0]["path"] == "flags/flags.flagd.json"
    md = plan["markdown"]
    for words in (
        "## Removal candidates",
        "### `new_checkout`: 100% on",
        "**Keep**",
        "**Delete** the definition",
        "**Tests** pinning it (update or delete them with it): "
        "`tests/test_checkout.py:7` (`test_new_checkout_renders_total`)",
        "**Risks**",
        "## Other flags",
    ):
        assert words in md
    assert plan["summary"]["candidates"] == 12


def test_demo_findings_lenses_and_edits(demo):
    _, found, _ = run_offline(demo)
    main = [f for f in found if f.severity.value == "information"]
    rules = {f.rule for f in main}
    assert rules == {"flag/fully-on", "flag/fully-off", "flag/unreferenced", "flag/undefined"}
    at = {(f.path, f.range.start.line): f for f in main}
    ref = at[("app/checkout.py", 4)]
    assert ref.rule == "flag/fully-on" and ref.data.lens == "⚑ new_checkout · 100% on · 6 refs"
    assert ref.evidence[0].quote == 'if client.get_boolean_value("new_checkout", False):'
    assert "keep the enabled branch" in ref.message and "flags/flags.flagd.json:4" in ref.message
    definition = at[("flags/flags.flagd.json", 3)]
    assert definition.data.lens == "⚑ 6 references in 4 files"
    assert at[("flags/flags.flagd.json", 39)].rule == "flag/unreferenced"
    assert at[("app/search.py", 18)].rule == "flag/undefined"
    dead = [f for f in found if "unnecessary" in f.tags]
    assert dead and all(f.severity.value == "hint" for f in dead)
    assert any(f.path == "web/src/checkout.ts" for f in dead)

    # every quote stands where it says (what the engine's verify step checks)
    outcome = EvidenceVerifier(demo).verify(found)
    assert outcome.dropped == []


def test_demo_edits_parse_and_keep_the_right_branch(demo):
    _, found, plan = run_offline(demo)
    edits = [f for f in found if f.data.edit is not None]
    assert {f.path for f in edits} >= {
        "app/checkout.py",
        "app/search.py",
        "app/shipping.py",
        "web/src/checkout.ts",
        "web/src/Onboarding.tsx",
    }
    for f in edits:
        edit = f.data.edit
        assert edit is not None and edit.path is not None
        text = (demo.root / edit.path).read_text()
        lines = text.split("\n")
        r = edit.range
        start = sum(len(x) + 1 for x in lines[: r.start.line]) + r.start.character
        end = sum(len(x) + 1 for x in lines[: r.end.line]) + r.end.character
        new = text[:start] + edit.new_text + text[end:]
        if edit.path.endswith(".py"):
            ast.parse(new)
        elif edit.path.endswith(".go"):
            assert not has_errors(new, "go")
        else:
            assert not has_errors(new, "tsx" if edit.path.endswith("x") else "typescript")
    checkout = next(f for f in edits if f.path == "app/checkout.py" and f.range.start.line == 4)
    assert "render_new_checkout" in checkout.data.edit.new_text
    assert "render_legacy_checkout" not in checkout.data.edit.new_text

    # the plan's patch applies cleanly and every file still parses
    subprocess.run(["git", "apply", "-"], cwd=demo.root, input=plan["patch"], text=True, check=True)
    ast.parse((demo.root / "app/checkout.py").read_text())
    assert (
        "legacy"
        not in (demo.root / "web/src/checkout.ts")
        .read_text()
        .split("checkoutPage")[1]
        .split("}")[0]
    )
    assert not has_errors((demo.root / "web/src/Onboarding.tsx").read_text(), "tsx")
    go = (demo.root / "svc/main.go").read_text()
    assert 'fmt.Println("fast path")' in go and "batched" not in go
    assert '"example.com/shop/svc/flags"' not in go  # its last use went with the checks
    # -e: every syntax error. (The demo's imports are not in gofmt's order, so -l, which
    # names a file gofmt would change, says nothing about the rewrite here.)
    proc = subprocess.run(
        [gofmt(), "-e", str(demo.root / "svc/main.go")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr + go


def test_demo_annotate_all_adds_hints_for_the_rest(demo):
    _, found, _ = run_offline(demo, annotate_all=True)
    states = [f for f in found if f.rule == "flag/state"]
    assert any(
        f.data.key == "dark_mode" and f.data.lens.startswith("⚑ dark_mode · 50% partial")
        for f in states
    )
    assert all(f.severity.value == "hint" for f in states)


def test_demo_environment_param_switches_the_deciding_environment(demo):
    records, _, _ = run_offline(demo, environment="staging")
    facts = {f["key"]: f for r in records for f in r.output["flags"]}
    assert facts["new-onboarding"]["environment"] == "staging"
    assert (
        facts["holiday-theme"]["state"] == "unknown"
    )  # no staging, production alone does not decide


def test_malformed_definition_becomes_a_warning_finding(demo):
    path = demo.root / "flags" / "flags.flagd.json"
    data = json.loads(path.read_text())
    data["flags"]["new_checkout"]["state"] = "SOMETIMES"
    path.write_text(json.dumps(data, indent=2))
    records, found, plan = run_offline(demo)
    bad = [f for f in found if f.rule == "flag/malformed"]
    assert (
        len(bad) == 1
        and bad[0].path == "flags/flags.flagd.json"
        and "SOMETIMES" in bad[0].evidence[0].quote
    )
    assert "## Definition errors" in plan["markdown"]
    facts = {f["key"] for r in records for f in r.output["flags"]}
    assert "dark_mode" in facts  # the rest of the file still counts


def test_identical_checks_in_one_file_stay_distinct(tmp_path):
    from .conftest import make_repo

    ws = make_repo(
        tmp_path,
        {
            "flags.yaml": "promo: true\n",
            "app.py": (
                'def a():\n    if client.is_enabled("promo"):\n        x()\n    else:\n        y()\n\n\n'
                'def b():\n    if client.is_enabled("promo"):\n        x()\n    else:\n        y()\n'
            ),
        },
    )
    _, found, _ = run_offline(ws)
    checks = [
        f
        for f in found
        if f.rule == "flag/fully-on" and f.path == "app.py" and f.severity.value == "information"
    ]
    dead = [f for f in found if "unnecessary" in f.tags]
    assert len(checks) == 2 and len({f.fingerprint for f in checks}) == 2
    assert len(dead) == 2 and len({f.fingerprint for f in dead}) == 2
    assert EvidenceVerifier(ws).verify(found).dropped == []


def test_plan_reports_where_model_and_analyzer_disagree(demo):
    from swath.analyzers.base import AnalyzerContext
    from swath.analyzers.flags.plan import FlagPlan
    from swath.spec.records import Record

    records, _, _ = run_offline(demo)
    model = {
        "assessments": [
            {
                "key": "new_checkout",
                "state": "on",
                "candidate": True,
                "keep": "enabled",
                "agrees_with_analyzer": True,
                "verdict": "remove",
                "reason": "all four call sites read it the same way",
            },
            {
                "key": "dark_mode",
                "state": "on",
                "candidate": True,
                "keep": "enabled",
                "agrees_with_analyzer": False,
                "verdict": "investigate",
                "reason": "the 50/50 split was an experiment that ended",
            },
        ]
    }
    # model mode: the facts and the model's answer may arrive side by side or nested
    mixed = [
        Record(
            step="classify", key=r.key, items=r.items, output={"facts": r.output, "model": model}
        )
        if i == 0
        else r
        for i, r in enumerate(records)
    ]
    out = FlagPlan().reduce(mixed, AnalyzerContext(workspace=demo)).output
    assert out["summary"]["disagreements"] == 1
    assert out["disagreements"][0]["key"] == "dark_mode"
    assert "## Model and analyzer disagree" in out["markdown"]
    assert "state: model on, analyzer partial" in out["markdown"]
    assert "**Model review**: remove" in out["markdown"]
    catalogue = {c["key"]: c for c in out["catalogue"]}
    assert catalogue["dark_mode"]["model"][0]["verdict"] == "investigate"
