"""map-module run again after one changed file, through the real engine and store: one
batch is parsed again, and only the changed file's findings are checked against it."""

from __future__ import annotations

from pathlib import Path

import pytest

from swath import procpool
from swath.analyzers.symbols import FACTS_WORKER
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.findings.report import RunReport
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import load_workflow
from swath.store import RunStore
from swath.workspace import Workspace, workspace
from tests.workflows.helpers import write

FILES = 60  # several batches of the workflow's 24


def package(root: Path) -> None:
    files = {"pkg/__init__.py": '"""The package."""\nfrom pkg.m000 import f000\n'}
    for n in range(FILES - 1):
        before = f"from pkg.m{n - 1:03d} import f{n - 1:03d}\n" if n else ""
        files[f"pkg/m{n:03d}.py"] = (
            f'"""Module {n}."""\n{before}\n\ndef f{n:03d}(x):\n    if x:\n        return x\n'
            "    return None\n"
        )
    write(root, files)


async def run(root: Path) -> RunReport:
    wf = load_workflow(builtin_workflows_dir() / "map-module.yaml")
    store = RunStore.open(root)
    try:  # a new engine and workspace each time: only the store carries anything over
        return await Engine(Workspace(root), store).run(
            wf, RunOptions(paths=["pkg"], max_agents=10_000, engine="static")
        )
    finally:
        await store.aclose()


async def test_a_remap_parses_one_batch_and_checks_only_the_changed_files_findings(
    tmp_path: Path,
) -> None:
    package(tmp_path)
    first = await run(tmp_path)
    assert first.status.value == "succeeded" and first.agents.total >= 4  # batches, a reduce
    tasks = first.agents.total
    assert first.checks.identity_reused == first.checks.verify_reused == 0
    changed = tmp_path / "pkg" / "m030.py"
    changed.write_text(changed.read_text() + "\n\ndef extra():\n    return 2\n")
    again = await run(tmp_path)
    assert (again.agents.total, again.agents.cached) == (tasks, tasks - 2)  # its batch, the reduce
    own = [f for f in again.findings if f.path == "pkg/m030.py"]
    assert {f.rule for f in own} == {"map/summary", "map/symbol"} and len(own) == 3
    # The reduce's findings of every other file were fingerprinted and verified before.
    assert again.checks.identified == again.checks.verified == len(own)
    assert again.checks.identity_reused == again.checks.verify_reused == len(again.findings) - 3
    assert [f.fingerprint for f in again.findings if f.path != "pkg/m030.py"] == [
        f.fingerprint for f in first.findings if f.path != "pkg/m030.py"
    ]
    cached = await run(tmp_path)
    assert cached.agents.cached == tasks
    assert cached.checks.verified == cached.checks.identified == 0
    assert cached.checks.verify_reused == len(cached.findings)


async def test_a_remap_reads_again_only_the_file_whose_stat_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every run checks the hash of every file a cached result read; the hashes taken by the
    run before (kept in the store) stand for every file whose stat did not change, so the
    next process reads only the changed one, and maps what a map from scratch maps."""
    # The files were written a moment ago, inside the window where a stat is not trusted.
    monkeypatch.setattr(workspace, "RACY_NS", 0)
    package(tmp_path)
    await run(tmp_path)
    root = str(tmp_path.resolve())
    store = RunStore.open(tmp_path)
    try:
        before = await store.file_hashes(root)
    finally:
        await store.aclose()
    assert len([p for p in before if p.startswith("pkg/")]) == FILES
    changed = tmp_path / "pkg" / "m030.py"
    changed.write_text(changed.read_text() + "\n\ndef extra():\n    return 2\n")
    again = await run(tmp_path)
    store = RunStore.open(tmp_path)
    try:
        after = await store.file_hashes(root)
    finally:
        await store.aclose()
    assert after.keys() == before.keys()
    assert {p for p in after if after[p] != before[p]} == {"pkg/m030.py"}
    _same_map(await _whole(tmp_path), again)


async def _partials(store: RunStore, run_id: str) -> dict[str, int]:
    rows = [a for a in await store.audit_log(run_id) if a.kind == "reduce_partials"]
    assert len(rows) == 1 and (rows[0].step, rows[0].key) == ("modmap", "reduce")
    return rows[0].detail


async def test_the_incremental_remap_count(tmp_path: Path) -> None:
    """After one changed file exactly one batch is analyzed again, and the reduce draws only
    that batch's contribution: the others come from the store, as the store records."""
    package(tmp_path)
    first = await run(tmp_path)
    batches = first.agents.total - 1  # and the reduce
    changed = tmp_path / "pkg" / "m030.py"
    changed.write_text(changed.read_text() + "\n\ndef extra():\n    return 2\n")
    again = await run(tmp_path)
    store = RunStore.open(tmp_path)
    try:
        assert await _partials(store, first.run_id) == {
            "reused": 0,
            "computed": batches,
            "combine_memo": 0,  # no graph kept yet
        }
        tasks = await store.tasks(again.run_id)
        fresh = [(t.step, t.key) for t in tasks if not t.cached]
        assert len(fresh) == 2 and ("modmap", "reduce") in fresh  # one batch and the reduce
        assert [t.key for t in tasks if t.step == "symbols" and not t.cached][0].startswith("pkg/")
        # A new top-level name: the graph is drawn again (the uses may name it).
        assert await _partials(store, again.run_id) == {
            "reused": batches - 1,
            "computed": 1,
            "combine_memo": 0,
        }
    finally:
        await store.aclose()
    # Done by parts, the map is the one a reduce over every batch's output makes.
    wf = load_workflow(builtin_workflows_dir() / "map-module.yaml")
    scratch = RunStore.open(tmp_path / "scratch")
    try:
        whole = await Engine(Workspace(tmp_path), scratch).run(
            wf, RunOptions(paths=["pkg"], max_agents=10_000, engine="static", use_cache=False)
        )
    finally:
        await scratch.aclose()
    assert whole.outputs["modmap"] == again.outputs["modmap"]
    assert [f.model_dump() for f in whole.findings] == [f.model_dump() for f in again.findings]


