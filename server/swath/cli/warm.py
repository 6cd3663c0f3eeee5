"""A warm process per workspace for `swath run`: the command as typed, without the start-up.

A one-shot `swath run` spends ~0.2 s importing (pydantic building its models, the engine,
the analyzers, detect-secrets) and ~0.1 s more on first-time work before the run itself
begins. Here the CLI hands its run to a process that has done all that already:

- **The client** (`hand_off`, called by `swath.cli.main.main` for a real command line) is
  this module alone: `os`, `sys`, `_socket`, no Swath module. It hands off `swath run …`
  only (any other command, or options it does not know before `run`, run here as before),
  in a workspace that already has `.swath/` (it never creates one), on Linux, unless
  `SWATH_WARM=0` (or `CI` is set and `SWATH_WARM=1` is not). It connects to
  `.swath/warm/<key>.sock`, checks the process there is its own user's (`SO_PEERCRED`), and
  sends its arguments, folder and environment with its stdin, stdout and stderr
  themselves (`SCM_RIGHTS`): the run writes to the same terminal, pipe or file, so the
  output is the same bytes, `isatty()` included. It waits for the run's exit status and
  exits with it (a run killed by a signal: the same signal); Ctrl-C and SIGTERM are passed
  on to the run, which stops as a one-shot CLI does (`cli.stopping`).
- **The key** names everything the warm process's state was made from: this interpreter
  and its flags, `sys.path` and each site-packages folder's mtime (installing or removing
  a package changes it), every file of the Swath package (name, size, mtime), and the environment
  (but `PWD`, `OLDPWD`, `_`, `SHLVL`, `COLUMNS`, `LINES`). Another key is another socket:
  a stale process is never asked, it idles out.
- **The server** (`serve`), started on demand by the first client that finds no socket
  (detached, its own session), takes `.swath/warm/<key>.lock` (a second one started by a
  racing client sees it taken and leaves), imports what a run imports and makes the
  detect-secrets plugins and line filters (functions of the installed packages only, no
  workspace data), checks its key again, then listens. For each request it **forks**: the
  child takes the client's descriptors as 0, 1 and 2, its folder, environment and argv,
  and runs `main` as a fresh CLI would; the server itself never runs anything, so no
  workspace state, memo, thread or open database carries from one run to the next, and
  two runs at once are two processes, as two one-shot CLIs are. The server reports each
  child's exit status (from `waitpid`, so also `os._exit` and deaths by signal) and exits
  after `SWATH_WARM_IDLE` seconds without a request (600), when its socket is gone, when
  its key no longer matches the code on disk (looked at every 15 s), or when it finds a
  thread it did not expect (no fork then).
- **Handshake**: the child says `A` and runs only once the client answers `G`; a client
  that gave up waiting (30 s) closes instead, and the child leaves without running. Until
  `A`, nothing has run, so the client runs the command itself: no socket, a refused or
  stale request, a server that failed to start.

Measured on the 50-file, +2,630-line review of `bench/review.py`: see docs/review.md.
"""

from __future__ import annotations

import os
import sys

try:  # the C module: `socket` imports enum, selectors and more (~8 ms) for nothing here
    import _socket
except ImportError:  # pragma: no cover - every CPython on Linux has it
    _socket = None  # type: ignore[assignment]

TYPE_CHECKING = False  # not `typing`'s: importing typing (and re) costs the client ~9 ms
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

PROTOCOL = "1"
IDLE_S = 600.0
ACCEPT_WAIT_S = 30.0
# Environment variables that change from one command to the next without changing anything
# a warm process holds (the child gets the client's own values, these included).
_VOLATILE = frozenset({"PWD", "OLDPWD", "_", "SHLVL", "COLUMNS", "LINES"})
_SUN_PATH_MAX = 107  # sockaddr_un's sun_path, less its NUL
EXIT_STALE = 3  # the server's own exit: its key no longer describes it
# How often an idle server looks whether its code is still on disk as it was (~2 ms): an
# edited checkout would otherwise keep one unreachable server per edit until each idles out.
_RECHECK_S = 15.0


