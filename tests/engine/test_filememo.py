"""Fingerprints and verification are drawn from the files once and reused while the files
stand (engine.filememo): seen through the run's `checks` counts and its findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swath.engine import filememo
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.findings.report import FileChecks, RunReport
from swath.spec.models import Workflow
from swath.store import RunStore
from swath.workspace import Workspace
from tests.engine import probe_analyzers

probe_analyzers.register()

FILES = {"a.txt": "one\nNEEDLE a\nNEEDLE b\n", "b.txt": "NEEDLE c\n", "c.txt": "NEEDLE d\nx\n"}


def needles(shift: int = 0, **params: Any) -> Workflow:
    """`params`: more for the finder, which reads none of them (its tasks run again)."""
    return Workflow.model_validate(
        {
            "name": "needles",
            "steps": [
                {
                    "id": "files",
                    "kind": "discover",
                    "source": "files",
                    "with": {"include": ["*.txt"]},
                },
                {
                    "id": "find",
                    "kind": "map",
                    "from": "files",
                    "agent": {"analyzer": "probe-find", "params": {"shift": shift, **params}},
                },
                {"id": "check", "kind": "verify", "from": "find", "reanchor_window": 3},
                {"id": "out", "kind": "emit", "from": "check"},
            ],
        }
    )


def citing(quote: str) -> Workflow:
    """A map whose results do not depend on the files' text, then a reduce citing a.txt."""
    return Workflow.model_validate(
        {
            "name": "cite",
            "steps": [
                {
                    "id": "files",
                    "kind": "discover",
                    "source": "files",
                    "with": {"include": ["*.txt"]},
                },
                {
                    "id": "work",
                    "kind": "map",
                    "from": "files",
                    "agent": {"analyzer": "probe-sleep"},
                },
                {
                    "id": "sum",
                    "kind": "reduce",
                    "from": "work",
                    "agent": {
                        "analyzer": "probe-cite",
                        "params": {"path": "a.txt", "quote": quote},
                    },
                },
                {"id": "check", "kind": "verify", "from": "sum"},
                {"id": "out", "kind": "emit", "from": "check"},
            ],
        }
    )


@pytest.fixture
async def engine(tmp_path: Path):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    store = RunStore.open(tmp_path)
    yield Engine(Workspace(tmp_path), store)
    await store.aclose()


def shown(report: RunReport) -> list[dict[str, Any]]:
    return [f.model_dump(mode="json") for f in report.findings]


async def test_a_cached_rerun_checks_no_finding_against_its_file_again(engine: Engine) -> None:
    first = await engine.run(needles(), RunOptions())
    assert first.checks == FileChecks(identified=4, verified=4)
    # A new engine and workspace: nothing carried over in memory, only the store.
    again = await Engine(Workspace(engine.workspace.root), engine.store).run(
        needles(), RunOptions()
    )
    assert again.agents.cached == 3  # so no fingerprint is drawn either
    assert again.checks == FileChecks(verify_reused=4)
    assert shown(again) == shown(first) and all(f.verified for f in again.findings)


async def test_one_changed_file_rechecks_only_its_own_findings(
    tmp_path: Path, engine: Engine
) -> None:
    await engine.run(needles(), RunOptions())
    (tmp_path / "a.txt").write_text("new first line\none\nNEEDLE a\nNEEDLE b\n", encoding="utf-8")
    report = await Engine(Workspace(tmp_path), engine.store).run(needles(), RunOptions())
    assert report.checks == FileChecks(identified=2, verified=2, verify_reused=2)
    assert sorted((f.path, f.range.start.line) for f in report.findings) == [
        ("a.txt", 2),
        ("a.txt", 3),
        ("b.txt", 0),
        ("c.txt", 0),
    ]


async def test_a_reused_verification_moves_findings_as_the_first_did(engine: Engine) -> None:
    first = await engine.run(needles(shift=-1), RunOptions())
    again = await Engine(Workspace(engine.workspace.root), engine.store).run(
        needles(shift=-1), RunOptions()
    )
    assert again.checks.verify_reused == 4 and again.checks.verified == 0
    assert first.reanchored_findings == again.reanchored_findings == 2  # a.txt's, moved back
    assert shown(again) == shown(first)


async def test_a_changed_file_is_checked_again_though_the_task_that_cited_it_is_cached(
    tmp_path: Path, engine: Engine
) -> None:
    kept = await engine.run(citing("one"), RunOptions())
    assert len(kept.findings) == 1 and kept.findings[0].verified
    (tmp_path / "a.txt").write_text("two\n", encoding="utf-8")
    report = await Engine(Workspace(tmp_path), engine.store).run(citing("one"), RunOptions())
    tasks = {t.step: t for t in await engine.store.tasks(report.run_id) if t.step == "sum"}
    assert tasks["sum"].cached  # the reduce that cites a.txt did not run again
    assert report.checks.verified == 1 and report.checks.verify_reused == 0
    assert report.findings == [] and report.dropped_findings == 1


