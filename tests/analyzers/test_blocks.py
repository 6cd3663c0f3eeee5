"""The generic building blocks (`ast-grep`, `regex`, `catalogue`): rules as data, checked
when the workflow loads, run on real files through the real ast-grep."""

from __future__ import annotations

from pathlib import Path

import pytest

from swath.engine.catalog import known_names
from swath.spec.loader import WorkflowError, load_workflow_text
from swath.spec.records import Record
from tests.workflows.helpers import analyze, file_items, reduce, write

BAD = """name: bad
steps:
  - id: files
    kind: discover
    source: files
  - id: scan
    kind: map
    from: files
    agent:
      analyzer: ast-grep
      params:
        rules:
          - id: r1
            language: python
            rule: {patern: "print($A)"}
          - id: r2
            language: pyhton
            rule: {kind: call}
          - id: r3
            language: python
            rule: {kind: no_such_kind}
  - id: docs
    kind: map
    from: files
    agent:
      analyzer: regex
      params:
        rules:
          - id: r4
            pattern: "(unclosed"
            finding: {message: "{{ oops", severty: error}
"""


def test_rules_are_checked_at_their_line_and_column() -> None:
    with pytest.raises(WorkflowError) as exc:
        load_workflow_text(BAD, "bad.yaml", known_names())
    text = str(exc.value)
    assert "bad.yaml:15:19:" in text and "unknown field `patern`" in text
    assert "bad.yaml:17:23:" in text and "unknown language `pyhton`" in text
    assert "bad.yaml:21:19:" in text and "Kind `no_such_kind` is invalid" in text
    assert "Stack backtrace" not in text  # ast-grep's Rust backtrace is cut off
    assert "bad.yaml:30:22:" in text and "invalid regular expression" in text
    assert "bad.yaml:31:32:" in text and "Jinja2 syntax error" in text
    assert "bad.yaml:31:43:" in text and "did you mean `severity`" in text


PY = """import os

def f(a, b):
    print(a, b)
    print("x")
    print("x")
    return os.environ.get("HOME")
"""


def test_ast_grep_records_captures_and_findings(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": PY, "web.ts": "console.log(1, 2);\n"})
    params = {
        "rules": [
            {
                "id": "print",
                "language": "python",
                "rule": {"pattern": "print($FIRST, $$$REST)"},
                "finding": {"message": "print of {{ FIRST }}", "lens": "{{ REST | length }} more"},
            },
            {
                "id": "once",
                "language": "python",
                "rule": {"pattern": "print($$$ALL)"},
                "unique": True,
            },
            {
                "id": "env",
                "language": "python",
                "rule": {"pattern": "os.environ.get($K)"},
                "transform": {
                    "NAME": {"substring": {"source": "$K", "startChar": 1, "endChar": -1}}
                },
            },
            {"id": "log", "language": ["typescript"], "rule": {"pattern": "console.log($$$A)"}},
        ]
    }
    out = analyze("ast-grep", file_items(tmp_path), tmp_path, params)
    matches = out.output["matches"]
    prints = [m for m in matches if m["rule"] == "print"]
    assert [(m["line"], m["column"], m["fields"]) for m in prints] == [
        (4, 5, {"FIRST": "a", "REST": ["b"]})
    ]
    assert len([m for m in matches if m["rule"] == "once"]) == 2  # the two print("x") are one
    env = next(m for m in matches if m["rule"] == "env")
    assert env["fields"] == {"K": '"HOME"', "NAME": "HOME"}
    log = next(m for m in matches if m["rule"] == "log")
    assert log["path"] == "web.ts" and log["fields"] == {"A": ["1", "2"]}
    (finding,) = out.findings
    assert finding.message == "print of a" and finding.data.lens == "1 more"
    assert finding.evidence[0].quote == "print(a, b)" and finding.evidence[0].line == 3
    assert finding.range.start.character == 4


def test_regex_named_groups_and_file_globs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".env.example": "# settings\nDB_URL=x\nexport API_KEY=\n",
            "README.md": "Set `DB_URL` and `DB_URL` again.\n",
            "logo.png": b"\x89PNG\r\n\x00\x00DB_URL=",
        },
    )
    params = {
        "rules": [
            {
                "id": "example",
                "files": [".env.example"],
                "pattern": r"^(?:export\s+)?(?P<KEY>[A-Z_]+)=",
            },
            {"id": "doc", "files": ["*.md"], "pattern": r"`(?P<KEY>[A-Z_]+)`", "unique": True},
        ]
    }
    items = file_items(tmp_path, include=["*"])
    assert {i.path for i in items} == {".env.example", "README.md"}  # a template, not a secret
    out = analyze("regex", items, tmp_path, params)
    got = [(m["rule"], m["path"], m["line"], m["fields"]["KEY"]) for m in out.output["matches"]]
    assert got == [
        ("example", ".env.example", 2, "DB_URL"),
        ("example", ".env.example", 3, "API_KEY"),
        ("doc", "README.md", 1, "DB_URL"),
    ]


def test_catalogue_groups_normalises_and_compares(tmp_path: Path) -> None:
    write(tmp_path, {"a/x.js": "fetch('/u/1?x=2');\nfetch(`/v`);\n", "srv/r.py": "R = 1\nS = 2\n"})

    def rec(rule: str, path: str, line: int, key: str, quote: str) -> dict[str, object]:
        return {
            "rule": rule,
            "path": path,
            "line": line,
            "column": 1,
            "end_line": line,
            "end_column": 2,
            "text": key,
            "quote": quote,
            "fields": {"P": key},
        }

    records = [
        Record(
            step="calls",
            key="k",
            output={
                "matches": [
                    rec("call", "a/x.js", 1, "'/u/1?x=2'", "fetch('/u/1?x=2');"),
                    rec("call", "a/x.js", 2, "`/v`", "fetch(`/v`);"),
                ]
            },
        ),
        Record(
            step="routes",
            key="k",
            output={
                "matches": [
                    rec("route", "srv/r.py", 1, '"/u/<id>"', "R = 1"),
                    rec("route", "srv/r.py", 2, '"/w"', "S = 2"),
                ]
            },
        ),
        Record(step="other", key="k", output={"matches": [{"not": "a match"}]}),
    ]
    params = {
        "key": "P",
        "normalize": [
            {"pattern": r"\?.*$", "replace": ""},
            {"pattern": r"<[^>]+>|\b\d+\b", "replace": ":id"},
        ],
        "compare": {
            "used": ["call"],
            "defined": ["route"],
            "defined_only": {"rule": "r/unused", "message": "{{ key }} ({{ count }})"},
            "used_only": {"rule": "r/missing", "severity": "error", "message": "no {{ key }}"},
        },
    }
    out = reduce("catalogue", records, tmp_path, params)
    groups = {g["key"]: g["count"] for g in out.output["groups"]}
    assert groups == {"/u/:id": 2, "/v": 1, "/w": 1}
    assert out.output["compare"]["both"] == ["/u/:id"]
    got = sorted((f.rule, f.path, f.range.start.line, f.message) for f in out.findings)
    assert got == [("r/missing", "a/x.js", 1, "no /v"), ("r/unused", "srv/r.py", 1, "/w (1)")]
    assert "| `/u/:id` | 2 | 2 |" in out.output["markdown"]
    by_folder = reduce("catalogue", records, tmp_path, {"key": "folder", "rules": ["call"]})
    assert [(g["key"], g["count"]) for g in by_folder.output["groups"]] == [("a", 2)]