def enabled(env: dict[str, str] | os._Environ[str]) -> bool:
    value = env.get("SWATH_WARM", "").strip().lower()
    if value in ("0", "off", "no", "false"):
        return False
    if (
        not sys.platform.startswith("linux")
        or _socket is None
        or not hasattr(_socket, "SCM_RIGHTS")
        or not hasattr(_socket, "SO_PEERCRED")
    ):
        return False
    # A CI job runs once: a process left warm after it gains nothing there.
    return value in ("1", "on", "yes", "true") or not env.get("CI")


def run_folder(argv: Sequence[str]) -> str | None:
    """The folder a `swath [-v] [-C DIR] run …` command works from; None for anything else
    (another command, an option this does not know): that runs in this process."""
    where = "."
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-v", "--verbose"):
            i += 1
        elif arg in ("-C", "--workspace"):
            if i + 1 >= len(argv):
                return None
            where, i = argv[i + 1], i + 2
        elif arg.startswith("--workspace="):
            where, i = arg.split("=", 1)[1], i + 1
        elif arg.startswith("-C") and not arg.startswith("--"):
            where, i = arg[2:], i + 1
        else:
            break
    if i >= len(argv) or argv[i] != "run":
        return None
    return where


def workspace_root(where: str) -> str | None:
    """As `engine.session.find_root` finds it, and only one that already holds `.swath/`."""
    try:
        start = os.path.realpath(os.path.join(os.getcwd(), os.path.expanduser(where)))
    except OSError:  # the current folder is gone
        return None
    if not os.path.isdir(start):
        return None
    d = start
    while not (os.path.exists(os.path.join(d, ".git")) or os.path.isdir(os.path.join(d, ".swath"))):
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent
    if d == os.path.dirname(d) or not os.path.isdir(os.path.join(d, ".swath")):
        return None
    return d


def _paths() -> list[str]:
    """`sys.path` as the server must have it: '' (the current folder) made absolute."""
    cwd = os.getcwd()
    return [os.path.join(cwd, p) if not os.path.isabs(p) else p for p in sys.path]


def _package_files(top: str) -> Iterator[str]:
    stack = [top]
    while stack:
        d = stack.pop()
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if e.name == "__pycache__":
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                    continue
                st = e.stat()
            except OSError:
                continue
            yield f"{e.path}:{st.st_size}:{st.st_mtime_ns}"


_PACKAGE_DIRS = ("site-packages", "dist-packages")
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def key(
    paths: Sequence[str], env: dict[str, str] | os._Environ[str], package: str = _PACKAGE
) -> str:
    """What a warm process for this command must have been made from (module docstring)."""
    parts = [
        PROTOCOL,
        sys.executable,
        sys.version,
        repr(sys.flags),
        repr(sys.warnoptions),
        repr(sorted(sys._xoptions.items())),
    ]
    for p in (sys.executable, *paths):
        # A package folder's mtime moves when a package is installed, upgraded or removed;
        # any other folder's (the project's own, first under `python -m`) moves with every
        # file saved in it, so it counts by its path only (the Swath files below count each).
        if p is not sys.executable and not p.rstrip("/").endswith(_PACKAGE_DIRS):
            parts.append(p)
            continue
        try:
            st = os.stat(p)
            parts.append(f"{p}:{st.st_mtime_ns}:{st.st_ino}")
        except OSError:
            parts.append(f"{p}:-")
    parts.extend(_package_files(package))
    parts.extend(
        f"{k}={v}"
        for k, v in sorted(env.items())
        if k not in _VOLATILE and not k.startswith("SWATH_WARM")
    )
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover
        from hashlib import blake2b
    return blake2b("\0".join(parts).encode("utf-8", "surrogateescape"), digest_size=12).hexdigest()


class _Short:
    """A socket path short enough for `sockaddr_un` (107 bytes): a long one is reached
    through the folder opened, as `/proc/self/fd/N/NAME` (Linux resolves it as the path)."""

    def __init__(self, path: str) -> None:
        self.path, self._fd = path, -1
        if len(os.fsencode(path)) > _SUN_PATH_MAX:
            self._fd = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
            self.path = f"/proc/self/fd/{self._fd}/{os.path.basename(path)}"

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _connect(path: str) -> _socket.socket | None:
    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    short = None
    try:
        short = _Short(path)
        s.connect(short.path)
        if _peer_uid(s) != os.getuid():  # only ever our own user's process
            s.close()
            return None
    except OSError:
        s.close()
        return None
    finally:
        if short is not None:
            short.close()
    return s