async def test_no_cache_redoes_every_check(engine: Engine) -> None:
    await engine.run(needles(), RunOptions())
    report = await engine.run(needles(), RunOptions(use_cache=False))
    assert report.checks == FileChecks(identified=4, verified=4)


async def test_what_identity_reused_is_verified_as_it_was_and_a_cached_run_finds_it(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tasks that run again on unchanged files: identity reuses its fingerprints and hands
    its groups to verification, which reuses its verdicts through identity's key; one that
    had to verify again keeps its verdicts under the findings' own key too, for a run whose
    tasks are cached (it identifies nothing)."""
    first = await engine.run(needles(), RunOptions())

    def again() -> Engine:
        return Engine(Workspace(tmp_path), engine.store)

    keyed: list[str] = []
    real_key = filememo._group_key

    def group_key(kind: str, findings: list[Any]) -> str:
        keyed.append(kind)
        return real_key(kind, findings)

    monkeypatch.setattr(filememo, "_group_key", group_key)
    rerun = await again().run(needles(run=2), RunOptions())
    assert rerun.agents.cached == 0
    assert keyed == ["identity"] * 3  # its verification keyed on identity's three groups
    assert rerun.checks == FileChecks(identity_reused=4, verify_reused=4)
    assert shown(rerun) == shown(first)

    (tmp_path / "a.txt").write_text("new first line\none\nNEEDLE a\nNEEDLE b\n", encoding="utf-8")
    changed = await again().run(needles(run=3), RunOptions())
    assert changed.checks == FileChecks(
        identified=2, identity_reused=2, verified=2, verify_reused=2
    )
    cached = await again().run(needles(run=3), RunOptions())
    assert cached.agents.cached == 3
    assert cached.checks == FileChecks(verify_reused=4)
    assert shown(cached) == shown(changed)


async def test_identity_hands_over_only_what_a_verification_takes_and_none_outlives_it(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group identity concluded about is held for the verification of its findings
    (`_Handed`): in a workflow without a verify step nothing is held (it stayed, with its
    findings, to the run's end), and once the verify steps are done nothing is left."""
    memos: list[filememo.FileMemo] = []
    real_init = filememo.FileMemo.__init__

    def init(self: filememo.FileMemo, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        memos.append(self)

    monkeypatch.setattr(filememo.FileMemo, "__init__", init)
    held: list[int] = []
    real_identify = filememo.FileMemo._identify_groups

    def identify_groups(self: filememo.FileMemo, *args: Any) -> Any:
        out = real_identify(self, *args)
        held.append(len(self._handed))
        return out

    monkeypatch.setattr(filememo.FileMemo, "_identify_groups", identify_groups)
    unverified = needles().model_copy(deep=True)
    unverified.steps = [s for s in unverified.steps if s.id != "check"]
    unverified.steps[-1].from_ = "find"
    report = await engine.run(unverified, RunOptions())
    assert len(report.findings) == 4
    assert held and max(held) == 0 and memos[-1]._handed == {}

    held.clear()
    report = await engine.run(needles(run=2), RunOptions())
    assert report.checks == FileChecks(identity_reused=4, verified=4)
    assert max(held) > 0  # handed over, and taken
    assert memos[-1]._handed == {}


def test_fingerprints_an_analyzer_drew_are_taken_only_while_its_file_hashes_so(
    tmp_path: Path,
) -> None:
    """`AnalyzerOutput.identified`: a finding whose fingerprint is not provisional, on a file
    that still hashes as the bytes the analyzer drew it from, keeps it (nothing is read);
    once the file hashes otherwise, or for a provisional one, identity draws it."""
    from swath.findings.model import Finding, Range, fingerprint_of

    (tmp_path / "a.txt").write_text("one\nNEEDLE a\n")
    ws = Workspace(tmp_path)

    def made() -> list[Finding]:
        drawn = Finding(rule="r", path="a.txt", range=Range.of_line(1, 0, 6), message="m")
        drawn.fingerprint = "d" * 32  # what an analyzer drew (not identity's, to tell them apart)
        plain = Finding(rule="r", path="a.txt", range=Range.of_line(0, 0, 3), message="p")
        return [drawn, plain]

    group = filememo._Group([0, 1], "k", ["a.txt"], {"a.txt": ws.file_hash("a.txt")})
    found = made()
    kept = filememo._identified(ws, found, group, {"a.txt": ws.file_hash("a.txt")})
    assert kept[0] is found[0] and kept[0].fingerprint == "d" * 32
    assert kept[1].fingerprint != fingerprint_of(kept[1])  # the provisional one is identified
    redrawn = filememo._identified(ws, made(), group, {"a.txt": "0" * 64})  # another content
    assert redrawn[0].fingerprint != "d" * 32
    assert redrawn[0].fingerprint != fingerprint_of(redrawn[0])