async def _whole(root: Path) -> RunReport:
    """The map from scratch, in a store of its own, nothing reused."""
    wf = load_workflow(builtin_workflows_dir() / "map-module.yaml")
    scratch = RunStore.open(root / "scratch")
    try:
        return await Engine(Workspace(root), scratch).run(
            wf, RunOptions(paths=["pkg"], max_agents=10_000, engine="static", use_cache=False)
        )
    finally:
        await scratch.aclose()


def _same_map(whole: RunReport, again: RunReport) -> None:
    assert whole.outputs["modmap"] == again.outputs["modmap"]
    assert [f.model_dump() for f in whole.findings] == [f.model_dump() for f in again.findings]


async def test_a_remap_that_changes_no_import_reuses_the_graph_and_maps_the_same(
    tmp_path: Path,
) -> None:
    """The combine keeps its import graph, symbol uses and ranking (engine.partials'
    combine memo): an edit inside a function body and a new comment reuse them, and the
    map (outputs, findings, key symbols' ranks) is the one drawn from scratch; an edit that
    adds an import draws them again, and that map is the right one too."""
    package(tmp_path)
    write(tmp_path, {"pkg/m010.py": "from pkg.m011 import f011\n" + _body(10)})
    await run(tmp_path)
    body = tmp_path / "pkg" / "m020.py"
    body.write_text(body.read_text().replace("return x\n", "y = x * 2\n        return y\n"))
    (tmp_path / "pkg" / "__init__.py").write_text(
        (tmp_path / "pkg" / "__init__.py").read_text() + "# a comment\n"
    )
    again = await run(tmp_path)
    store = RunStore.open(tmp_path)
    try:
        counts = await _partials(store, again.run_id)
    finally:
        await store.aclose()
    assert counts["combine_memo"] == 1 and counts["computed"] >= 1
    assert again.outputs["modmap"]["key_symbols"]
    _same_map(await _whole(tmp_path), again)
    # A new import (and a cycle through it): the graph is drawn again, and right.
    write(tmp_path, {"pkg/m030.py": "from pkg.m040 import f040\n" + _body(30)})
    write(tmp_path, {"pkg/m040.py": "from pkg.m030 import f030\n" + _body(40)})
    third = await run(tmp_path)
    store = RunStore.open(tmp_path)
    try:
        assert (await _partials(store, third.run_id))["combine_memo"] == 0
    finally:
        await store.aclose()
    assert third.outputs["modmap"]["cycles"] != again.outputs["modmap"]["cycles"]
    _same_map(await _whole(tmp_path), third)


def _body(n: int) -> str:
    return (
        f'"""Module {n}."""\n\n\ndef f{n:03d}(x):\n    if x:\n        return x\n    return None\n'
    )


async def test_a_remap_of_one_batch_parses_in_process_and_maps_the_same(tmp_path: Path) -> None:
    """The plan says one batch is left to parse: no worker process is started for it (that
    start is most of a one-file re-map's wall time), and the map is the one from scratch."""
    package(tmp_path)
    first = await run(tmp_path)
    assert first.agents.total - first.agents.cached >= 4  # 3 batches and the reduce: workers
    procpool.shutdown()
    changed = tmp_path / "pkg" / "m030.py"
    changed.write_text(changed.read_text() + "\n\ndef extra():\n    return 2\n")
    again = await run(tmp_path)
    assert again.agents.total - again.agents.cached == 2  # its batch and the reduce
    assert not procpool.running(FACTS_WORKER)
    _same_map(await _whole(tmp_path), again)


async def test_a_plan_counts_cached_tasks_from_the_hashes_the_store_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`plan` (the editor's preview, `swath plan`) checks every cached task's files too: with
    the store's hashes it reads none of the unchanged files."""
    monkeypatch.setattr(workspace, "RACY_NS", 0)  # files written a moment ago count as settled
    package(tmp_path)
    first = await run(tmp_path)
    wf = load_workflow(builtin_workflows_dir() / "map-module.yaml")
    ws = Workspace(tmp_path)
    store = RunStore.open(tmp_path)
    try:
        plan = await Engine(ws, store).plan(
            wf, RunOptions(paths=["pkg"], max_agents=10_000, engine="static")
        )
    finally:
        await store.aclose()
    (symbols,) = [s for s in plan.steps if s.id == "symbols"]
    assert symbols.cached == symbols.agents == first.agents.total - 1
    assert ws.new_hashes() == {}  # every hash the plan needed came from the store
