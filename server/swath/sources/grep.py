"""`grep`: one item per line matching a regular expression (in files chosen like `files`)."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import BaseModel, Field

from swath.sources.base import SourceContext
from swath.sources.files import FilesOptions, select_files
from swath.spec.records import Item

# The editor's line breaks (str.splitlines() also breaks at \f, \v, \x1c...).
LINE_BREAK = re.compile(r"\r\n|\r|\n")


class GrepOptions(FilesOptions):
    """Options of the `grep` source."""

    pattern: str = Field(description="Python regular expression searched line by line")
    ignore_case: bool = Field(False, description="Match letters of either case")
    max_matches: int = Field(10_000, ge=1, description="Stop after this many matching lines")


class GrepSource:
    name: ClassVar[str] = "grep"
    description: ClassVar[str] = "One item per matching line of a regular expression."
    options_model: ClassVar[type[BaseModel]] = GrepOptions

    def discover(self, ctx: SourceContext) -> list[Item]:
        opts = GrepOptions.model_validate(ctx.options)
        rx = re.compile(opts.pattern, re.IGNORECASE if opts.ignore_case else 0)
        items: list[Item] = []
        for rel in select_files(ctx, opts):
            text = ctx.workspace.read_text(rel)
            if not rx.search(text):
                continue
            for n, line in enumerate(LINE_BREAK.split(text)):
                m = rx.search(line)
                if m:
                    items.append(
                        Item(
                            id=f"{rel}:{n + 1}",
                            kind="match",
                            path=rel,
                            files=[rel],
                            data={
                                "line": n,
                                "column": m.start(),
                                "text": line,
                                "match": m.group(0),
                            },
                        )
                    )
                    if len(items) >= opts.max_matches:
                        return items
        return items
