"""diff-review's rules: each fires on an added line, and never on the same code left unchanged.

Every case is a snippet committed once (the *old* copy) and then added again below it in
the working tree (the *new* copy). The rule must report the new copy's line, and only it.
"""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from swath.analyzers.base import AnalyzerOutput
from swath.analyzers.review import added_lines
from swath.analyzers.review_rules import RULES
from swath.findings.model import Finding, Severity
from swath.spec.records import Item
from tests.gitrepo import commit_files, init_repo
from tests.workflows.helpers import analyze, by_path, diff_items, write

E, W, I = Severity.error, Severity.warning, Severity.information  # noqa: E741

# (case id, path, snippet, rule, text on the line the rule must point at, severity)
CASES: list[tuple[str, str, str, str, str, Severity]] = [
    ("eval", "py/eval.py", "def f(x):\n    return eval(x)\n", "review/security/eval", "eval(x)", W),
    (
        "exec",
        "py/exec.py",
        "def f(code):\n    exec(code)\n",
        "review/security/eval",
        "exec(code)",
        W,
    ),
    (
        "shell-injection",
        "py/shell.py",
        "import subprocess\n\n\ndef f(c):\n    subprocess.run(f'ls {c}', shell=True)\n",
        "review/security/subprocess-shell",
        "shell=True",
        E,
    ),
    (
        "shell-literal",
        "py/shell2.py",
        "import subprocess as sp\n\n\ndef f():\n    sp.call('ls -l', shell=True)\n",
        "review/security/subprocess-shell",
        "shell=True",
        W,
    ),
    (
        "os-system",
        "py/system.py",
        "import os\n\n\ndef f(c):\n    os.system('rm ' + c)\n",
        "review/security/subprocess-shell",
        "os.system",
        E,
    ),
    (
        "pickle",
        "py/pickle_.py",
        "from pickle import loads\n\n\ndef f(b):\n    return loads(b)\n",
        "review/security/pickle",
        "loads(b)",
        W,
    ),
    (
        "yaml-load",
        "py/yaml1.py",
        "import yaml\n\n\ndef f(s):\n    return yaml.load(s)\n",
        "review/security/yaml-load",
        "yaml.load",
        W,
    ),
    (
        "yaml-unsafe-loader",
        "py/yaml2.py",
        "import yaml\n\n\ndef f(s):\n    return yaml.load(s, Loader=yaml.Loader)\n",
        "review/security/yaml-load",
        "yaml.load",
        W,
    ),
    (
        "secret-aws",
        "py/aws.py",
        'KEY = "AKIAIOSFODNN7EXAMPLE"\n',
        "review/security/hardcoded-secret",
        "AKIA",
        E,
    ),
    (
        "secret-name",
        "py/db.py",
        'db_password = "s3cr3t-Pa55w0rd"\n',
        "review/security/hardcoded-secret",
        "s3cr3t",
        E,
    ),
    (
        "secret-kwarg",
        "py/conn.py",
        'conn = connect(host="db", password="Tr0ub4dor&3")\n',
        "review/security/hardcoded-secret",
        "Tr0ub4dor",
        E,
    ),
    (
        "private-key",
        "conf/deploy.txt",
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "review/security/hardcoded-secret",
        "BEGIN RSA",
        E,
    ),
    (
        "sql-execute",
        "py/sql1.py",
        'def f(cur, x):\n    cur.execute(f"SELECT * FROM t WHERE id = {x}")\n',
        "review/security/sql-format",
        "SELECT",
        E,
    ),
    (
        "sql-percent",
        "py/sql2.py",
        'def f(x):\n    q = "DELETE FROM t WHERE id = %s" % x\n    return q\n',
        "review/security/sql-format",
        "DELETE",
        W,
    ),
    (
        "sql-format",
        "py/sql3.py",
        'def f(x):\n    return "UPDATE t SET a = {}".format(x)\n',
        "review/security/sql-format",
        "UPDATE",
        W,
    ),
    (
        "string-concat",
        "py/concat.py",
        "def f(xs):\n    s = ''\n    for x in xs:\n        s += x\n    return s\n",
        "review/perf/string-concat-in-loop",
        "s += x",
        I,
    ),
    (
        "string-concat-assign",
        "py/concat2.py",
        "def f(xs):\n    s = ''\n    for x in xs:\n        s = s + x\n    return s\n",
        "review/perf/string-concat-in-loop",
        "s = s + x",
        I,
    ),
    (
        "sleep-in-async",
        "py/sleep.py",
        "import time\n\n\nasync def f():\n    time.sleep(1)\n",
        "review/perf/blocking-call-in-async",
        "time.sleep",
        W,
    ),
    (
        "requests-in-async",
        "py/req.py",
        "import requests\n\n\nasync def f(u):\n    return requests.get(u)\n",
        "review/perf/blocking-call-in-async",
        "requests.get",
        W,
    ),
    (
        "any-list",
        "py/anyl.py",
        "def f(xs):\n    return any([x > 1 for x in xs])\n",
        "review/perf/any-all-list",
        "[x > 1",
        I,
    ),
    (
        "query-in-loop",
        "py/nplus1.py",
        "def f(cursor, ids):\n    for i in ids:\n        cursor.execute('SELECT a FROM t WHERE id = ?', (i,))\n",
        "review/perf/query-in-loop",
        "cursor.execute",
        I,
    ),
    (
        "bare-except",
        "py/bare.py",
        "def f():\n    try:\n        pass\n    except:\n        pass\n",
        "review/bug/bare-except",
        "except:",
        W,
    ),
    (
        "mutable-default",
        "py/mut.py",
        "def f(x={}):\n    return x\n",
        "review/bug/mutable-default",
        "{}",
        W,
    ),
    (
        "mutable-default-call",
        "py/mut2.py",
        "def f(*, seen=set()):\n    return seen\n",
        "review/bug/mutable-default",
        "set()",
        W,
    ),
    (
        "assert-tuple",
        "py/assert_.py",
        "def f(x):\n    assert (x, 'message')\n",
        "review/bug/assert-tuple",
        "assert (x",
        E,
    ),
    (
        "none-eq",
        "py/none.py",
        "def f(x):\n    return x != None\n",
        "review/bug/none-comparison",
        "x != None",
        I,
    ),
    (
        "is-literal",
        "py/islit.py",
        "def f(x):\n    return x is 'a'\n",
        "review/bug/is-literal",
        "x is 'a'",
        W,
    ),
    (
        "return-in-finally",
        "py/fin.py",
        "def f():\n    try:\n        return 1\n    finally:\n        return 2\n",
        "review/bug/return-in-finally",
        "return 2",
        W,
    ),
    (
        "print",
        "lib/mod.py",
        "def f():\n    print('here')\n",
        "review/bug/leftover-print",
        "print",
        I,
    ),
    (
        "breakpoint",
        "py/bp.py",
        "def f():\n    breakpoint()\n",
        "review/bug/debugger",
        "breakpoint",
        W,
    ),
    ("pdb", "py/pdb_.py", "import pdb\n", "review/bug/debugger", "import pdb", W),
    ("conflict", "notes.txt", "<<<<<<< HEAD\n", "review/bug/conflict-marker", "<<<<<<<", E),
    (
        "console-log",
        "web/log.ts",
        "function f() {\n  console.log('x');\n}\n",
        "review/bug/console-log",
        "console.log",
        I,
    ),
    (
        "debugger-js",
        "web/dbg.js",
        "function f() {\n  debugger;\n}\n",
        "review/bug/debugger",
        "debugger",
        W,
    ),
    (
        "eval-js",
        "web/ev.js",
        "function f(s) {\n  return eval(s);\n}\n",
        "review/security/eval",
        "eval",
        W,
    ),
    (
        "new-function",
        "web/fn.ts",
        "const g = new Function('a', body);\n",
        "review/security/eval",
        "new Function",
        W,
    ),
    (
        "inner-html",
        "web/html.ts",
        "function f(el: any, html: string) {\n  el.innerHTML = html;\n}\n",
        "review/security/inner-html",
        "innerHTML",
        W,
    ),
    (
        "dangerously",
        "web/comp.tsx",
        "const A = () => <div dangerouslySetInnerHTML={{ __html: h }} />;\n",
        "review/security/inner-html",
        "dangerouslySetInnerHTML",
        W,
    ),
    (
        "sql-template",
        "web/db.ts",
        "async function f(db: any, id: string) {\n  return db.query(`SELECT * FROM users WHERE id = ${id}`);\n}\n",
        "review/security/sql-format",
        "SELECT",
        E,
    ),
    (
        "child-process",
        "web/sh.js",
        "const cp = require('child_process');\nfunction f(d) {\n  cp.exec(`ls ${d}`);\n}\n",
        "review/security/subprocess-shell",
        "cp.exec",
        E,
    ),
    (
        "loose-eq",
        "web/eq.js",
        "function f(a, b) {\n  return a == b;\n}\n",
        "review/bug/loose-equality",
        "==",
        I,
    ),
    (
        "secret-ts",
        "web/key.ts",
        'const apiKey = "9f8e7d6c5b4a3210fedcbaZZ";\n',
        "review/security/hardcoded-secret",
        "9f8e",
        W,
    ),
    (
        "secret-go",
        "svc/key.go",
        'const token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n',
        "review/security/hardcoded-secret",
        "ghp_",
        E,
    ),
]

