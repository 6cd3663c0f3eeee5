"""What flows between steps: items (from `discover`) and records (from every step).

Filter expressions and prompt templates see these names: `item`, `items`, `output`,
`findings`, `inputs`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from swath.findings.model import Finding


class Item(BaseModel):
    """One unit of work found by a source: a file, a diff hunk, a flag, a symbol."""

    id: str = Field(description="Stable key within the step, e.g. a path or 'path#hunk3'.")
    kind: str = Field(description="file, hunk, flag, symbol, match, ...")
    path: str | None = Field(None, description="Workspace-relative path the item lives in, if any.")
    files: list[str] = Field(
        default_factory=list,
        description="Workspace-relative files whose content the item depends on (cache key).",
    )
    data: dict[str, Any] = Field(default_factory=dict)


class Record(BaseModel):
    """The result of one task (or one passed-through item) of a step."""

    step: str
    key: str = Field(description="Unique within the step; the task key for map/reduce.")
    items: list[Item] = Field(default_factory=list)
    output: Any = None  # the analyzer's output (facts), or a filter/verify pass-through
    judgement: Any = None  # the model agent's validated output, when a model ran
    findings: list[Finding] = Field(default_factory=list)

    @property
    def item(self) -> Item | None:
        return self.items[0] if len(self.items) == 1 else None

    def as_item(self) -> Item:
        """A map over a map sees the upstream record as one item carrying its output."""
        if self.item is not None and self.output is None:
            return self.item
        files = sorted({f for it in self.items for f in it.files})
        path = self.items[0].path if len(self.items) == 1 else None
        return Item(
            id=self.key,
            kind="record",
            path=path,
            files=files,
            data={"output": self.output, "items": [i.model_dump() for i in self.items]},
        )
