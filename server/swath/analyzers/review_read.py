"""A changed file's text and lines, split once for all the review's passes.

The passes are separate map steps over the same files, each task reading the same file.
Every read is the workspace's own (`Workspace.read_text`: the symlink and deny checks, no
FIFO), so a file changed between two passes is seen changed. What is kept is the work
after it: when the text is the one read last time, its lines (and the very same string,
whose hash Python has already computed for the checks' memo) are handed back.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from swath.analyzers.sourcetext import split_lines
from swath.workspace import Workspace

MEMO_SIZE = 256  # files; a review's five passes read each file within seconds

_memo: OrderedDict[tuple[str, str], tuple[str, list[str]]] = OrderedDict()
_lock = threading.Lock()


def read_lines(ws: Workspace, rel: str) -> tuple[str, list[str]]:
    """The file's text (as `Workspace.read_text`, raising as it does) and its lines the LSP
    way. The lines are shared between callers: read them, never change them."""
    text = ws.read_text(rel)
    key = (str(ws.root), rel)
    with _lock:
        hit = _memo.get(key)
        if hit is not None and hit[0] == text:
            _memo.move_to_end(key)
            return hit
    lines = split_lines(text)
    with _lock:
        _memo[key] = (text, lines)
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    return text, lines
