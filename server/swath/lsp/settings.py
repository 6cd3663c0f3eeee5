"""The server's settings: typed, validated, and never fatal.

Precedence, lowest first: defaults < `initializationOptions` < `workspace/didChangeConfiguration`
(or what `workspace/configuration` answers for the `swath` section). A setting that does not
validate is reported to the user and replaced by its default; the valid ones still apply.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

SECTION = "swath"

# Editor settings can come from a file in the workspace (`.vscode/settings.json`), which a
# cloned repository controls: nothing here may choose where the API key is read from or sent.
REFUSED = {
    "api_key_env": "swath.api_key_env is not read from editor settings (a repository's settings "
    "file could set it); set it under `model:` in ~/.config/swath/config.yaml; ignored",
    "apiKeyEnv": "swath.apiKeyEnv is not read from editor settings (a repository's settings file "
    "could set it); set `api_key_env` under `model:` in ~/.config/swath/config.yaml, or put the "
    "key in ANTHROPIC_API_KEY; ignored",
}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    engine: Literal["auto", "static", "model"] = Field(
        "auto",
        description="static: offline analyzers only; model: require a model; auto: model when configured.",
    )
    model: str | None = Field(
        None, description="Model for every tier (overrides the workspace configuration)."
    )
    concurrency: int | None = Field(None, ge=1, le=256, description="Agents running at once.")
    max_agents: int | None = Field(None, ge=1, description="Refuse a run that needs more agents.")
    budget_usd: float | None = Field(
        None, ge=0, description="Stop starting model agents past this spend."
    )
    open_report: bool = Field(True, description="Open the run's Markdown report when a run ends.")
    max_diagnostics_per_file: int = Field(
        500, ge=1, le=10_000, description="More findings in one file are summarised."
    )

    def model_overrides(self) -> dict[str, Any]:
        """What the model configuration takes from these settings (see swath.agents.config)."""
        out: dict[str, Any] = {}
        if self.model:
            out["model_map"] = out["model_reduce"] = self.model
        return out


def _section(raw: Any) -> Any:
    """Editors send either `{"swath": {...}}` or the section itself."""
    if isinstance(raw, dict) and SECTION in raw and isinstance(raw[SECTION], (dict, type(None))):
        return raw[SECTION] or {}
    return raw


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from an editor's payload layered over `base`, and what was wrong with it.

    Never raises: an invalid value falls back to `base` (or the default) and is reported.
    """
    base = base or Settings()
    data = _section(raw)
    if data is None:
        return base, []
    if not isinstance(data, dict):
        return base, [
            f"swath settings must be an object, got {type(data).__name__}; using the previous settings"
        ]
    refused = [REFUSED[k] for k in data if k in REFUSED]
    data = {k: v for k, v in data.items() if k not in REFUSED}
    merged = {**base.model_dump(by_alias=True), **data}
    try:
        return Settings.model_validate(merged), refused
    except ValidationError as exc:
        problems, bad = list(refused), set()
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else "?"
            bad.add(key)
            if err["type"] == "extra_forbidden":
                known = ", ".join(Settings.model_json_schema(by_alias=True)["properties"])
                problems.append(f"unknown setting swath.{key} (known: {known}); ignored")
            else:
                problems.append(
                    f"setting swath.{key}: {err['msg']} (got {err.get('input')!r}); using the default"
                )
        kept = {k: v for k, v in merged.items() if k not in bad}
        try:
            return Settings.model_validate(kept), problems
        except ValidationError:  # cannot happen with only known, valid keys; be safe anyway
            return base, problems
