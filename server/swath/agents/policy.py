"""Governance: what a repository's owners allow any workflow to do.

A policy lives in `.swath/policy.yaml` or, failing that, in `[tool.swath.policy]` of the
workspace's pyproject.toml. It names the tools agents may use, paths no tool may read,
the models that may be called (glob patterns) and ceilings on concurrency, agents per
run and budget. The engine calls `check_workflow` before a run and refuses to start when
it returns violations; each names the rule broken.

A policy file that does not parse is an error, never an empty policy: failing open would
let a typo switch governance off.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pathspec
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from swath.agents.config import ConfigError, read_yaml_file
from swath.spec.models import Limits, Workflow

POLICY_FILE = Path(".swath") / "policy.yaml"


class PolicyError(ValueError):
    """A policy file that cannot be read or does not validate."""


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allowed_tools: list[str] | None = Field(
        default=None, description="Tools agents may call; None allows every read-only tool."
    )
    denied_paths: list[str] = Field(
        default_factory=list, description="gitignore-style patterns no tool may read."
    )
    allowed_models: list[str] | None = Field(
        default=None, description="Glob patterns of models that may be called."
    )
    max_concurrency: int | None = Field(
        default=None, ge=1, description="No workflow may run more agents at once."
    )
    max_agents_per_run: int | None = Field(
        default=None, ge=1, description="No run may start more agents."
    )
    max_budget_usd: float | None = Field(
        default=None, ge=0, description="No run may be allowed to spend more."
    )
    require_budget: bool = Field(
        default=False, description="Refuse model runs that set no budget at all."
    )
    source: str | None = Field(
        default=None, exclude=True, description="Where the policy was read from."
    )


class PolicyViolation(BaseModel):
    rule: str
    message: str
    step: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        where = f" ({self.source})" if self.source else ""
        step = f"step {self.step!r}: " if self.step else ""
        return f"policy rule {self.rule}{where}: {step}{self.message}"


def _pyproject_tool(path: Path) -> dict[str, Any]:
    import tomllib  # here, not at the top: a tree without a pyproject.toml needs no parser

    tool = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
    return tool if isinstance(tool, dict) else {}


def load_policy(workspace_root: str | os.PathLike[str]) -> Policy:
    root = Path(workspace_root)
    path = root / POLICY_FILE
    try:
        if path.is_file():
            data = read_yaml_file(path)
            data = data.get("policy", data) if isinstance(data.get("policy"), dict) else data
            return Policy.model_validate({**data, "source": str(POLICY_FILE)})
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            section = _pyproject_tool(pyproject).get("swath", {}).get("policy")
            if isinstance(section, dict):
                return Policy.model_validate(
                    {**section, "source": "pyproject.toml [tool.swath.policy]"}
                )
    except ValidationError as exc:  # before ValueError, which it is
        raise PolicyError(
            f"invalid policy in {path if path.is_file() else 'pyproject.toml'}: {exc}"
        ) from exc
    except (ConfigError, ValueError) as exc:  # tomllib's TOMLDecodeError and UnicodeDecodeError
        raise PolicyError(f"cannot read the policy: {exc}") from exc
    return Policy()


def model_allowed(policy: Policy, model: str) -> bool:
    if policy.allowed_models is None:
        return True
    return any(fnmatch.fnmatchcase(model, pattern) for pattern in policy.allowed_models)


def apply_policy_limits(policy: Policy, limits: Limits) -> Limits:
    """Limits with the policy's budget ceiling filled in where the workflow sets none.

    Only a missing budget is filled; a value above a ceiling is left as it is so that
    `check_workflow` reports it rather than silently changing what the user asked for.
    """
    if limits.budget_usd is None and policy.max_budget_usd is not None:
        return limits.model_copy(update={"budget_usd": policy.max_budget_usd})
    return limits


def _agents(workflow: Workflow) -> Iterable[tuple[str, Any]]:
    for step in workflow.steps:
        agent = getattr(step, "agent", None)
        if agent is not None:
            yield step.id, agent
        second = getattr(step, "second_opinion", None)
        if second is not None:
            yield f"{step.id}.second_opinion", second


def _paths_in(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _paths_in(v)


def check_workflow(  # noqa: C901 - one branch per policy rule, in the order the user reads them
    policy: Policy,
    workflow: Workflow,
    effective_limits: Limits,
    models_used: Mapping[str, str] | Iterable[str] = (),
) -> list[PolicyViolation]:
    """Every way the workflow, as it would run, breaks the policy ([] when it complies).

    `models_used` maps step ids to the model each model step will call (see
    `swath.agents.config.workflow_models`), or simply lists the models.
    """
    out: list[PolicyViolation] = []
    src = policy.source

    def violate(rule: str, message: str, step: str | None = None) -> None:
        out.append(PolicyViolation(rule=rule, message=message, step=step, source=src))

    if policy.allowed_tools is not None:
        allowed = set(policy.allowed_tools)
        for step_id, agent in _agents(workflow):
            bad = sorted(set(agent.tools) - allowed)
            if bad:
                violate(
                    "allowed_tools",
                    f"uses {', '.join(bad)}; allowed: {', '.join(sorted(allowed)) or 'none'}",
                    step_id,
                )

    pairs: list[tuple[str | None, str]] = (
        list(models_used.items())
        if isinstance(models_used, Mapping)
        else [(None, m) for m in models_used]
    )
    if policy.allowed_models is not None:
        for model_step, model in pairs:
            if not model_allowed(policy, model):
                violate(
                    "allowed_models",
                    f"model {model!r} is not in {policy.allowed_models}",
                    model_step,
                )

    if policy.max_concurrency is not None and effective_limits.concurrency > policy.max_concurrency:
        violate(
            "max_concurrency",
            f"concurrency {effective_limits.concurrency} exceeds {policy.max_concurrency}",
        )
    if (
        policy.max_agents_per_run is not None
        and effective_limits.max_agents > policy.max_agents_per_run
    ):
        violate(
            "max_agents_per_run",
            f"max_agents {effective_limits.max_agents} exceeds {policy.max_agents_per_run}",
        )
    budget = effective_limits.budget_usd
    if policy.max_budget_usd is not None and budget is not None and budget > policy.max_budget_usd:
        violate("max_budget_usd", f"budget ${budget:g} exceeds ${policy.max_budget_usd:g}")
    if policy.require_budget and budget is None and pairs:
        violate(
            "require_budget",
            "a run that calls a model must set a budget (--budget or limits.budget_usd)",
        )

    if policy.denied_paths:
        spec = pathspec.GitIgnoreSpec.from_lines(policy.denied_paths)
        for step in workflow.steps:
            options = getattr(step, "with_", None) or {}
            for key in ("path", "paths", "include", "files", "glob"):
                for p in _paths_in(options.get(key)):
                    rel = p[2:] if p.startswith("./") else p
                    if rel not in ("", ".") and spec.match_file(rel):
                        violate("denied_paths", f"{key} {p!r} is a denied path", step.id)
    return out
