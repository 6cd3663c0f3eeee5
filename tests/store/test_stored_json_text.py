"""Records and blobs are stored as UTF-8 TEXT under the sha256 of that text, whether the
store made them from a str or straight from the serializer's bytes."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

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


async def test_a_record_with_many_findings_keeps_them_in_chunks_a_changed_record_shares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record whose findings are large stores them in chunks (`blobs`) and its own JSON
    with `findings: []`, under the hash of its whole JSON: read back (whole, as a head, as
    a task's), it is the record; a record whose findings changed in one file stores that
    file's chunk and the list, and retention keeps the chunks of the records it keeps."""
    from swath.findings.report import Usage
    from swath.store import retention, runs
    from swath.store.runs import CacheEntry

    monkeypatch.setattr(runs, "RECORD_CHUNKED_BYTES", 1)
    monkeypatch.setattr(runs, "CHUNK_MIN_BYTES", 1)
    monkeypatch.setattr(runs, "CHUNK_MARK", 1)  # a chunk a file

    def record(edited: str = "") -> Record:
        findings = [
            Finding.model_validate(
                {
                    "rule": "map/summary",
                    "path": f"pkg/m{n}.py",
                    "range": {
                        "start": {"line": 0, "character": 0},
                        "end": {"line": 0, "character": 1},
                    },
                    "message": f"m{n} → {'edited' if f'pkg/m{n}.py' == edited else 'as it was'}",
                }
            )
            for n in range(5)
        ]
        output = {"files": [f"pkg/m{n}.py" for n in range(5)], "pad": "x" * 100_000}
        return Record(step="modmap", key="reduce", output=output, findings=findings)

    async def blobs(store: RunStore) -> int:
        return int(
            await store.db.call(lambda c: c.execute("SELECT COUNT(*) FROM blobs").fetchone()[0])
        )

    store = RunStore.open(tmp_path)
    try:
        first, second = record(), record(edited="pkg/m3.py")
        await store.create_run("r1", "map-module", {}, {}, [], "static", "2026-12-04T00:01")
        before = await blobs(store)
        for key, rec in (("k1", first), ("k2", second)):
            s = serialise(rec)
            store.cache_put(key, CacheEntry(deps={}, record=rec), s)
            store.task_finished(
                "r1", "modmap", key, key, "succeeded", rec, Usage(), record_hash=s.digest
            )
            await store.flush()
            if key == "k1":
                assert await blobs(store) - before == 5 + 1  # a chunk a file, and the list
                before = await blobs(store)
        assert await blobs(store) - before == 1 + 1  # m3's chunk, and the list
        for key, rec in (("k1", first), ("k2", second)):
            whole = await store.cache_get(key)
            assert whole is not None and whole.record == rec
            assert whole.digest == serialise(rec).digest
            head = await store.cache_get(key, head=True)
            assert head is not None and head.output_stored and head.record.findings == rec.findings
            assert (await store.record_outputs([whole.digest]))[whole.digest] == rec.output
        assert [t.record for t in await store.tasks("r1")] == [first, second]
        stored = await store.db.call(
            lambda c: c.execute(
                "SELECT json_array_length(record_json, '$.findings'), findings_chunks FROM records"
            ).fetchall()
        )
        assert [n for n, _ in stored] == [0, 0] and all(m for _, m in stored)
        await store.db.call(lambda c: retention.prune(c, keep=1))
        assert (await store.cache_get("k2")).record == second  # type: ignore[union-attr]
    finally:
        await store.aclose()


async def test_a_record_with_a_large_output_is_kept_in_parts_a_changed_one_shares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record whose JSON is large is kept in parts (byte ranges in `blobs`, cut where the
    text says): read back it is the record (whole, a task's, its output alone, a run's
    output read from it), and a record with one row of its output changed stores the part
    that holds the row and the list of parts, not the whole output again."""
    from swath.findings.report import RunReport, Usage
    from swath.store import retention, runs
    from swath.store.runs import CacheEntry

    monkeypatch.setattr(runs, "RECORD_PARTS_BYTES", 10_000)
    monkeypatch.setattr(runs, "PART_MIN_BYTES", 500)
    monkeypatch.setattr(runs, "PART_MARK", 4)

    def record(changed: int = -1) -> Record:
        rows = [
            {
                "path": f"pkg/m{n}.py",
                "purpose": f"módulo {n}" + (" (edited)" if n == changed else ""),
            }
            for n in range(400)
        ]
        return Record(
            step="modmap", key="reduce", output={"modules": rows, "markdown": "a\nb\n" * 300}
        )

    async def blobs(store: RunStore) -> int:
        return int(
            await store.db.call(lambda c: c.execute("SELECT COUNT(*) FROM blobs").fetchone()[0])
        )

    store = RunStore.open(tmp_path)
    try:
        first, second = record(), record(changed=200)
        await store.create_run("r1", "map-module", {}, {}, [], "static", "2026-12-04T00:01")
        digests = []
        for key, rec in (("k1", first), ("k2", second)):
            before = await blobs(store)
            s = serialise(rec)
            digests.append(s.digest)
            store.cache_put(key, CacheEntry(deps={}, record=rec), s)
            store.task_finished(
                "r1", "modmap", key, key, "succeeded", rec, Usage(), record_hash=s.digest
            )
            await store.flush()
            written = await blobs(store) - before
        total_parts = await store.db.call(
            lambda c: c.execute(
                "SELECT json_array_length(b.json) FROM records JOIN blobs b ON b.hash = records.parts"
            ).fetchall()
        )
        assert all(n > 10 for (n,) in total_parts)
        assert written <= 3  # the part holding row 200 (or two), and the list of parts
        for key, rec, digest in (("k1", first, digests[0]), ("k2", second, digests[1])):
            got = await store.cache_get(key)
            assert got is not None and got.record == rec and got.digest == digest
            assert (await store.record_outputs([digest]))[digest] == rec.output
        assert [t.record for t in await store.tasks("r1")] == [first, second]
        report = RunReport(
            run_id="r1",
            workflow="map-module",
            status="succeeded",
            outputs={"modmap": second.output},
        )
        await store.finish_run(report, {"modmap": digests[1]})
        row = await store.get_run("r1")
        assert row is not None and row.report is not None
        assert row.report.outputs == {"modmap": second.output}
        await store.db.call(lambda c: retention.prune(c, keep=1))
        assert (await store.cache_get("k1")).record == first  # type: ignore[union-attr]
        texts = await store.db.call(
            lambda c: c.execute(
                "SELECT record_json FROM records WHERE parts IS NOT NULL"
            ).fetchall()
        )
        assert [tuple(t) for t in texts] == [("",), ("",)]
    finally:
        await store.aclose()
