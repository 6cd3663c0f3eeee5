"""The plan's Markdown says what its lists hold: each "References (N in F files)" is
followed by N references (listed, or counted in an "… and K more" line)."""

from __future__ import annotations

import re
from pathlib import Path

from swath.workspace import Workspace

from .conftest import make_repo, run_offline
from .test_presets import K8S

HEADER = re.compile(r"^- \*\*References\*\* \((\d+) in (\d+) files?\):$")


def _lists(md: str) -> list[tuple[int, int, list[str]]]:
    """(count, files, bullets) of every References list."""
    out = []
    lines = md.splitlines()
    for i, line in enumerate(lines):
        m = HEADER.match(line)
        if m is None:
            continue
        bullets = []
        for nxt in lines[i + 1 :]:
            if not nxt.startswith("  - "):
                break
            bullets.append(nxt[4:])
        out.append((int(m.group(1)), int(m.group(2)), bullets))
    return out


def _listed(bullets: list[str]) -> int:
    more = re.match(r"… and (\d+) more", bullets[-1]) if bullets else None
    return len(bullets) - 1 + int(more.group(1)) if more else len(bullets)


def _files(bullets: list[str]) -> int:
    return len({b.split("`")[1].rsplit(":", 1)[0] for b in bullets if b.startswith("`")})


def test_a_constant_holding_the_key_is_not_a_bullet_of_the_count(tmp_path: Path) -> None:
    """k8s: `AnyVolumeDataSource featuregate.Feature = "AnyVolumeDataSource"` holds the
    key, is no use of the gate, and has its own "Delete constant" line: "References (1 in
    1 file)" was followed by it and the one check."""
    _r, _f, plan = run_offline(make_repo(tmp_path, K8S))
    md = plan["markdown"]
    lists = _lists(md)
    assert lists, md
    for count, files, bullets in lists:
        assert _listed(bullets) == count and _files(bullets) == files, (count, files, bullets)
    assert "(constant-def)" not in md
    assert (
        "- **Delete** constant `AnyVolumeDataSource` at `pkg/features/kube_features.go:10` once unused"
    ) in md


def test_counts_and_lists_agree_on_the_demo(demo: Workspace) -> None:
    _r, _f, plan = run_offline(demo)
    md = plan["markdown"]
    lists = _lists(md)
    assert len(lists) >= 5
    for count, files, bullets in lists:
        assert _listed(bullets) == count and _files(bullets) == files, (count, files, bullets)
    # A declaration of the key that is no constant (an enum member) is not lost with its
    # bullet: it has a Delete line of its own, as constants do.
    assert (
        "- **Delete** the declaration `FAST_SHIPPING = enum.auto()` at `app/features.py:8` "
        "once unused"
    ) in md


def test_references_beyond_the_listed_are_counted_in_a_more_line(tmp_path: Path) -> None:
    """30 uses: 25 listed, "… and 5 more (5 in the catalogue)"."""
    files = {
        ".swath/flags.yaml": "overrides:\n  big_flag: 'on'\n",
        "flags.flagd.json": '{"flags": {"big_flag": {"state": "ENABLED", "variants": {"on": true, '
        '"off": false}, "defaultVariant": "on"}}}\n',
    }
    for i in range(30):
        files[f"app/m{i:02}.py"] = (
            "from openfeature import api\n\nclient = api.get_client()\n\n\n"
            f"def f{i}():\n    return client.get_boolean_value('big_flag', False)\n"
        )
    _r, _f, plan = run_offline(make_repo(tmp_path, files))
    ((count, nfiles, bullets),) = _lists(plan["markdown"])
    assert (count, nfiles) == (30, 30)
    assert len(bullets) == 26 and bullets[-1] == "… and 5 more (5 in the catalogue)"


RUBY_HASH = {
    ".swath/flags.yaml": """
        systems:
          - name: rb-features
            files: ["config/features.rb"]
            definition:
              regex: '^\\s*(?P<key>[a-z_]+): (?P<state>true|false),?$'
            reference:
              regex: 'feature_on\\?\\(:(?P<key>[a-z_]+)\\)'
              is_check: true
    """,
    "config/features.rb": "FEATURES = {\n  new_ui: true,\n}\n",
    "app/views.rb": "def show\n  feature_on?(:new_ui) ? 'new' : 'old'\nend\n",
}


def test_a_file_swath_cannot_edit_keeps_the_advice_to_delete_by_hand(tmp_path: Path) -> None:
    """No automatic removal for a Ruby hash: the finding says which line to delete, the
    plan says the same, and its note says the patch leaves that to a human."""
    _r, found, plan = run_offline(make_repo(tmp_path, RUBY_HASH))
    md = plan["markdown"]
    (at_def,) = [f for f in found if f.path == "config/features.rb"]
    assert "then delete this definition (line 2)." in at_def.message
    assert "- **Delete** the definition entry: `config/features.rb` line 2" in md
    assert (
        "`new_ui`: definition in config/features.rb kept: no automatic removal for this file "
        "type; delete it by hand once nothing reads it, as its finding says"
    ) in md
