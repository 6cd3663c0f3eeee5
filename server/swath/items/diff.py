"""What the diff source hands to the review analyzers: one changed file (or one hunk of it).

The `diff` source (`swath.sources.diff`) builds these models and dumps them into `Item.data`
(plain JSON, so results can be stored and cached, and a prompt template can read
`item.data.hunks`); the review analyzers (`swath.analyzers.review*`) validate that JSON back.
Every field has a default, so an item of another kind reads as a change with no hunks (the
review skips it) instead of failing the batch. Lines are zero-based, working-tree numbering,
split as the LSP splits them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

DiffStatus = Literal["added", "modified", "renamed", "deleted", "untracked"]


class Hunk(BaseModel):
    """One run of added lines (git diff -U0) and the lines it replaced."""

    new_start: int = Field(default=0, description="First added line in the working tree.")
    new_count: int = Field(default=0, description="Added lines (all of them, even if cut).")
    old_start: int = Field(default=0, description="First replaced line in the base.")
    old_count: int = 0
    header: str = Field(default="", description="git's section header (the enclosing def).")
    added: list[str] = Field(default_factory=list, description="Added text, capped by max_lines.")
    removed: list[str] = Field(default_factory=list)

    def added_lines(self) -> range:
        return range(self.new_start, self.new_start + self.new_count)


class DiffItemData(BaseModel):
    """`Item.data` of kind 'diff' (a file) and 'hunk' (one of its hunks); dumped in this order."""

    status: DiffStatus | None = None
    old_path: str | None = Field(default=None, description="The name before a rename.")
    binary: bool = False
    symlink: bool = False
    removed: int = Field(default=0, description="Lines the change removed from the file.")
    base: str = Field(default="", description="What was compared against, in words (HEAD, …).")
    base_commit: str = ""
    tests_changed: list[str] = Field(
        default_factory=list, description="Test files the whole diff changes (the first 20)."
    )
    tree_has_tests: bool = Field(
        default=True, description="The change touches tests, or the tree has some at all."
    )
    added: int = Field(default=0, description="Lines added (of this item).")
    truncated: bool = Field(default=False, description="Added text was cut at max_lines.")
    hunk: int | None = Field(default=None, description="For a 'hunk' item: its number, from 1.")
    hunks: list[Hunk] = Field(default_factory=list)

    @classmethod
    def read(cls, data: dict[str, Any]) -> DiffItemData:
        """An item's data as a change; an item of another kind (its data has other keys, or
        the same keys meaning something else) reads as a change with no hunks."""
        try:
            return cls.model_validate(data)
        except ValidationError:
            return cls()

    def as_item_data(self) -> dict[str, Any]:
        """`Item.data`: every field in its order; `hunk` only on a hunk's item."""
        return self.model_dump(mode="json", exclude={"hunk"} if self.hunk is None else None)

    def added_lines(self) -> set[int]:
        """Zero-based lines the diff added (complete even when the text was capped)."""
        return {n for h in self.hunks for n in h.added_lines()}

    def committed(self) -> bool | None:
        """Whether the added lines are in a commit already: never for the working tree."""
        return False if self.base in ("HEAD", "(no commits yet)") else None