# (case id, path, snippet, rule that must stay silent)
QUIET: list[tuple[str, str, str, str]] = [
    (
        "safe-yaml",
        "ok/yaml_.py",
        "import yaml\n\n\ndef f(s):\n    return yaml.load(s, Loader=yaml.SafeLoader)\n",
        "review/security/yaml-load",
    ),
    ("literal-eval", "ok/ev.py", "def f():\n    return eval('1 + 1')\n", "review/security/eval"),
    (
        "bound-sql",
        "ok/sql.py",
        "def f(cur, x):\n    cur.execute('SELECT * FROM t WHERE id = ?', (x,))\n",
        "review/security/sql-format",
    ),
    (
        "placeholder-secret",
        "ok/conf.py",
        'password = "changeme"\nTOKEN_URL = "https://example.com/oauth/token"\nPASSWORD_FIELD = "password_hash"\n'
        'api_key = os.environ["API_KEY"]\n',
        "review/security/hardcoded-secret",
    ),
    ("print-in-cli", "ok/cli.py", "def main():\n    print('usage')\n", "review/bug/leftover-print"),
    (
        "print-to-file",
        "ok/out.py",
        "import sys\n\n\ndef f():\n    print('x', file=sys.stderr)\n",
        "review/bug/leftover-print",
    ),
    ("is-none", "ok/none.py", "def f(x):\n    return x is None\n", "review/bug/none-comparison"),
    (
        "int-counter",
        "ok/count.py",
        "def f(xs):\n    n = 0\n    for x in xs:\n        n += 1\n    return n\n",
        "review/perf/string-concat-in-loop",
    ),
    (
        "sync-sleep",
        "ok/sleep.py",
        "import time\n\n\ndef f():\n    time.sleep(1)\n",
        "review/perf/blocking-call-in-async",
    ),
    (
        "none-default",
        "ok/default.py",
        "def f(x=None, y=()):\n    return x\n",
        "review/bug/mutable-default",
    ),
    (
        "eq-null",
        "ok/eq.js",
        "function f(a) {\n  return a == null;\n}\n",
        "review/bug/loose-equality",
    ),
    (
        "tagged-sql",
        "ok/db.ts",
        "const q = sql`SELECT * FROM t WHERE id = ${id}`;\n",
        "review/security/sql-format",
    ),
    ("rst-heading", "ok/README.rst", "Title\n=======\n", "review/bug/conflict-marker"),
    (
        "text-content",
        "ok/html.ts",
        "function f(el: any, t: string) {\n  el.textContent = t;\n  el.innerHTML = '';\n}\n",
        "review/security/inner-html",
    ),
    (
        "other-exec",
        "ok/re.js",
        "function f(re, s) {\n  return re.exec(`${s}`);\n}\n",
        "review/security/subprocess-shell",
    ),
]


