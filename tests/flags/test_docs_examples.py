"""Every worked example of docs/flags.md, run on its own sample code.

The examples are read from the document itself: each code block starts with a comment
naming its file (more files follow, each after its own naming comment), and the YAML block
is the example's `.swath/flags.yaml`. A docs change that breaks an example fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from swath.sources.flagdefs.config import load_config
from swath.sources.flagdefs.listing import scan_paths
from swath.sources.flagdefs.trial import run_trial

from .conftest import REPO, make_repo, run_offline

DOC = REPO / "docs" / "flags.md"
_EXAMPLE = re.compile(r"^\*\*Worked example (\d+): .*$", re.MULTILINE)
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_FILE_MARK = re.compile(r"^(?:#|//) ([\w./-]+\.\w+)$")

# What each example must give: key -> (state, category).
EXPECTED: dict[int, dict[str, tuple[str, str | None]]] = {
    1: {"NEW_SEARCH": ("on", "fully-on"), "DARK_MODE": ("off", "unreferenced")},
    2: {"newSearch": ("on", "fully-on"), "darkMode": ("off", "fully-off")},
    # GIFT_WRAP's enum member is its declaration, and nothing reads `Feature.GIFT_WRAP`.
    3: {"FAST_SHIPPING": ("on", "fully-on"), "GIFT_WRAP": ("partial", "unreferenced")},
    4: {"EnableFoo": ("on", "fully-on"), "EnableBar": ("off", "unreferenced")},
    5: {"go_fast_path": ("on", "fully-on"), "go_batch_writes": ("off", "unreferenced")},
}


def examples() -> dict[int, str]:
    text = DOC.read_text(encoding="utf-8")
    marks = list(_EXAMPLE.finditer(text))
    out = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else text.find("\n## ", m.end())
        out[int(m.group(1))] = text[m.end() : end]
    return out


def files_of(section: str) -> dict[str, str]:
    files: dict[str, str] = {}
    for lang, body in _FENCE.findall(section):
        if lang == "yaml":
            files[".swath/flags.yaml"] = files.get(".swath/flags.yaml", "") + body
            continue
        current = None
        for line in body.splitlines(keepends=True):
            mark = _FILE_MARK.match(line.rstrip("\n"))
            if mark:
                current = mark.group(1)
                files[current] = ""
            elif current is None:
                raise AssertionError(f"a {lang} block does not start with its file name")
            else:
                files[current] += line
    return files


def test_the_document_has_the_examples_this_test_knows() -> None:
    assert sorted(examples()) == sorted(EXPECTED)


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_worked_example(tmp_path: Path, number: int) -> None:
    files = files_of(examples()[number])
    assert ".swath/flags.yaml" in files and len(files) >= 2, files.keys()
    ws = make_repo(tmp_path, files)
    cfg, errs = load_config(files[".swath/flags.yaml"], ".swath/flags.yaml", {})
    assert errs == []
    trial = run_trial(cfg, scan_paths(ws), ws.read_text)
    for t in trial.trials:  # what `swath flags test` prints for this example
        assert t.matches and t.error is None, (t.role, t.number, t.summary, t.samples)
    records, _, _ = run_offline(ws)
    facts = {f["key"]: f for r in records for f in r.output["flags"]}
    got = {k: (f["state"], f["category"]) for k, f in facts.items()}
    assert got == EXPECTED[number]
    for key, (_, category) in EXPECTED[number].items():
        if category != "unreferenced":
            code = [r for r in facts[key]["references"] if r["kind"] != "constant-def"]
            assert code, key
