"""The definition examples of docs/flags.md (one per file format, and the GrowthBook and
GitLab files of the presets section), read from the document and run through discover:
each must give the states the text beside it says. (The worked examples of homegrown
systems are test_docs_examples.py's.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, discover, flag_items, make_repo

DOC = REPO / "docs" / "flags.md"
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _block(after: str, lang: str, nth: int = 0) -> str:
    """The `nth` code block in `lang` after the line `after`, as written in the document."""
    text = DOC.read_text(encoding="utf-8")
    at = text.index(after)
    found = [m.group(2) for m in _FENCE.finditer(text, at) if m.group(1) == lang]
    return found[nth]


def _states(files: dict[str, str]) -> dict[str, dict[str, tuple[str, float | None]]]:
    """key -> environment -> (state, percent), from the items discover makes."""
    # The plain-text writer dedents non-JSON files; the blocks are flush already.
    root = Path(files.pop("__root__"))
    ws = make_repo(root, files)
    out: dict[str, dict[str, tuple[str, float | None]]] = {}
    for key, item in flag_items(discover(ws)).items():
        envs: dict[str, Any] = {}
        for d in item.data["definitions"]:
            for env, st in d["environments"].items():
                envs[env] = (st["state"], st["percent"])
        out[key] = envs
    return out


# (heading the block follows, language, file name to write it as, extra files, expected)
CASES = {
    "flagd": (
        "### OpenFeature flagd",
        "json",
        "flags.flagd.json",
        {},
        {
            "new_checkout": {"default": ("on", 100.0)},
            "dark_mode": {"default": ("partial", 50.0)},
            "legacy_search": {"default": ("off", 0.0)},
        },
    ),
    "launchdarkly": (
        "### LaunchDarkly",
        "json",
        "launchdarkly.json",
        {},
        {"new-onboarding": {"production": ("on", 100.0), "staging": ("partial", 30.0)}},
    ),
    "unleash": (
        "### Unleash",
        "json",
        "unleash.json",
        {},
        {"fast-search": {"production": ("on", 100.0)}},
    ),
    "plain": (
        "### A plain map",
        "yaml",
        "config/features.yaml",
        {},
        {
            "recommendations": {"default": ("on", 100.0)},
            "old_pricing": {"default": ("off", 0.0)},
            "ai_summary": {"default": ("partial", 10.0)},
            "banner": {"default": ("on", 100.0)},
            "search_v2": {"production": ("partial", 25.0), "staging": ("on", 100.0)},
            "ops_kill_switch": {"default": ("on", 100.0)},
        },
    ),
    "growthbook": (
        "**`unleash`**, **`openfeature`**, **`growthbook`**",
        "json",
        "growthbook.json",
        {"package.json": '{"dependencies": {"@growthbook/growthbook": "1.0.0"}}\n'},
        {"new-checkout": {"on"}, "dark-mode": {"partial"}},
    ),
    "gitlab": (
        "**`flipper`**",
        "yaml",
        "config/feature_flags/development/new_search.yml",
        {"Gemfile": 'gem "flipper"\n'},
        {"new_search": {"on"}},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_documented_definition_gives_the_documented_states(tmp_path: Path, case: str) -> None:
    heading, lang, name, extra, expected = CASES[case]
    body = _block(heading, lang)
    got = _states({"__root__": str(tmp_path), name: body, **extra})
    if all(isinstance(v, set) for v in expected.values()):
        # Preset systems: the state, whatever the environment is called.
        assert {k: {s for s, _ in envs.values()} for k, envs in got.items()} == expected
    else:
        assert got == expected
