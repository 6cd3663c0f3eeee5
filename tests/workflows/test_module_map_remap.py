"""map-module run again after one changed file, through the real engine and store: one
batch is parsed again, and only the changed file's findings are checked against it."""

from __future__ import annotations

from pathlib import Path

from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.findings.report import RunReport
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import load_workflow
from swath.store import RunStore
from swath.workspace import Workspace
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
        assert await _partials(store, first.run_id) == {"reused": 0, "computed": batches}
        tasks = await store.tasks(again.run_id)
        fresh = [(t.step, t.key) for t in tasks if not t.cached]
        assert len(fresh) == 2 and ("modmap", "reduce") in fresh  # one batch and the reduce
        assert [t.key for t in tasks if t.step == "symbols" and not t.cached][0].startswith("pkg/")
        assert await _partials(store, again.run_id) == {"reused": batches - 1, "computed": 1}
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