def _old(snippet: str, path: str) -> str:
    marker = "//" if path.endswith((".js", ".ts", ".tsx", ".go")) else "#"
    head = "package svc\n\n" if path.endswith(".go") else ""
    return f"{head}{marker} old\n{snippet}"


def _new(snippet: str, path: str) -> str:
    marker = "//" if path.endswith((".js", ".ts", ".tsx", ".go")) else "#"
    return f"{_old(snippet, path)}\n{marker} new\n{snippet}"


@pytest.fixture(scope="module")
def reviewed(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, Item], AnalyzerOutput]:
    root = init_repo(tmp_path_factory.mktemp("review") / "repo")
    cases = [(p, s) for _, p, s, *_ in CASES] + [(p, s) for _, p, s, _ in QUIET]
    commit_files(root, {p: _old(s, p) for p, s in cases})
    write(root, {p: _new(s, p) for p, s in cases})
    items = diff_items(root)
    out = analyze("diff-review", items, root, {"ruff": "off"})
    return root, by_path(items), out


def _findings(out: AnalyzerOutput, path: str, rule: str) -> list[Finding]:
    return [f for f in out.findings if f.path == path and f.rule == rule]


def _lines_with(root: Path, path: str, needle: str) -> list[int]:
    text = (root / path).read_text()
    return [n for n, line in enumerate(text.split("\n")) if needle in line]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_rule_fires_on_the_added_line_only(
    reviewed: Any, case: tuple[str, str, str, str, str, Severity]
) -> None:
    root, items, out = reviewed
    _, path, _, rule, needle, severity = case
    assert rule in RULES
    # The snippet stands twice: once unchanged, once added. Which copy git calls the added
    # one is its choice (identical text aligns either way); exactly one of them is added.
    both = _lines_with(root, path, needle)
    assert len(both) == 2, both
    [new_line] = [n for n in both if n in added_lines(items[path])]
    found = _findings(out, path, rule)
    assert [f.range.start.line for f in found] == [new_line], [
        f.message for f in out.findings if f.path == path
    ]
    f = found[0]
    assert f.severity == severity
    line_text = (root / path).read_text().split("\n")[new_line]
    assert f.evidence[0].line == new_line and f.evidence[0].quote in line_text
    assert (
        line_text[f.range.start.character :].startswith(needle)
        or needle in line_text[f.range.start.character : f.range.end.character + len(needle)]
    )
    if rule == "review/security/hardcoded-secret":  # the secret itself is not repeated
        value = line_text.split('"')[-2] if '"' in line_text else line_text
        assert value not in f.evidence[0].quote and value not in f.message
    else:
        assert f.evidence[0].quote == line_text.strip()


