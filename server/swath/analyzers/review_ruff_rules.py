"""What the ruff rules the review asks for mean: name, summary and ruff's explanation.

A code-scanning alert needs its rule's description and help even on a run served from
the cache (no ruff runs then), so they ship as data, `review_ruff_rules.json`, written
from `ruff rule --all --output-format json` by `python -m swath.analyzers.review_ruff_rules`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

from swath.analyzers.review_passes import RUFF, ruff_pass, selector_matches
from swath.findings.report import RuleInfo

DATA = Path(__file__).with_name("review_ruff_rules.json")
EXPLANATION_MAX = 1500  # ruff's "What it does" and "Why is this bad?", not its examples
# GitHub's scale (see findings.render_sarif): the security pass's ruff rules are mediums,
# the few that run code or a shell built from data are highs.
HIGH = {"S102", "S307", "S602", "S604", "S605", "S608", "S301", "S506", "S701"}


def _wanted(code: str) -> bool:
    return any(selector_matches(s, code) for sels in RUFF.values() for s in sels)


def _short_explanation(text: str) -> str:
    head = text.split("\n## Example", 1)[0].strip()
    return head if len(head) <= EXPLANATION_MAX else head[:EXPLANATION_MAX].rsplit(" ", 1)[0] + " …"


def write_data(ruff: str = "ruff") -> int:
    """Rewrite the data file from the installed ruff; returns how many rules it holds."""
    proc = subprocess.run(
        [ruff, "rule", "--all", "--output-format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rules = {
        r["code"]: {
            "name": r["name"],
            "summary": r["summary"],
            "explanation": _short_explanation(r.get("explanation") or ""),
        }
        for r in json.loads(proc.stdout)
        if r.get("code") and _wanted(r["code"])
    }
    DATA.write_text(json.dumps(rules, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return len(rules)


@cache
def _data() -> dict[str, dict[str, Any]]:
    return json.loads(DATA.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def ruff_rule_infos() -> list[RuleInfo]:
    out = []
    for code, r in sorted(_data().items()):
        pass_ = ruff_pass(code)
        summary = r["summary"].replace("{", "").replace("}", "")
        out.append(
            RuleInfo(
                id=f"ruff/{code}",
                description=f"{summary} (ruff {code}, {r['name']}).",
                help=r["explanation"],
                help_uri=f"https://docs.astral.sh/ruff/rules/{r['name']}/",
                category=pass_,
                tags=["ruff"],
                security_severity=(8.0 if code in HIGH else 5.5) if pass_ == "security" else None,
            )
        )
    return out


if __name__ == "__main__":
    print(f"{write_data(*sys.argv[1:2])} rules written to {DATA}")
