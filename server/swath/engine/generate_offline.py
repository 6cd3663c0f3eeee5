"""`swath new` without a model: the closest existing workflow as a starting point.

No model means no new shape; what can be done honestly is to find the shipped example or
built-in whose description and inputs are closest to the prompt (words they share, rarer
words weighing more), say which and why, copy it under the new name, and fill the little
the prompt states outright: a quoted identifier replaces the one the example's own
description marks as its stand-in (`payments_v1` in deprecated-api), and "N days" sets an
integer input named for days (todo-audit's `max_age_days`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

STOPWORDS = frozenset(
    """a an and are as at be by each every find for from give has have how i in into is it its
    list me my not of on or our show so that the their them then there these this those to
    us we what when where which whether who why will with without workflow you your all any
    code repo repository project files file make want need""".split()
)
# Below this, the prompt shares nothing meaningful with any candidate: copying one would
# pretend an answer.
MIN_SCORE = 0.5


class Candidate(BaseModel):
    name: str
    path: Path
    builtin: bool
    description: str
    text: str
    words: Counter[str] = Field(default_factory=Counter)


class Fill(BaseModel):
    what: str  # said to the user: "`max_age_days` = 90 (from "90 days")"


class OfflineChoice(BaseModel):
    name: str  # the chosen workflow's own name
    path: str
    score: float
    shared: list[str]  # the prompt's words it matched, strongest first
    runner_up: str | None = None
    fills: list[Fill] = Field(default_factory=list)

    def reason(self) -> str:
        why = ", ".join(f"“{w}”" for w in self.shared[:5])
        second = f"; next closest: {self.runner_up}" if self.runner_up else ""
        return f"closest by its description and inputs ({why}){second}"


class NoCloseWorkflow(ValueError):
    """Nothing shipped is close to the prompt."""


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def words(text: str) -> Counter[str]:
    found = re.findall(r"[a-z][a-z0-9]+", text.lower().replace("_", " "))
    return Counter(_stem(w) for w in found if w not in STOPWORDS)


def candidate(path: Path, builtin: bool) -> Candidate | None:
    text = path.read_text(encoding="utf-8")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        return None
    described = [str(doc.get("description", "")), doc["name"].replace("-", " ")]
    for key, spec in (doc.get("inputs") or {}).items():
        described += [str(key), str((spec or {}).get("description", ""))]
    for step in doc.get("steps") or []:
        if isinstance(step, dict):
            described.append(str(step.get("title", "")))
    return Candidate(
        name=doc["name"],
        path=path,
        builtin=builtin,
        description=str(doc.get("description", "")),
        text=text,
        words=words(" ".join(described)),
    )


def choose(prompt: str, candidates: list[Candidate]) -> tuple[Candidate, OfflineChoice]:
    asked = words(prompt)
    if not asked or not candidates:
        raise NoCloseWorkflow("the prompt names nothing to match")
    # Rarer words say more: "environment" picks one workflow, "function" several.
    df = Counter(w for c in candidates for w in set(c.words))
    idf = {w: math.log((1 + len(candidates)) / (1 + df[w])) + 1 for w in asked}
    scored = []
    for c in candidates:
        shared = [w for w in asked if w in c.words]
        score = sum(idf[w] for w in shared) / math.sqrt(sum(idf.values()))
        scored.append((score, sorted(shared, key=lambda w: -idf[w]), c))
    scored.sort(key=lambda s: (-s[0], s[2].name))
    score, shared, best = scored[0]
    if score < MIN_SCORE:
        raise NoCloseWorkflow(
            "no shipped workflow is close to the prompt "
            f"(best: {best.name}, sharing {', '.join(shared) or 'no words'})"
        )
    runner_up = scored[1][2].name if len(scored) > 1 and scored[1][0] > 0 else None
    choice = OfflineChoice(
        name=best.name,
        path=str(best.path),
        score=round(score, 3),
        shared=shared,
        runner_up=runner_up,
    )
    return best, choice


def fill(prompt: str, best: Candidate, new_name: str) -> tuple[str, list[Fill]]:
    """The chosen workflow's text under `new_name`, with what the prompt states filled in."""
    text = re.sub(r"(?m)^name:.*$", f"name: {new_name}", best.text, count=1)
    fills: list[Fill] = []
    quoted = re.findall(r"[`'\"]([A-Za-z_][\w.]*)[`'\"]", prompt)
    stand_ins = [
        s
        for s in re.findall(r"`([A-Za-z_]\w*)(?:\.[\w.()]*)?`", best.description)
        if s.upper() != s  # METHOD-style placeholders are not stand-ins
    ]
    if quoted and stand_ins:
        old, new = stand_ins[0], quoted[0]
        body, n = re.subn(rf"(?<![\w.]){re.escape(old)}(?!\w)", new, body_of(text))
        if n:
            text = header_of(text) + body
            fills.append(Fill(what=f"`{old}` → `{new}` (quoted in the prompt), {n} places"))
    days = re.search(r"\b(\d{1,5})\s*days?\b", prompt)
    if days:
        doc = yaml.safe_load(text)
        for key, spec in (doc.get("inputs") or {}).items():
            if key.endswith("days") and (spec or {}).get("type") == "integer":
                text, n = re.subn(
                    rf"(?m)^(\s+{re.escape(key)}:\n(?:\s+\w+:.*\n)*?\s+default:)\s*\d+",
                    rf"\g<1> {days.group(1)}",
                    text,
                    count=1,
                )
                if n:
                    fills.append(Fill(what=f"`{key}` = {days.group(1)} (from “{days.group(0)}”)"))
    return text, fills


def header_of(text: str) -> str:
    """The leading comment lines (kept as they are: they describe the original)."""
    m = re.match(r"(?:#.*\n)*", text)
    return m.group(0) if m else ""


def body_of(text: str) -> str:
    return text[len(header_of(text)) :]
