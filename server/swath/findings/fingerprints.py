"""The hash a finding's fingerprint is: rule, path, the normalised text of its line, which
occurrence of that text it is, and the key it is about (see `findings/identity.py`).

Below both the `Finding` model (whose provisional fingerprint names its line number) and
the identity module (which names the occurrence instead, with the file at hand).
"""

from __future__ import annotations

import hashlib


def normalise_line(text: str) -> str:
    """Whitespace runs as one space, ends trimmed: re-indenting a line keeps its identity."""
    return " ".join(text.split())


def fingerprint(rule: str, path: str, line_text: str, occurrence: str, key: str = "") -> str:
    parts = [rule, path, normalise_line(line_text), occurrence, key]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
