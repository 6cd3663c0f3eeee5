"""Fast tests of the server's pure parts: anchoring, the finding index, settings, pacing."""

from __future__ import annotations

import asyncio
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp

from swath.findings.model import Evidence, Finding, Range
from swath.lsp.anchors import Anchor, LineChange, anchor_to, apply_change, settle, split_lines
from swath.lsp.index import FindingIndex
from swath.lsp.pacing import Coalescer
from swath.lsp.progress import RunProgress
from swath.lsp.settings import Settings, parse_settings

TEXT = "a = 1\nb = 2\n# TODO: fix c\nc = 3\nd = 4\n"


def todo(line: int = 2, path: str = "x.py", **data) -> Finding:
    return Finding(
        rule="todo/stale",
        path=path,
        range=Range.of_line(line, 2, 6),
        message="old",
        evidence=[Evidence(path=path, line=line, quote="# TODO: fix c")],
        data=data,
    )


def placed(f: Finding, text: str = TEXT, workflow: str = "w", run: str = "r1") -> Anchor:
    a = anchor_to(Anchor.of(f, workflow, run), split_lines(text))
    assert a is not None
    return a


def edit(anchors, text_after: str, *changes: LineChange | None):
    for c in changes:
        anchors = apply_change(anchors, c)
    return settle(anchors, split_lines(text_after))


def test_anchor_finds_a_moved_quote_and_drops_a_missing_one() -> None:
    moved = "x\ny\n" + TEXT
    a = anchor_to(Anchor.of(todo(), "w", "r"), split_lines(moved))
    assert a is not None and a.range.start.line == 4 and a.range.start.character == 2
    assert anchor_to(Anchor.of(todo(), "w", "r"), split_lines("a = 1\n")) is None


def test_edits_above_shift_edits_on_the_line_drop() -> None:
    a = placed(todo())
    after = "new\n" + TEXT
    (b,) = edit([a], after, LineChange(0, 0, 0, 0, "new\n"))
    assert b.range.start.line == 3
    after2 = after.replace("# TODO: fix c", "# TODO: fix cc")
    assert edit([b], after2, LineChange(3, 13, 3, 13, "c")) == []


def test_insertion_at_the_start_of_its_line_and_enter_at_its_end_keep_it() -> None:
    a = placed(todo())
    lines = TEXT.split("\n")
    after = "\n".join(lines[:2] + ["inserted"] + lines[2:])
    (b,) = edit([a], after, LineChange(2, 0, 2, 0, "inserted\n"))
    assert b.range.start.line == 3
    after = "\n".join(lines[:3] + ["  more"] + lines[3:])
    (c,) = edit([a], after, LineChange(2, 13, 2, 13, "\n  more"))
    assert c.range.start.line == 2
    # Enter in the middle of the line splits it: dropped
    after = "\n".join(lines[:2] + ["# TODO: fix", " c"] + lines[3:])
    assert edit([a], after, LineChange(2, 11, 2, 11, "\n")) == []


def test_deleting_lines_above_and_joining_into_it() -> None:
    a = placed(todo())
    lines = TEXT.split("\n")
    after = "\n".join(lines[1:])
    (b,) = edit([a], after, LineChange(0, 0, 1, 0, ""))
    assert b.range.start.line == 1
    after = "\n".join([lines[0], lines[1] + lines[2]] + lines[3:])
    assert edit([a], after, LineChange(1, 5, 2, 0, "")) == []


def test_whole_text_change_reanchors_by_quote() -> None:
    a = placed(todo())
    (b,) = edit([a], "z\n" + TEXT, None)
    assert b.range.start.line == 3
    assert edit([a], "nothing here\n", None) == []


def test_edit_range_moves_with_the_finding() -> None:
    f = todo(
        edit={
            "range": {"start": {"line": 2, "character": 0}, "end": {"line": 4, "character": 0}},
            "new_text": "c = 3\n",
        }
    )
    a = placed(f)
    assert (a.lo, a.hi) == (2, 4)
    (b,) = edit([a], "0\n" + TEXT, LineChange(0, 0, 0, 0, "0\n"))
    assert b.edit_range is not None and b.edit_range.start.line == 3 and b.edit_range.end.line == 5
    # a change inside the edit's range (not the finding's own line) drops it too
    assert edit([a], TEXT.replace("c = 3", "c = 4"), LineChange(3, 4, 3, 5, "4")) == []


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 8), st.integers(0, 3), st.text("ab\n", max_size=6)), max_size=6
    )
)
def test_a_kept_finding_always_sits_on_its_quote(edits) -> None:
    """Whatever lines are inserted or deleted, a finding still shown stands on its quote."""
    text = TEXT
    a = [placed(todo())]
    for line, span, new in edits:
        lines = text.split("\n")
        line = min(line, len(lines) - 1)
        end = min(line + span, len(lines) - 1)
        start_off = sum(len(x) + 1 for x in lines[:line])
        end_off = sum(len(x) + 1 for x in lines[:end])
        text = text[:start_off] + new + text[end_off:]
        a = edit(a, text, LineChange(line, 0, end, 0, new))
        for k in a:
            assert "# TODO: fix c" in split_lines(text)[k.range.start.line]


