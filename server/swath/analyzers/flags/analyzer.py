"""`flag-classify`: the map analyzer of the flag audit.

Input: items of the `flags` source (kind `flag`, and `flag-error` for definitions that
could not be read). Output per batch: `BatchFacts` (`{"flags": [...], "errors": [...]}`),
plus findings at every reference and definition of a removal candidate.

Params (the step's `agent.params`, or workflow inputs of the same name):
- `environment`: the environment that decides (default: production, else the only one);
- `annotate_all`: also annotate flags that are not candidates (hint findings with lenses);
- `rewrite`: compute removal edits for the code action (default true).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.analyzers.flags import findings as findings_mod
from swath.analyzers.flags.examine import examine
from swath.analyzers.flags.facts import BatchFacts
from swath.analyzers.flags.references import parsed
from swath.findings.model import Finding
from swath.findings.report import RuleInfo
from swath.items.flags import FlagErrorData, FlagItemData
from swath.spec.records import Item


def _param(ctx: AnalyzerContext, name: str, default: Any) -> Any:
    if name in ctx.params:
        return ctx.params[name]
    return ctx.inputs.get(name, default)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


class FlagClassifyParams(BaseModel):
    """Params of `flag-classify` (each also read from the workflow input of the same name)."""

    model_config = ConfigDict(extra="forbid")
    environment: str | None = Field(
        None, description="Environment whose state decides (default production, else the only one)."
    )
    annotate_all: bool = Field(
        False,
        description="Also annotate flags that are not removal candidates (hints with lenses).",
    )
    rewrite: bool = Field(True, description="Compute removal edits for the code action.")


class FlagClassify:
    name: ClassVar[str] = "flag-classify"
    kind: ClassVar[Literal["map"]] = "map"
    description: ClassVar[str] = (
        "Feature flags: state per environment and since when, every reference and whether it is a check, "
        "removal candidates (fully on/off, unreferenced, undefined) with findings, lenses and removal edits."
    )
    params_model: ClassVar[type[BaseModel]] = FlagClassifyParams
    # 2: definitions carry their whole entries (`units`), which the findings quote.
    version: ClassVar[str] = "2"
    dated: ClassVar[bool] = True  # ages from git blame, counted to today
    rules: ClassVar[list[RuleInfo]] = findings_mod.RULES

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        env = _param(ctx, "environment", None) or None
        annotate_all = _truthy(_param(ctx, "annotate_all", False))
        rewrite = _truthy(_param(ctx, "rewrite", True))
        batch = BatchFacts()
        found: list[Finding] = []
        for item in items:
            if item.kind == "flag-error":
                err = FlagErrorData.model_validate(item.data)
                batch.errors.append(err)
                pf = parsed(ctx.workspace, err.path)
                line_text = (
                    pf.lines[err.line] if pf is not None and err.line < len(pf.lines) else None
                )
                found.append(findings_mod.for_error(err, line_text))
                continue
            if item.kind != "flag":
                continue
            try:
                flag = FlagItemData.model_validate(item.data)
            except ValidationError as exc:
                batch.errors.append(
                    FlagErrorData(path=item.path or item.id, message=f"bad flag item: {exc}")
                )
                continue
            facts = examine(ctx.workspace, flag, env, rewrite=rewrite, today=ctx.today)
            batch.flags.append(facts)
            found += findings_mod.for_flag(facts, annotate_all=annotate_all)
        return AnalyzerOutput(output=batch.model_dump(mode="json"), findings=found)
