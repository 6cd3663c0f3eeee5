"""Which language a file is in, by its extension: one table for every reader.

Names are ast-grep's. `.jsx` maps to `tsx` because ast-grep's JavaScript grammar does not
parse JSX and the TSX one does.
"""

from __future__ import annotations

from collections.abc import Container

LANGUAGE_BY_EXTENSION: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".jsx": "tsx",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".go": "go",
    ".java": "java",
    ".kt": "kotlin",
    ".rb": "ruby",
    ".rs": "rust",
    ".cs": "csharp",
    ".php": "php",
}

SCRIPT_LANGUAGES = frozenset({"typescript", "tsx", "javascript"})
# What the built-in analyzers parse structurally.
ANALYZED_LANGUAGES = frozenset({"python", "go"}) | SCRIPT_LANGUAGES


def language_of(path: str, only: Container[str] | None = None) -> str | None:
    """The language of `path`, or None when unknown (or not among `only`)."""
    slash = path.rfind("/")
    dot = path.rfind(".")
    if dot <= slash + 1:  # no extension, or a dotfile such as `.env`
        return None
    lang = LANGUAGE_BY_EXTENSION.get(path[dot:].lower())
    if lang is None or (only is not None and lang not in only):
        return None
    return lang
