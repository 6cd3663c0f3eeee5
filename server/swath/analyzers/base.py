"""What an offline analyzer is.

An analyzer is deterministic and cheap. A *map* analyzer looks at a batch of items; a
*reduce* analyzer synthesises the records of upstream steps into one output. Both run in
a worker thread, so they may block on disk and CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from swath.findings.model import Finding
from swath.findings.report import RuleInfo
from swath.spec.records import Item, Record
from swath.workspace import Workspace


class CombineMemo(Protocol):
    """What a reduce's `combine` may keep between runs (engine.partials): in a slot of its
    naming, one JSON value drawn from the contributions and the files it also read
    (`files_read`, as `AnalyzerOutput.files_read`), with the digest of what it was drawn
    from. `get` gives it back only for the same digest and while each of those files is
    unchanged; `put` replaces the slot's value."""

    def get(self, slot: str, digest: str) -> Any | None: ...

    def put(self, slot: str, digest: str, value: Any, files_read: list[str]) -> None: ...


@dataclass
class AnalyzerContext:
    workspace: Workspace
    inputs: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    # Every item of the map step, when all of them are known before its first task runs (a
    # step over a discovered source): work a task would do once per batch can be done once
    # for the step (review-diff's one ruff run). Empty when unknown (a streamed step, a
    # reduce); the same list object for every task of every step over that source.
    step_items: list[Item] = field(default_factory=list)
    # How many of the map step's tasks run their analyzer in this run (the plan's count of
    # those the cache does not serve), None when unknown: a re-map after one edit runs one,
    # too few to be worth starting worker processes for.
    tasks_to_run: int | None = None
    # A reduce's `combine` only: what earlier runs' combines kept (None: keep nothing, e.g.
    # --no-cache). A value must be the one the combine would draw again.
    memo: CombineMemo | None = None
    # The day (ISO, UTC) a `dated` analyzer counts its ages to: the one the engine keys its
    # cached results on, so a result and its cache entry agree. None: the clock's day.
    today: str | None = None
    # Whether a model agent reads this task's output (its instructions render from it):
    # False in a run without a model or on a step without model instructions, where an
    # analyzer may leave out what only a model reads (review-diff's pass prompts). True when
    # unknown, so an analyzer called on its own still gives everything; and in a reduce's
    # `partial`/`combine` (their memo is shared by runs with and without a model).
    for_model: bool = True


class AnalyzerOutput(BaseModel):
    output: Any = None
    findings: list[Finding] = Field(default_factory=list)
    files_read: list[str] = Field(
        default_factory=list,
        description=(
            "Files consulted beyond the items' own (they join the cache key); `exists:PATH` for a "
            "file whose presence, not its content, the output depends on (a package's __init__.py); "
            "`git:HEAD` for an output drawn from the git history (a commit count)."
        ),
    )
    identified: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Paths whose findings here already carry the fingerprint findings.identity gives them "
            "(a provisional one aside), drawn from the file whose sha256 is the value: the engine "
            "takes them as they are while the file still hashes so, instead of reading it again."
        ),
    )
    skip_model: bool = Field(
        False,
        description="Nothing here for a model to judge (e.g. a pass with no files of its kind): "
        "the task ends with the analyzer's result even when a model is configured.",
    )


class NoParams(BaseModel):
    """This analyzer takes no params."""

    model_config = ConfigDict(extra="forbid")


# Besides the members below, an analyzer may declare `params_model: ClassVar[type[BaseModel]]`,
# the pydantic model of its `params:` (unknown keys forbidden): the workflow loader checks
# a step's params against it, and the JSON Schema and the editor offer its keys. It is not
# a Protocol member so that third-party analyzers without one still match.
# Likewise `dated: ClassVar[bool] = True` says its result depends on today's date (an age,
# a git-log window): the engine then keys its cached results on the day as well.
# A reduce analyzer may also split its work in two (engine.partials): `partial(record, ctx)`,
# one record's contribution as JSON values, which depends on that record and the params
# alone, and `combine(partials, ctx) -> AnalyzerOutput` over every record's, in the
# records' order. `reduce` must then equal `combine` of each record's `partial`. The engine
# keeps each contribution and draws again only those of records that changed. The list
# `combine` is given is its own (it may empty it to let the contributions go early).


@runtime_checkable
class MapAnalyzer(Protocol):
    name: ClassVar[str]
    kind: ClassVar[Literal["map"]]
    description: ClassVar[str]
    version: ClassVar[str]
    rules: ClassVar[list[RuleInfo]]

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput: ...


@runtime_checkable
class ReduceAnalyzer(Protocol):
    name: ClassVar[str]
    kind: ClassVar[Literal["reduce"]]
    description: ClassVar[str]
    version: ClassVar[str]
    rules: ClassVar[list[RuleInfo]]

    def reduce(self, records: list[Record], ctx: AnalyzerContext) -> AnalyzerOutput: ...


Analyzer = MapAnalyzer | ReduceAnalyzer
