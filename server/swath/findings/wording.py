"""Counts in words, shared by every front end and renderer ("1 finding", "2 findings")."""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
