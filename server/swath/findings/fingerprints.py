"""The hash a finding's fingerprint is: rule, path, the normalised text of its line, which
occurrence of that text it is, and the key it is about (see `findings/identity.py`).

Below both the `Finding` model (whose provisional fingerprint names its line number) and
the identity module (which names the occurrence instead, with the file at hand). It lives
in `swath.places`, which the parse workers import without the findings package.
"""

from __future__ import annotations

from swath.places import LineIndex, column_in_text, fingerprint, normalise_line

__all__ = ["LineIndex", "column_in_text", "fingerprint", "normalise_line"]
