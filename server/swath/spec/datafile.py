"""A data file that ships with the package, made from files that ship beside it: the
built-in workflows as the loader validated them (`spec/builtin_workflows.json`), the flag
presets as their config parsed them (`flagdefs/presets_compiled.json`). Each is
`{"format": N, SECTION: {name: entry}}`, each entry holding the sha256 of the text it was
made from; a reader takes an entry only when its text still has that hash, and works it
out from the source otherwise (a missing, older or broken file included).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_section(path: Path, fmt: int, section: str) -> dict[str, Any]:
    """The file's `section`, or {} when it is missing, unreadable, of another format or
    shape (the callers then parse the sources, as without it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != fmt:
        return {}
    found = data.get(section)
    return found if isinstance(found, dict) else {}


def section_text(fmt: int, section: str, entries: dict[str, Any]) -> str:
    return json.dumps({"format": fmt, section: entries}, indent=1) + "\n"


def write(path: Path, text: str) -> int:
    """A compile script's `main`: the file written, said on stderr."""
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0
