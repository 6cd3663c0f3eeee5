"""A cached result's output stays in the store until something reads it (engine.stored):
a run whose reduce is cached reads no map output, and whatever reads outputs gets them."""

from __future__ import annotations

import gc
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from swath.engine.events import RunFinished
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.findings.report import RunReport
from swath.spec.models import Workflow
from swath.spec.records import Record
from swath.store import RunStore
from swath.workspace import Workspace
from tests.engine import probe_analyzers

probe_analyzers.register()

FILES = 6


def workflow(
    *between: dict[str, Any], tail: tuple[dict[str, Any], ...] | list[Any] = ()
) -> Workflow:
    """Files → a map whose outputs are the bulk of its results → [between] → a count → [tail]."""
    steps: list[dict[str, Any]] = [
        {"id": "files", "kind": "discover", "source": "files", "with": {"include": ["*.txt"]}},
        {
            "id": "work",
            "kind": "map",
            "from": "files",
            "agent": {"analyzer": "probe-sleep", "params": {"seconds": 0, "pad": 5000}},
        },
        *between,
        {
            "id": "count",
            "kind": "reduce",
            "from": between[-1]["id"] if between else "work",
            "agent": {"analyzer": "probe-count"},
        },
        *tail,
    ]
    return Workflow.model_validate({"name": "stored", "steps": steps})


@pytest.fixture
async def engine(tmp_path: Path):
    for n in range(FILES):
        (tmp_path / f"f{n}.txt").write_text(f"file {n}\n", encoding="utf-8")
    store = RunStore.open(tmp_path)
    yield Engine(Workspace(tmp_path), store)
    await store.aclose()


async def rerun(engine: Engine, wf: Workflow) -> RunReport:
    """A new engine and workspace on the same store: nothing carried over in memory."""
    return await Engine(Workspace(engine.workspace.root), engine.store).run(wf, RunOptions())


async def test_a_run_whose_reduce_is_cached_reads_no_map_output(engine: Engine) -> None:
    first = await engine.run(workflow(), RunOptions())
    assert first.outputs["count"]["items"] == FILES
    # The map results' whole JSON made unreadable; their heads (all but the output) stay.
    spoiled = await engine.store.db.call(
        lambda c: (
            c.execute("UPDATE records SET record_json='[]' WHERE head_json IS NOT NULL").rowcount
        )
    )
    assert spoiled == FILES
    again = await rerun(engine, workflow())
    assert again.status.value == "succeeded" and again.agents.cached == FILES + 1
    assert again.outputs == first.outputs


async def test_a_filter_over_cached_results_reads_their_outputs(engine: Engine) -> None:
    keep_one = {"id": "one", "kind": "filter", "from": "work", "where": "output.n == 1"}
    first = await engine.run(workflow(keep_one), RunOptions())
    assert first.outputs["count"]["records"] == FILES
    again = await rerun(engine, workflow(keep_one))
    assert again.agents.cached == FILES + 1  # the reduce saw the same records, so cached
    assert again.outputs == first.outputs


async def test_a_reduce_that_runs_again_reads_every_cached_output(
    tmp_path: Path, engine: Engine
) -> None:
    await engine.run(workflow(), RunOptions())
    (tmp_path / "f9.txt").write_text("new\n", encoding="utf-8")
    again = await rerun(engine, workflow())
    assert again.agents.cached == FILES  # the new file's task and the reduce ran
    assert again.outputs["count"]["items"] == FILES + 1  # every output read, the cached ones too


async def test_map_outputs_no_later_step_needs_are_let_go_before_the_run_ends(
    engine: Engine,
) -> None:
    """Kept by every channel they passed through, a map's outputs (a module map's facts of
    every file) stayed in memory to the end of the run; only the reduce needs them."""
    wf = workflow(
        {"id": "check", "kind": "verify", "from": "work"},
        tail=[{"id": "out", "kind": "emit", "from": "check", "outputs": ["count"]}],
    )
    alive: list[int] = []

    def at_the_end(event: Any) -> None:
        if isinstance(event, RunFinished):
            gc.collect()
            alive.append(
                sum(
                    1
                    for o in gc.get_objects()
                    if isinstance(o, Record) and isinstance(o.output, dict) and "pad" in o.output
                )
            )

    report = await engine.run(wf, RunOptions(), sink=at_the_end)
    assert report.status.value == "succeeded" and report.outputs["count"]["records"] == FILES
    assert alive == [0]


async def test_a_reduce_output_is_stored_once_and_read_back_from_its_record(
    engine: Engine, tmp_path: Path
) -> None:
    wf = workflow()
    first = await engine.run(wf, RunOptions())
    again = await rerun(engine, wf)  # its reduce served from the cache
    (tmp_path / "f0.txt").write_text("changed\n", encoding="utf-8")
    changed = await rerun(engine, wf)
    db = sqlite3.connect(tmp_path / ".swath" / "swath.db")
    try:
        for report in (first, again, changed):
            refs, blob = db.execute(
                "SELECT runs.outputs_refs, blobs.json FROM runs"
                " JOIN blobs ON blobs.hash = runs.outputs_hash WHERE runs.id=?",
                (report.run_id,),
            ).fetchone()
            # The blob keeps the output's place; the run points at the reduce's record.
            assert json.loads(blob) == {"count": None}
            (digest,) = json.loads(refs).values()
            tasks = await engine.store.tasks(report.run_id)  # a row, or in the cached list
            assert [t.step for t in tasks if t.step == "count"] == ["count"]
            (held,) = db.execute("SELECT COUNT(*) FROM records WHERE hash=?", (digest,)).fetchone()
            assert held == 1
    finally:
        db.close()
    for report in (first, again, changed):
        row = await engine.store.get_run(report.run_id)
        assert row is not None and row.report is not None
        assert row.report.outputs == report.outputs
    assert changed.outputs["count"] == {"records": FILES, "items": FILES, "markdown": "6 items"}
    assert first.outputs == again.outputs


def test_tied_records_are_ordered_by_their_json_and_keep_its_digest() -> None:
    # Passes mapping the same batch, then one verify: records of one step sharing a key. Their
    # JSON breaks the tie, and is their digest too (what the reduce's cache key needs next).
    from swath.engine import cache
    from swath.engine.runner import _stable_order
    from swath.engine.stored import Digests

    tied = [Record(step="verified", key="b", output={"pass": p}) for p in ("tests", "a11y", "perf")]
    alone = Record(step="verified", key="a", output={"pass": "x"})
    digests = Digests()
    ordered = _stable_order([*tied, alone], digests)
    assert ordered[0] is alone
    assert ordered[1:4] == sorted(tied, key=lambda r: r.model_dump_json())
    assert [digests.get(r) for r in tied] == [cache.record_digest(r) for r in tied]
    assert digests.get(alone) is None  # not serialised to sort: left to the reduce
