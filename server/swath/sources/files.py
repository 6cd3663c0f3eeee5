"""`files`: one item per file under the given paths, filtered by globs, honouring .gitignore."""

from __future__ import annotations

from typing import ClassVar

import pathspec
from pydantic import BaseModel, ConfigDict, Field

from swath.sources.base import SourceContext
from swath.spec.records import Item


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
    include = pathspec.GitIgnoreSpec.from_lines(opts.include)
    exclude = pathspec.GitIgnoreSpec.from_lines(opts.exclude)
    ws = ctx.workspace
    out: list[str] = []
    for rel in ws.list_files(ctx.paths or None):
        if not include.match_file(rel) or exclude.match_file(rel):
            continue
        full = ws.root / rel
        try:
            size = full.stat().st_size
        except OSError:
            continue
        if size > opts.max_bytes:
            continue
        if opts.text_only:
            with open(full, "rb") as fh:
                if ws.looks_binary(fh.read(8192)):
                    continue
        out.append(rel)
    return out


class FilesSource:
    name: ClassVar[str] = "files"
    description: ClassVar[str] = (
        "One item per file under the given paths (globs in `include`/`exclude`)."
    )
    options_model: ClassVar[type[BaseModel]] = FilesOptions

    def discover(self, ctx: SourceContext) -> list[Item]:
        opts = FilesOptions.model_validate(ctx.options)
        return [Item(id=rel, kind="file", path=rel, files=[rel]) for rel in select_files(ctx, opts)]