def test_index_merges_workflows_and_replaces_per_workflow() -> None:
    idx = FindingIndex()
    lines = split_lines(TEXT)
    uri = "file:///r/x.py"
    idx.add(uri, [Anchor.of(todo(), "todo-audit", "r1")], lines)
    idx.add(
        uri,
        [
            Anchor.of(
                todo().model_copy(update={"rule": "other", "fingerprint": "", "id": ""}),
                "other-wf",
                "r9",
            )
        ],
        lines,
    )
    assert len(idx.anchors(uri)) == 2
    # the same finding again from a newer run replaces the older copy
    idx.add(uri, [Anchor.of(todo(), "todo-audit", "r2")], lines)
    assert sorted(a.run_id for a in idx.anchors(uri)) == ["r2", "r9"]
    idx.add("file:///r/y.py", [Anchor.of(todo(path="y.py"), "todo-audit", "r1")], None)
    assert idx.drop_older("todo-audit", "r2", lambda u: u.endswith("y.py")) == {"file:///r/y.py"}
    assert idx.anchors("file:///r/y.py") == []
    assert idx.clear("other-wf") == {uri}
    assert [a.workflow for a in idx.anchors(uri)] == ["todo-audit"]


def test_settings_are_validated_and_never_fatal() -> None:
    s, problems = parse_settings(
        {"swath": {"engine": "static", "concurrency": 0, "colour": "blue"}}
    )
    assert s.engine == "static" and s.concurrency is None
    assert any("swath.concurrency" in p for p in problems)
    assert any("unknown setting swath.colour" in p and "maxAgents" in p for p in problems)
    s2, problems = parse_settings({"maxAgents": 50, "model": "m"}, s)
    assert (s2.engine, s2.max_agents, problems) == ("static", 50, [])
    assert s2.model_overrides() == {"model_map": "m", "model_reduce": "m"}
    # A workspace's settings file may not choose the key's variable: refused, reported, ignored.
    s3, problems = parse_settings({"apiKeyEnv": "GITHUB_TOKEN", "concurrency": 3}, s2)
    assert s3.concurrency == 3 and "api_key_env" not in s3.model_overrides()
    assert len(problems) == 1 and "swath.apiKeyEnv is not read from editor settings" in problems[0]
    assert parse_settings("nope", s2)[0] == s2
    assert parse_settings(None)[0] == Settings()


async def test_coalescer_flushes_each_key_at_most_once_per_interval() -> None:
    flushed: list[tuple[float, str]] = []
    loop = asyncio.get_running_loop()
    c = Coalescer(lambda k: flushed.append((loop.time(), k)), interval=0.1)
    start = loop.time()
    for _ in range(50):
        c.touch(["a", "b"])
        await asyncio.sleep(0.005)
    touched = loop.time() - start  # 0.25 s on an idle machine, more on a loaded one
    await asyncio.sleep(0.25)
    for key in ("a", "b"):
        times = [t for t, k in flushed if k == key]
        # At most once per interval over however long the touching really took, and the
        # last touch is flushed after the touching stops.
        assert 2 <= len(times) <= touched / 0.1 + 2
        assert all(t2 - t1 >= 0.095 for t1, t2 in pairwise(times))
        assert times[-1] >= start + touched - 0.001


class _LogOnly:
    """What RunProgress needs of a server for a client without work-done progress."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def window_log_message(self, params: lsp.LogMessageParams) -> None:
        self.lines.append(params.message)


async def test_progress_ends_on_the_last_state_even_with_no_report_pending() -> None:
    # A task's findings arrive after its "finished" event, and nothing schedules another
    # report for them: the count shown last must still be the final one.
    ls = _LogOnly()
    progress = RunProgress(ls, "t", "run", supported=False, on_cancel=lambda: None)  # type: ignore[arg-type]
    await progress.begin("started")
    progress.state.done, progress.state.total = 2, 2
    progress.update()  # throttled: a report is scheduled
    progress.flush()  # ...and goes out
    progress.state.findings = 3  # then the last findings land, with no update()
    progress.end("done")
    assert ls.lines[-2:] == ["run: 2/2 agents · 3 findings · $0.00", "run: done"]
