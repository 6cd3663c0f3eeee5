"""How the model agents are configured: which API, which models, which limits.

Precedence, lowest first (each layer overrides the keys it sets):

1. built-in defaults (this module);
2. the user's own `model:` and `prices:` in `$XDG_CONFIG_HOME/swath/config.yaml`
   (`~/.config/swath/config.yaml`);
3. `[tool.swath.model]` and `[tool.swath.prices]` in the workspace's `pyproject.toml`;
4. the `model:` and `prices:` sections of the workspace's `.swath/config.yaml` (a workspace
   price may only raise a rate: see `_raises_only`);
5. environment variables (`ANTHROPIC_BASE_URL`, `SWATH_MODEL_MAP`, `SWATH_MODEL_REDUCE`,
   `SWATH_MODEL_VERIFY`, `SWATH_MAX_RETRIES`, `SWATH_TIMEOUT_S`);
6. the `overrides` passed by the caller (command-line flags).

Credentials come only from the user: where requests go (`base_url`) and which environment
variable holds the key (`api_key_env`) are read from the environment, the user's own config
and the caller, never from files in the workspace. A cloned repository is not trusted: a
committed `.swath/config.yaml` that set `base_url: https://evil` and `api_key_env: GITHUB_TOKEN`
would otherwise send the user's token to a host of its choosing. A workspace file that tries is
ignored and reported (`ModelConfig.ignored_settings`). The key itself is never read from any file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from swath.agents.capabilities import Effort
from swath.agents.pricing import ModelPrice, PriceTable
from swath.spec.models import Workflow

# Current, non-deprecated models (anthropic 2.14 lists them in `types.model_param` and marks
# none of these in `_data.deprecated_models`): a fast, cheap one for the wide `map` fan-out
# and a stronger one for synthesis (`reduce`) and second opinions (`verify`).
DEFAULT_MODEL_MAP = "claude-haiku-5-5"
DEFAULT_MODEL_REDUCE = "claude-sonnet-5-5"

ENV_PREFIX = "SWATH_"

# Keys that decide where the user's key goes: only the user may set them (see the docstring).
CREDENTIAL_KEYS = ("api_key_env", "base_url")


class ConfigError(ValueError):
    """A configuration file that does not parse or does not validate; names the file."""


class ModelConfig(BaseModel):
    """Everything the model runner needs to know besides the task itself."""

    model_config = ConfigDict(extra="forbid")

    api_key_env: str = Field(
        default="ANTHROPIC_API_KEY", description="Environment variable holding the API key."
    )
    base_url: str | None = Field(
        default=None, description="API base URL; default ANTHROPIC_BASE_URL or the SDK's."
    )
    # In files these are spelled `map`, `reduce` and `verify` (see `_canonical`).
    model_map: str = Field(default=DEFAULT_MODEL_MAP, description="Model of `map` tasks.")
    model_reduce: str = Field(default=DEFAULT_MODEL_REDUCE, description="Model of `reduce` tasks.")
    model_verify: str | None = Field(
        default=None, description="Model of second opinions; defaults to the reduce model."
    )
    max_retries: int = Field(
        default=4, ge=0, le=20, description="SDK retries on 429/5xx/connection errors."
    )
    timeout_s: float = Field(default=120.0, gt=0, description="Per-request timeout.")
    max_tokens_per_agent: int = Field(
        default=200_000,
        ge=1000,
        description="Tokens (input, output and cache) one agent may use before it must answer.",
    )
    max_tool_result_chars: int = Field(
        default=20_000, ge=1000, description="Tool results longer than this are cut."
    )
    max_context_chars: int = Field(
        default=200_000,
        ge=1000,
        description="Items, records and facts given up front are cut past this size.",
    )
    deny_paths: list[str] = Field(
        default_factory=list,
        description="Extra gitignore-style patterns no tool may read (added to the defaults).",
    )
    structured_output: str = Field(
        default="auto",
        pattern="^(auto|tool|json_schema)$",
        description="How the final answer is constrained: a strict `submit_result` tool, the API's "
        "JSON-schema output format, or auto (tool for agents with tools, json_schema otherwise).",
    )
    force_answer_tool: bool = Field(
        default=True,
        description="Force `submit_result` (tool_choice) on the final turn where the model accepts a "
        "forced tool choice (see `swath.agents.capabilities`). Models that think by default reject "
        "it: there the final turn forbids tools and constrains the answer with `output_config.format`.",
    )
    max_tokens_map: int = Field(
        default=16_000, ge=1, description="`max_tokens` of map replies (thinking included)."
    )
    max_tokens_reduce: int = Field(
        default=32_000, ge=1, description="`max_tokens` of reduce replies (thinking included)."
    )
    max_tokens_verify: int = Field(
        default=16_000, ge=1, description="`max_tokens` of second opinions (thinking included)."
    )
    effort_map: Effort | None = Field(
        default="low",
        description="`output_config.effort` of map tasks (None: the model's default).",
    )
    effort_reduce: Effort | None = Field(
        default="high", description="`output_config.effort` of reduce tasks."
    )
    effort_verify: Effort | None = Field(
        default="high", description="`output_config.effort` of second opinions."
    )
    strict_tools: bool = Field(
        default=True,
        description="Mark the submit tool `strict` so the API enforces its schema while decoding.",
    )
    prices: dict[str, ModelPrice] = Field(
        default_factory=dict, description="Price overrides per model."
    )
    # What a workspace file tried to set and was refused (reported by the front ends).
    _ignored: list[str] = PrivateAttr(default_factory=list)

    @property
    def ignored_settings(self) -> list[str]:
        return list(self._ignored)

    def max_tokens_for_tier(self, tier: str) -> int:
        return {"map": self.max_tokens_map, "verify": self.max_tokens_verify}.get(
            tier, self.max_tokens_reduce
        )

    def effort_for_tier(self, tier: str) -> Effort | None:
        if tier == "map":
            return self.effort_map
        if tier == "verify":
            return self.effort_verify
        return self.effort_reduce

    def model_for_tier(self, tier: str) -> str:
        if tier == "map":
            return self.model_map
        if tier == "verify":
            return self.model_verify or self.model_reduce
        return self.model_reduce

    def api_key(self, environ: Mapping[str, str] | None = None) -> str | None:
        env = os.environ if environ is None else environ
        key = env.get(self.api_key_env, "").strip()
        return key or None


def resolve_model(
    config: ModelConfig,
    tier: str,
    agent_model: str | None = None,
    workflow_model: str | None = None,
) -> str:
    """The model a task runs on: the step's own, else the workflow's, else the tier default."""
    return agent_model or workflow_model or config.model_for_tier(tier)


def workflow_models(workflow: Workflow, config: ModelConfig) -> dict[str, str]:
    """The model each model step of `workflow` would call, by step id (second opinions as
    `<step>.second_opinion`). Steps without model instructions call no model."""
    out: dict[str, str] = {}
    for step in workflow.steps:
        agent = getattr(step, "agent", None)
        if agent is not None and agent.instructions:
            tier = "reduce" if step.kind == "reduce" else "map"
            out[step.id] = resolve_model(config, tier, agent.model, workflow.model)
        second = getattr(step, "second_opinion", None)
        if second is not None and second.instructions:
            out[f"{step.id}.second_opinion"] = resolve_model(
                config, "verify", second.model, workflow.model
            )
    return out


def _read_pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    import tomllib  # here: a tree without the file never needs the parser

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    swath = data.get("tool", {}).get("swath", {})
    return swath if isinstance(swath, dict) else {}


def read_yaml_file(path: Path) -> dict[str, Any]:
    """A YAML mapping from `path`, {} when the file is absent."""
    if not path.is_file():
        return {}
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from swath.spec.yaml_bounds import check_yaml_bounds

    try:
        text = path.read_text(encoding="utf-8")
        check_yaml_bounds(text)
        data = YAML(typ="safe", pure=True).load(text)
    except (YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _section(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: `{key}` must be a mapping")
    return value


def _env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    if environ.get("ANTHROPIC_BASE_URL"):
        layer["base_url"] = environ["ANTHROPIC_BASE_URL"]
    for name, key in (
        ("MODEL_MAP", "model_map"),
        ("MODEL_REDUCE", "model_reduce"),
        ("MODEL_VERIFY", "model_verify"),
        ("MAX_RETRIES", "max_retries"),
        ("TIMEOUT_S", "timeout_s"),
        ("MAX_TOKENS_PER_AGENT", "max_tokens_per_agent"),
    ):
        value = environ.get(ENV_PREFIX + name)
        if value:
            layer[key] = value
    return layer


def _canonical(layer: dict[str, Any]) -> dict[str, Any]:
    """Aliases (`map`, `reduce`) to field names so later layers override earlier ones."""
    aliases = {"map": "model_map", "reduce": "model_reduce", "verify": "model_verify"}
    return {aliases.get(k, k): v for k, v in layer.items()}


def user_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The user's own config file: `$XDG_CONFIG_HOME/swath/config.yaml`, else under `~/.config`."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or os.path.join(
        env.get("HOME") or str(Path.home()), ".config"
    )
    return Path(base) / "swath" / "config.yaml"


def _untrusted(
    layer: dict[str, Any], source: str, ignored: list[str], user_path: Path
) -> dict[str, Any]:
    """`layer` without the credential keys, each refusal noted with where it came from."""
    for key in CREDENTIAL_KEYS:
        if key in layer:
            ignored.append(
                f"{source}: `{key}` ignored: a workspace file may not say where the API key is "
                f"read from or sent; set it in {user_path} or the environment instead"
            )
    return {k: v for k, v in layer.items() if k not in CREDENTIAL_KEYS}


def _raises_only(
    layer: dict[str, Any], source: str, base: Mapping[str, Any], ignored: list[str]
) -> dict[str, Any]:
    """The workspace's price entries that raise no rate below what the user (or the built-in
    table) charges; a cheaper one would let a cloned repository defeat the user's budget."""
    try:
        table = PriceTable(base)
    except ValidationError as exc:
        raise ConfigError(f"prices: {exc}") from exc
    kept: dict[str, Any] = {}
    for model, raw in layer.items():
        try:
            price = ModelPrice.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"{source}: prices.{model}: {exc}") from exc
        if price.raises_only(table.price_for(str(model), warn=False)):
            kept[model] = raw
        else:
            ignored.append(
                f"{source}: `prices.{model}` ignored: a workspace file may only raise a price, "
                "never lower one (a budget must not be defeated by a cloned repository); set "
                "lower prices in your own config"
            )
    return kept


