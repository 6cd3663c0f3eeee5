"""What the diff source hands to the review analyzers: one changed file (or one hunk of it).

The `diff` source (`swath.sources.diff`) builds these models and dumps them into `Item.data`
(plain JSON, so results can be stored and cached, and a prompt template can read
`item.data.hunks`); the review analyzers (`swath.analyzers.review*`) validate that JSON back.
Every field has a default, so an item of another kind reads as a change with no hunks (the
review skips it) instead of failing the batch. Lines are zero-based, working-tree numbering,
split as the LSP splits them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
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
    generated: bool | None = Field(
        default=None,
        description=(
            "What the repository's .gitattributes say (linguist-generated, linguist-vendored): "
            "true when set, false when unset; None (left out) when they say nothing."
        ),
    )
    hunk: int | None = Field(default=None, description="For a 'hunk' item: its number, from 1.")
    hunks: list[Hunk] = Field(default_factory=list)

    @classmethod
    def read(cls, data: dict[str, Any]) -> DiffItemData:
        """An item's data as a change; an item of another kind (its data has other keys, or
        the same keys meaning something else) reads as a change with no hunks.

        The same dict reads as the very same change: every pass's task reads every item of
        its batch, and the step's Python files read every item of the step (~700 reads of
        50 items a review). An item's data is not changed once the source made it (the
        planner keys its JSON on the item the same way); read the change, never change it."""
        with _read_lock:
            hit = _read_memo.get(id(data))
            if hit is not None and hit[0] is data:
                _read_memo.move_to_end(id(data))
                return hit[1]
        try:
            change = cls.model_validate(data)
        except ValidationError:
            change = cls()
        with _read_lock:
            _read_memo[id(data)] = (data, change)  # the dict held: its id stays its own
            while len(_read_memo) > READ_MEMO_SIZE:
                _read_memo.popitem(last=False)
        return change

    def as_item_data(self) -> dict[str, Any]:
        """`Item.data`: every field in its order; `hunk` only on a hunk's item, `generated`
        only where .gitattributes say something."""
        left_out = {n for n in ("hunk", "generated") if getattr(self, n) is None}
        return self.model_dump(mode="json", exclude=left_out or None)

    def added_lines(self) -> set[int]:
        """Zero-based lines the diff added (complete even when the text was capped)."""
        return {n for h in self.hunks for n in h.added_lines()}

    def committed(self) -> bool | None:
        """Whether the added lines are in a commit already: never for the working tree."""
        return False if self.base in ("HEAD", "(no commits yet)") else None


READ_MEMO_SIZE = 512  # items; a review's passes read each within seconds
_read_memo: OrderedDict[int, tuple[dict[str, Any], DiffItemData]] = OrderedDict()
_read_lock = threading.Lock()