def _peer_uid(s: _socket.socket) -> int:
    cred = s.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)  # pid, uid, gid
    return int.from_bytes(cred[4:8], sys.byteorder)


def _encode(fields: Sequence[str]) -> bytes:
    payload = "\0".join(fields).encode("utf-8", "surrogateescape")
    return len(payload).to_bytes(4, "big") + payload


def _recv_exact(s: _socket.socket, n: int) -> bytes:
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return got


def _warm_dir(root: str) -> str:
    d = os.path.join(root, ".swath", "warm")
    os.makedirs(d, mode=0o700, exist_ok=True)
    ignore = os.path.join(d, ".gitignore")
    if not os.path.exists(ignore):  # the socket and lock are nobody's to commit or review
        with open(ignore, "w", encoding="utf-8") as f:
            f.write("*\n")
    return d


def hand_off(argv: Sequence[str]) -> int | None:
    """The exit code of `argv` run by the workspace's warm process; None: run it here."""
    env = os.environ
    if not enabled(env):
        return None
    where = run_folder(argv)
    root = workspace_root(where) if where is not None else None
    if root is None:
        return None
    try:
        paths = _paths()
        k = key(paths, env)
        warm = _warm_dir(root)
    except OSError:
        return None
    sock = os.path.join(warm, f"{k}.sock")
    s = _connect(sock)
    if s is None:
        _start(root, warm, k, paths)
        return None
    try:
        return _handed(s, [PROTOCOL, k, os.getcwd(), str(len(argv) + 1), sys.argv[0], *argv])
    finally:
        s.close()


