"""What a flag rewrite is asked (`RewriteRequest`) and what it answers (`RewriteResult`).

Below `rewrite.py` (which picks a language's rewriter) and the rewriters themselves
(`rewrite_python.py`, `rewrite_ts.py`, `rewrite_go.py`, `rewrite_ruby.py`), so each of them
imports it and none imports the module that calls it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from swath.findings.model import Range


@dataclass
class RewriteRequest:
    key: str
    value: bool
    call_names: Collection[str]
    negated_calls: Collection[str] = ()
    key_aliases: Collection[str] = ()  # expressions that stand for the key: constants, `Feature.X`
    check_texts: Collection[str] = ()  # expressions that are themselves the check
    at: tuple[int, int] | None = None  # (line, character), zero-based: only the check there


@dataclass
class RewriteResult:
    new_text: str
    changed_ranges: list[Range] = field(default_factory=list)  # in the original text
    dead_ranges: list[Range] = field(default_factory=list)  # original code that can never run
    checks: int = 0  # checks replaced
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.checks > 0 and not self.error
