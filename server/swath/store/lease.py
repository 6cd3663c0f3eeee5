"""One owner per run: the process running it holds a lease it renews with a heartbeat.

Two processes finishing one run answered 14 tasks twice and lost store writes, and a run
whose process was killed showed `running` forever. So a run row carries its owner (host and
pid) and a heartbeat renewed from a thread (a busy event loop must not let the lease lapse).
A run is live while its owner's heartbeat is fresh — and, on this host, while that pid
exists, so a killed run is `interrupted` at once instead of after the lease runs out.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from collections.abc import Callable

from pydantic import BaseModel

# Renewed every HEARTBEAT_S; another host's run counts as dead after LEASE_S without one.
# The lease is long beside the store's 30 s busy timeout, so a slow commit never lapses it.
HEARTBEAT_S = 5.0
LEASE_S = 90.0


def this_host() -> str:
    return socket.gethostname()


class Owner(BaseModel):
    host: str | None
    pid: int | None
    heartbeat_at: float | None

    def describe(self, now: float | None = None) -> str:
        ago = ""
        if self.heartbeat_at is not None:
            ago = f", last heartbeat {max(0.0, (now or time.time()) - self.heartbeat_at):.0f} s ago"
        return f"process {self.pid} on {self.host or 'an unknown host'}{ago}"


class RunLeased(RuntimeError):
    """The run is being run by another live process."""

    def __init__(self, run_id: str, owner: Owner) -> None:
        super().__init__(
            f"run {run_id} is still running in {owner.describe()}; wait for it to finish, "
            "or stop that process, then resume"
        )
        self.run_id = run_id
        self.owner = owner


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM  # exists, owned by someone else
    return True


def owner_alive(owner: Owner, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    if owner.host == this_host() and owner.pid is not None:
        if owner.pid == os.getpid():
            return True
        if not pid_alive(owner.pid):
            return False
    if owner.heartbeat_at is None:
        # A run from before leases: only a pid on this host can vouch for it.
        return owner.host is None and owner.pid is not None and pid_alive(owner.pid)
    return now - owner.heartbeat_at < LEASE_S


class Heartbeat:
    """Calls `beat` every HEARTBEAT_S on a daemon thread until stopped."""

    def __init__(self, beat: Callable[[], None]) -> None:
        self._beat = beat
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="swath-heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                self._beat()
            except Exception:  # noqa: BLE001 - a closed store at shutdown; the next run renews
                return
