"""`files`: one item per file under the given paths, filtered by globs, honouring .gitignore."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from swath.sources.base import SourceContext
from swath.spec.records import Item
from swath.workspace.globs import gitignore_spec
from swath.workspace.regular_files import read_regular_head
from swath.workspace.skips import SkipReason
from swath.workspace.workspace import BINARY_SNIFF, Workspace


class FilesOptions(BaseModel):
    """Options of the `files` source."""

    model_config = ConfigDict(extra="forbid")
    include: list[str] = Field(
        default_factory=lambda: ["**/*"], description="gitignore-style globs to keep"
    )
    exclude: list[str] = Field(default_factory=list, description="gitignore-style globs to drop")
    max_bytes: int = Field(
        2_000_000, description="Larger files are skipped (generated or vendored data)"
    )
    text_only: bool = Field(True, description="Skip files that look binary")


def select_files(ctx: SourceContext, opts: FilesOptions) -> list[str]:
    include = gitignore_spec(opts.include)
    exclude = gitignore_spec(opts.exclude)
    ws = ctx.workspace
    root = str(ws.root)
    out: list[str] = []
    for rel in ws.list_files(ctx.paths or None, ctx.skipped):
        if not include.match_file(rel) or exclude.match_file(rel):
            continue
        reason = _skip_reason(os.path.join(root, rel), opts)
        if reason is None:
            out.append(rel)
        else:
            ctx.skipped.add(reason, rel)
    return out


def _skip_reason(full: str, opts: FilesOptions) -> SkipReason | None:
    """Why the file at `full` is left out, or None. `full` is a str, not a Path: this runs
    for every listed file."""
    try:
        st = os.stat(full)
        if not stat.S_ISREG(st.st_mode):
            return "not_regular"
        if st.st_size > opts.max_bytes:
            return "too_large"
        if opts.text_only:
            # Non-blocking, as everywhere: the file may have become a FIFO since the stat.
            if Workspace.looks_binary(read_regular_head(Path(full), BINARY_SNIFF)):
                return "binary"
    except OSError:
        return "unreadable"
    return None


class FilesSource:
    name: ClassVar[str] = "files"
    description: ClassVar[str] = (
        "One item per file under the given paths (globs in `include`/`exclude`)."
    )
    options_model: ClassVar[type[BaseModel]] = FilesOptions

    def discover(self, ctx: SourceContext) -> list[Item]:
        opts = FilesOptions.model_validate(ctx.options)
        return [Item(id=rel, kind="file", path=rel, files=[rel]) for rel in select_files(ctx, opts)]
