"""Counts in words, shared by every front end and renderer ("1 finding", "2 findings")."""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# How a reason a file was not read (swath.workspace.skips) reads in a sentence.
_SKIP_WORDS = {
    "binary": "binary",
    "too_large": "too large",
    "symlink_loop": "in a symlink loop",
    "symlink_outside": "linked outside the workspace",
    "not_regular": "not a regular file",
    "unreadable": "unreadable",
    "minified": "minified (build output)",
    "generated": "generated (a source map, or marked generated)",
}


def describe_skipped(skipped: dict[str, int]) -> str:
    """'2 binary, 1 too large' (most first), or '' when nothing was skipped."""
    parts = sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{n:,} {_SKIP_WORDS.get(r, r.replace('_', ' '))}" for r, n in parts if n)


def skipped_sentence(skipped: dict[str, int]) -> str:
    """'Not read: 3 files (2 binary, 1 too large).', or '' when nothing was skipped."""
    total = sum(skipped.values())
    if not total:
        return ""
    return f"Not read: {plural(total, 'file')} ({describe_skipped(skipped)})."
