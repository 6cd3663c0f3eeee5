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
- **The server** (`swath.cli.warm_server.serve`), started on demand by a client that finds
  no socket when a command like it ran in the workspace within the idle time (the second
  run starts it: a workspace used once never gets one; detached, its own session), takes `.swath/warm/<key>.lock` (a second one started by a
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


class ShortPath:
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


def connect(path: str) -> _socket.socket | None:
    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    short = None
    try:
        short = ShortPath(path)
        s.connect(short.path)
        if peer_uid(s) != os.getuid():  # only ever our own user's process
            s.close()
            return None
    except OSError:
        s.close()
        return None
    finally:
        if short is not None:
            short.close()
    return s


def peer_uid(s: _socket.socket) -> int:
    cred = s.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)  # pid, uid, gid
    return int.from_bytes(cred[4:8], sys.byteorder)


def encode(fields: Sequence[str]) -> bytes:
    payload = "\0".join(fields).encode("utf-8", "surrogateescape")
    return len(payload).to_bytes(4, "big") + payload


def recv_exact(s: _socket.socket, n: int) -> bytes:
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return got


def warm_dir(root: str) -> str:
    """`.swath/warm/`, made if missing; OSError unless it is a real folder of this user's
    that nobody else may write to. A cloned repository can commit `.swath/warm` (or
    `.swath`) as a symlink to a folder elsewhere, and the socket, lock and log would land
    there; or hold a folder another user wrote to on a shared machine."""
    import stat

    swath = os.path.join(root, ".swath")
    d = os.path.join(swath, "warm")
    os.makedirs(d, mode=0o700, exist_ok=True)
    for folder in (swath, d):
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            raise OSError(f"{folder}: not a folder of this user's")
    if os.lstat(d).st_mode & 0o077:
        raise OSError(f"{d}: others may write to it")
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
        warm = warm_dir(root)
    except OSError:
        return None
    sock = os.path.join(warm, f"{k}.sock")
    s = connect(sock)
    if s is None:
        if _repeated(os.path.join(warm, f"{k}.seen")):
            _start(root, warm, k, paths)
        return None
    try:
        return _handed(s, [PROTOCOL, k, os.getcwd(), str(len(argv) + 1), sys.argv[0], *argv])
    finally:
        s.close()


def _handed(s: _socket.socket, head: list[str]) -> int | None:
    fields = [*head, *(f"{k}={v}" for k, v in os.environ.items())]
    frame = encode(fields)
    fds = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in (0, 1, 2))
    try:
        s.settimeout(ACCEPT_WAIT_S)
        sent = s.sendmsg([frame], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        s.sendall(frame[sent:])
        if recv_exact(s, 1) != b"A":  # refused (stale, busy) or gone: nothing has run
            return None
        s.sendall(b"G")  # from here the run is the warm process's
        s.settimeout(None)
    except OSError:
        return None
    return _wait(s)


def _wait(s: _socket.socket) -> int:
    import _signal as signal  # the C module: `signal` builds its enums (enum: ~2 ms)

    def forward(signum: int, frame: object) -> None:
        try:
            s.send(b"I" if signum == signal.SIGINT else b"T")
        except OSError:
            pass

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        reply = recv_exact(s, 5)
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


def _repeated(seen: str) -> bool:
    """Whether this workspace ran a command like this one within the idle time: a server
    is started for the second run, so a workspace used once (a script's temporary
    repository, a one-off command) never gets a process that would sit there idle."""
    import time

    try:
        fresh = time.time() - os.stat(seen).st_mtime < IDLE_S
    except OSError:
        fresh = False
    try:
        with open(seen, "w", encoding="utf-8"):
            pass  # now
    except OSError:
        pass
    return fresh


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
        "from swath.cli.warm_server import serve; raise SystemExit(serve(sys.argv[2:]))"
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
