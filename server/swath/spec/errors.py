"""Problems found in a workflow file, each with the exact place it is at."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SpecIssue(BaseModel):
    """One problem in a workflow file.

    Positions are 1-based (what editors and `file:line:col` links show); the LSP layer
    subtracts one. `end_line`/`end_column` point just past the offending text so an editor
    can underline exactly the key or value at fault.
    """

    file: str
    line: int = Field(ge=1)
    column: int = Field(ge=1)
    end_line: int = Field(ge=1)
    end_column: int = Field(ge=1)
    message: str
    code: str = Field(
        description="Stable kind of problem: yaml, duplicate-key, unknown-key, type, missing, unknown-kind, "
        "duplicate-step, unknown-step, cycle, unknown-analyzer, unknown-tool, unknown-schema, "
        "unknown-source, template, io, unknown-workflow, extends-cycle, unusable-base."
    )

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class WorkflowError(Exception):
    """A workflow file that cannot be used; carries every problem found, not just the first."""

    def __init__(self, issues: list[SpecIssue]) -> None:
        self.issues = list(issues)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)


class WorkflowNotFound(LookupError):
    """A workflow name or path that names no workflow; the message lists what exists."""

    def __init__(
        self, name: str, available: list[str], suggestion: str | None = None, detail: str = ""
    ) -> None:
        self.name = name
        self.available = list(available)
        self.suggestion = suggestion
        self.detail = detail
        super().__init__(self._message())

    def _message(self) -> str:
        head = self.detail or f"no workflow named {self.name!r}"
        if self.suggestion:
            head += f" (did you mean {self.suggestion!r}?)"
        parts = [head]
        if self.available:
            parts.append("available: " + ", ".join(self.available))
        else:
            parts.append("no workflows are installed or saved in .swath/workflows/")
        parts.append("pass a workflow name or the path of a .yaml file")
        return "; ".join(parts)

    def __str__(self) -> str:
        return self._message()
