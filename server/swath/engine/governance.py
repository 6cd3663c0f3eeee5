"""The policy applied to one run: limits clamped or refused, models and tools checked.

A ceiling the workflow did not ask to exceed is simply applied (a workflow left at the
default concurrency of 16 runs at 8 under a policy of 8); a value the workflow or the
command line set explicitly above a ceiling is refused with the rule it broke, so nobody
believes they got what they asked for.
"""

from __future__ import annotations

from swath.agents.config import ModelConfig, workflow_models
from swath.agents.policy import Policy, apply_policy_limits, check_workflow
from swath.engine.options import PlanRefused, RunOptions
from swath.spec.models import Limits, Workflow


class PolicyRefused(PlanRefused):
    """The workflow breaks `.swath/policy.yaml`; nothing was started."""


def governed_limits(workflow: Workflow, options: RunOptions, policy: Policy | None) -> Limits:
    limits = options.limits_for(workflow)
    if policy is None:
        return limits
    explicit = set(workflow.limits.model_fields_set)
    explicit |= {
        name for name in ("concurrency", "max_agents") if getattr(options, name) is not None
    }
    update: dict[str, int] = {}
    if policy.max_concurrency is not None and "concurrency" not in explicit:
        update["concurrency"] = min(limits.concurrency, policy.max_concurrency)
    if policy.max_agents_per_run is not None and "max_agents" not in explicit:
        update["max_agents"] = min(limits.max_agents, policy.max_agents_per_run)
    return apply_policy_limits(policy, limits.model_copy(update=update))


def enforce_policy(
    policy: Policy | None,
    workflow: Workflow,
    limits: Limits,
    config: ModelConfig | None,
    use_model: bool,
) -> None:
    if policy is None:
        return
    models = workflow_models(workflow, config or ModelConfig()) if use_model else {}
    violations = check_workflow(policy, workflow, limits, models)
    if violations:
        lines = "\n".join(f"  {v}" for v in violations)
        raise PolicyRefused(
            f"workflow {workflow.name!r} breaks the policy; nothing was run:\n{lines}"
        )
