"""Staleness: a minimum age before a fully on/off flag is a candidate, per-type lifetimes
(Unleash), and dates from the file and line that hold the state."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .conftest import make_repo, run_offline


def _commit_at(root: Path, when: datetime, message: str) -> None:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    for args in (["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True)


def _facts(ws) -> dict:
    records, _, _ = run_offline(ws)
    return {f["key"]: f for r in records for f in r.output["flags"]}


def test_a_flag_switched_on_today_is_not_yet_a_candidate(tmp_path: Path) -> None:
    now = datetime.now(tz=UTC)
    ws = make_repo(
        tmp_path,
        {
            "flags.yaml": "fresh: true\nold: true\n",
            "a.py": "is_enabled('fresh')\nis_enabled('old')\n",
        },
        commit=False,
    )
    _commit_at(ws.root, now - timedelta(days=100), "both on")
    (ws.root / "flags.yaml").write_text("fresh: {enabled: true, rollout: 100}\nold: true\n")
    _commit_at(ws.root, now - timedelta(days=2), "fresh fully on")
    facts = _facts(ws)
    assert facts["old"]["category"] == "fully-on"
    assert facts["fresh"]["category"] is None
    assert facts["fresh"]["not_candidate_because"] == "in this state for 2 days, fewer than 30"
    (ws.root / ".swath").mkdir()
    (ws.root / ".swath/flags.yaml").write_text("min_age_days: 1\n")
    assert _facts(ws)["fresh"]["category"] == "fully-on"


def _unleash(kind: str) -> dict:
    return {
        "name": f"{kind}-flag",
        "type": kind,
        "environments": [{"name": "production", "enabled": True, "strategies": []}],
    }


def test_unleash_lifetimes_per_flag_type(tmp_path: Path) -> None:
    now = datetime.now(tz=UTC)
    export = {"version": 1, "features": [_unleash("release"), _unleash("operational")]}
    ws = make_repo(
        tmp_path,
        {
            "unleash-export.json": json.dumps(export, indent=2),
            "a.ts": "isEnabled('release-flag');\nisEnabled('operational-flag');\n",
        },
        commit=False,
    )
    _commit_at(ws.root, now - timedelta(days=20), "export")
    facts = _facts(ws)
    assert facts["operational-flag"]["category"] == "fully-on"  # 7 days is enough
    assert facts["release-flag"]["category"] is None  # release flags live 40 days
    assert "fewer than 40" in facts["release-flag"]["not_candidate_because"]


def test_since_comes_from_the_override_file_line(tmp_path: Path) -> None:
    now = datetime.now(tz=UTC)
    ws = make_repo(
        tmp_path,
        {
            ".swath/flags.yaml": "override_file: ops/states.json\n",
            "flags.yaml": "a: false\nb: false\nc: false\n",
            "ops/states.json": '{\n  "a": "off"\n}\n',
            "app.py": "is_enabled('c')\n",
        },
        commit=False,
    )
    _commit_at(ws.root, now - timedelta(days=400), "definitions")
    (ws.root / "ops/states.json").write_text('{\n  "a": "off",\n  "c": "on"\n}\n')
    _commit_at(ws.root, now - timedelta(days=60), "c switched on in the override file")
    c = _facts(ws)["c"]
    assert c["state"] == "on"
    # Line 3 of flags.yaml (the wrong place) is 400 days old; line 3 of the override is 60.
    assert c["history"]["since"] == (now - timedelta(days=60)).date().isoformat()
    assert c["history"]["age_days"] == 60
