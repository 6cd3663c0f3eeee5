"""Cached results whose output stays in the store until something reads it.

A cached map result is mostly its output (map-module: every file's facts, 14 MB of JSON on
a 1,500-file package, ~100 MB once parsed). A run whose reduce is cached too needs none of
it: the reduce's input hash is made of its records' digests (the store's hash of each
record's JSON), and the findings come from the record's head (store: the record without
its output). So such a record carries `StoredOutput` in place of its output, and the engine
loads the output only before something reads it: an analyzer, a filter, a template, a map
over the records, the run's outputs (`TaskRunner.resolve`).

`StoredOutput` is no JSON value: a record holding one cannot be serialised by accident (a
task row of a cached record points at the stored record by its digest instead).
"""

from __future__ import annotations

import weakref

from swath.spec.records import Record


class StoredOutput:
    """A record's output left in the store, under the record's digest."""

    __slots__ = ("digest",)

    def __init__(self, digest: str) -> None:
        self.digest = digest

    def __repr__(self) -> str:
        return f"StoredOutput({self.digest[:12]})"


class Digests:
    """The digest of each record this run holds, by the record object itself.

    By identity, not by content: a copy made with other findings (a verify step's) is
    another record, with a digest of its own. Held weakly: noting a record must not keep
    its output (megabytes of facts) alive after the steps that need it are done.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[weakref.ref[Record], str]] = {}

    def note(self, record: Record, digest: str) -> None:
        key = id(record)
        self._by_id[key] = (weakref.ref(record, lambda _: self._by_id.pop(key, None)), digest)

    def get(self, record: Record) -> str | None:
        hit = self._by_id.get(id(record))
        return hit[1] if hit is not None and hit[0]() is record else None
