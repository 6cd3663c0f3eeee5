"""Removing a flag check: the language-neutral part.

`rewrite_file` replaces every check of one flag (or only the one at `at`) with its
constant value and folds what follows from it: `not`, `and`/`or`, ternaries, `if`/`elif`/
`else` chains, a variable assigned from the check. Python goes through libcst (which
prints untouched code byte for byte), TypeScript/JavaScript through ast-grep with edits
spliced into the original text. Both report what changed and which code dies, so the
editor can fade the dead branch and offer the edit for review.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection

from swath.analyzers.flags.rewrite_request import RewriteRequest, RewriteResult
from swath.findings.model import Position, Range
from swath.workspace.languages import SCRIPT_LANGUAGES, language_of

PYTHON = {"python"}
TS_LIKE = {"typescript", "tsx", "javascript", "jsx"}
GO = {"go"}
RUBY = {"ruby"}
# Removal rewrites exist for Python (libcst), TypeScript/JavaScript, Go and Ruby (ast-grep).
REWRITABLE = frozenset({"python", "go", "ruby"}) | SCRIPT_LANGUAGES


def language_for(path: str) -> str | None:
    return language_of(path, REWRITABLE)


def rewrite_file(
    text: str,
    lang: str,
    key: str,
    value: bool,
    call_names: Collection[str],
    *,
    negated_calls: Collection[str] = (),
    key_aliases: Collection[str] = (),
    check_texts: Collection[str] = (),
    at: tuple[int, int] | None = None,
) -> RewriteResult:
    """`text` with the flag `key` fixed to `value`. Unsupported languages come back unchanged."""
    req = RewriteRequest(
        key=key,
        value=value,
        call_names=set(call_names),
        negated_calls=set(negated_calls),
        key_aliases=set(key_aliases),
        check_texts={" ".join(t.split()) for t in check_texts},
        at=at,
    )
    if lang in PYTHON:
        from swath.analyzers.flags import rewrite_python

        result = rewrite_python.rewrite(text, req)
    elif lang in TS_LIKE:
        from swath.analyzers.flags import rewrite_ts

        result = rewrite_ts.rewrite(text, "tsx" if lang == "jsx" else lang, req)
    elif lang in GO:
        from swath.analyzers.flags import rewrite_go

        result = rewrite_go.rewrite(text, req)
    elif lang in RUBY:
        from swath.analyzers.flags import rewrite_ruby

        result = rewrite_ruby.rewrite(text, req)
    else:
        return RewriteResult(new_text=text, error=f"no rewrite for {lang}")
    if result.new_text != text:
        result.changed_ranges = changed_ranges(text, result.new_text)
    return result


def changed_ranges(old: str, new: str) -> list[Range]:
    """Whole-line ranges of the original that differ, from a line diff."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    out = []
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        start = Position(line=i1, character=0)
        end = Position(line=i2, character=0) if i2 > i1 else start
        out.append(Range(start=start, end=end))
    return out


def minimal_edit(old: str, new: str) -> tuple[Range, str] | None:
    """One replacement turning `old` into `new`: the span between common prefix and suffix."""
    if old == new:
        return None
    p = 0
    limit = min(len(old), len(new))
    while p < limit and old[p] == new[p]:
        p += 1
    s = 0
    while s < limit - p and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
        s += 1
    # Whole lines read better in a review and survive small drifts: widen to line starts/ends.
    start = old.rfind("\n", 0, p) + 1
    end_nl = old.find("\n", len(old) - s)
    end = len(old) if end_nl < 0 else end_nl
    new_end = len(new) - (len(old) - end)
    return Range(start=offset_to_position(old, start), end=offset_to_position(old, end)), new[
        start:new_end
    ]


def offset_to_position(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1)
    return Position(line=line, character=col)


def unified_diff(path: str, old: str, new: str) -> str:
    """What `swath run flag-audit --fix-preview` prints: a patch `git apply` accepts."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