@pytest.mark.parametrize("case", QUIET, ids=[c[0] for c in QUIET])
def test_rule_stays_quiet_on_safe_added_code(
    reviewed: Any, case: tuple[str, str, str, str]
) -> None:
    _, path, _, rule = case
    _, items, out = reviewed
    assert added_lines(items[path])
    assert _findings(out, path, rule) == []


def test_unchanged_files_and_lines_are_never_reported(reviewed: Any) -> None:
    root, items, out = reviewed
    for f in out.findings:
        assert f.range.start.line in added_lines(items[f.path]), (
            f.path,
            f.rule,
            f.range.start.line,
        )


def test_output_lists_each_file_and_its_checks(reviewed: Any) -> None:
    _, _, out = reviewed
    files = {f["path"]: f for f in out.output["files"]}
    assert files["py/eval.py"]["checks"] == ["python-ast", "secrets"]
    assert files["web/log.ts"]["checks"] == ["ast-grep", "secrets"]
    assert files["svc/key.go"]["checks"] == ["secrets"]
    assert files["py/eval.py"]["hits"] == [
        {
            "rule": "review/security/eval",
            "line": 6,
            "severity": "warning",
            "message": files["py/eval.py"]["hits"][0]["message"],
        }
    ]


def _review(
    root: Path, params: dict[str, Any] | None = None
) -> tuple[dict[str, Item], AnalyzerOutput]:
    items = diff_items(root)
    return by_path(items), analyze("diff-review", items, root, params or {"ruff": "off"})