def _handed(s: _socket.socket, head: list[str]) -> int | None:
    fields = [*head, *(f"{k}={v}" for k, v in os.environ.items())]
    frame = _encode(fields)
    fds = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in (0, 1, 2))
    try:
        s.settimeout(ACCEPT_WAIT_S)
        sent = s.sendmsg([frame], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        s.sendall(frame[sent:])
        if _recv_exact(s, 1) != b"A":  # refused (stale, busy) or gone: nothing has run
            return None
        s.sendall(b"G")  # from here the run is the warm process's
        s.settimeout(None)
    except OSError:
        return None
    return _wait(s)


def _wait(s: _socket.socket) -> int:
    import signal

    def forward(signum: int, frame: object) -> None:
        try:
            s.send(b"I" if signum == signal.SIGINT else b"T")
        except OSError:
            pass

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        reply = _recv_exact(s, 5)
    except OSError:
        reply = b""
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if len(reply) != 5 or reply[:1] != b"S":
        sys.stderr.write("swath: the warm process ended before the run did; see `swath runs`\n")
        return 1
    code = os.waitstatus_to_exitcode(int.from_bytes(reply[1:], "big"))
    if code < 0:  # killed by a signal: so is this process, as the shell expects
        sys.stdout.flush()
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code
    return code


def _start(root: str, warm: str, k: str, paths: list[str]) -> None:
    """Start the server in the background, unless one is running or starting (its lock is
    held); this command runs here meanwhile, and the next one finds the server warm."""
    import fcntl
    import json
    import subprocess

    try:
        fd = os.open(os.path.join(warm, f"{k}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # a server holds it: starting, or about to listen
    finally:
        os.close(fd)  # the server takes the lock itself (a racing one started too leaves)
    code = (
        "import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
        "from swath.cli.warm import serve; raise SystemExit(serve(sys.argv[2:]))"
    )
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                *subprocess._args_from_interpreter_flags(),  # type: ignore[attr-defined]
                "-c",
                code,
                json.dumps(paths),
                root,
                k,
            ],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        proc.wait(timeout=30)  # it forks the server at once and leaves (nothing to reap later)
    except (OSError, subprocess.TimeoutExpired):
        pass


# ---- the server: imports what it needs where it needs it -----------------------------------


def _warm_up() -> None:
    """Import what a run imports and make what depends on the installed packages only."""
    import asyncio  # noqa: F401
    import importlib

    import swath.cli.commands  # noqa: F401
    import swath.cli.main  # noqa: F401
    import swath.cli.progress  # noqa: F401
    import swath.cli.stopping  # noqa: F401
    from swath.analyzers import registry as analyzers
    from swath.sources import registry as sources

    for target in (*analyzers.BUILTIN.values(), *sources.BUILTIN.values()):
        try:
            importlib.import_module(target.split(":")[0])
        except Exception:  # noqa: BLE001 - warming is an optimisation: the run imports it again
            pass
    try:
        from swath.analyzers import review_ruff, review_secrets

        review_ruff.ruff_command("auto")
        review_secrets.prepare()
    except Exception:  # noqa: BLE001 - as above
        pass


_WARM_FILES = {
    "pkg/calc.py": "def add(a, b):\n    return a + b\n",
    "tests/test_calc.py": "from pkg.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    "web/app.ts": "export function greet(name: string): string {\n  return name;\n}\n",
}
_WARM_ADDED = {
    "pkg/calc.py": "\n\ndef total(items, key=[]):\n    out = ''\n    for i in items:\n"
    "        out += str(eval(i))\n    password = 'hunter2hunter2'\n    return out\n",
    "web/app.ts": "\nexport function show(el: HTMLElement, html: string) {\n"
    "  console.log(html);\n  el.innerHTML = html;\n}\n",
}


def _warm_run() -> None:
    """One offline review of a throwaway repository, through the CLI's own path: what a
    process does only the first time (the parser, the workflow's load, the store's
    schema, compiled patterns, validators, the event loop) is done here, once. What it
    leaves is what a second run in one process (or the language server) finds: the code
    is made for that. The temporary folder is gone afterwards; `serve` checks that no
    thread is left before it forks."""
    import logging
    import shutil
    import subprocess
    import tempfile

    from swath.cli.main import run_here

    cwd = os.getcwd()
    tmp = tempfile.mkdtemp(prefix="swath-warm-")
    repo = os.path.join(tmp, "repo")
    git = ["git", "-c", "user.name=swath", "-c", "user.email=swath@localhost", "-C", repo]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}
    try:
        subprocess.run([*git[:-2], "init", "-q", repo], **quiet)  # type: ignore[call-overload]
        for rel, text in _WARM_FILES.items():
            os.makedirs(os.path.dirname(os.path.join(repo, rel)), exist_ok=True)
            with open(os.path.join(repo, rel), "w", encoding="utf-8") as f:
                f.write(text)
        subprocess.run([*git, "add", "-A"], **quiet)  # type: ignore[call-overload]
        subprocess.run([*git, "commit", "-q", "--no-verify", "-m", "w"], **quiet)  # type: ignore[call-overload]
        for rel, text in _WARM_ADDED.items():
            with open(os.path.join(repo, rel), "a", encoding="utf-8") as f:
                f.write(text)
        args = ["-C", repo, "run", "review-diff", "--engine", "static", "--no-cache"]
        run_here([*args, "--format", "json", "-o", os.devnull])
    except Exception:  # noqa: BLE001 - warming is an optimisation: the runs do it themselves
        pass
    finally:
        os.chdir(cwd)
        shutil.rmtree(tmp, ignore_errors=True)
        root = logging.getLogger()
        for handler in root.handlers[:]:  # each run configures logging for its own stderr
            root.removeHandler(handler)
        root.setLevel(logging.WARNING)


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1


def serve(args: Sequence[str]) -> int:
    """`python -c … serve ROOT KEY`: started by `_start`, never by hand."""
    import fcntl
    import gc

    if os.fork() > 0:  # the starting client waits for this one only: the server goes on
        os._exit(0)
    root, k = args[0], args[1]
    idle = float(os.environ.get("SWATH_WARM_IDLE", IDLE_S))
    warm = _warm_dir(root)
    sock_path = os.path.join(warm, f"{k}.sock")
    lock = os.open(os.path.join(warm, f"{k}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # a racing client started one first: it will listen
    os.ftruncate(lock, 0)
    os.write(lock, f"{os.getpid()}\n".encode())  # who serves this key (bench, diagnosis)
    try:
        _warm_up()
        _warm_run()
        if key(sys.path, os.environ) != k:
            return _leave(warm, k, "Swath or its packages changed while it started", EXIT_STALE)
        if _threads() != 1:
            return _leave(warm, k, f"{_threads()} threads after warming up: no fork", EXIT_STALE)
        gc.collect()
        gc.freeze()  # what the children share stays shared: no collection writes to it
        listener = _listen(sock_path)
        ours = os.stat(sock_path).st_ino
        try:
            return _loop(listener, sock_path, ours, k, idle, lock)
        finally:
            try:
                if os.stat(sock_path).st_ino == ours:
                    os.unlink(sock_path)
            except OSError:
                pass
            listener.close()
    finally:
        os.close(lock)


def _listen(sock_path: str) -> _socket.socket:
    listener = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        os.unlink(sock_path)  # a dead server's: we hold the lock for this key
    except FileNotFoundError:
        pass
    mask = os.umask(0o077)
    short = _Short(sock_path)
    try:
        listener.bind(short.path)
    finally:
        short.close()
        os.umask(mask)
    listener.listen(16)
    return listener


def _loop(
    listener: _socket.socket, sock_path: str, ours: int, k: str, idle: float, lock: int
) -> int:
    """Accept and fork until idle for `idle` seconds with no run going, or unreachable."""
    import select
    import signal
    import time

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    children: dict[int, _socket.socket] = {}
    last = checked = time.monotonic()
    try:
        while True:
            left = idle - (time.monotonic() - last)
            if left <= 0 and not children:
                return 0
            waited = max(min(left, _RECHECK_S), 0.5)
            ready, _, _ = select.select([listener.fileno(), wake_r], [], [], waited)
            if wake_r in ready:
                try:
                    os.read(wake_r, 512)
                except BlockingIOError:
                    pass
            _reap(children)
            try:
                if os.stat(sock_path).st_ino != ours:
                    return 0  # someone removed .swath/ or the socket: nobody can reach us
            except OSError:
                return 0
            if time.monotonic() - checked >= _RECHECK_S:
                checked = time.monotonic()
                if key(sys.path, os.environ) != k:  # Swath edited or upgraded: never asked again
                    return 0
            if listener.fileno() not in ready:
                continue
            last = time.monotonic()
            try:
                conn, _ = listener._accept()  # type: ignore[attr-defined]
            except OSError:
                continue
            own = [wake_r, wake_w, lock]
            if not _serve_one(_socket.socket(fileno=conn), k, listener, own, children):
                return EXIT_STALE
    finally:
        signal.set_wakeup_fd(-1)
        os.close(wake_r)
        os.close(wake_w)


def _leave(warm: str, k: str, why: str, code: int) -> int:
    """Why the server for `k` left, in `<key>.log` beside its socket (for whoever wonders)."""
    try:
        with open(os.path.join(warm, f"{k}.log"), "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}: {why}\n")
    except OSError:
        pass
    return code


def _reap(children: dict[int, _socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is None:
            continue
        try:
            conn.sendall(b"S" + status.to_bytes(4, "big"))
        except OSError:
            pass
        conn.close()


def _serve_one(
    conn: _socket.socket,
    k: str,
    listener: _socket.socket,
    own: list[int],
    children: dict[int, _socket.socket],
) -> bool:
    """Read one request and fork its run; False when this server must not go on."""
    fds: list[int] = []
    try:
        conn.settimeout(5.0)
        if _peer_uid(conn) != os.getuid():
            conn.close()
            return True
        request, fds = _read_request(conn)
        if request is None or request[1] != k:
            conn.sendall(b"R")
            conn.close()
            _close(fds)
            return True
        if _threads() != 1:
            conn.sendall(b"R")
            conn.close()
            _close(fds)
            return False
    except OSError:
        conn.close()
        _close(fds)
        return True
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            listener.close()
            _close(own)  # the lock too: a run outliving this server must not hold it
            for other in children.values():
                other.close()
            code = _child(conn, fds, request)
        finally:
            os._exit(code)
    _close(fds)
    children[pid] = conn
    return True


def _close(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _read_request(conn: _socket.socket) -> tuple[list[str] | None, list[int]]:
    import array

    ints = array.array("i")
    data, ancillary, _, _ = conn.recvmsg(65536, _socket.CMSG_SPACE(3 * ints.itemsize))
    fds: list[int] = []
    for level, kind, payload in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            ints.frombytes(payload[: len(payload) - len(payload) % ints.itemsize])
            fds += list(ints)
    if len(data) < 4 or len(fds) != 3:
        return None, fds
    size = int.from_bytes(data[:4], "big")
    body = data[4:]
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            return None, fds
        body += chunk
    fields = body.decode("utf-8", "surrogateescape").split("\0")
    if len(fields) < 5 or fields[0] != PROTOCOL:
        return None, fds
    return fields, fds


def _child(conn: _socket.socket, fds: list[int], request: list[str]) -> int:
    """The run, in the forked child, as a one-shot `swath` in the client's place would do it."""
    import signal
    import threading

    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    conn.settimeout(ACCEPT_WAIT_S)
    try:
        conn.sendall(b"A")
        if _recv_exact(conn, 1) != b"G":  # the client gave up waiting: it runs the command
            return 0
    except OSError:
        return 0
    conn.settimeout(None)
    _, _, cwd, argc, *rest = request
    argv, env_items = rest[: int(argc)], rest[int(argc) :]
    for i, fd in enumerate(fds):
        os.dup2(fd, i)
    _close([fd for fd in fds if fd > 2])
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(item.split("=", 1) for item in env_items if "=" in item)  # type: ignore[misc]
    sys.argv = argv
    _fresh_stdio()
    threading.Thread(
        target=_signals_from, args=(conn,), name="swath-warm-signals", daemon=True
    ).start()
    return _run(argv[1:])


def _signals_from(conn: _socket.socket) -> None:
    """Ctrl-C and SIGTERM the client got, raised here; the client gone (its terminal closed,
    or killed): a hang-up, which ends this run as it would have ended a one-shot CLI."""
    import signal

    while True:
        try:
            b = conn.recv(1)
        except OSError:
            b = b""
        if b == b"I":
            os.kill(os.getpid(), signal.SIGINT)
        elif b == b"T":
            os.kill(os.getpid(), signal.SIGTERM)
        elif not b:
            os.kill(os.getpid(), signal.SIGHUP)
            return


def _fresh_stdio() -> None:
    """stdin, stdout and stderr on the client's descriptors, buffered as Python would have
    made them for those descriptors (line-buffered on a terminal)."""
    import io

    def writer(fd: int, old: io.TextIOWrapper, line: bool) -> io.TextIOWrapper:
        return io.TextIOWrapper(
            io.BufferedWriter(io.FileIO(fd, "w", closefd=False)),
            encoding=old.encoding,
            errors=old.errors,
            line_buffering=line,
            write_through=old.write_through,
        )

    old_in, old_out, old_err = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(
        io.BufferedReader(io.FileIO(0, "r", closefd=False)),
        encoding=old_in.encoding,
        errors=old_in.errors,
        line_buffering=os.isatty(0),
    )
    sys.stdout = writer(1, old_out, os.isatty(1))  # type: ignore[arg-type]
    sys.stderr = writer(2, old_err, True)  # type: ignore[arg-type]


def _run(args: list[str]) -> int:
    import atexit
    import signal
    import threading
    import traceback

    code: int = 1
    interrupted = False
    try:
        from swath.cli.main import run_here

        code = run_here(args)
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        traceback.print_exc()
        interrupted = True
    except BaseException:  # noqa: BLE001 - as the interpreter reports an uncaught error
        traceback.print_exc()
        code = 1
    # What the interpreter does on its way out: join the threads, run the exit functions,
    # flush (a failed flush of stdout exits 120, as Python's does).
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            if stream is sys.stdout and code == 0:
                code = 120
    if interrupted:  # an uncaught KeyboardInterrupt: Python dies of SIGINT
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return code
