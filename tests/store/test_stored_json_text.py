"""Records and blobs are stored as UTF-8 TEXT under the sha256 of that text, whether the
store made them from a str or straight from the serializer's bytes."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.spec.discovery import builtin_workflows_dir
from swath.findings.model import Finding
from swath.spec.loader import load_workflow
from swath.spec.records import Record
from swath.store import RunStore
from swath.store.runs import serialise
from swath.workspace import Workspace


async def test_a_map_with_arrows_in_its_findings_is_stored_as_text_by_its_hash(
    tmp_path: Path,
) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""Café: the package → its parts."""\nfrom pkg import a\n')
    (pkg / "a.py").write_text(
        '"""Naïve part."""\nfrom pkg import b\n\n\ndef run() -> None:\n    b.go()\n'
    )
    (pkg / "b.py").write_text('"""Ünïcode part."""\nimport pkg\n\n\ndef go() -> None:\n    pass\n')
    store = RunStore.open(tmp_path)
    engine = Engine(Workspace(tmp_path), store)
    wf = load_workflow(builtin_workflows_dir() / "map-module.yaml")
    report = await engine.run(wf, RunOptions(paths=["pkg"]))
    await store.aclose()
    assert report.status.value == "succeeded"
    assert any("⇄" in str(f.data.model_dump()) for f in report.findings)

    con = sqlite3.connect(tmp_path / ".swath" / "swath.db")
    try:
        records = con.execute(
            "SELECT hash, record_json, typeof(record_json) FROM records"
        ).fetchall()
        blobs = con.execute("SELECT hash, json, typeof(json) FROM blobs").fetchall()
        extracted = con.execute(
            "SELECT COUNT(*) FROM records WHERE json_extract(record_json, '$.step') IS NOT NULL"
        ).fetchone()[0]
    finally:
        con.close()
    assert records and blobs
    for digest, text, kind in records + blobs:
        assert kind == "text"
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == digest
    assert extracted == len(records)
    assert any("⇄" in text for _, text, _ in records)
    assert any("⇄" in text for _, text, _ in blobs)  # the findings' blob

    shown = RunStore.open(tmp_path)
    try:
        again = await shown.get_run(report.run_id)
    finally:
        await shown.aclose()
    assert again is not None and again.report is not None
    assert again.report.findings == report.findings


def test_a_record_is_stored_as_its_own_dump_with_its_findings_dumped_one_by_one() -> None:
    """`serialise` dumps the findings one by one (the run's findings table and report take
    those bytes): the record's JSON, its head and its digest are pydantic's dump of it."""
    findings = [
        Finding.model_validate(
            {
                "rule": "map/summary",
                "severity": "hint",
                "path": f"pkg/m{n}.py",
                "range": {"start": {"line": n, "character": 0}, "end": {"line": n, "character": 3}},
                "message": f"m{n} → used by {n}",
                "evidence": [{"path": f"pkg/m{n}.py", "line": n, "quote": "déf"}],
                "data": {"lens": f"⇄ used by {n}", "used_by": [f"pkg/u{n}.py"], "module": None},
            }
        )
        for n in range(3)
    ]
    facts = {"files": [{"path": f"pkg/m{n}.py", "purpose": "x" * 4000} for n in range(3)]}
    for record in (
        Record(step="modmap", key="reduce", output=facts, findings=findings),
        Record(step="modmap", key="reduce", output={"small": 1}, findings=findings),
        Record(step="symbols", key="pkg/m0.py", output=facts),
        Record(step="verified", key="reduce", findings=findings),
    ):
        stored = serialise(record)
        assert stored.data == record.model_dump_json().encode("utf-8")
        assert stored.digest == hashlib.sha256(stored.data).hexdigest()
        assert stored.findings == [f.model_dump_json().encode("utf-8") for f in record.findings]
        if stored.head is not None:
            assert stored.head == record.model_copy(update={"output": None}).model_dump_json()
    assert serialise(Record(step="modmap", key="reduce", output=facts, findings=findings)).head
