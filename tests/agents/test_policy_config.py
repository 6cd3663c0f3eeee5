"""Governance (policy file, violations) and model configuration (files, env, precedence)."""

from __future__ import annotations

from pathlib import Path

import pytest

from swath.agents.base import ModelTaskFailed
from swath.agents.config import ConfigError, ModelConfig, load_model_config, workflow_models
from swath.agents.llm import AnthropicRunner
from swath.agents.policy import (
    Policy,
    PolicyError,
    apply_policy_limits,
    check_workflow,
    load_policy,
)
from swath.spec.models import Limits, Workflow
from tests.agents.conftest import Recorder, make_task
from tests.fake_anthropic import FakeAnthropicServer
from tests.fake_anthropic.fixtures import config_for


def workflow(**overrides: object) -> Workflow:
    data: dict[str, object] = {
        "name": "review-diff",
        "limits": {"concurrency": 32, "max_agents": 500, "budget_usd": 5.0},
        "steps": [
            {
                "id": "files",
                "kind": "discover",
                "source": "files",
                "with": {"paths": ["src", ".env"]},
            },
            {
                "id": "review",
                "kind": "map",
                "from": "files",
                "agent": {
                    "instructions": "Review {{ item.path }}",
                    "tools": ["read_file", "git_diff"],
                    "output": "findings",
                },
            },
            {
                "id": "check",
                "kind": "verify",
                "from": "review",
                "second_opinion": {
                    "instructions": "Check it",
                    "tools": ["grep"],
                    "model": "claude-opus-5-5",
                },
            },
            {
                "id": "report",
                "kind": "reduce",
                "from": "check",
                "agent": {"instructions": "Summarise", "output": None},
            },
            {"id": "out", "kind": "emit", "from": "report"},
        ],
    }
    data.update(overrides)
    return Workflow.model_validate(data)


POLICY_YAML = """\
allowed_tools: [read_file, grep, list_dir]
denied_paths: [".env", "infra/**"]
allowed_models: ["claude-haiku-*", "claude-sonnet-*"]
max_concurrency: 16
max_agents_per_run: 200
max_budget_usd: 2.5
"""


def test_policy_refuses_a_workflow_naming_each_rule(tmp_path: Path) -> None:
    (tmp_path / ".swath").mkdir()
    (tmp_path / ".swath/policy.yaml").write_text(POLICY_YAML, encoding="utf-8")
    policy = load_policy(tmp_path)
    wf = workflow()
    models = workflow_models(wf, ModelConfig())
    assert models == {
        "review": "claude-haiku-5-5",
        "check.second_opinion": "claude-opus-5-5",
        "report": "claude-sonnet-5-5",
    }
    violations = check_workflow(policy, wf, wf.limits, models)
    rules = sorted((v.rule, v.step) for v in violations)
    assert rules == [
        ("allowed_models", "check.second_opinion"),
        ("allowed_tools", "review"),
        ("denied_paths", "files"),
        ("max_agents_per_run", None),
        ("max_budget_usd", None),
        ("max_concurrency", None),
    ]
    text = "\n".join(str(v) for v in violations)
    assert "policy rule allowed_tools (.swath/policy.yaml): step 'review': uses git_diff" in text
    assert "concurrency 32 exceeds 16" in text


def test_a_compliant_workflow_passes_and_the_budget_ceiling_fills_in(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.swath.policy]\nallowed_tools = ["read_file", "git_diff", "grep"]\nmax_budget_usd = 3.0\nrequire_budget = true\n',
        encoding="utf-8",
    )
    policy = load_policy(tmp_path)
    assert policy.source == "pyproject.toml [tool.swath.policy]"
    wf = workflow(limits={"concurrency": 8})
    models = workflow_models(wf, ModelConfig())
    assert [v.rule for v in check_workflow(policy, wf, wf.limits, models)] == ["require_budget"]
    limits = apply_policy_limits(policy, wf.limits)
    assert limits.budget_usd == 3.0
    assert check_workflow(policy, wf, limits, models) == []
    assert check_workflow(Policy(), wf, Limits.model_validate({}), models) == []


