"""The cyclic garbage collector held off while a large structure is built or read.

A reduce over a large map allocates hundreds of thousands of small containers (graph
nodes, module rows, findings) while the per-file facts of every record are alive too:
each full collection walks all of them again, and on sympy's map that walking was ~40 %
of `module-map`'s time (1.24 s -> 0.79 s CPU without it). What the reduce builds holds
no cycles to reclaim, and the collector runs as usual once it has returned. The same goes
for a batch's facts unpickled from a parse worker, the contributions read back from the
store's memo and the findings identified and verified: plain data, made while a large
heap is alive.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic collection inside; the collector's previous state after, also on errors."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
