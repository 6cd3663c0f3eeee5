"""What a source is: it discovers the work items of a `discover` step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from swath.spec.records import Item
from swath.workspace import Workspace
from swath.workspace.skips import SkipCounts


@dataclass
class SourceContext:
    workspace: Workspace
    paths: list[str] = field(
        default_factory=list
    )  # PATH... from the command line, workspace-relative
    inputs: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # the step's `with:`
    skipped: SkipCounts = field(default_factory=SkipCounts)  # files left out, for the report


class Source(Protocol):
    """A source; it may also declare `options_model: ClassVar[type[BaseModel]]`, the
    pydantic model of its `with:` options (unknown keys forbidden), which the workflow
    loader checks with positions, and the JSON Schema and the editor offer."""

    name: ClassVar[str]
    description: ClassVar[str]

    def discover(self, ctx: SourceContext) -> list[Item]: ...
