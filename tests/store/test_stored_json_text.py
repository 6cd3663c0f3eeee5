"""Records and blobs are stored as UTF-8 TEXT under the sha256 of that text, whether the
store made them from a str or straight from the serializer's bytes."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import load_workflow
from swath.store import RunStore
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
