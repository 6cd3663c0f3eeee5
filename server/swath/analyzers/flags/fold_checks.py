"""The rewrite the ast-grep rewriters (Go, Ruby) share: find the next check, fold it, parse
again; then tidy and check that the result parses.

A fold moves text, so after each one the file is parsed again and the next check looked
for afresh; a check a language's `fold` cannot rewrite (not a condition or a value) is
skipped with the language's note, and the loop goes on past it.
"""

from __future__ import annotations

from collections.abc import Callable

from ast_grep_py import SgNode, SgRoot

from swath.analyzers.flags.rewrite_request import RewriteRequest, RewriteResult
from swath.findings.model import Range

MAX_FOLDS = 200  # checks folded per file; each fold re-parses the file

# The check's value (True: on, False: off) when `node` is a check of the flag, else None.
CheckValue = Callable[[SgNode, RewriteRequest], bool | None]
# `text` with the check folded to `value`, and the ranges that became dead; None: not here.
Fold = Callable[[str, SgNode, bool], tuple[str, list[Range]] | None]


def fold_checks(
    src: str,
    language: str,
    label: str,
    req: RewriteRequest,
    *,
    call_kind: str | tuple[str, ...],
    check_value: CheckValue,
    fold: Fold,
    not_a_condition: str,
    tidy: Callable[[str], str] = lambda text: text,
) -> RewriteResult:
    """`src` with every check of the flag folded (`label` names the language in messages;
    `tidy` removes what the folds left unused), or `src` with the reason nothing was."""
    text, checks = src, 0
    dead: list[Range] = []
    notes: list[str] = []
    skipped: set[tuple[int, int]] = set()  # (start, end) of checks left alone, in `text`
    for _ in range(MAX_FOLDS):
        root = SgRoot(text, language).root()
        check = _next_check(root, req, skipped, call_kind, check_value)
        if check is None:
            break
        node, value = check
        folded = fold(text, node, value)
        if folded is None:
            r = node.range()
            skipped.add((r.start.index, r.end.index))
            notes.append(not_a_condition)
            continue
        new_text, gone = folded
        if checks == 0:  # later folds' ranges are in a text the editor does not show
            dead += gone
        text = new_text
        checks += 1
        skipped = set()  # positions moved
    if checks == 0:
        why = notes[0] if notes else f"no {label} check to rewrite here"
        return RewriteResult(new_text=src, notes=notes, error=why)
    text = tidy(text)
    if SgRoot(text, language).root().find(kind="ERROR") is not None:
        return RewriteResult(new_text=src, error=f"the {label} rewrite would not parse; refused")
    return RewriteResult(new_text=text, dead_ranges=dead, checks=checks, notes=notes)


def _next_check(
    root: SgNode,
    req: RewriteRequest,
    skipped: set[tuple[int, int]],
    call_kind: str | tuple[str, ...],
    check_value: CheckValue,
) -> tuple[SgNode, bool] | None:
    kinds = (call_kind,) if isinstance(call_kind, str) else call_kind
    for n in (n for kind in kinds for n in root.find_all(kind=kind)):
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
