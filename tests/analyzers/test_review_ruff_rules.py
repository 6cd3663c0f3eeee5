"""The shipped metadata of the review's ruff rules: complete for what the passes ask for."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from swath.analyzers.review_passes import RUFF, ruff_pass
from swath.analyzers.review_ruff_rules import DATA, ruff_rule_infos, write_data


def test_every_code_a_pass_names_is_described() -> None:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    explicit = {s for sels in RUFF.values() for s in sels if s[-1].isdigit() and len(s) >= 4}
    assert explicit - set(data) == set()
    for code, r in data.items():
        assert r["name"] and r["summary"], code


def test_rule_infos_have_pass_help_and_security_score() -> None:
    infos = {r.id: r for r in ruff_rule_infos()}
    s602 = infos["ruff/S602"]
    assert s602.category == "security" == ruff_pass("S602")
    assert s602.security_severity is not None and s602.security_severity >= 7.0
    assert (
        s602.help_uri
        == "https://docs.astral.sh/ruff/rules/subprocess-popen-with-shell-equals-true/"
    )
    assert "shell" in s602.help.lower()
    e722 = infos["ruff/E722"]
    assert e722.category == "correctness" and e722.security_severity is None


RUFF_BIN = Path(sys.executable).with_name("ruff")


@pytest.mark.skipif(not RUFF_BIN.exists() and not shutil.which("ruff"), reason="needs ruff")
def test_data_file_is_what_the_installed_ruff_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import swath.analyzers.review_ruff_rules as mod

    shipped = json.loads(DATA.read_text(encoding="utf-8"))
    monkeypatch.setattr(mod, "DATA", tmp_path / "rules.json")
    write_data(str(RUFF_BIN) if RUFF_BIN.exists() else "ruff")
    fresh = json.loads((tmp_path / "rules.json").read_text(encoding="utf-8"))
    # Codes may come and go with ruff's versions; those the passes name explicitly stay.
    assert {c: r["name"] for c, r in fresh.items() if c in shipped} == {
        c: r["name"] for c, r in shipped.items() if c in fresh
    }
