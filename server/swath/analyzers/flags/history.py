"""How long a flag has been in its state: `git blame` of the lines that carry it.

The latest change among those lines is when the current state began (a rollout bumped
from 50 to 100 changes the `rollout:` line). Blame runs once per definition file per
content (a LaunchDarkly export holds hundreds of flags), memoised across map tasks of
the same process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, date, datetime

from swath.analyzers.flags.facts import History
from swath.workspace import Workspace
from swath.workspace.workspace import BlameLine

_ZERO = "0" * 40
_lock = threading.Lock()
_blames: OrderedDict[tuple[str, str, str], dict[int, BlameLine]] = OrderedDict()
_MAX = 256


def _blame(ws: Workspace, path: str) -> dict[int, BlameLine]:
    key = (str(ws.root), path, ws.file_hash(path))
    with _lock:
        hit = _blames.get(key)
        if hit is not None:
            _blames.move_to_end(key)
            return hit
    try:
        lines = {b.line: b for b in ws.blame(path)}
    except (OSError, RuntimeError, ValueError):
        lines = {}
    with _lock:
        _blames[key] = lines
        while len(_blames) > _MAX:
            _blames.popitem(last=False)
    return lines


def since(ws: Workspace, places: list[tuple[str, int]], today: str | None = None) -> History:
    """When the newest of `places` ([(path, zero-based line)]) last changed, and how many
    days before `today` (ISO; None: the clock's day)."""
    newest: BlameLine | None = None
    uncommitted = False
    for path, line in places:
        b = _blame(ws, path).get(line)
        if b is None:
            continue
        if b.commit == _ZERO:
            uncommitted = True
            continue
        if newest is None or b.author_time > newest.author_time:
            newest = b
    if newest is None:
        return History(uncommitted=uncommitted)
    when = datetime.fromtimestamp(newest.author_time, tz=UTC)
    day = date.fromisoformat(today) if today else datetime.now(tz=UTC).date()
    return History(
        since=when.date().isoformat(),
        commit=newest.commit[:12],
        author=newest.author,
        age_days=max(0, (day - when.date()).days),
        uncommitted=uncommitted,
    )
