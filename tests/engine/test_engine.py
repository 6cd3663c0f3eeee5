"""The engine through its real store: DAG, limits, failures, cancellation, cache, streaming."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from swath.engine.events import Event, FindingsEmitted, RunFinished, TaskFinished
from swath.engine.options import PlanRefused, RunOptions
from swath.engine.runner import Engine
from swath.findings.report import RunStatus
from swath.spec.models import Workflow
from swath.store import RunStore
from swath.workspace import Workspace
from tests.engine import probe_analyzers
from tests.engine.probe_analyzers import ConcurrencyProbe

probe_analyzers.register()


def workflow(
    *,
    seconds: float = 0.01,
    batch: int = 1,
    concurrency: int = 16,
    max_agents: int = 1000,
    extra_steps: list[dict[str, Any]] | None = None,
    analyzer: str = "probe-sleep",
    params: dict[str, Any] | None = None,
) -> Workflow:
    steps: list[dict[str, Any]] = [
        {"id": "files", "kind": "discover", "source": "files", "with": {"include": ["*.txt"]}},
        {
            "id": "work",
            "kind": "map",
            "from": "files",
            "batch": batch,
            "agent": {"analyzer": analyzer, "params": params or {"seconds": seconds}},
        },
    ]
    steps += extra_steps or []
    return Workflow.model_validate(
        {
            "name": "probe",
            "limits": {"concurrency": concurrency, "max_agents": max_agents},
            "steps": steps,
        }
    )


def make_files(root: Path, n: int, *, prefix: str = "f", text: str = "hello\n") -> None:
    for i in range(n):
        (root / f"{prefix}{i:04d}.txt").write_text(text, encoding="utf-8")


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, ev: Event) -> None:
        self.events.append(ev)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
async def engine(tmp_path: Path):
    ConcurrencyProbe.reset()
    store = RunStore.open(tmp_path)
    yield Engine(Workspace(tmp_path), store)
    await store.aclose()


async def test_concurrency_never_exceeds_the_limit(tmp_path: Path, engine: Engine) -> None:
    make_files(tmp_path, 60)
    report = await engine.run(workflow(seconds=0.02, concurrency=4), RunOptions())
    assert report.status == RunStatus.succeeded
    assert report.agents.total == 60
    assert ConcurrencyProbe.peak == 4  # measured inside the analyzer
    assert report.peak_concurrency == 4


async def test_concurrency_override_from_options(tmp_path: Path, engine: Engine) -> None:
    make_files(tmp_path, 20)
    await engine.run(workflow(seconds=0.02, concurrency=16), RunOptions(concurrency=2))
    assert ConcurrencyProbe.peak == 2


async def test_batches_group_items_and_stay_stable_when_a_file_is_added(
    tmp_path: Path, engine: Engine
) -> None:
    make_files(tmp_path, 40)
    report = await engine.run(workflow(batch=4), RunOptions())
    calls = ConcurrencyProbe.calls
    assert report.agents.total == len(calls) >= 10
    assert all(1 <= len(c) <= 8 for c in calls)
    assert sorted(i for c in calls for i in c) == sorted(f"f{i:04d}.txt" for i in range(40))
    ConcurrencyProbe.reset()
    (tmp_path / "f0020a.txt").write_text("new\n")
    again = await engine.run(workflow(batch=4), RunOptions())
    # The batch the new file joins runs again (and at most the next one); the rest is cached.
    assert 1 <= len(ConcurrencyProbe.calls) <= 2
    assert any("f0020a.txt" in call for call in ConcurrencyProbe.calls)
    assert again.agents.cached >= again.agents.total - 2 >= 8


async def test_agent_cap_refuses_before_anything_runs(tmp_path: Path, engine: Engine) -> None:
    make_files(tmp_path, 12)
    with pytest.raises(PlanRefused, match="needs 12 agents, more than the limit of 10"):
        await engine.run(workflow(max_agents=10), RunOptions())
    assert ConcurrencyProbe.calls == []
    assert await engine.store.list_runs() == []


async def test_failed_task_fails_alone(tmp_path: Path, engine: Engine) -> None:
    make_files(tmp_path, 5)
    (tmp_path / "bad.txt").write_text("x\n")
    report = await engine.run(workflow(), RunOptions())
    assert report.status == RunStatus.partial
    assert (report.agents.succeeded, report.agents.failed) == (5, 1)
    assert any("cannot analyze bad.txt" in e for e in report.errors)
    failed = await engine.store.tasks(report.run_id, "failed")
    assert [t.key for t in failed] == ["bad.txt"] and "cannot analyze" in (failed[0].error or "")


async def test_a_step_of_which_every_task_failed_fails_the_run(
    tmp_path: Path, engine: Engine
) -> None:
    """The map's files all succeeded, its reduce (a flag audit's plan, say) did not: the run
    did not do its job and says so (CI exits 1), and the map's results are kept."""
    make_files(tmp_path, 4)
    count = {"analyzer": "probe-count", "params": {"fail": True}}
    wf = workflow(extra_steps=[{"id": "count", "kind": "reduce", "from": "work", "agent": count}])
    report = await engine.run(wf, RunOptions())
    assert report.status == RunStatus.failed
    assert (report.agents.succeeded, report.agents.failed) == (4, 1)
    [error] = report.errors
    assert error.startswith("count/") and "the plan could not be drawn" in error
    kept = await engine.store.tasks(report.run_id, "succeeded")
    assert sorted(t.key for t in kept) == [f"f{i:04d}.txt" for i in range(4)]


