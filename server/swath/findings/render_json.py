"""`--format json`: the run summary object of DESIGN.md's contract.

Keys come in the contract's order, extensions (verification counts, errors, tags…)
after the contract's keys, so that a diff of two reports or a reader skimming the
output sees the contract first and the order never depends on model field order.
"""

from __future__ import annotations

import json
from typing import Any

from swath.findings.report import RunReport

# The version of the run document's shape (docs/run.schema.json). Adding a key keeps it;
# renaming, removing or retyping one raises it.
SCHEMA_VERSION = 1
REPORT_KEYS = ("run_id", "workflow", "status", "agents", "usage", "findings", "outputs")
FINDING_KEYS = (
    "id",
    "rule",
    "severity",
    "path",
    "range",
    "message",
    "evidence",
    "verified",
    "fingerprint",
    "data",
)


def contract_first(obj: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """`obj` with `keys` first, in that order, and every other key after them."""
    ordered = {k: obj[k] for k in keys if k in obj}
    ordered.update((k, v) for k, v in obj.items() if k not in ordered)
    return ordered


def ordered_contract(report: RunReport, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = contract_first(report.contract_json(), REPORT_KEYS)
    doc["findings"] = [contract_first(f, FINDING_KEYS) for f in doc.get("findings", [])]
    # After the contract's keys, before the other extensions: what a reader checks first.
    out = {k: doc[k] for k in REPORT_KEYS if k in doc}
    out["schema_version"] = SCHEMA_VERSION
    out.update((k, v) for k, v in doc.items() if k not in out)
    out.update(extra or {})
    return out


def render_json(report: RunReport, extra: dict[str, Any] | None = None) -> str:
    """The contract object, indented by 2, ending with a newline. `extra` adds keys (the
    CLI's `fix_preview`)."""
    # ensure_ascii=False: paths and quotes in other scripts stay readable, and the
    # output is UTF-8 anyway.
    return json.dumps(ordered_contract(report, extra), indent=2, ensure_ascii=False) + "\n"
