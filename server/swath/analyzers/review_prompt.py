"""The instructions of a pass's model agent, rendered from its template file.

Each pass has its own template, `review_prompts/<pass>.md` (data, not code: edit the
words there), rendered in Jinja's sandbox with the compact diff of the batch (new-side
line numbers, so the agent can quote and cite lines the verify step can check) and the
offline facts of the pass.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from importlib import resources

from swath.analyzers.review_output import ReviewedFile
from swath.items.diff import DiffItemData
from swath.spec.records import Item
from swath.spec.templates import render_prompt

MAX_DIFF_LINES = 1500
DIFF_MEMO_SIZE = 64  # batches; the passes render the same batches one after the other


@lru_cache(maxsize=8)
def pass_template(pass_: str) -> str:
    common = resources.files("swath.analyzers").joinpath("review_prompts/_common.md").read_text()
    own = resources.files("swath.analyzers").joinpath(f"review_prompts/{pass_}.md").read_text()
    return own + "\n" + common


_diff_memo: OrderedDict[tuple[int, ...], tuple[tuple[Item, ...], str]] = OrderedDict()
_diff_lock = threading.Lock()


def compact_diff(items: list[Item], budget: int = MAX_DIFF_LINES) -> str:
    """`path (status)` then each hunk's added lines as `  42 + text`, removed ones as `     - text`.

    Every pass renders the same batches (the very same item objects, from the one
    discovery): the text is made once per batch and handed back while it holds those items."""
    key = (budget, *map(id, items))
    with _diff_lock:
        hit = _diff_memo.get(key)
        if hit is not None and len(hit[0]) == len(items) and all(map(_same, hit[0], items)):
            _diff_memo.move_to_end(key)
            return hit[1]
    text = _compact_diff(items, budget)
    with _diff_lock:
        _diff_memo[key] = (tuple(items), text)  # the items held: their ids stay theirs
        while len(_diff_memo) > DIFF_MEMO_SIZE:
            _diff_memo.popitem(last=False)
    return text


def _same(a: Item, b: Item) -> bool:
    return a is b


def _compact_diff(items: list[Item], budget: int) -> str:
    out: list[str] = []
    for item in items:
        d = DiffItemData.read(item.data)
        if not item.path or not d.hunks:
            continue
        renamed = f", renamed from {d.old_path}" if d.old_path else ""
        out.append(f"=== {item.path} ({d.status}{renamed})")
        for h in d.hunks:
            for text in h.removed:
                out.append(f"     - {text}")
            for n, text in enumerate(h.added, start=h.new_start + 1):
                out.append(f"{n:>5} + {text}")
            if len(out) >= budget:
                out.append("[... the rest of the diff is cut; read it with git_diff ...]")
                return "\n".join(out)
    return "\n".join(out)


def render_pass_prompt(pass_: str, items: list[Item], files: list[ReviewedFile]) -> str:
    facts = [
        {"path": f["path"], "role": f.get("role"), "hits": f.get("hits") or []}
        for f in files
        if not f.get("skipped")
    ]
    return render_prompt(
        pass_template(pass_),
        {
            "pass": pass_,
            "diff": compact_diff(items),
            "files": facts,
            "skipped": [f for f in files if f.get("skipped")],
        },
        persist=True,  # the package's own five templates: compiled once per machine
    )