async def test_task_timeout_fails_the_task(tmp_path: Path, engine: Engine) -> None:
    make_files(tmp_path, 2)
    report = await engine.run(workflow(seconds=0.5), RunOptions(task_timeout_s=0.1))
    assert report.agents.failed == 2 and report.status == RunStatus.failed
    assert len(report.errors) == 2 and all("timed out" in e for e in report.errors)


async def test_dag_runs_reduce_after_map_and_streams_events(tmp_path: Path, engine: Engine) -> None:
    make_files(tmp_path, 8)
    wf = workflow(
        extra_steps=[
            {"id": "count", "kind": "reduce", "from": "work", "agent": {"analyzer": "probe-count"}},
            {"id": "out", "kind": "emit", "from": "work", "outputs": ["count"], "report": "count"},
        ]
    )
    rec = Recorder()
    report = await engine.run(wf, RunOptions(), sink=rec)
    assert report.outputs["count"] == {"records": 8, "items": 8, "markdown": "8 items"}
    finished = rec.of(TaskFinished)
    assert [e.step for e in finished][-1] == "count"  # the reduce comes last
    assert [e.done for e in finished] == list(range(1, 10))
    assert isinstance(rec.events[-1], RunFinished)


async def test_filter_keeps_matching_records(tmp_path: Path, engine: Engine) -> None:
    make_files(tmp_path, 6)
    wf = workflow(
        extra_steps=[
            {"id": "odd", "kind": "filter", "from": "work", "where": "item.id[4] | int is odd"},
            {
                "id": "again",
                "kind": "map",
                "from": "odd",
                "agent": {"analyzer": "probe-sleep", "params": {"seconds": 0}},
            },
        ]
    )
    report = await engine.run(wf, RunOptions())
    assert report.agents.total == 6 + 3


async def test_findings_stream_before_the_run_ends(tmp_path: Path, engine: Engine) -> None:
    for i in range(6):
        (tmp_path / f"n{i}.txt").write_text(f"a\nNEEDLE {i}\nb\n")
    wf = Workflow.model_validate(
        {
            "name": "needles",
            "limits": {"concurrency": 1},
            "steps": [
                {
                    "id": "files",
                    "kind": "discover",
                    "source": "files",
                    "with": {"include": ["*.txt"]},
                },
                {"id": "find", "kind": "map", "from": "files", "agent": {"analyzer": "probe-find"}},
                {"id": "check", "kind": "verify", "from": "find"},
                {"id": "out", "kind": "emit", "from": "check"},
            ],
        }
    )
    rec = Recorder()
    report = await engine.run(wf, RunOptions(), sink=rec)
    kinds = [type(e).__name__ for e in rec.events]
    first_findings = kinds.index("FindingsEmitted")
    last_task = max(i for i, k in enumerate(kinds) if k == "TaskFinished")
    assert first_findings < last_task, "findings must reach the sink while tasks still run"
    assert len(report.findings) == 6 and all(f.verified for f in report.findings)
    assert sum(len(e.findings) for e in rec.of(FindingsEmitted)) == 6


