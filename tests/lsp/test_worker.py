"""The run worker process the language server delegates runs to (`python -m swath.engine.worker`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from swath.engine.events import FindingsEmitted, RunFinished, RunStarted
from swath.engine.options import RunOptions
from swath.engine.worker_messages import (
    Cancel,
    EventReply,
    RefusedReply,
    WarningReply,
    WorkerRequest,
    encode,
    from_worker,
    to_worker,
)
from swath.spec.loader import load_workflow, resolve_workflow
from tests.lsp.conftest import make_repo, server_env


def _request(root: Path, **options: object) -> bytes:
    wf = load_workflow(resolve_workflow("slow-todos", root))
    req = WorkerRequest(
        root=str(root),
        workflow=wf,
        options=RunOptions(**options),
    )  # type: ignore[arg-type]
    return req.model_dump_json().encode() + b"\n"


def _run(root: Path, stdin: bytes, keep_open: bool = True) -> tuple[int, list[dict], str]:
    """Run the worker; with `keep_open` its stdin stays open until it is done (as under the server)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "swath.engine.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=root,
        env=server_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(stdin)
    proc.stdin.flush()
    if not keep_open:
        proc.stdin.close()
    out = proc.stdout.read()
    err = proc.stderr.read()
    code = proc.wait(timeout=60)
    if keep_open:
        proc.stdin.close()
    return code, [json.loads(x) for x in out.splitlines()], err.decode()


def test_worker_streams_events_and_ends_with_the_report(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=5)
    code, lines, err = _run(root, _request(root, run_id="20240101-000000-aaaaaa"))
    assert code == 0, err
    replies = [from_worker(json.dumps(x)) for x in lines]
    events = [r.event for r in replies if isinstance(r, EventReply)]
    assert isinstance(events[0], RunStarted) and events[0].plan.total_agents == 5
    assert isinstance(events[-1], RunFinished)
    report = events[-1].report
    assert report.run_id == "20240101-000000-aaaaaa" and report.status.value == "succeeded"
    streamed = [f for e in events if isinstance(e, FindingsEmitted) for f in e.findings]
    assert len(streamed) == len(report.findings) == 5
    assert not [
        x for x in lines if x.get("event", {}).get("type") in ("task_started", "step_finished")
    ]


def test_end_of_input_cancels_and_refusals_are_reported(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=3)
    # stdin closes right after the request: the parent is gone, so the run is cancelled
    code, lines, err = _run(root, _request(root), keep_open=False)
    assert code == 0, err
    assert lines[-1]["event"]["type"] == "run_finished"
    assert lines[-1]["event"]["report"]["status"] == "cancelled"
    code, lines, err = _run(root, _request(root, max_agents=1))
    assert code == 0, err
    assert lines == [{"refused": lines[0]["refused"], "kind": "PlanRefused"}]
    assert "needs 3 agents, more than the limit of 1" in lines[0]["refused"]


def test_a_cancel_line_ends_the_run_as_cancelled_keeping_finished_tasks(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=3)
    code, lines, err = _run(root, _request(root) + encode(Cancel()))
    assert code == 0, err
    last = from_worker(json.dumps(lines[-1]))
    assert isinstance(last, EventReply) and last.event.type == "run_finished"
    assert last.event.report.status.value == "cancelled"


def test_both_ends_read_each_message_as_the_model_it_was_written_from(tmp_path: Path) -> None:
    # a workflow whose steps use `from:` and `with:` (aliases) travels as its model
    wf = load_workflow(resolve_workflow("review-diff", tmp_path))
    request = WorkerRequest(root="/r", workflow=wf, options=RunOptions())
    back = to_worker(encode(request))
    assert isinstance(back, WorkerRequest) and back.model_dump() == request.model_dump()
    assert encode(Cancel()) == b'{"cancel":true}\n' and to_worker(encode(Cancel())) == Cancel()
    for reply in (WarningReply(warning="w"), RefusedReply(refused="no", kind="PlanRefused")):
        assert from_worker(encode(reply)) == reply
    # the lines are what the worker's docstring says: one compact object named by its key
    assert encode(RefusedReply(refused="no", kind="InputError")) == (
        b'{"refused":"no","kind":"InputError"}\n'
    )
