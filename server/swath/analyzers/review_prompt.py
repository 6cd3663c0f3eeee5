"""The instructions of a pass's model agent, rendered from its template file.

Each pass has its own template, `review_prompts/<pass>.md` (data, not code: edit the
words there), rendered in Jinja's sandbox with the compact diff of the batch (new-side
line numbers, so the agent can quote and cite lines the verify step can check) and the
offline facts of the pass.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from swath.items.diff import DiffItemData
from swath.spec.records import Item
from swath.spec.templates import render_prompt

MAX_DIFF_LINES = 1500


@lru_cache(maxsize=8)
def pass_template(pass_: str) -> str:
    common = resources.files("swath.analyzers").joinpath("review_prompts/_common.md").read_text()
    own = resources.files("swath.analyzers").joinpath(f"review_prompts/{pass_}.md").read_text()
    return own + "\n" + common


def compact_diff(items: list[Item], budget: int = MAX_DIFF_LINES) -> str:
    """`path (status)` then each hunk's added lines as `  42 + text`, removed ones as `     - text`."""
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


def render_pass_prompt(pass_: str, items: list[Item], files: list[dict[str, Any]]) -> str:
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
    )
