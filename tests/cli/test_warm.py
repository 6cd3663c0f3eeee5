"""`swath run` handed to the workspace's warm process (swath.cli.warm), end to end: real CLI
processes, a real server started on demand, real git repositories. The same output, files
and exit codes as a run in the CLI's own process; a stale or racing server never serves."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from swath.cli import warm
from tests.gitrepo import commit_files, init_repo

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    return {
        **env,
        "ANTHROPIC_API_KEY": "",
        "NO_COLOR": "1",
        "SWATH_WARM": "1",
        "SWATH_WARM_IDLE": "60",
        **extra,
    }


def _swath(
    cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: int | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swath", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL if stdin is None else stdin,
        env=env or _env(),
        check=False,
    )


def _server_pids(root: Path) -> list[int]:
    """The warm servers of `root` still running. A lock keeps the pid of a server that has
    left, and with Linux's 32,768 pids a long test run gives it to another process (a test
    worker, once: killed by a teardown); so a pid counts only while it runs the server."""
    pids = []
    for lock in (root / ".swath" / "warm").glob("*.lock"):
        text = lock.read_text().strip()
        try:
            cmdline = Path(f"/proc/{text}/cmdline").read_bytes() if text else b""
        except OSError:
            continue
        if b"swath.cli.warm_server" in cmdline:
            pids.append(int(text))
    return pids


def _wait_listening(root: Path, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        socks = list((root / ".swath" / "warm").glob("*.sock"))
        pids = _server_pids(root)
        if socks and pids:
            return pids[0]
        time.sleep(0.05)
    raise AssertionError("no warm process came up")


def _warm(root: Path, *args: str, env: dict[str, str] | None = None) -> int:
    """Two runs (the second starts the server) and the server's pid once it listens."""
    for _ in range(2):
        r = _swath(root, *(args or RUN), env=env)
        assert r.returncode == 0, r.stderr
    return _wait_listening(root)


def _children_cpu_ticks(pid: int) -> int:
    """What the server's reaped children used (cutime + cstime, /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[13]) + int(fields[14])


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    root = init_repo(tmp_path / "repo")
    commit_files(
        root,
        {"app.py": "def f(x):\n    return x\n", "tests/test_app.py": "def test_f():\n    pass\n"},
    )
    (root / "app.py").write_text(
        "def f(x):\n    return x\n\n\ndef g(s):\n    try:\n        return eval(s)\n"
        "    except:\n        pass\n"
    )
    (root / ".swath").mkdir()
    yield root
    for pid in _server_pids(root):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _same(a: str, b: str) -> None:
    """Two JSON reports alike but for their run's id and times."""
    da, db = json.loads(a), json.loads(b)
    for d in (da, db):
        for k in ("run_id", "started_at", "finished_at"):
            d.pop(k, None)
    assert da == db


RUN = ("run", "review-diff", "--engine", "static", "--no-cache", "--format", "json")


def test_a_run_handed_to_the_warm_process_is_the_same_run(repo: Path) -> None:
    here = _swath(repo, *RUN, env=_env(SWATH_WARM="0"))
    assert here.returncode == 0, here.stderr
    assert not (repo / ".swath" / "warm").exists()  # nothing warm unless asked
    first = _swath(repo, *RUN)  # no server yet, and the first run here: runs here, no more
    assert first.returncode == 0, first.stderr
    time.sleep(1.0)
    assert not list((repo / ".swath" / "warm").glob("*.sock"))
    pid = _warm(repo)  # the second run starts one
    before = _children_cpu_ticks(pid)
    handed = _swath(repo, *RUN)
    assert handed.returncode == 0, handed.stderr
    assert _children_cpu_ticks(pid) > before  # the server's child ran it
    assert json.loads(handed.stdout)["findings"]
    _same(here.stdout, handed.stdout)
    _same(first.stdout, handed.stdout)
    assert handed.stderr == here.stderr == ""  # json on stdout: no progress lines
    # The socket and lock are not the workspace's: not reviewed, not shown by git.
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".swath/warm" not in status