def test_syntax_error_in_a_changed_file(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r")
    commit_files(root, {"m.py": "def f():\n    return 1\n"})
    write(root, {"m.py": "def f():\n    return 1\n\n\ndef g(:\n    eval(x)\n"})
    _, out = _review(root)
    assert [(f.rule, f.range.start.line, f.severity) for f in out.findings] == [
        ("review/bug/syntax-error", 4, Severity.error)
    ]


def test_deleted_binary_and_renamed_files_are_skipped_with_a_reason(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r")
    commit_files(root, {"gone.py": "eval(x)\n", "same.py": "eval(x)\n"})
    write(root, {"img.bin": b"\x00\x01eval(x)"})
    (root / "gone.py").unlink()
    (root / "same.py").rename(root / "moved.py")
    _, out = _review(root)
    assert out.findings == []
    skipped = {f["path"]: f["skipped"] for f in out.output["files"]}
    assert skipped == {"gone.py": "deleted", "img.bin": "binary", "moved.py": "no added lines"}


def test_rules_can_be_disabled(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r")
    commit_files(root, {"m.py": "x = 1\n"})
    write(root, {"m.py": "x = 1\nprint(eval(x))\n"})
    _, out = _review(root, {"ruff": "off", "disable": ["review/bug/*"]})
    assert [f.rule for f in out.findings] == ["review/security/eval"]


def test_ruff_diagnostics_on_added_lines_join_the_review(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r")
    commit_files(root, {"m.py": "import hashlib\nh = hashlib.md5(b'old')\n"})
    write(root, {"m.py": "import hashlib\nh = hashlib.md5(b'old')\nh2 = hashlib.md5(b'new')\n"})
    fake = tmp_path / "ruff"
    # A stand-in for ruff: S324 (weak hash) on every md5 line, and E722 (covered by swath's own rule).
    fake.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "out = []\n"
        "for path in sys.argv[sys.argv.index('--') + 1:]:\n"
        "    for n, line in enumerate(open(path), 1):\n"
        "        c = line.find('md5')\n"
        "        if c >= 0:\n"
        "            for code in ('S324', 'E722'):\n"
        "                out.append({'code': code, 'message': 'Probable use of insecure hash functions',\n"
        "                            'filename': os.path.abspath(path), 'location': {'row': n, 'column': c + 1},\n"
        "                            'end_location': {'row': n, 'column': c + 4}, 'url': 'https://docs.astral.sh'})\n"
        "print(json.dumps(out))\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    _, out = _review(root, {"ruff": str(fake)})
    assert [
        (f.rule, f.range.start.line, f.range.start.character, f.severity) for f in out.findings
    ] == [("review/ruff/S324", 2, 13, Severity.warning)]
    assert out.findings[0].evidence[0].quote == "h2 = hashlib.md5(b'new')"
    assert "ruff" in out.output["files"][0]["checks"]


def test_review_goes_on_when_ruff_is_missing_or_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = init_repo(tmp_path / "r")
    commit_files(root, {"m.py": "x = 1\n"})
    write(root, {"m.py": "x = 1\ny = eval(x)\n"})
    items = diff_items(root)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ruff" else real_find_spec(name),
    )
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    out = analyze("diff-review", items, root, {"ruff": "auto"})
    assert [f.rule for f in out.findings] == ["review/security/eval"]
    assert out.output["files"][0]["checks"] == ["python-ast", "secrets"]
    monkeypatch.setenv("PATH", os.defpath)
    broken = tmp_path / "broken-ruff"
    broken.write_text("#!/bin/sh\necho boom >&2\nexit 2\n")
    broken.chmod(0o755)
    out = analyze("diff-review", items, root, {"ruff": str(broken)})
    assert [f.rule for f in out.findings] == ["review/security/eval"]
    assert "ruff failed (2): boom" in out.output["files"][0]["ruff"]


def test_absurdly_nested_code_still_gets_the_line_rules(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r")
    commit_files(root, {"m.py": "x = 1\n"})
    write(root, {"m.py": 'x = 1\nk = "AKIAIOSFODNN7EXAMPLE"\nz = ' + "-" * 5000 + "1\n"})
    _, out = _review(root)
    assert [f.rule for f in out.findings] == ["review/security/hardcoded-secret"]
    assert out.output["files"][0]["error"] == "too deeply nested to parse"
