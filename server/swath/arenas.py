"""At most two glibc malloc arenas for this process's threads.

glibc gives every thread that allocates at once its own arena (up to 8 per core) and
returns little of an arena's memory to the system. A run's threads (the task pool, the
store's writer) each build and drop megabytes of JSON text and facts, so every arena grew
to its own high-water mark: a map of sympy peaked ~70 MiB higher with the default arenas
than with two, and a long-lived process (the language server) kept growing from run to
run. Python's threads mostly take turns under the GIL, so two arenas cost no contention
worth measuring. The same as `MALLOC_ARENA_MAX=2`, set from inside; it holds for arenas
made after the call, and does nothing off glibc or where the variable is already set.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_ARENA_MAX = -8  # glibc's mallopt parameter
ARENAS = 2

_done = False


def limit() -> None:
    """Once per process; never fails."""
    global _done
    if _done:
        return
    _done = True
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        # The process's own symbols, libc's among them: `ctypes.util.find_library` would
        # import shutil and subprocess and run `ldconfig -p` (~3-7 ms of a one-shot run).
        libc = ctypes.CDLL(None)
        libc.mallopt(M_ARENA_MAX, ARENAS)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt), or no libc found
        pass
