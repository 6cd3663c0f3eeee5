"""Every shipped workflow's output, byte for byte: the JSON report (with the fix preview),
SARIF, Markdown and text, and what the run left in the store (runs, tasks with their records,
findings, audit, cache).

Issue 10 moves dicts into typed models across module boundaries; what users, CI and the store
read must not move. The workflows run offline on fixed fixtures (the bundled demos and small git
repositories with fixed dates); only what changes from run to run is normalised: run ids, clock
times, durations, ages counted from today and the temporary folder. When an output change is
intended, regenerate with `SWATH_UPDATE_GOLDEN=1 ./scripts/test tests/golden` and review the
diff.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from swath.cli.main import main
from swath.engine import planner
from tests.gitrepo import commit_files, copy_example, git, init_repo

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GOLDEN = Path(__file__).parent / "data"
DATE = "2024-03-01T12:00:00Z"

_VOLATILE = [
    (re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}"), "RUN"),
    (re.compile(r'"(started_at|finished_at|created_at|at)": "[^"]*"'), r'"\1": "TIME"'),
    (re.compile(r'"(started_at|finished_at|created_at|at)": [0-9.e+-]+'), r'"\1": 0'),
    (re.compile(r'"(startTimeUtc|endTimeUtc)": "[^"]*"'), r'"\1": "TIME"'),
    (re.compile(r'"(duration_s|elapsed_s|seconds|ms)": [0-9.e+-]+'), r'"\1": 0'),
    # How many tasks happened to overlap: the machine's scheduling, not the code's output.
    (re.compile(r'"peak_concurrency": \d+'), '"peak_concurrency": 0'),
]


def _clock_times() -> re.Pattern[str]:
    """Times stamped by the clock during the test (today's, or yesterday's just after
    midnight); the fixtures' fixed commit dates stay as they are."""
    now = datetime.now(UTC)
    days = "|".join(
        re.escape(d.isoformat()) for d in (now.date(), (now - timedelta(days=1)).date())
    )
    return re.compile(
        rf"(?:{days})[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?:Z|[+-]\d{{2}}:\d{{2}})?"
    )


def _normalise(text: str, root: Path) -> str:
    text = text.replace(root.as_uri(), "file:///ROOT").replace(str(root), "/ROOT")
    for rx, repl in _VOLATILE:
        text = rx.sub(repl, text)
    return _clock_times().sub("TIME", text)


# -- fixtures: the repositories each workflow runs on ------------------------------------------


def _committed_copy(src: Path) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        copy_example(src, root)
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-qm", "demo", date=DATE)

    return make


_REVIEW_BASE = {
    "app/__init__.py": "",
    "app/db.py": ("import sqlite3\n\n\ndef connect(path):\n    return sqlite3.connect(path)\n"),
    "tests/test_db.py": "from app.db import connect\n\n\ndef test_connect():\n    connect(':memory:')\n",
}
_REVIEW_CHANGE = {
    # staged, unstaged and untracked changes a review finds something in, in every pass
    "app/db.py": (
        "import sqlite3\n"
        "import subprocess\n\n"
        'API_KEY = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"\n\n\n'
        "def connect(path):\n"
        "    return sqlite3.connect(path)\n\n\n"
        "def find(conn, name):\n"
        "    return conn.execute(f\"SELECT * FROM users WHERE name = '{name}'\").fetchall()\n\n\n"
        "def names(conn, ids):\n"
        "    out = []\n"
        "    for i in ids:\n"
        "        out.append(conn.execute('SELECT name FROM users WHERE id = ?', (i,)).fetchone())\n"
        "    return out\n\n\n"
        "def backup(path):\n"
        '    subprocess.run("cp " + path + " /tmp/backup", shell=True)\n'
        "    try:\n"
        "        return open(path).read()\n"
        "    except:\n"
        "        pass\n"
    ),
    "web/page.html": '<html><body><img src="logo.png"><button onclick="go()"></button></body></html>\n',
}


def _review_repo(root: Path) -> None:
    init_repo(root)
    commit_files(root, _REVIEW_BASE, date=DATE)
    for rel, text in _REVIEW_CHANGE.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    git(root, "add", "app/db.py")


def _todo_repo(root: Path) -> None:
    init_repo(root)
    commit_files(
        root,
        {
            "app/jobs.py": (
                "def run():\n"
                "    # TODO(ada): retry on timeout\n"
                "    return 1\n\n\n"
                "def stop():\n"
                "    pass  # FIXME: leaks the lock\n"
            ),
            "web/app.ts": "// HACK: the API returns strings for numbers\nexport const n = Number('1');\n",
        },
        date="2023-01-15T10:00:00Z",
    )
    commit_files(
        root,
        {"app/late.py": "x = 1  # XXX: remove after the migration\n"},
        date=DATE,
        author="Grace Hopper",
    )


