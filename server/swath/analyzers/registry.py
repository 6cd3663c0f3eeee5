"""Analyzers by name: the built-ins plus any third party's, through the entry-point group
`swath.analyzers` (`name = "package.module:AnalyzerClass"`)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from swath.analyzers.base import Analyzer
from swath.plugins import EntryPointRegistry

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
    "review-merge": "swath.analyzers.review_report:ReviewMerge",
    "review-summary": "swath.analyzers.review_report:ReviewSummary",
    # generic building blocks: rules written as data in the workflow
    "ast-grep": "swath.analyzers.blocks.astgrep:AstGrep",
    "regex": "swath.analyzers.blocks.regex:Regex",
    "catalogue": "swath.analyzers.blocks.catalogue:Catalogue",
}


_registry = EntryPointRegistry(ENTRY_POINT_GROUP, BUILTIN, "analyzer")


def register_builtin(name: str, target: str) -> None:
    _registry.register(name, target)


def available() -> dict[str, str]:
    return _registry.available()


def names() -> set[str]:
    return _registry.names()


def param_models() -> Mapping[str, type[BaseModel]]:
    """Each analyzer's declared `params:` (`params_model`), by analyzer name."""
    return _registry.declared_lazily("params_model")


def get(name: str) -> Analyzer:
    return _registry.get(name)  # type: ignore[no-any-return]