def load_model_config(
    workspace_root: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ModelConfig:
    """The effective model configuration of a workspace (see the module docstring for precedence)."""
    env = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    prices: dict[str, Any] = {}
    ignored: list[str] = []
    user_path = user_config_path(env)
    user = read_yaml_file(user_path)
    merged.update(_canonical(_section(user, "model", str(user_path))))
    prices.update(_section(user, "prices", str(user_path)))
    if workspace_root is not None:
        root = Path(workspace_root)
        cfg_path = root / ".swath" / "config.yaml"
        # The repository's two places, read in turn, each naming its sections its own way.
        places: list[tuple[Callable[[], dict[str, Any]], str]] = [
            (lambda: _read_pyproject(root), f"{root / 'pyproject.toml'} [tool.swath.{{}}]"),
            (lambda: read_yaml_file(cfg_path), f"{cfg_path} {{}}:"),
        ]
        for read, where in places:
            doc = read()
            source = where.format("model")
            merged.update(
                _untrusted(_canonical(_section(doc, "model", source)), source, ignored, user_path)
            )
            source = where.format("prices")
            prices.update(_raises_only(_section(doc, "prices", source), source, prices, ignored))
    merged.update(_env_layer(env))
    extra = dict(overrides or {})
    prices.update(extra.pop("prices", None) or {})
    merged.update(_canonical({k: v for k, v in extra.items() if v is not None}))
    if prices:
        merged["prices"] = {**(merged.get("prices") or {}), **prices}
    try:
        config = ModelConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(f"model configuration: {exc}") from exc
    config._ignored.extend(ignored)
    return config
