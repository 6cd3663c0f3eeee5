"""The memo table: conclusions drawn from files, by digest, with the hashes of those files.

The engine keeps here what it concluded about a group of findings from the files they
name (their fingerprints, whether their quotes stand): a value under a key, and `deps`,
the content hash of every file the conclusion read. A lookup returns both; the caller
re-hashes the files and uses the value only when every hash still matches, so a changed
file is never served a stale conclusion.

A row is written once and re-written only when its files changed. Reading it writes
nothing, except that `used_at` is refreshed at most once a day (so a fully cached re-run
adds nothing to the store); retention drops rows no run has used for `MEMO_TTL_S`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from pydantic_core import to_json

from swath.gcpause import gc_paused

# A row no run has used for this long goes (store.retention); the next run that needs it
# draws the conclusion again.
MEMO_TTL_S = 30 * 24 * 3600.0
# How stale `used_at` may get before a use refreshes it: one write a day per row at most.
TOUCH_EVERY_S = 24 * 3600.0
# SQLite's default limit on host parameters is 32,766 since 3.32, 999 before.
_CHUNK = 900


def get_many(
    c: sqlite3.Connection, keys: list[str], now: float
) -> dict[str, tuple[dict[str, str], Any]]:
    """{key: (deps, value)} of the keys that have a row; refreshes `used_at` of old ones."""
    out: dict[str, tuple[dict[str, str], Any]] = {}
    stale: list[str] = []
    unique = sorted(set(keys))
    with gc_paused():  # plain data (a reduce's contributions are megabytes of it)
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, deps, value, used_at in c.execute(
                f"SELECT key, deps_json, value_json, used_at FROM memo WHERE key IN ({marks})",
                chunk,
            ):
                out[key] = (json.loads(deps), json.loads(value))
                if used_at < now - TOUCH_EVERY_S:
                    stale.append(key)
    if stale:
        c.executemany("UPDATE memo SET used_at=? WHERE key=?", [(now, k) for k in stale])
    return out


def put_many(
    c: sqlite3.Connection, rows: list[tuple[str, dict[str, str], Any]], now: float
) -> None:
    # A value as pydantic-core's JSON, as UTF-8 bytes that SQLite casts to the column's TEXT:
    # a first map of sympy stores 11.8 MB of them (each batch's contribution, the graph, the
    # findings' fingerprints and verdicts), which `json.dumps` took 0.18-0.2 s of the store
    # thread's CPU to write and pydantic-core 0.08-0.09 s. `json.loads` reads either (NaN and
    # Infinity are written as `json.dumps` writes them; text is UTF-8, not \u escapes).
    c.executemany(
        "INSERT OR REPLACE INTO memo(key, deps_json, value_json, used_at)"
        " VALUES (?,?,CAST(? AS TEXT),?)",
        [
            (key, json.dumps(deps, sort_keys=True), to_json(value, inf_nan_mode="constants"), now)
            for key, deps, value in rows
        ],
    )


def prune(c: sqlite3.Connection, now: float) -> int:
    return c.execute("DELETE FROM memo WHERE used_at < ?", (now - MEMO_TTL_S,)).rowcount