# (case, make the repository, the `swath run` arguments after the workflow)
CASES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("flag-audit", _committed_copy(EXAMPLES / "flags-demo"), ["flag-audit", "--fix-preview"]),
    ("map-module", _committed_copy(EXAMPLES / "workflows" / "shop-demo"), ["map-module"]),
    ("map-module-flags-demo", _committed_copy(EXAMPLES / "flags-demo"), ["map-module"]),
    ("review-diff", _review_repo, ["review-diff"]),
    ("todo-audit", _todo_repo, ["todo-audit", "-i", "as_of=2024-06-01"]),
] + [
    (
        f"example-{name}",
        _committed_copy(EXAMPLES / "workflows" / "shop-demo"),
        [str(EXAMPLES / "workflows" / f"{name}.yaml")],
    )
    for name in ("deprecated-api", "env-catalogue", "http-routes", "test-gaps")
]


# -- the store, as rows a reader sees -----------------------------------------------------------


def _loads(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _rows(conn: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    cur = conn.execute(sql)
    names = [d[0] for d in cur.description]
    return [{n: _loads(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def _store_dump(root: Path) -> str:
    conn = sqlite3.connect(root / ".swath" / "swath.db")
    try:
        dump = {
            # pid is the test process's; the times are the clock's
            "runs": _rows(
                conn,
                # the spec as run is a blob by content (store schema 13)
                "SELECT id, workflow, status, COALESCE(b.json, spec_json) AS spec_json,"
                " inputs_json, paths_json, engine, options_json, report_json FROM runs"
                " LEFT JOIN blobs b ON b.hash = runs.spec_hash ORDER BY started_at",
            ),
            "tasks": _rows(
                conn,
                "SELECT t.step, t.key, t.input_hash, t.status, t.attempts, t.cached,"
                " t.record_hash, t.error, t.raw, t.usage_json, r.record_json"
                " FROM tasks t LEFT JOIN records r ON r.hash = t.record_hash"
                " ORDER BY t.step, t.key",
            ),
            "findings": _rows(
                conn,
                "SELECT step, fingerprint, path, finding_json FROM findings"
                " ORDER BY step, fingerprint",
            ),
            "audit": _rows(
                conn, "SELECT step, key, kind, detail_json FROM audit ORDER BY step, key, id"
            ),
            "cache": _rows(conn, "SELECT key, deps_json, record_hash FROM cache ORDER BY key"),
        }
    finally:
        conn.close()
    return json.dumps(dump, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# -- the test ------------------------------------------------------------------------------------


def _show(root: Path, run_id: str, fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["-C", str(root), "show", run_id, "--format", fmt]) == 0
    return capsys.readouterr().out


def _compare(name: str, got: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("SWATH_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing; SWATH_UPDATE_GOLDEN=1 writes it"
    want = golden.read_text(encoding="utf-8")
    if got != want:
        diff = difflib.unified_diff(
            want.splitlines(), got.splitlines(), f"golden/{name}", "now", lineterm="", n=1
        )
        pytest.fail(f"{name} differs from its golden file:\n" + "\n".join(list(diff)[:60]))


@pytest.mark.parametrize(("case", "make", "args"), CASES, ids=[c[0] for c in CASES])
def test_output_is_byte_identical(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    make: Callable[[Path], None],
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Dated analyzers key their cached results on the day (engine/planner.py): the stored
    # input hashes are the same every day only with the day fixed.
    monkeypatch.setattr(planner, "today", lambda: "2024-06-01")
    root = tmp_path / "repo"
    make(root)
    out = tmp_path / "report.json"
    capsys.readouterr()
    rc = main(
        ["-C", str(root), "run", *args, "--engine", "static", "--format", "json", "-o", str(out)]
    )
    printed = capsys.readouterr()
    assert rc == 0, printed.err
    report = json.loads(out.read_text(encoding="utf-8"))
    run_id = report["run_id"]
    outputs = {
        "json": out.read_text(encoding="utf-8"),
        "sarif": _show(root, run_id, "sarif", capsys),
        "md": _show(root, run_id, "markdown", capsys),
        "txt": _show(root, run_id, "text", capsys),
        "store.json": _store_dump(root),
    }
    if printed.out:  # --fix-preview with the report in a file: the diff is on stdout
        outputs["diff"] = printed.out
    got = {ext: _normalise(text, root) for ext, text in outputs.items()}
    for ext, text in got.items():
        _compare(f"{case}.{ext}", text)
