"""A flag read under another spelling of its key (issue 12: naming-convention aliases).

Code that renames keys by a convention reads `new-checkout` as `features.new_checkout`
(snake) or `newCheckout` (camel), and a camelCase key may be read kebab-cased. A reference
pattern says so with `key_case`; without it those reads are invisible and the flag would
look referenced nowhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swath.items.flags import spell_key

from .conftest import make_repo, run_offline

FLAGD = """{"flags": {
  "new-checkout": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
  "darkMode": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}
}}
"""

CONFIG = """
    systems:
      - name: settings-object
        formats: [flagd]
        reference:
          - pattern: features.$KEY
            language: python
            key_case: {python_case}
            is_check: true
          - regex: 'isOn\\("(?P<key>[\\w-]+)"\\)'
            key_case: {regex_case}
            is_check: true
    """

CODE = {
    "app/views.py": """
        from app.settings import features


        def checkout():
            if features.new_checkout:
                return "new"
            return "old"
        """,
    "web/theme.ts": """
        export function theme(): string {
          if (isOn("dark-mode")) {
            return "dark";
          }
          return "light";
        }
        """,
}


def _catalogue(tmp_path: Path, python_case: str, regex_case: str) -> dict[str, dict[str, Any]]:
    config = CONFIG.replace("{python_case}", python_case).replace("{regex_case}", regex_case)
    files = {"flags/flags.flagd.json": FLAGD, ".swath/flags.yaml": config, **CODE}
    ws = make_repo(tmp_path, files)
    _, _, plan = run_offline(ws)
    return {f["key"]: f for f in plan["catalogue"]}


def test_snake_and_kebab_spellings_are_references(tmp_path: Path) -> None:
    flags = _catalogue(tmp_path, "snake", "kebab")
    checkout = flags["new-checkout"]
    assert [(r["path"], r["line"] + 1) for r in checkout["references"]] == [("app/views.py", 5)]
    assert checkout["category"] == "fully-on"
    dark = flags["darkMode"]
    assert [(r["path"], r["line"] + 1) for r in dark["references"]] == [("web/theme.ts", 2)]
    assert dark["category"] == "fully-off"


def test_without_the_spelling_the_reads_are_not_seen(tmp_path: Path) -> None:
    flags = _catalogue(tmp_path, "as-is", "as-is")
    assert flags["new-checkout"]["references"] == []
    assert flags["darkMode"]["references"] == []


@pytest.mark.parametrize(
    ("key", "case", "spelled"),
    [
        ("new-onboarding", "camel", "newOnboarding"),
        ("new-onboarding", "snake", "new_onboarding"),
        ("newOnboarding", "snake", "new_onboarding"),
        ("newOnboarding", "kebab", "new-onboarding"),
        ("HTTPServerOn", "kebab", "http-server-on"),
        ("dark_mode", "as-is", "dark_mode"),
    ],
)
def test_spellings(key: str, case: str, spelled: str) -> None:
    assert spell_key(key, case) == spelled
