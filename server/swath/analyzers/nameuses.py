"""How often a file mentions the names it imports: the weights of the key-symbol ranking.

Counted on the text in the parse worker, one literal search per imported name (Python's
`re` finds a literal prefix with a fast scan, where one alternation of every name or a
count of every identifier in the file costs several times more on a large package).
A mention is the name as a whole word, not after a `.` (`x.Engine` is someone else's
attribute); the import statements themselves are not counted.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

MAX_NAMES = 200  # a file importing more names than this is a re-export hub: no weights needed


@lru_cache(maxsize=16_384)
def _word_end(name: str) -> re.Pattern[str]:
    # Cached here: a large package's files import thousands of distinct names, past the 512
    # patterns `re` keeps, and compiling was a fifth of this function's time in a worker.
    return re.compile(re.escape(name) + r"(?![\w$])")


def count_names(text: str, names: list[str], import_mentions: Counter[str]) -> dict[str, int]:
    """Mentions of each of `names` in `text`, minus those in the import statements."""
    out: dict[str, int] = {}
    for name in dict.fromkeys(names[:MAX_NAMES]):
        if not name or name == "*" or name not in text:
            continue
        n = 0
        for m in _word_end(name).finditer(text):
            start = m.start()
            before = text[start - 1] if start else ""
            if before.isalnum() or before in "_.$":
                continue
            n += 1
        n -= import_mentions.get(name, 0)
        if n > 0:
            out[name] = n
    return out


def count_attributes(text: str, alias: str) -> dict[str, int]:
    """`alias.Name` mentions by Name (a Go package's exported names, a namespace import's)."""
    if not alias or alias + "." not in text:
        return {}
    found = re.findall(r"(?<![\w.$])" + re.escape(alias) + r"\.([A-Za-z_$][\w$]*)", text)
    return dict(Counter(found))