def test_a_broken_policy_file_is_an_error_not_an_empty_policy(tmp_path: Path) -> None:
    (tmp_path / ".swath").mkdir()
    (tmp_path / ".swath/policy.yaml").write_text("max_concurrency: lots\n", encoding="utf-8")
    with pytest.raises(PolicyError):
        load_policy(tmp_path)
    (tmp_path / ".swath/policy.yaml").write_text(
        "allowed_tool: [read_file]\n", encoding="utf-8"
    )  # a typo
    with pytest.raises(PolicyError):
        load_policy(tmp_path)
    (tmp_path / ".swath/policy.yaml").write_text("[unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyError):
        load_policy(tmp_path)


async def test_the_runner_enforces_the_policy_too(
    fake_anthropic: FakeAnthropicServer, recorder: Recorder
) -> None:
    policy = Policy(allowed_models=["claude-sonnet-*"], allowed_tools=["grep"])
    runner = AnthropicRunner.create(config_for(fake_anthropic), api_key="k", policy=policy)
    try:
        with pytest.raises(ModelTaskFailed, match="not allowed by the policy"):
            await runner.run(make_task(), recorder.env())
        task = make_task(model="claude-sonnet-5-5", tools=["read_file", "grep"])
        await runner.run(task, recorder.env())
        [request] = fake_anthropic.message_requests()
        assert [t["name"] for t in request.body["tools"]] == ["grep", "submit_result"]
    finally:
        await runner.aclose()


def test_config_precedence(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.swath.model]\nmap = "from-pyproject"\nreduce = "reduce-pyproject"\nmax_retries = 1\n'
        "[tool.swath.prices.from-pyproject]\ninput = 20.0\noutput = 100.0\n",
        encoding="utf-8",
    )
    (tmp_path / ".swath").mkdir()
    (tmp_path / ".swath/config.yaml").write_text(
        "model:\n  map: from-yaml\n  timeout_s: 30\n  deny_paths: ['private/**']\nprices:\n  from-yaml: {input: 30, output: 120}\n",
        encoding="utf-8",
    )
    cfg = load_model_config(tmp_path, environ={})
    assert (cfg.model_map, cfg.model_reduce, cfg.max_retries, cfg.timeout_s) == (
        "from-yaml",
        "reduce-pyproject",
        1,
        30.0,
    )
    assert cfg.deny_paths == ["private/**"]
    assert set(cfg.prices) == {"from-pyproject", "from-yaml"}
    cfg = load_model_config(
        tmp_path, environ={"SWATH_MODEL_MAP": "from-env", "ANTHROPIC_BASE_URL": "http://x"}
    )
    assert cfg.model_map == "from-env" and cfg.base_url == "http://x"
    cfg = load_model_config(
        tmp_path,
        {"model_map": "from-flag", "max_retries": None},
        environ={"SWATH_MODEL_MAP": "from-env"},
    )
    assert cfg.model_map == "from-flag" and cfg.max_retries == 1
    assert cfg.model_for_tier("verify") == "reduce-pyproject"
    assert cfg.api_key({"ANTHROPIC_API_KEY": " "}) is None


def test_config_errors_name_the_problem(tmp_path: Path) -> None:
    (tmp_path / ".swath").mkdir()
    (tmp_path / ".swath/config.yaml").write_text("model:\n  mpa: typo\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mpa"):
        load_model_config(tmp_path, environ={})
    cfg = load_model_config(
        tmp_path / "nowhere", environ={"MY_KEY": "k"}, overrides={"api_key_env": "MY_KEY"}
    )
    assert cfg.api_key({"MY_KEY": "k"}) == "k"


def test_default_models_are_current() -> None:
    import warnings

    from anthropic._data import DEPRECATED_MODELS

    cfg = ModelConfig()
    for model in (cfg.model_map, cfg.model_reduce):
        assert model not in DEPRECATED_MODELS
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from typing import get_args

        from anthropic.types.model_param import ModelParam

        known = get_args(get_args(ModelParam)[0])
        assert cfg.model_map in known and cfg.model_reduce in known
