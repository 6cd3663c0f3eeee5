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


# Inside `one_shot_collector` (how many are open): a paused section's plain data is frozen.
_one_shot = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic collection inside; the collector's previous state after, also on errors.

    In a one-shot process (`one_shot_collector`) what the section made is frozen as it
    ends (`gc.freeze`): plain data with no cycles to reclaim, which the next young
    collection walked whole (a sympy re-map's 7,634 findings, built, identified and
    verified: 4-5 young collections, 0.07-0.1 s), then every older one again. Freed by
    its reference counts as ever; only a cycle among what is frozen waits for the
    process's end (or the collector's `unfreeze`). A run's own objects hold cycles (the
    run and its task runner), so a process that runs map after map (bench/map.py's own)
    keeps more: its peak ~430 -> ~500 MiB, while a `swath run`'s is what it was (sympy in a
    fresh process: first map ~153, re-map ~169 MiB either way)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if _one_shot:
                gc.freeze()
            gc.enable()


# A one-shot process's young generation (see `one_shot_collector`).
YOUNG = 20_000


@contextmanager
def one_shot_collector() -> Iterator[None]:
    """The collector tuned for a process that builds its heap, runs once and exits (`swath
    run`, the language server's run worker, a benchmark of either): a young collection every
    20,000 allocations instead of 700, the older generations a little less often. With the
    defaults a sympy re-map spent ~0.65 s of its CPU in the collector (gen-1 walks over the
    facts and findings), ~0.2 s with this; a CLI review-diff collected ~145 times with the
    defaults (12 walks of the middle generation, one of every object imported: 60-150 ms
    CPU), ~16 times (25-40 ms) with this and its imports frozen (`cli.main._dispatch`).
    Cycles are still collected; the previous thresholds come back afterwards, and what was
    frozen inside is handed back to the collector (a test calling `main` in its own process
    keeps its own heap as it was)."""
    global _one_shot
    before = gc.get_threshold()
    gc.set_threshold(YOUNG, 20, 20)
    _one_shot += 1
    try:
        yield
    finally:
        _one_shot -= 1
        gc.set_threshold(*before)
        gc.unfreeze()
