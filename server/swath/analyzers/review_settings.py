"""The repository's own review setting: `.swath/review.yaml`, or `[tool.swath.review]` in
pyproject.toml (the YAML file wins when both exist).

    passes: [security, correctness]      # the passes that run (default: all)
    disable: [ruff/S608, review/tests/*]  # rules switched off (a trailing * matches a prefix)
    tests: ["qa/**"]                      # more paths that hold tests (gitignore globs)
    test_data: ["samples/"]               # more paths that hold test data (not reviewed)
    generated: ["gen/**"]                 # more paths of generated code (secrets checked only)

A setting that does not validate is an error naming the file, line and column, not a
silent default: the user wrote it to change what the review does.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from swath.analyzers.review_passes import PASSES, PassError, parse_passes

YAML_PATH = ".swath/review.yaml"


class ReviewSettingError(ValueError):
    """The repository's review setting is not valid; the message says where and why."""


class ReviewSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passes: list[str] = Field(default_factory=lambda: list(PASSES))
    disable: list[str] = Field(default_factory=list)
    tests: list[str] = Field(default_factory=list)
    test_data: list[str] = Field(default_factory=list)
    generated: list[str] = Field(default_factory=list)
    source: str | None = Field(None, exclude=True, description="Where the setting was read.")

    @field_validator("passes", mode="before")
    @classmethod
    def _passes(cls, value: object) -> list[str]:
        if isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            try:
                return parse_passes(value, "passes")
            except PassError as exc:
                raise ValueError(str(exc)) from None
        raise ValueError("passes: a list of pass names")

    def rule_disabled(self, rule: str, extra: list[str] | None = None) -> bool:
        for d in [*self.disable, *(extra or [])]:
            if d == rule or (d.endswith("*") and rule.startswith(d[:-1])):
                return True
            if not d.startswith(("ruff/", "review/")) and rule == f"ruff/{d}":  # a bare ruff code
                return True
        return False


def _yaml_setting(path: Path) -> ReviewSettings:
    # ruamel only for a repository with the setting file: most reviews read none.
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    text = path.read_text(encoding="utf-8")
    try:
        data = YAML(typ="rt").load(text) or {}
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{YAML_PATH}:{mark.line + 1}:{mark.column + 1}" if mark else YAML_PATH
        raise ReviewSettingError(f"{where}: {exc.problem}") from None
    if not isinstance(data, dict):
        raise ReviewSettingError(f"{YAML_PATH}:1:1: expected a mapping of settings")
    try:
        return ReviewSettings.model_validate({**data, "source": YAML_PATH})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = err["loc"][0] if err["loc"] else None
        line, col = 1, 1
        lc = getattr(data, "lc", None)
        if lc is not None and key in data:
            pos = lc.key(key)
            line, col = pos[0] + 1, pos[1] + 1
        raise ReviewSettingError(f"{YAML_PATH}:{line}:{col}: {key}: {err['msg']}") from None


def _pyproject_setting(path: Path) -> ReviewSettings | None:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ReviewSettingError(f"pyproject.toml: {exc}") from None
    table = data.get("tool", {}).get("swath", {}).get("review")
    if table is None:
        return None
    try:
        return ReviewSettings.model_validate({**table, "source": "pyproject.toml"})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ReviewSettingError(
            f"pyproject.toml: [tool.swath.review] {key}: {err['msg']}"
        ) from None


@lru_cache(maxsize=32)
def _cached(root: str, stamp: tuple[tuple[str, int, int], ...]) -> ReviewSettings:
    base = Path(root)
    if (base / YAML_PATH).is_file():
        return _yaml_setting(base / YAML_PATH)
    if (base / "pyproject.toml").is_file():
        found = _pyproject_setting(base / "pyproject.toml")
        if found is not None:
            return found
    return ReviewSettings()


def load_settings(root: Path) -> ReviewSettings:
    """The setting of the repository at `root` (re-read when either file changes)."""
    stamp = []
    for rel in (YAML_PATH, "pyproject.toml"):
        try:
            st = (root / rel).stat()
            stamp.append((rel, st.st_mtime_ns, st.st_size))
        except OSError:
            continue
    return _cached(str(root), tuple(stamp))
