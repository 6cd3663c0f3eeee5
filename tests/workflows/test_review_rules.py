"""diff-review's rules: each fires on an added line, and never on the same code left unchanged.

Every case is a snippet committed once (the *old* copy) and then added again below it in
the working tree (the *new* copy). The rule must report the new copy's line, and only it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swath.analyzers.base import AnalyzerOutput
from swath.items.diff import DiffItemData
from swath.analyzers.review_rules import RULES
from swath.findings.model import Finding, Severity
from swath.spec.records import Item
from tests.gitrepo import commit_files, init_repo
from tests.workflows.helpers import analyze, by_path, diff_items, write

E, W, I = Severity.error, Severity.warning, Severity.information  # noqa: E741

# (case id, path, snippet, rule, text on the line the rule must point at, severity)
CASES: list[tuple[str, str, str, str, str, Severity]] = [
    # security: ruff's S rules, detect-secrets, ast-grep for TS/JS
    ("eval", "py/eval.py", "def f(x):\n    return eval(x)\n", "ruff/S307", "eval(x)", W),
    ("exec", "py/exec.py", "def f(code):\n    exec(code)\n", "ruff/S102", "exec(code)", W),
    (
        "shell",
        "py/shell.py",
        "import subprocess\n\n\ndef f(c):\n    subprocess.run(f'ls {c}', shell=True)\n",
        "ruff/S602",
        "subprocess.run",
        W,
    ),
    (
        "os-system",
        "py/system.py",
        "import os\n\n\ndef f(c):\n    os.system('rm ' + c)\n",
        "ruff/S605",
        "os.system",
        W,
    ),
    (
        "pickle",
        "py/pickle_.py",
        "from pickle import loads\n\n\ndef f(b):\n    return loads(b)\n",
        "ruff/S301",
        "loads(b)",
        W,
    ),
    (
        "yaml-load",
        "py/yaml1.py",
        "import yaml\n\n\ndef f(s):\n    return yaml.load(s)\n",
        "ruff/S506",
        "yaml.load",
        W,
    ),
    (
        "sql-fstring",
        "py/sql1.py",
        'def f(cur, x):\n    cur.execute(f"SELECT * FROM t WHERE id = {x}")\n',
        "ruff/S608",
        'f"SELECT',
        W,
    ),
    (
        "no-timeout",
        "py/req.py",
        "import requests\n\n\ndef f(u):\n    return requests.get(u)\n",
        "ruff/S113",
        "requests.get",
        W,
    ),
    (
        "no-verify",
        "py/tls.py",
        "import requests\n\n\ndef f(u):\n    return requests.get(u, verify=False, timeout=3)\n",
        "ruff/S501",
        "verify=False",
        W,
    ),
    (
        "weak-hash",
        "py/hash.py",
        "import hashlib\n\n\ndef f(b):\n    return hashlib.md5(b)\n",
        "ruff/S324",
        "hashlib.md5",
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
        "secret-keyword",
        "py/db.py",
        'db_password = "s3cr3t-Pa55w0rd"\n',
        "review/security/hardcoded-secret",
        "s3cr3t",
        W,
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
        "secret-go",
        "svc/key.go",
        'const token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n',
        "review/security/hardcoded-secret",
        "ghp_",
        E,
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
        "el.innerHTML",
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
        "`SELECT",
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
    # correctness
    (
        "bare-except",
        "py/bare.py",
        "def f():\n    try:\n        pass\n    except:\n        pass\n",
        "ruff/E722",
        "except:",
        W,
    ),
    ("mutable-default", "py/mut.py", "def f(x={}):\n    return x\n", "ruff/B006", "{}", W),
    (
        "mutable-default-passed-on",
        "py/mut2.py",
        "def f(run, ns={}):\n    run(user_ns=ns)\n",
        "ruff/B006",
        "{}",
        W,
    ),
    (
        "old-tls",
        "py/old_tls.py",
        "from OpenSSL import SSL\n\n\ndef f(method=SSL.TLSv1_METHOD):\n    return method\n",
        "ruff/S503",
        "SSL.TLSv1_METHOD",
        W,
    ),
    (
        "assert-tuple",
        "py/assert_.py",
        "def f(x):\n    assert (x, 'message')\n",
        "ruff/F631",
        "assert (x",
        W,
    ),
    ("is-literal", "py/islit.py", "def f(x):\n    return x is 'a'\n", "ruff/F632", "x is 'a'", W),
    (
        "return-in-finally",
        "py/fin.py",
        "def f():\n    try:\n        return 1\n    finally:\n        return 2\n",
        "ruff/B012",
        "return 2",
        W,
    ),
    ("breakpoint", "py/bp.py", "def f():\n    breakpoint()\n", "ruff/T100", "breakpoint", W),
    (
        "undefined-name",
        "py/undef.py",
        "def f():\n    return missing_name\n",
        "ruff/F821",
        "missing_name",
        W,
    ),
    ("conflict", "notes.txt", "<<<<<<< HEAD\n", "review/correctness/conflict-marker", "<<<<<<<", E),
    (
        "console-log",
        "web/log.ts",
        "function f() {\n  console.log('x');\n}\n",
        "review/correctness/console-log",
        "console.log",
        I,
    ),
    (
        "debugger-js",
        "web/dbg.js",
        "function f() {\n  debugger;\n}\n",
        "review/correctness/debugger",
        "debugger",
        W,
    ),
    (
        "loose-eq",
        "web/eq.js",
        "function f(a, b) {\n  return a == b;\n}\n",
        "review/correctness/loose-equality",
        "==",
        I,
    ),
    (
        "go-print",
        "svc/dbg.go",
        'func F() {\n\tfmt.Println("here")\n}\n',
        "review/correctness/debug-print",
        "fmt.Println",
        I,
    ),
    (
        "go-unchecked",
        "svc/rm.go",
        'func G() {\n\t_ = os.Remove("x")\n}\n',
        "review/correctness/unchecked-error",
        "_ = os.Remove",
        W,
    ),
    # performance
    (
        "string-concat",
        "py/concat.py",
        "def f(xs):\n    s = ''\n    for x in xs:\n        s += x\n    return s\n",
        "review/performance/string-concat-in-loop",
        "s += x",
        I,
    ),
    (
        "query-in-loop",
        "py/nplus1.py",
        "def f(cursor, ids):\n    for i in ids:\n        cursor.execute('SELECT a FROM t WHERE id = ?', (i,))\n",
        "review/performance/query-in-loop",
        "cursor.execute",
        I,
    ),
    (
        "sleep-in-async",
        "py/sleep.py",
        "import time\n\n\nasync def f():\n    time.sleep(1)\n",
        "ruff/ASYNC251",
        "time.sleep",
        W,
    ),
    # tests
    (
        "assert-in-except",
        "tests/test_fails.py",
        "def test_f():\n    try:\n        int('x')\n    except ValueError as e:\n"
        "        assert 'x' in str(e)\n",
        "ruff/PT017",
        "assert 'x'",
        I,
    ),
    # accessibility
    (
        "img-alt-jsx",
        "web/pic.tsx",
        'const P = () => <img src="a.png" />;\n',
        "review/accessibility/img-alt",
        "<img",
        W,
    ),
    (
        "img-alt-html",
        "site/index.html",
        '<img src="a.png">\n',
        "review/accessibility/img-alt",
        "<img",
        W,
    ),
    (
        "click-div",
        "web/click.tsx",
        "const C = () => <div onClick={go}>x</div>;\n",
        "review/accessibility/click-without-key",
        "<div",
        W,
    ),
    (
        "click-vue",
        "web/Card.vue",
        '<template>\n  <span @click="go">x</span>\n</template>\n',
        "review/accessibility/click-without-key",
        "<span",
        W,
    ),
    (
        "input-label",
        "site/form.html",
        '<input type="text" name="q">\n',
        "review/accessibility/input-label",
        "<input",
        W,
    ),
]

# (case id, path, snippet, rule that must stay silent)
QUIET: list[tuple[str, str, str, str]] = [
    (
        "safe-yaml",
        "ok/yaml_.py",
        "import yaml\n\n\ndef f(s):\n    return yaml.load(s, Loader=yaml.SafeLoader)\n",
        "ruff/S506",
    ),
    (
        "bound-sql",
        "ok/sql.py",
        "def f(cur, x):\n    cur.execute('SELECT * FROM t WHERE id = ?', (x,))\n",
        "ruff/S608",
    ),
    (
        "placeholder-secret",
        "ok/conf.py",
        'password = "changeme"\nTOKEN_URL = "https://example.com/oauth/token"\nPASSWORD_FIELD = "password_hash"\n'
        'api_key = os.environ["API_KEY"]\n',
        "review/security/hardcoded-secret",
    ),
    ("assert-in-code", "ok/inv.py", "def f(x):\n    assert x > 0\n    return x\n", "ruff/S101"),
    (
        "random",
        "ok/rand.py",
        "import random\n\n\ndef f():\n    return random.choice('ab')\n",
        "ruff/S311",
    ),
    (
        "int-counter",
        "ok/count.py",
        "def f(xs):\n    n = 0\n    for x in xs:\n        n += 1\n    return n\n",
        "review/performance/string-concat-in-loop",
    ),
    (
        "sync-sleep",
        "ok/sleep.py",
        "import time\n\n\ndef f():\n    time.sleep(1)\n",
        "ruff/ASYNC251",
    ),
    ("none-default", "ok/default.py", "def f(x=None, y=()):\n    return x\n", "ruff/B006"),
    (
        "eq-null",
        "ok/eq.js",
        "function f(a) {\n  return a == null;\n}\n",
        "review/correctness/loose-equality",
    ),
    (
        "eq-typeof",  # typeof gives a string: nothing to coerce (ESLint's eqeqeq "smart")
        "ok/typeof.js",
        "function f(a) {\n  return typeof a.then == 'function' || 'function' != typeof a;\n}\n",
        "review/correctness/loose-equality",
    ),
    (
        "tagged-sql",
        "ok/db.ts",
        "const q = sql`SELECT * FROM t WHERE id = ${id}`;\n",
        "review/security/sql-format",
    ),
    # PT011 (broad pytest.raises) and PT031 (several statements under pytest.warns) are not
    # asked for: on real diffs they flagged deliberate tests
    (
        "broad-raises",
        "tests/test_broad.py",
        "import pytest\n\n\ndef test_f():\n    with pytest.raises(ValueError):\n        int('x')\n",
        "ruff/PT011",
    ),
    (
        "warns-block",
        "tests/test_block.py",
        "import warnings\n\nimport pytest\n\n\ndef test_f():\n    with pytest.warns(UserWarning):\n"
        "        warnings.warn('a')\n        warnings.warn('b')\n",
        "ruff/PT031",
    ),
    # B026 and PERF102 are not asked for: on release diffs they flagged code that works
    (
        "star-after-keyword",
        "ok/star.py",
        "def f(make, title):\n    return make('', internal=False, *[title])\n",
        "ruff/B026",
    ),
    (
        "items-one-half",
        "ok/items.py",
        "def f(d):\n    for _, v in d.items():\n        yield v\n",
        "ruff/PERF102",
    ),
    # a mutable default the body only reads cannot carry state from one call to the next
    (
        "mutable-default-only-read",
        "ok/readonly.py",
        "def f(opts={}, names=[]):\n    return bool(opts) and opts.get('a'), names[:], len(names)\n",
        "ruff/B006",
    ),
    # SSLv23 is the old name of "negotiate the best TLS version"
    (
        "tls-negotiate",
        "ok/negotiate.py",
        "from OpenSSL import SSL\n\n\ndef f(method=SSL.SSLv23_METHOD):\n    return method\n",
        "ruff/S503",
    ),
    # BLE001 and PT015 are not asked for: on release diffs they flagged deliberate code
    (
        "blind-except",
        "ok/probe.py",
        "def f(x):\n    try:\n        return repr(x)\n    except Exception:\n        return '?'\n",
        "ruff/BLE001",
    ),
    ("assert-false", "tests/test_af.py", "def test_f():\n    assert False\n", "ruff/PT015"),
    ("rst-heading", "ok/README.rst", "Title\n=======\n", "review/correctness/conflict-marker"),
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
    (
        "go-main-print",
        "cmd/main.go",
        'func main() {\n\tfmt.Println("usage")\n}\n',
        "review/correctness/debug-print",
    ),
    (
        "img-with-alt",
        "ok/pic.tsx",
        'const P = () => <img src="a.png" alt="" />;\n',
        "review/accessibility/img-alt",
    ),
    (
        "button-click",
        "ok/btn.tsx",
        'const B = () => <div role="button" onClick={go} onKeyDown={go}>x</div>;\n',
        "review/accessibility/click-without-key",
    ),
    (
        "labelled-input",
        "ok/form.html",
        '<label for="q">Search</label>\n<input id="q" type="text">\n<label>Name <input type="text"></label>\n',
        "review/accessibility/input-label",
    ),
]


def _marker(path: str) -> str:
    if path.endswith((".html", ".vue")):
        return "<!-- {} -->"
    return "// {}" if path.endswith((".js", ".ts", ".tsx", ".go")) else "# {}"


def _old(snippet: str, path: str) -> str:
    head = (
        ("package main\n\n" if "/main" in path else "package svc\n\n")
        if path.endswith(".go")
        else ""
    )
    return f"{head}{_marker(path).format('old')}\n{snippet}"


def _new(snippet: str, path: str) -> str:
    return f"{_old(snippet, path)}\n{_marker(path).format('new')}\n{snippet}"


@pytest.fixture(scope="module")
def reviewed(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, Item], AnalyzerOutput]:
    root = init_repo(tmp_path_factory.mktemp("review") / "repo")
    cases = [(p, s) for _, p, s, *_ in CASES] + [(p, s) for _, p, s, _ in QUIET]
    commit_files(root, {p: _old(s, p) for p, s in cases})
    write(root, {p: _new(s, p) for p, s in cases})
    items = diff_items(root)
    out = analyze("diff-review", items, root)
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
    assert rule in RULES or rule.startswith("ruff/")
    # The snippet stands twice: once unchanged, once added. Which copy git calls the added
    # one is its choice (identical text aligns either way); exactly one of them is added.
    both = _lines_with(root, path, needle)
    assert len(both) == 2, both
    [new_line] = [n for n in both if n in DiffItemData.read(items[path].data).added_lines()]
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
    assert DiffItemData.read(items[path].data).added_lines()
    assert _findings(out, path, rule) == []


def test_unchanged_files_and_lines_are_never_reported(reviewed: Any) -> None:
    root, items, out = reviewed
    for f in out.findings:
        assert f.range.start.line in DiffItemData.read(items[f.path].data).added_lines(), (
            f.path,
            f.rule,
            f.range.start.line,
        )


def test_output_lists_each_file_and_its_checks(reviewed: Any) -> None:
    _, _, out = reviewed
    files = {f["path"]: f for f in out.output["files"]}
    assert files["py/eval.py"]["checks"] == [
        "conflict-markers",
        "secrets",
        "python-loops",
        "ruff",
    ]  # a test changed in this diff: the tests pass's own check has nothing to say
    assert files["web/log.ts"]["checks"] == ["conflict-markers", "secrets", "ast-grep"]
    assert files["web/pic.tsx"]["checks"][-1] == "accessibility"
    assert files["tests/test_broad.py"]["role"] == "test"
    assert files["tests/test_broad.py"]["checks"] == ["conflict-markers", "secrets", "ruff"]
    [hit] = [h for h in files["py/eval.py"]["hits"] if h["rule"] == "ruff/S307"]
    assert hit["line"] == 6 and hit["severity"] == "warning" and "(ruff S307)" in hit["message"]


def test_every_finding_says_its_pass(reviewed: Any) -> None:
    _, _, out = reviewed
    expected = {
        "eval": "security",
        "bare-except": "correctness",
        "string-concat": "performance",
        "assert-in-except": "tests",
        "img-alt-jsx": "accessibility",
    }
    for case_id, p in expected.items():
        [(_, path, _, rule, _, _)] = [c for c in CASES if c[0] == case_id]
        [f] = _findings(out, path, rule)
        assert (
            f.data.extra("pass") == p
            and f.data.extra("passes") == [p]
            and f.data.extra("source") == f"swath/{p}"
        )


def _review(
    root: Path, params: dict[str, Any] | None = None
) -> tuple[dict[str, Item], AnalyzerOutput]:
    items = diff_items(root)
    return by_path(items), analyze("diff-review", items, root, params or {})


def test_syntax_error_in_a_changed_file(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r")
    commit_files(root, {"m.py": "def f():\n    return 1\n"})
    write(root, {"m.py": "def f():\n    return 1\n\n\ndef g(:\n    pass\n"})
    _, out = _review(root)
    errors = [f for f in out.findings if f.severity == Severity.error]
    assert [(f.rule, f.range.start.line) for f in errors][:1] == [
        ("review/correctness/syntax-error", 4)
    ]
    assert "ruff's parser" in errors[0].message


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
    write(root, {"m.py": "x = 1\ntry:\n    y = eval(x)\nexcept:\n    pass\n"})
    _, out = _review(root)
    assert [f.rule for f in out.findings] == ["ruff/S307", "ruff/E722"]
    _, out = _review(root, {"disable": ["ruff/E7*"]})
    assert [f.rule for f in out.findings] == ["ruff/S307"]


def _count_ruff_starts(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    from swath.analyzers import review_ruff

    runs: list[list[str]] = []
    real = review_ruff._start
    monkeypatch.setattr(
        review_ruff,
        "_start",
        lambda cmd, r, paths, added: runs.append(paths) or real(cmd, r, paths, added),
    )
    return runs


def test_ruff_runs_once_for_all_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One ruff process for every batch of every pass: each task reads its files' slice."""
    from swath.analyzers import registry
    from swath.analyzers.base import AnalyzerContext
    from swath.workspace import Workspace

    root = init_repo(tmp_path / "r")
    commit_files(root, {"a.py": "x = 1\n", "b.py": "y = 1\n", "c.ts": "let c = 1;\n"})
    write(
        root,
        {
            "a.py": "x = 1\nz = eval(x)\n",
            "b.py": "y = 1\ntry:\n    pass\nexcept:\n    pass\n",
            "c.ts": "let c = 1;\nlet d = 2;\n",
        },
    )
    runs = _count_ruff_starts(monkeypatch)
    items = diff_items(root)
    found = []
    for p in ("security", "correctness", "performance", "tests"):
        for item in items:  # a batch of one file: three tasks per pass
            ctx = AnalyzerContext(workspace=Workspace(root), params={"pass": p}, step_items=items)
            found += registry.get("diff-review").analyze([item], ctx).findings  # type: ignore[union-attr]
    assert runs == [["a.py", "b.py"]]
    assert sorted((f.path, f.rule, f.data.extra("pass")) for f in found) == [
        ("a.py", "ruff/S307", "security"),
        ("b.py", "ruff/E722", "correctness"),
    ]
    # Without the step's items (a caller that knows only the batch): one run per batch.
    runs.clear()
    for p in ("security", "correctness"):
        analyze("diff-review", [items[0]], root, {"pass": p})
    assert runs == [["a.py"]]