def test_exit_codes_errors_relative_paths_and_folders_are_the_clients(repo: Path) -> None:
    _warm(repo)
    sub = repo / "tests"
    for env in (_env(SWATH_WARM="0"), _env()):
        # --fail-on: exit 3 and its sentence; -o relative to the client's folder
        out = sub / "out.json"
        out.unlink(missing_ok=True)
        r = _swath(sub, *RUN, "-o", "out.json", "--fail-on", "warning", env=env)
        assert r.returncode == 3, r.stderr
        assert json.loads(out.read_text())["findings"]
        assert re.search(r"finding.* at warning or above", r.stderr)
        bad = _swath(sub, "run", "no-such-workflow", env=env)
        assert bad.returncode == 2
        assert "no-such-workflow" in bad.stderr
        usage = _swath(sub, "run", "review-diff", "--engine", "nope", env=env)
        assert usage.returncode == 2 and "invalid choice" in usage.stderr
    local = _swath(sub, "run", "--help", env=_env(SWATH_WARM="0", COLUMNS="50"))
    handed = _swath(sub, "run", "--help", env=_env(COLUMNS="50"))  # COLUMNS: the client's
    assert handed.returncode == local.returncode == 0
    wide = _swath(sub, "run", "--help", env=_env(COLUMNS="200"))  # the same server
    assert handed.stdout == local.stdout != wide.stdout
    text = ("run", "review-diff", "--engine", "static", "--no-cache")
    text_local = _swath(repo, *text, env=_env(SWATH_WARM="0"))
    text_handed = _swath(repo, *text)
    ids = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")
    assert ids.sub("RUN", text_handed.stdout) == ids.sub("RUN", text_local.stdout)
    # Progress lines: the passes finish in either order, in a run here as well.
    progress = [sorted(ids.sub("RUN", r.stderr).splitlines()) for r in (text_handed, text_local)]
    assert progress[0] == progress[1] and progress[0]


