"""`Finding.data` is a typed model (key, lens, edit) that dumps like the dict it replaced, and
every reader of a finding's edit reads the one `TextEdit`.

Before, the edit was re-parsed where it was used, and the readers disagreed: the editor's quick
fix accepted the LSP's `newText`, `--fix-preview`/`--fix` wanted `new_text` and dropped the edit
without a word."""

from __future__ import annotations

import json
from pathlib import Path

from lsprotocol import types as lsp
from pygls.workspace.position_codec import PositionCodec

from swath.agents.schemas import findings_from_output
from swath.engine.edits import preview_edits
from swath.findings.model import Finding, FindingData, Range, TextEdit
from swath.lsp.anchors import Anchor
from swath.lsp.convert import ClientFeatures, fix_action
from swath.workspace import Workspace

EDIT_RANGE = {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 9}}


def _finding(data: dict[str, object]) -> Finding:
    return Finding(rule="r/x", path="a.py", range=Range.of_line(0, 0, 3), message="m", data=data)


def test_an_edit_spelled_the_lsp_way_is_previewed_and_offered_alike(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = hello\n", encoding="utf-8")
    f = _finding({"edit": {"range": EDIT_RANGE, "newText": "world"}})
    assert f.data.edit == TextEdit(range=Range.model_validate(EDIT_RANGE), new_text="world")

    diff = preview_edits(tmp_path, [f])
    assert "-x = hello\n+x = world\n" in diff

    action = fix_action(
        Anchor.of(f, "wf", "run"),
        "file:///a.py",
        1,
        PositionCodec(lsp.PositionEncodingKind.Utf16),
        ["x = hello"],
        ClientFeatures(),
        None,
    )
    assert action is not None and action.edit is not None and action.edit.changes is not None
    [edit] = action.edit.changes["file:///a.py"]
    assert edit.new_text == "world"


def test_data_dumps_as_written_keys_in_order_typed_keys_only_when_given() -> None:
    f = _finding({"state": "on", "key": "k", "percent": None, "lens": "⚑ k"})
    assert json.dumps(f.model_dump(mode="json")["data"], ensure_ascii=False) == (
        '{"state": "on", "key": "k", "percent": null, "lens": "⚑ k"}'
    )
    assert _finding({}).model_dump()["data"] == {}
    # a key set later goes after the others, as in a dict; one already there keeps its place
    later = f.data.with_(lens="⚑ k · 2 refs", model="m")
    assert list(later.model_dump()) == ["state", "key", "percent", "lens", "model"]
    # and the stored form reads back the same
    again = Finding.model_validate_json(f.model_dump_json())
    assert again.model_dump_json() == f.model_dump_json()
    assert again.data == f.data


def test_the_typed_keys_are_typed_and_the_others_travel_along() -> None:
    d = FindingData.model_validate({"key": "dark_mode", "pass": "security", "edit": None})
    assert d.key == "dark_mode" and d.lens is None and d.edit is None
    assert d.extra("pass") == "security" and d.extra("absent", 3) == 3
    assert "edit" in d and "lens" not in d and "pass" in d


def test_a_model_findings_ill_typed_keys_are_dropped_not_the_finding(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    out = {
        "findings": [
            {
                "path": "a.py",
                "line": 1,
                "quote": "x = 1",
                "message": "odd",
                "data": {"key": 42, "edit": "rewrite it", "note": "kept"},
            }
        ]
    }
    [f], dropped = findings_from_output(out, Workspace(tmp_path), model="m", step="s")
    assert dropped == 0
    assert f.data.key is None and f.data.edit is None
    assert f.data.extra("note") == "kept" and f.data.extra("source") == "model"


def test_a_stored_finding_with_ill_typed_data_still_loads() -> None:
    # A run stored before `key`, `lens` and `edit` were typed (or written by a plugin) may
    # hold anything there: its report must stay readable, the other keys intact.
    stored = {
        "rule": "r",
        "path": "a.py",
        "message": "m",
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
        "data": {"key": [1], "lens": "⚑ x", "edit": {"range": 3}, "pass": "security"},
    }
    finding = Finding.model_validate_json(json.dumps(stored))
    assert finding.data.model_dump() == {"lens": "⚑ x", "pass": "security"}
    assert finding.data.key is None and finding.data.edit is None
