"""The loop the ast-grep rewriters (Go, Ruby) share: find the next check, fold it, parse again.

A fold moves text, so after each one the file is parsed again and the next check looked
for afresh; a check a language's `fold` cannot rewrite (not a condition or a value) is
skipped with the language's note, and the loop goes on past it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ast_grep_py import SgNode, SgRoot

from swath.analyzers.flags.rewrite import RewriteRequest
from swath.findings.model import Range

MAX_FOLDS = 200  # checks folded per file; each fold re-parses the file

# The check's value (True: on, False: off) when `node` is a check of the flag, else None.
CheckValue = Callable[[SgNode, RewriteRequest], bool | None]
# `text` with the check folded to `value`, and the ranges that became dead; None: not here.
Fold = Callable[[str, SgNode, bool], tuple[str, list[Range]] | None]


@dataclass
class Folded:
    text: str
    checks: int = 0
    dead: list[Range] = field(default_factory=list)  # in the original text (the first fold's)
    notes: list[str] = field(default_factory=list)


def fold_checks(
    src: str,
    language: str,
    req: RewriteRequest,
    *,
    call_kind: str,
    check_value: CheckValue,
    fold: Fold,
    not_a_condition: str,
) -> Folded:
    out = Folded(text=src)
    skipped: set[tuple[int, int]] = set()  # (start, end) of checks left alone, in `out.text`
    for _ in range(MAX_FOLDS):
        root = SgRoot(out.text, language).root()
        check = _next_check(root, req, skipped, call_kind, check_value)
        if check is None:
            break
        node, value = check
        folded = fold(out.text, node, value)
        if folded is None:
            r = node.range()
            skipped.add((r.start.index, r.end.index))
            out.notes.append(not_a_condition)
            continue
        new_text, gone = folded
        if out.checks == 0:  # later folds' ranges are in a text the editor does not show
            out.dead += gone
        out.text = new_text
        out.checks += 1
        skipped = set()  # positions moved
    return out


def _next_check(
    root: SgNode,
    req: RewriteRequest,
    skipped: set[tuple[int, int]],
    call_kind: str,
    check_value: CheckValue,
) -> tuple[SgNode, bool] | None:
    for n in root.find_all(kind=call_kind):
        r = n.range()
        if (r.start.index, r.end.index) in skipped:
            continue
        if req.at is not None:
            start, end = (r.start.line, r.start.column), (r.end.line, r.end.column)
            if not (start <= req.at <= end):
                continue
        value = check_value(n, req)
        if value is not None:
            return n, value
    return None
