"""Analyzers by name: the built-ins plus any third party's, through the entry-point group
`swath.analyzers` (`name = "package.module:AnalyzerClass"`)."""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import import_module
from importlib.metadata import entry_points

from swath.analyzers.base import Analyzer

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "swath.analyzers"

# name -> "module:Class"; imported lazily so listing names stays cheap.
BUILTIN: dict[str, str] = {
    "todo-comments": "swath.analyzers.todo:TodoComments",
    "todo-report": "swath.analyzers.todo:TodoReport",
    "flag-classify": "swath.analyzers.flags.analyzer:FlagClassify",
    "flag-plan": "swath.analyzers.flags.plan:FlagPlan",
    "symbols": "swath.analyzers.symbols:Symbols",
    "module-map": "swath.analyzers.symbols:ModuleMap",
    "diff-review": "swath.analyzers.review:DiffReview",
    "review-summary": "swath.analyzers.review:ReviewSummary",
}


def register_builtin(name: str, target: str) -> None:
    BUILTIN[name] = target
    available.cache_clear()


@lru_cache(maxsize=1)
def available() -> dict[str, str]:
    names = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        names.setdefault(ep.name, ep.value)
    return names


def names() -> set[str]:
    return set(available())


def get(name: str) -> Analyzer:
    target = available().get(name)
    if target is None:
        raise KeyError(f"unknown analyzer {name!r}; known: {', '.join(sorted(available()))}")
    module, _, attr = target.partition(":")
    obj = getattr(import_module(module), attr)
    return obj() if isinstance(obj, type) else obj
