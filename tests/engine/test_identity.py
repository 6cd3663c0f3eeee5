"""Finding identity through the whole engine: identical lines stay distinct findings, an
unrelated edit above them keeps their fingerprints, and only true duplicates merge."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from hypothesis import given, settings
from hypothesis import strategies as st

from swath.engine.catalog import known_names
from swath.engine.options import RunOptions
from swath.engine.runner import Engine
from swath.findings.identity import with_identity
from swath.findings.model import Evidence, Finding, Range
from swath.findings.report import RunReport
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import load_workflow
from swath.store import RunStore
from swath.workspace import Workspace
from tests.gitrepo import commit_files, init_repo
from tests.workflows.helpers import write

THREE_EXCEPTS = (
    "def a():\n    try:\n        return 1\n    except:\n        return None\n\n\n"
    "def b():\n    try:\n        return 2\n    except:\n        return None\n\n\n"
    "def c():\n    try:\n        return 3\n    except:\n        return None\n"
)


async def run(root: Path, name: str, **inputs: Any) -> RunReport:
    store = RunStore.open(root)
    try:
        wf = load_workflow(builtin_workflows_dir() / f"{name}.yaml", known_names())
        return await Engine(Workspace(root), store).run(
            wf, RunOptions(engine="static", inputs=inputs, use_cache=False)
        )
    finally:
        await store.aclose()


def of_rule(report: RunReport, rule: str) -> list[Finding]:
    return sorted((f for f in report.findings if f.rule == rule), key=lambda f: f.range.start.line)


async def test_review_keeps_three_identical_bare_excepts(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"README.md": "r\n"})
    write(root, {"svc/jobs.py": THREE_EXCEPTS})
    report = await run(root, "review-diff")
    hits = of_rule(report, "ruff/E722")
    assert [f.range.start.line for f in hits] == [3, 10, 17]
    assert len({f.fingerprint for f in hits}) == 3 and len({f.id for f in hits}) == 3
    # An unrelated line at the top: every line moves, no identity changes.
    write(root, {"svc/jobs.py": "import os\n" + THREE_EXCEPTS})
    again = of_rule(await run(root, "review-diff"), "ruff/E722")
    assert [f.range.start.line for f in again] == [4, 11, 18]
    assert [f.fingerprint for f in again] == [f.fingerprint for f in hits]


async def test_todo_audit_keeps_identical_todo_lines(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"a.py": "x = 1\n# TODO: fix this\ny = 2\n# TODO: fix this\n"})
    report = await run(root, "todo-audit", max_age_days=0, as_of="2100-01-01")
    todos = [f for f in report.findings if f.path == "a.py"]
    assert [f.range.start.line for f in todos] == [1, 3]
    assert todos[0].fingerprint != todos[1].fingerprint


async def test_flag_audit_marks_every_identical_reference_line(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    same = '    if client.get_boolean_value("old_flag", False):\n        pass\n'
    commit_files(
        root,
        {
            "flags.json": '{"old_flag": {"enabled": true}}\n',
            # Committed just now: the default minimum age (30 days) would keep it off the list.
            ".swath/flags.yaml": "min_age_days: 0\n",
            "app.py": "from openfeature import api\n\nclient = api.get_client()\n\n\n"
            + "def view():\n"
            + same
            + same
            + same,
        },
    )
    report = await run(root, "flag-audit")
    at_refs = [f for f in report.findings if f.path == "app.py" and f.rule == "flag/fully-on"]
    assert sorted(f.range.start.line for f in at_refs) == [6, 8, 10]
    assert len({f.fingerprint for f in at_refs}) == 3


def test_true_duplicates_merge_and_unreadable_files_still_count_occurrences() -> None:
    def finding(line: int, quote: str, message: str = "m") -> Finding:
        return Finding(
            rule="r",
            path="gone.py",
            range=Range.of_line(line),
            message=message,
            evidence=[Evidence(path="gone.py", line=line, quote=quote)],
        )

    a, a_again, b = with_identity(
        [finding(2, "x = 1"), finding(2, "x = 1", "said differently"), finding(7, "x = 1")],
        lambda path: None,  # the file is gone: ranks among the findings given instead
    )
    assert a.fingerprint == a_again.fingerprint  # same rule, same place
    assert a.fingerprint != b.fingerprint
    lines = ["x = 1", "y", "  x   =  1", "z"]
    first, second = with_identity([finding(0, "x = 1"), finding(2, "x = 1")], lambda p: lines)
    moved = with_identity([finding(1, "x = 1"), finding(3, "x = 1")], lambda p: ["new", *lines])
    assert first.fingerprint != second.fingerprint
    assert [f.fingerprint for f in moved] == [first.fingerprint, second.fingerprint]


def test_two_columns_of_one_line_are_two_places_and_ids_stay() -> None:
    line = 'label = "Pay" if on("x") else "Checkout"'

    def at(col: int) -> Finding:
        return Finding(rule="flag/fully-on", path="a.py", range=Range.of_line(0, col), message="m")

    check, dead = at(17), at(30)
    stamped = with_identity([check, dead], lambda p: [line])
    assert stamped[0].fingerprint != stamped[1].fingerprint
    # Ids name findings within a run (a dead branch's data.dead_of points at one): kept.
    assert [f.id for f in stamped] == [check.id, dead.id]
    reindented = with_identity([at(21), at(34)], lambda p: ["    " + line])
    assert [f.fingerprint for f in reindented] == [f.fingerprint for f in stamped]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["x = 1", "  x  =  1", "x", "xx", "return", "return x", "", "  ", "\t", "a\x0cb", "b"]
        ),
        min_size=1,
        max_size=12,
    ),
    st.data(),
)
def test_copies_above_counts_the_lines_that_normalise_alike(
    lines: list[str], data: st.DataObject
) -> None:
    from swath.places import LineIndex, normalise_line

    line = data.draw(st.integers(0, len(lines) - 1))
    text = normalise_line(lines[line])
    expected = sum(1 for other in lines[:line] if normalise_line(other) == text)
    assert LineIndex(lines)._copies_above(line, text) == expected
