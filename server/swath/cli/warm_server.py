"""The warm process's server side: started by `swath.cli.warm`'s client, never by hand.

How it works, and why it is sound, is in `swath.cli.warm`'s docstring: take the lock, warm
up, check the key, listen, fork one child per request, report each child's exit status.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import _socket

from swath.cli.warm import (
    ACCEPT_WAIT_S,
    EXIT_STALE,
    IDLE_S,
    PROTOCOL,
    ShortPath,
    key,
    peer_uid,
    recv_exact,
    warm_dir,
)

# How often an idle server looks whether its code is still on disk as it was (~2 ms): an
# edited checkout would otherwise keep one unreachable server per edit until each idles out.
_RECHECK_S = 15.0


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
    if os.environ.get("ANTHROPIC_API_KEY", "").strip():
        # A key in the environment: runs will use the model, and the SDK (with httpx) is
        # the slowest import there is (~0.5-1 s); imported here once, not in every child.
        try:
            import swath.agents.llm  # noqa: F401
        except Exception:  # noqa: BLE001 - as below
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
    try:
        warm = warm_dir(root)
    except OSError:  # not a folder of ours: the client refuses it too, and runs itself
        return 0
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
    short = ShortPath(sock_path)
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
        if peer_uid(conn) != os.getuid():
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
        if recv_exact(conn, 1) != b"G":  # the client gave up waiting: it runs the command
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