async def test_verify_reanchors_and_drops(tmp_path: Path, engine: Engine) -> None:
    (tmp_path / "a.txt").write_text("one\ntwo\nNEEDLE here\nthree\n")
    base = {"id": "files", "kind": "discover", "source": "files", "with": {"include": ["*.txt"]}}

    def wf(shift: int) -> Workflow:
        return Workflow.model_validate(
            {
                "name": "needles",
                "steps": [
                    base,
                    {
                        "id": "find",
                        "kind": "map",
                        "from": "files",
                        "agent": {"analyzer": "probe-find", "params": {"shift": shift}},
                    },
                    {"id": "check", "kind": "verify", "from": "find", "reanchor_window": 3},
                    {"id": "out", "kind": "emit", "from": "check"},
                ],
            }
        )

    moved = await engine.run(wf(-2), RunOptions(use_cache=False))
    assert moved.reanchored_findings == 1 and moved.dropped_findings == 0
    assert moved.findings[0].range.start.line == 2
    lost = await engine.run(wf(30), RunOptions(use_cache=False))
    assert lost.dropped_findings == 1 and lost.findings == []


async def test_unchanged_rerun_is_served_from_cache_and_one_change_reruns_one(
    tmp_path: Path, engine: Engine
) -> None:
    make_files(tmp_path, 10)
    first = await engine.run(workflow(), RunOptions())
    assert (first.agents.total, first.agents.cached) == (10, 0)
    ConcurrencyProbe.reset()
    second = await engine.run(workflow(), RunOptions())
    assert (second.agents.total, second.agents.cached) == (10, 10)
    assert ConcurrencyProbe.calls == []  # zero agent calls
    (tmp_path / "f0003.txt").write_text("changed\n")
    third = await engine.run(workflow(), RunOptions())
    assert third.agents.cached == 9
    assert ConcurrencyProbe.calls == [["f0003.txt"]]
    plan = await engine.plan(workflow(), RunOptions())
    assert plan.cached_agents == 10 and plan.total_agents == 10


async def test_cancellation_keeps_finished_results(tmp_path: Path, engine: Engine) -> None:
    make_files(tmp_path, 40)
    cancel = asyncio.Event()
    rec = Recorder()

    def sink(ev: Event) -> None:
        rec(ev)
        if isinstance(ev, TaskFinished) and ev.done == 5:
            cancel.set()

    report = await engine.run(
        workflow(seconds=0.05, concurrency=2), RunOptions(), sink=sink, cancel=cancel
    )
    assert report.status == RunStatus.cancelled
    assert 5 <= report.agents.succeeded < 40
    await engine.store.flush()
    done = await engine.store.tasks(report.run_id, "succeeded")
    assert len(done) == report.agents.succeeded
    row = await engine.store.get_run(report.run_id)
    assert row is not None and row.status == "cancelled"


async def test_resume_runs_only_unfinished_tasks(tmp_path: Path, engine: Engine) -> None:
    make_files(tmp_path, 20)
    cancel = asyncio.Event()

    def sink(ev: Event) -> None:
        if isinstance(ev, TaskFinished) and ev.done == 8:
            cancel.set()

    wf = workflow(seconds=0.02, concurrency=2)
    first = await engine.run(wf, RunOptions(use_cache=False), sink=sink, cancel=cancel)
    finished = {t.key for t in await engine.store.tasks(first.run_id, "succeeded")}
    ConcurrencyProbe.reset()
    resumed = await engine.run(wf, RunOptions(run_id=first.run_id, resume=True, use_cache=False))
    assert resumed.status == RunStatus.succeeded
    rerun = {k for call in ConcurrencyProbe.calls for k in call}
    assert rerun.isdisjoint(finished) and len(rerun) == 20 - len(finished)
    assert resumed.agents.cached == len(finished)


async def test_a_plan_counts_cached_tasks_without_reading_their_results(
    tmp_path: Path, engine: Engine
) -> None:
    make_files(tmp_path, 5)
    await engine.run(workflow(), RunOptions())
    # A map's results hold every file's facts (megabytes on a large package): the plan
    # needs only whether each is fresh, so results it cannot even parse do not matter.
    await engine.store.db.call(lambda c: c.execute("UPDATE records SET record_json='[]'"))
    plan = await engine.plan(workflow(), RunOptions())
    assert (plan.total_agents, plan.cached_agents) == (5, 5)