def test_what_is_not_handed_off(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit_files(root, {"a.py": "x = 1\n"})
    r = _swath(root, *RUN)  # no .swath/ yet: the client never makes one, nor a server
    assert r.returncode == 0, r.stderr
    assert not (root / ".swath" / "warm").exists()
    _swath(root, "workflows", "list")  # not a run
    _swath(root, "-v", "--verbose", "runs")
    assert not (root / ".swath" / "warm").exists()
    assert warm.run_folder(["-C", "x", "run", "review-diff"]) == "x"
    assert warm.run_folder(["--workspace=y", "-v", "run"]) == "y"
    assert warm.run_folder(["-Cz", "run"]) == "z"
    assert warm.run_folder(["run", "review-diff"]) == "."
    assert warm.run_folder(["plan", "review-diff"]) is None
    assert warm.run_folder(["--work", "x", "run"]) is None  # an abbreviation: run here
    assert warm.run_folder(["-C"]) is None
    assert not warm.enabled({"SWATH_WARM": "0"})
    assert not warm.enabled({"CI": "true"})
    assert warm.enabled({"CI": "true", "SWATH_WARM": "1"})
    assert warm.enabled({})


def test_the_key_changes_with_the_code_the_packages_and_the_environment(tmp_path: Path) -> None:
    pkg = tmp_path / "swath"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    site = tmp_path / "site-packages"
    site.mkdir()
    env = {"HOME": "/h", "PWD": "/a", "OLDPWD": "/b", "SHLVL": "1", "COLUMNS": "80"}
    k = warm.key([str(site)], env, str(pkg))
    # What changes between two commands typed in one shell: the same key.
    assert k == warm.key([str(site)], {**env, "PWD": "/c", "SHLVL": "2", "COLUMNS": "9"}, str(pkg))
    assert k == warm.key([str(site)], {**env, "SWATH_WARM_IDLE": "5"}, str(pkg))
    assert k != warm.key([str(site)], {**env, "HOME": "/other"}, str(pkg))
    project = warm.key([str(site), str(tmp_path)], env, str(pkg))
    assert project != k
    (tmp_path / "saved.txt").write_text("")  # a file saved in a project folder on sys.path
    os.utime(tmp_path, ns=(1, 1))
    assert warm.key([str(site), str(tmp_path)], env, str(pkg)) == project
    (site / "newpkg").mkdir()  # a package installed: the folder's mtime moves
    os.utime(site, ns=(1, 1))
    k2 = warm.key([str(site)], env, str(pkg))
    assert k2 != k
    st = (pkg / "sub" / "b.py").stat()
    os.utime(pkg / "sub" / "b.py", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert warm.key([str(site)], env, str(pkg)) != k2  # an edited Swath file
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "a.pyc").write_bytes(b"")
    k3 = warm.key([str(site)], env, str(pkg))
    (pkg / "__pycache__" / "a.pyc").write_bytes(b"changed")
    assert warm.key([str(site)], env, str(pkg)) == k3  # bytecode is not code


def test_a_stale_server_is_not_asked(repo: Path) -> None:
    """Another environment (or code) is another key: its own socket, its own server."""
    first = _warm(repo)
    for _ in range(2):  # another environment: runs here, and the second starts another
        other = _swath(repo, *RUN, env=_env(SWATH_TEST_MARK="1"))
        assert other.returncode == 0, other.stderr
    deadline = time.monotonic() + 60
    while len(_server_pids(repo)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_server_pids(repo)) == 2 and first in _server_pids(repo)
    # A request with the wrong key is refused and nothing runs.
    sock = next(p for p in (repo / ".swath" / "warm").glob("*.sock"))
    import socket

    s = warm.connect(str(sock))  # through the folder: the path is longer than a socket's
    assert s is not None
    try:
        frame = warm.encode([warm.PROTOCOL, "0" * 24, str(repo), "2", "swath", "runs"])
        fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2))
        s.sendmsg([frame], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        assert s.recv(1) == b"R"
    finally:
        s.close()


def _at_once(repo: Path, n: int) -> list[subprocess.Popen[str]]:
    """`n` of `swath run` started together (not waited for)."""
    return [
        subprocess.Popen(
            [sys.executable, "-m", "swath", *RUN],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for _ in range(n)
    ]


def test_two_clients_racing_start_one_server_and_both_runs_are_right(repo: Path) -> None:
    here = _swath(repo, *RUN, env=_env(SWATH_WARM="0"))
    assert _swath(repo, *RUN).returncode == 0  # the first run: the next ones start a server
    procs = _at_once(repo, 3)
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        _same(here.stdout, out)
    _wait_listening(repo)
    time.sleep(1.0)  # any server that lost the race has left by now
    assert len(_server_pids(repo)) == 1
    assert len(list((repo / ".swath" / "warm").glob("*.sock"))) == 1
    # Three runs at once through the server: three children, each its own run.
    procs = _at_once(repo, 3)
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    for out, _ in outs:
        _same(here.stdout, out)
    assert len({json.loads(out)["run_id"] for out, _ in outs}) == 3


def test_the_server_leaves_when_idle_or_when_its_socket_is_gone(repo: Path) -> None:
    pid = _warm(repo, env=_env(SWATH_WARM_IDLE="1"))
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)
    assert not list((repo / ".swath" / "warm").glob("*.sock"))
    pid = _warm(repo)
    for sock in (repo / ".swath" / "warm").glob("*.sock"):
        sock.unlink()
    deadline = time.monotonic() + 60
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


SITE = """
import os
if os.environ.get("SWATH_TEST_PROBES"):
    from tests.engine import probe_analyzers
    probe_analyzers.register()
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_the_client_stops_the_handed_run(
    tmp_path: Path, repo: Path, sig: signal.Signals
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE)
    commit_files(repo, {f"f{i}.txt": f"{i}\n" for i in range(4)})
    wf = repo / ".swath" / "workflows" / "stuck.yaml"
    wf.parent.mkdir(parents=True)
    wf.write_text(
        "name: stuck\nlimits: {concurrency: 2, task_timeout_s: 600}\nsteps:\n"
        "  - {id: files, kind: discover, source: files, with: {include: ['*.txt']}}\n"
        "  - id: slow\n    kind: map\n    from: files\n"
        "    agent: {analyzer: probe-sleep, params: {seconds: 60}}\n"
    )
    env = _env(PYTHONPATH=f"{site}{os.pathsep}{ROOT}", SWATH_TEST_PROBES="1")
    pid = _warm(repo, "run", "review-diff", "--engine", "static", env=env)
    before = _children_cpu_ticks(pid)
    proc = subprocess.Popen(
        [sys.executable, "-m", "swath", "run", "stuck", "--no-cache", "--format", "json"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_tasks_running(repo, proc)
    # Handed off: the client is one thread waiting (a run here has its analyzers' threads).
    assert len(os.listdir(f"/proc/{proc.pid}/task")) == 1
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stderr
    assert json.loads(stdout)["status"] == "cancelled"
    assert "stopping" in stderr
    assert _children_cpu_ticks(pid) > before  # its run was the server's child


def _wait_tasks_running(root: Path, proc: subprocess.Popen[str]) -> None:
    import sqlite3

    db = root / ".swath" / "swath.db"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            n = con.execute("SELECT COUNT(*) FROM tasks WHERE status='running'").fetchone()[0]
            con.close()
            if n >= 2:
                return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the run never reached its analyzers: {proc.communicate()[1]}")


def test_an_edited_swath_is_never_served_by_the_old_process(tmp_path: Path, repo: Path) -> None:
    """A copy of the package stands for a checkout being edited: the edit is another key
    (the next command runs here and starts a new server), and the old server leaves."""
    import shutil

    code = tmp_path / "code"
    shutil.copytree(
        ROOT / "server" / "swath", code / "swath", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = _env(PYTHONPATH=str(code))
    old = _warm(repo, env=env)
    old_socks = set((repo / ".swath" / "warm").glob("*.sock"))
    with (code / "swath" / "cli" / "commands.py").open("a") as f:
        f.write("\n# edited\n")
    for _ in range(2):  # another key: runs here, and the second starts its server
        edited = _swath(repo, *RUN, env=env)
        assert edited.returncode == 0, edited.stderr
    deadline = time.monotonic() + 90
    while (_alive(old) or not set((repo / ".swath" / "warm").glob("*.sock")) - old_socks) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert not _alive(old)  # looked at its code again and left
    assert set((repo / ".swath" / "warm").glob("*.sock")) - old_socks  # the edited code's


def test_a_model_run_handed_off_talks_to_the_api_as_one_run_here_does(repo: Path) -> None:
    """The real SDK over real HTTP to the fake Messages API, from the server's forked child
    (the server imported the SDK beforehand: a key is in the environment)."""
    from tests.fake_anthropic.server import FakeAnthropicServer

    commit_files(repo, {f"doc{i}.txt": f"document {i}\n" for i in range(5)})
    wf = repo / ".swath" / "workflows" / "summaries.yaml"
    wf.parent.mkdir(parents=True)
    wf.write_text(
        "name: summaries\nlimits: {concurrency: 2}\nsteps:\n"
        "  - {id: files, kind: discover, source: files, with: {include: ['*.txt']}}\n"
        "  - id: sum\n    kind: map\n    from: files\n    agent:\n"
        "      instructions: 'Summarise {{ items[0].path }}'\n      output: report\n"
    )
    with FakeAnthropicServer() as api:
        env = _env(ANTHROPIC_API_KEY="sk-test-key", ANTHROPIC_BASE_URL=api.url)
        args = ("run", "summaries", "--no-cache", "--format", "json")
        here = _swath(repo, *args, env=env)
        assert here.returncode == 0, here.stderr
        pid = _warm(repo, *args, env=env)  # the server for this environment
        calls, before = len(api.message_requests()), _children_cpu_ticks(pid)
        handed = _swath(repo, *args, env=env)
        assert handed.returncode == 0, handed.stderr
        assert _children_cpu_ticks(pid) > before
        assert len(api.message_requests()) - calls == 5
        a, b = json.loads(here.stdout), json.loads(handed.stdout)
        assert a["status"] == b["status"] == "succeeded"
        assert a["agents"] == b["agents"] and b["agents"]["succeeded"] == 5
        # The fake API caches prompts as the real one does: the second run reads what the
        # first wrote, wherever it ran; the tokens sent and received are the same.
        sent = ("input_tokens", "output_tokens")
        assert [a["usage"][k] for k in sent] == [b["usage"][k] for k in sent]
        assert a["outputs"] == b["outputs"]


def test_a_warm_folder_that_is_not_the_users_own_is_never_used(tmp_path: Path, repo: Path) -> None:
    # A cloned repository can commit `.swath/warm` as a symlink to a folder elsewhere: the
    # socket, lock, log and .gitignore would be made there, and a socket found there used.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / ".swath" / "warm").symlink_to(elsewhere, target_is_directory=True)
    for _ in range(3):
        r = _swath(repo, *RUN)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["workflow"] == "review-diff"
    time.sleep(1)  # a server started anyway would have made its lock by now
    assert list(elsewhere.iterdir()) == []
    with pytest.raises(OSError, match="not a folder of this user's"):
        warm.warm_dir(str(repo))
    # A real folder others may write to is refused too; the user's own 0700 one is used.
    (repo / ".swath" / "warm").unlink()
    (repo / ".swath" / "warm").mkdir(mode=0o777)
    os.chmod(repo / ".swath" / "warm", 0o777)
    with pytest.raises(OSError, match="others may write"):
        warm.warm_dir(str(repo))
    os.chmod(repo / ".swath" / "warm", 0o700)
    assert warm.warm_dir(str(repo)) == str(repo / ".swath" / "warm")


def test_the_client_finds_the_workspace_the_run_will_use(tmp_path: Path) -> None:
    # The client cannot import the engine (pydantic alone is most of the start-up it
    # saves), so it finds the workspace with a copy of engine.session.find_root: the two
    # must agree, or a run's socket would be looked for in another workspace's .swath/.
    from swath.engine.session import find_root

    repo = init_repo(tmp_path / "repo")
    (repo / ".swath").mkdir()
    inner = repo / "pkg" / "sub"
    inner.mkdir(parents=True)
    nested = inner / "tool"  # a folder holding .swath/ inside the repository wins
    (nested / ".swath").mkdir(parents=True)
    plain = tmp_path / "plain"  # neither .git nor .swath/ anywhere above: no hand-off
    plain.mkdir()
    cwd = os.getcwd()
    try:
        for start in (repo, inner, nested, nested / ".swath"):
            os.chdir(start)
            assert warm.workspace_root(".") == str(find_root(start))
        os.chdir(tmp_path)
        assert warm.workspace_root("repo/pkg") == str(find_root(tmp_path / "repo" / "pkg"))
        os.chdir(plain)
        assert warm.workspace_root(".") is None
    finally:
        os.chdir(cwd)