def test_the_steps_python_files_are_worked_out_once_by_passes_starting_together(
    tmp_path: Path,
) -> None:
    """The tasks of every pass ask for the step's Python files at once: one works them out,
    the others get that very answer (they each read every item of the step before)."""
    import threading

    from swath.analyzers import review
    from swath.analyzers.review_settings import ReviewSettings

    root = init_repo(tmp_path / "r")
    names = [f"m{n:02}.py" for n in range(40)]
    commit_files(root, {n: "x = 1\n" for n in names})
    write(root, {n: "x = 1\ny = 2\n" for n in names})
    items = diff_items(root)
    start = threading.Barrier(6)
    got: list[object] = []

    def task() -> None:
        start.wait()
        got.append(review._step_python(items, ReviewSettings(), root))

    threads = [threading.Thread(target=task) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 6 and len({id(g) for g in got}) == 1
    assert got[0] == {n: frozenset({1}) for n in names}


def test_one_ruff_run_for_a_multi_batch_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the engine: 30 files are two batches of each of the four passes that ask
    ruff (eight tasks), and one ruff process sees all 30."""
    import asyncio

    from tests.workflows.test_workflows_e2e import run_engine

    root = init_repo(tmp_path / "r")
    names = [f"pkg/m{n:02}.py" for n in range(30)]
    commit_files(root, {n: "x = 1\n" for n in names})
    write(root, {n: "x = 1\ntry:\n    y = eval(x)\nexcept:\n    pass\n" for n in names})
    runs = _count_ruff_starts(monkeypatch)
    report = asyncio.run(run_engine(root, "review-diff"))
    assert runs == [names]
    rules = sorted((f.path, f.rule) for f in report.findings)
    assert rules == sorted((n, r) for n in names for r in ("ruff/E722", "ruff/S307"))


def test_review_goes_on_when_ruff_is_off_or_broken(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r")
    commit_files(root, {"m.py": "x = 1\n"})
    write(root, {"m.py": 'x = 1\ny = eval(x)\nKEY = "AKIAIOSFODNN7EXAMPLE"\n'})
    items = diff_items(root)
    out = analyze("diff-review", items, root, {"ruff": "off"})
    assert [f.rule for f in out.findings] == ["review/security/hardcoded-secret"]
    assert "ruff" not in out.output["files"][0]["checks"]
    broken = tmp_path / "broken-ruff"
    broken.write_text("#!/bin/sh\necho boom >&2\nexit 2\n")
    broken.chmod(0o755)
    out = analyze("diff-review", items, root, {"ruff": str(broken)})
    assert [f.rule for f in out.findings] == ["review/security/hardcoded-secret"]
    assert "ruff failed (2): boom" in out.output["files"][0]["ruff"]


def test_absurdly_nested_code_still_gets_the_line_rules(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r")
    commit_files(root, {"m.py": "x = 1\n"})
    write(root, {"m.py": 'x = 1\nk = "AKIAIOSFODNN7EXAMPLE"\nz = ' + "-" * 5000 + "1\n"})
    _, out = _review(root)
    assert "review/security/hardcoded-secret" in [f.rule for f in out.findings]
    assert out.output["files"][0]["notes"] == [
        "loop rules skipped: syntax this Python does not parse"
    ]


# -- the loop rules parse only the top-level statements around added lines ---------------------

LOOPS_OLD = '''"""A module."""
import sqlite3

prefix = ""
DOC = """
for row in rows:
    cursor.execute("SELECT 1 FROM t")
"""
ITEMS = [
1,
2,
]


def report(cursor, ids):
    out = []
    for i in ids:
        out.append(i)
    return out


try:
    import json
except ImportError:
    json = None
'''

LOOPS_NEW = (
    LOOPS_OLD.replace(
        '    cursor.execute("SELECT 1 FROM t")\n',
        '    cursor.execute("SELECT 1 FROM t")\n    cursor.execute("SELECT 2 FROM t")\n',
    )
    .replace(
        "2,\n]\n",
        "2,\n]\nfor item in ITEMS:\n    prefix += str(item)\n",
    )
    .replace(
        "        out.append(i)\n",
        "        out.append(i)\n        cursor.execute('SELECT a FROM t WHERE id = ?', (i,))\n",
    )
    .replace(
        "    json = None\n",
        "    json = None\n    for name in ('a', 'b'):\n        prefix += name\n",
    )
)


def test_loop_rules_on_regions_see_what_the_whole_file_shows(tmp_path: Path) -> None:
    # A string at column 0 that reads like code, a list whose items stand at column 0, a
    # module-level name bound far from its loop, an `except` clause at column 0: the region
    # cuts must not turn any of them into a false hit or lose a true one.
    root = init_repo(tmp_path / "r")
    commit_files(root, {"m.py": LOOPS_OLD})
    write(root, {"m.py": LOOPS_NEW})
    items, out = _review(root)
    lines = LOOPS_NEW.split("\n")
    found = sorted((f.rule, lines[f.range.start.line].strip()) for f in out.findings)
    assert found == [
        (
            "review/performance/query-in-loop",
            "cursor.execute('SELECT a FROM t WHERE id = ?', (i,))",
        ),
        ("review/performance/string-concat-in-loop", "prefix += name"),
        ("review/performance/string-concat-in-loop", "prefix += str(item)"),
    ]
    # The same hits as the whole file's parse gives.
    from swath.analyzers.review_python import python_hits

    added = DiffItemData.read(items["m.py"].data).added_lines()
    whole = python_hits("m.py", LOOPS_NEW, lines)
    assert whole is not None
    assert sorted((h.rule, h.line) for h in whole if h.line in added) == sorted(
        (f.rule, f.range.start.line) for f in out.findings
    )


def test_every_rule_is_one_registration_the_analyzer_lists() -> None:
    """A rule registered beside its check is in the analyzer's rules (a cached run describes
    it); the same id registered again with something else is refused."""
    from swath.analyzers.review import DiffReview
    from swath.analyzers.review_rules import rule

    listed = {r.id for r in DiffReview.rules}
    assert RULES and set(RULES) <= listed
    assert all(r.id.startswith(f"review/{r.pass_}/") for r in RULES.values())
    eval_rule = RULES["review/security/eval"]
    assert rule("security", "eval", eval_rule.severity, eval_rule.description) is not None
    with pytest.raises(ValueError, match="registered twice"):
        rule("security", "eval", Severity.error, "something else")
    with pytest.raises(ValueError, match="is not a pass"):
        rule("style", "tabs", Severity.hint, "Tabs.")
