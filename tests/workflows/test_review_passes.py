"""review-diff's passes on real git repositories: the project's Python version and ruff
configuration, tests and test data, suppressions, the repository setting, merging, and the
ways a change can stand in git (staged, unstaged, untracked, renamed, on a branch)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from swath.analyzers import review as review_analyzer
from swath.analyzers.review_passes import PASSES, PassError, parse_passes, selector_matches
from swath.analyzers.review_report import merge_passes
from swath.analyzers.review_settings import ReviewSettingError
from swath.findings.model import Evidence, Finding, Range, Severity
from swath.findings.report import RunReport, RunStatus
from swath.spec.records import Item
from tests.gitrepo import commit_files, git, init_repo
from tests.workflows.helpers import analyze, diff_items, write
from tests.workflows.test_workflows_e2e import run_engine

PEP695 = "type Pair[T] = tuple[T, T]\n\n\ndef first[T](p: Pair[T]) -> T:\n    return p[0]\n"
TSTRING = 'def greet(name):\n    return t"hello {name}"\n'


def _repo(tmp_path: Path, committed: dict[str, str], *, requires: str | None = None) -> Path:
    root = init_repo(tmp_path / "repo")
    files = dict(committed)
    if requires:
        files["pyproject.toml"] = f'[project]\nname = "p"\nrequires-python = "{requires}"\n'
    commit_files(root, files or {"README.md": "r\n"})
    return root


def _review(root: Path, **params: Any) -> list[Finding]:
    return analyze("diff-review", diff_items(root), root, params).findings


def _rules(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return sorted((f.path, f.rule, f.range.start.line) for f in findings)


def review(root: Path, **inputs: Any) -> RunReport:
    report: RunReport = asyncio.run(run_engine(root, "review-diff", **inputs))
    return report


# -- the Python the project targets ----------------------------------------------------------


def test_new_syntax_under_a_project_that_targets_it_is_no_error(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"lib/a.py": "x = 1\n"}, requires=">=3.14")
    write(root, {"lib/a.py": "x = 1\n" + PEP695, "lib/b.py": TSTRING})
    report = review(root, passes="correctness,security")
    assert report.status == RunStatus.succeeded
    assert [f.rule for f in report.findings] == []
    summary = report.outputs["summary"]
    assert summary["verdict"] == "looks good"
    # the interpreter running this test may be older than 3.12: its ast cannot read the files,
    # which costs the loop rules only, and says so
    notes = {f["path"]: f.get("notes") for f in summary["files"]}
    assert set(notes) == {"lib/a.py", "lib/b.py"}


def test_syntax_newer_than_the_target_is_a_warning_not_an_error(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"lib/b.py": "x = 1\n"}, requires=">=3.12")
    write(root, {"lib/b.py": "x = 1\n" + TSTRING})
    findings = _review(root, **{"pass": "correctness"})
    [f] = findings
    assert (f.rule, f.range.start.line, f.severity) == (
        "review/correctness/unsupported-syntax",
        2,
        Severity.warning,
    )
    assert "Cannot use t-strings on Python 3.12" in f.message and "pyproject.toml" in f.message


def test_a_file_that_truly_no_longer_parses_is_an_error(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"lib/c.py": "x = 1\n"}, requires=">=3.14")
    write(root, {"lib/c.py": "x = 1\ndef broken(:\n    pass\n"})
    report = review(root, passes="correctness")
    errors = [f for f in report.findings if f.severity == Severity.error]
    assert [(f.rule, f.range.start.line) for f in errors] == [
        ("review/correctness/syntax-error", 1)
    ]
    assert report.outputs["summary"]["verdict"] == "changes requested"


# -- the project's ruff configuration ----------------------------------------------------------


def test_the_projects_ruff_ignore_per_file_ignores_and_select_are_honoured(
    tmp_path: Path,
) -> None:
    config = (
        '[project]\nname = "p"\nrequires-python = ">=3.11"\n'
        "[tool.ruff.lint]\n"
        'select = ["E", "F", "B"]\n'
        'ignore = ["E722"]\n'
        'per-file-ignores = {"legacy/*" = ["S"]}\n'
    )
    root = _repo(
        tmp_path, {"pyproject.toml": config, "app.py": "x = 1\n", "legacy/old.py": "y = 1\n"}
    )
    code = (
        "def f(b):\n    try:\n        return eval(b)\n    except:\n        pass\n"
        "    try:\n        return int(b)\n    except ValueError:\n        raise KeyError(b)\n"
    )
    write(root, {"app.py": "x = 1\n" + code, "legacy/old.py": "y = 1\n" + code})
    found = {(f.path, f.rule) for f in _review(root) if f.rule.startswith("ruff/")}
    assert found == {
        ("app.py", "ruff/S307"),  # security is the review's, whatever the project selects
        ("app.py", "ruff/B904"),  # the project selects all of B: B904 joins correctness
        ("legacy/old.py", "ruff/B904"),  # per-file-ignores drop S here, not B
    }  # and E722, which the project ignores, nowhere


def test_ruff_selectors_follow_ruffs_meaning() -> None:
    assert selector_matches("B", "B904") and not selector_matches("B", "BLE001")
    assert selector_matches("S1", "S101") and not selector_matches("S1", "S201")
    assert selector_matches("PL", "PLE0101") and selector_matches("ALL", "T201")


def test_a_newer_builtin_behind_a_version_guard_is_no_undefined_name(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"lib/a.py": "x = 1\n"}, requires=">=3.8")
    write(
        root,
        {
            "lib/a.py": "import sys\n\nif sys.version_info >= (3, 11):\n"
            "    ExceptionGroup = ExceptionGroup\nelse:\n\n    class ExceptionGroup(Exception):\n"
            "        pass\n\n\ntry:\n    group = BaseExceptionGroup\nexcept NameError:\n"
            "    group = None\n",
            "lib/b.py": "def f(errors):\n    raise ExceptionGroup('many', errors)\n",
        },
    )
    found = [(f.path, f.rule, f.range.start.line) for f in _review(root) if f.rule == "ruff/F821"]
    # Unguarded on a project that supports 3.8, it is still undefined there.
    assert found == [("lib/b.py", "ruff/F821", 1)]


# -- tests and test data -------------------------------------------------------------------------


def test_tests_get_secrets_and_their_own_rules_and_test_data_nothing(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"README.md": "r\n"})
    test_code = (
        "import pytest\n\n\ndef test_f():\n    print('debug')\n    assert eval('1') == 1\n"
        '    token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n'
        "    with pytest.raises(ValueError):\n        int('x')\n"
        "    try:\n        int('y')\n    except ValueError as e:\n        assert 'y' in str(e)\n"
    )
    write(
        root,
        {
            "tests/test_f.py": test_code,
            "tests/data/sample.py": "eval(x)\nexcept_all = 1\ntry:\n    pass\nexcept:\n    pass\n",
            "pkg/testdata/config.js": 'console.log("x"); const key = "AKIAIOSFODNN7EXAMPLE";\n',
            "web/__snapshots__/a.tsx": 'export const A = () => <img src="a.png" />;\n',
        },
    )
    out = analyze("diff-review", diff_items(root), root)
    assert _rules(out.findings) == [
        ("tests/test_f.py", "review/security/hardcoded-secret", 6),
        ("tests/test_f.py", "ruff/PT017", 12),  # PT011 on the broad raises is not asked for
    ]
    skipped = {f["path"]: f["skipped"] for f in out.output["files"]}
    assert skipped == {
        "tests/test_f.py": None,
        "tests/data/sample.py": "test data",
        "pkg/testdata/config.js": "test data",
        "web/__snapshots__/a.tsx": "test data",
    }


# In the shape of the files a release of preact and of tRPC changed: a minified bundle (one
# line), a `dist/` build of the source, plus a Go file and a protobuf module their generators
# wrote. The same problem in the source is still found.
MINIFIED = (
    'var n,t,r,u={},i=[];function f(n){return"function"==typeof n.then}'
    + ";function c(n,t){n.innerHTML=t}" * 8
    + "\n"
)
TRPC_DIST = (
    "function once(e) {\n"
    '  if ("function" != typeof e) throw new TypeError("x");\n'
    "  el.innerHTML = e;\n"
    "  console.log(e);\n"
    "}\n"
)
GO_GENERATED = (
    '// Code generated by protoc-gen-go. DO NOT EDIT.\n\npackage pb\n\nimport "fmt"\n\n'
    'func Debug() {\n\tfmt.Println("x")\n}\n'
)
PB2 = (
    "# -*- coding: utf-8 -*-\n# Generated by the protocol buffer compiler.  DO NOT EDIT!\n"
    "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"
    "    try:\n        pass\n    except:\n        pass\n"
)


def test_generated_code_gets_the_secrets_check_only(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"README.md": "r\n", "tests/test_a.py": "def test_a():\n    pass\n"})
    write(
        root,
        {
            "dist/preact.mjs": MINIFIED,
            "lib/bundle.js": MINIFIED,  # minified where no path says so
            "dist/once.cjs": TRPC_DIST
            + 'const key = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";\n',
            "pb/api.pb.go": GO_GENERATED,
            "pb/gen.go": GO_GENERATED,  # the header alone says so
            "proto/api_pb2.py": PB2,
            "proto/other.py": PB2,
            "src/once.js": TRPC_DIST,
        },
    )
    out = analyze("diff-review", diff_items(root), root)
    by_path: dict[str, list[str]] = {}
    for f in out.findings:
        by_path.setdefault(f.path, []).append(f.rule)
    # the source's own problems, and the secret in the build output; nothing else of the builds
    assert sorted(by_path) == ["dist/once.cjs", "src/once.js"]
    assert by_path["dist/once.cjs"] == ["review/security/hardcoded-secret"]
    assert "review/security/inner-html" in by_path["src/once.js"]
    roles = {f["path"]: (f["role"], f["checks"]) for f in out.output["files"]}
    for path in sorted(set(roles) - {"src/once.js", "dist/once.cjs", "tests/test_a.py"}):
        assert roles[path] == ("generated", ["conflict-markers", "secrets"]), path
    assert roles["src/once.js"][0] == "source"


def test_gitattributes_have_the_last_word_on_generated_code(tmp_path: Path) -> None:
    """GitHub linguist's attributes, as a repository writes them: `linguist-generated` marks
    a file Swath would call source, `-linguist-vendored` / `linguist-generated=false` give
    back one it would call generated (a project that keeps its own code under `dist/`)."""
    attributes = (
        "api/client/** linguist-generated\n"
        "dist/tool.js -linguist-vendored\n"
        "dist/own.js linguist-generated=false\n"
    )
    root = _repo(tmp_path, {".gitattributes": attributes})
    changed = ["api/client/a.js", "api/server/a.js", "dist/tool.js", "dist/own.js", "dist/b.js"]
    write(root, dict.fromkeys(changed, TRPC_DIST))
    items = diff_items(root)
    assert {i.path: i.data.get("generated") for i in items} == {
        "api/client/a.js": True,
        "api/server/a.js": None,  # nothing said: left out of the item
        "dist/tool.js": False,
        "dist/own.js": False,
        "dist/b.js": None,
    }
    assert "generated" not in next(i.data for i in items if i.path == "dist/b.js")
    out = analyze("diff-review", items, root)
    roles = {f["path"]: f["role"] for f in out.output["files"]}
    assert roles == {
        "api/client/a.js": "generated",
        "api/server/a.js": "source",
        "dist/tool.js": "source",
        "dist/own.js": "source",
        "dist/b.js": "generated",
    }
    assert {f.path for f in out.findings} == {"api/server/a.js", "dist/tool.js", "dist/own.js"}


def test_loose_equality_in_a_file_whose_style_it_is_is_not_reported(tmp_path: Path) -> None:
    """preact compares with `==` throughout: one more `==` there is its style, not a slip;
    in a file that otherwise compares strictly it is worth a look."""
    loose = "function a(x, y) {\n  if (x == y) return 1;\n  return x != 2;\n}\n"
    strict = "function a(x, y) {\n  if (x === y) return 1;\n  return x !== 2;\n}\n"
    root = _repo(tmp_path, {"src/loose.js": loose, "src/strict.js": strict})
    added = "function b(n, end) {\n  return n == end;\n}\n"
    write(root, {"src/loose.js": loose + added, "src/strict.js": strict + added})
    out = analyze("diff-review", diff_items(root), root, {"pass": "correctness"})
    assert _rules(out.findings) == [("src/strict.js", "review/correctness/loose-equality", 5)]
    notes = {f["path"]: f.get("notes") for f in out.output["files"]}
    assert notes["src/loose.js"] == [
        "review/correctness/loose-equality: the file's unchanged lines compare with ==/!= 2 times"
    ]


# zod's lib/: TypeScript's output, known by the helpers tsc writes at the top
TSC_OUTPUT = (
    '"use strict";\n'
    "var __awaiter = (this && this.__awaiter) || function (thisArg, _arguments, P, g) {\n"
    "};\n"
    'Object.defineProperty(exports, "__esModule", { value: true });\n'
    "function jwt(x) {\n  return x == 1;\n}\nexports.jwt = jwt;\n"
)


def test_compiler_output_is_generated_code(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"README.md": "r\n", "tests/test_a.py": "def test_a():\n    pass\n"})
    write(root, {"lib/types.js": TSC_OUTPUT, "lib/errors.js": TSC_OUTPUT.replace("var __", "// ")})
    out = analyze("diff-review", diff_items(root), root)
    assert out.findings == []
    assert {f["path"]: f["role"] for f in out.output["files"]} == {
        "lib/errors.js": "generated",  # the __esModule mark alone
        "lib/types.js": "generated",
    }


def test_generated_paths_named_in_the_repository_setting(tmp_path: Path) -> None:
    root = _repo(tmp_path, {".swath/review.yaml": 'generated: ["api/client/"]\n'})
    write(root, {"api/client/a.js": TRPC_DIST, "api/server/a.js": TRPC_DIST})
    paths = {f.path for f in _review(root)}
    assert paths == {"api/server/a.js"}


MADE_UP_CREDENTIALS = [
    'URL = "http://user:pass@localhost"\n',
    'URL = "https://foo:bar@example.com/path"\n',
    'PROXY = "http://username:password@proxy.example.org:3128"\n',
    'DB = "postgres://admin:s3cr3t@db:5432/app"\n',
    'ENCODED = "https://tom%40example.org:p%40ssw0rd@example.org"\n',
    'auth = DigestAuth(username="Mufasa", password="Circle Of Life")\n',
    'client = Client(api_key="abc123def456")\n',
]
REAL_LOOKING = [
    ('DB = "postgres://admin:Zq8rT2vLmN4x@db.internal:5432/app"\n', "Basic Auth Credentials"),
    ('client = Client(api_key="Zq8rT2vLmN4xWp9s")\n', "secret"),
    ('TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n', "GitHub Token"),
]


def _secrets(findings: list[Finding]) -> list[tuple[str, int, str]]:
    return sorted(
        (f.path, f.range.start.line, f.data.extra("kind"))
        for f in findings
        if f.rule == "review/security/hardcoded-secret"
    )


def test_made_up_credentials_in_tests_are_quiet_and_real_looking_ones_are_not(
    tmp_path: Path,
) -> None:
    root = _repo(tmp_path, {"README.md": "r\n"})
    made_up = "".join(MADE_UP_CREDENTIALS)
    real = "".join(line for line, _ in REAL_LOOKING)
    write(
        root,
        {
            "tests/test_client.py": made_up + real,
            "tests/data/urls.json": '{"url": "https://user:Zq8rT2vLmN4x@db.internal"}\n',
            "pkg/client_test.go": 'var u = "https://foo:bar@example.com"\n',
        },
    )
    found = _secrets(_review(root))
    n = len(MADE_UP_CREDENTIALS)
    assert found == [
        ("tests/test_client.py", n + i, kind) for i, (_, kind) in enumerate(REAL_LOOKING)
    ]


def test_url_placeholders_are_quiet_in_source_but_short_real_passwords_are_not(
    tmp_path: Path,
) -> None:
    # Outside tests only a placeholder word is let go: `pass` or `password` is nobody's
    # password, `s3cr3t` in a connection string may well be someone's.
    root = _repo(tmp_path, {"README.md": "r\n"})
    write(
        root,
        {
            "docs/proxies.md": "Proxies with user info (`https://user:pass@proxy.example.org`).\n",
            "app/settings.py": MADE_UP_CREDENTIALS[0] + MADE_UP_CREDENTIALS[3],
        },
    )
    assert _secrets(_review(root)) == [("app/settings.py", 1, "Basic Auth Credentials")]


def test_made_up_credentials_in_docs_comments_and_docstrings_are_quiet(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"README.md": "r\n"})
    example = "model = Model(password='IAmSensitive')"
    real = "model = Model(password='Zq8rT2vLmN4xWp9s')"
    write(
        root,
        {
            "lib/types.py": (
                f'def f():\n    """Example:\n\n    {example}\n    {real}\n    """\n'
                f'    # {example}\n    #> {{"password":"IAmSensitive"}}\n    {example}\n'
            ),
            "docs/usage.md": f"Connect with `{example}`.\n",
            "docs/api.rst": f".. code:: python\n\n   {example}\n",
        },
    )
    assert _secrets(_review(root)) == [
        ("lib/types.py", 4, "secret"),  # real-looking, even in a docstring
        ("lib/types.py", 8, "secret"),  # code: a hard-coded password whatever it looks like
    ]


AREA = "def area(w, h):\n    return w * h\n"
AREA_CHANGED = "def area(w, h):\n    return abs(w * h)\n"


def _untested(root: Path) -> list[tuple[str, str, int]]:
    return _rules([f for f in _review(root) if f.data.extra("pass") == "tests"])


@pytest.mark.parametrize(
    "test_file",
    [
        "tests/helpers.py",  # a tests/ folder, whatever its files are called
        "pkg/test_area.py",
        "pkg/area_test.py",
        "cmd/area_test.go",
        "web/area.spec.ts",
        "web/area.test.ts",
    ],
)
def test_untested_change_fires_where_the_tree_has_tests_elsewhere(
    tmp_path: Path, test_file: str
) -> None:
    root = _repo(tmp_path, {"lib/m.py": AREA, test_file: "x = 1\n"})
    write(root, {"lib/m.py": AREA_CHANGED})
    assert _untested(root) == [("lib/m.py", "review/tests/untested-change", 0)]


def test_untested_change_is_quiet_in_a_tree_without_any_test(tmp_path: Path) -> None:
    # Names near the test globs that are not tests: latest.py, contest.py, testament/ ...
    root = _repo(
        tmp_path,
        {
            "lib/m.py": AREA,
            "lib/latest.py": "x = 1\n",
            "lib/contest.py": "x = 1\n",
            "testament/notes.md": "n\n",
            "web/app.ts": "export const a = 1;\n",
        },
    )
    write(root, {"lib/m.py": AREA_CHANGED})
    items = diff_items(root)
    assert [i.data["tree_has_tests"] for i in items] == [False]
    assert _untested(root) == []
    # Once the tree has a test, the same change without a test change is reported.
    commit_files(root, {"lib/m.py": AREA, "tests/test_m.py": "def test_area():\n    pass\n"})
    write(root, {"lib/m.py": AREA_CHANGED})
    assert _untested(root) == [("lib/m.py", "review/tests/untested-change", 0)]


def test_tests_named_in_the_repository_setting_count_as_tests(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {"lib/m.py": AREA, "qa/check_area.py": "x = 1\n", ".swath/review.yaml": 'tests: ["qa/"]\n'},
    )
    write(root, {"lib/m.py": AREA_CHANGED})
    assert _untested(root) == [("lib/m.py", "review/tests/untested-change", 0)]


def test_a_changed_public_function_with_no_test_change_and_with_one(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            "lib/m.py": "def area(w, h):\n    return w * h\n\n\ndef _helper():\n    return 1\n",
            "tests/test_m.py": "def test_area():\n    assert True\n",
        },
    )
    write(
        root,
        {"lib/m.py": "def area(w, h):\n    return abs(w * h)\n\n\ndef _helper():\n    return 2\n"},
    )
    untested = [f for f in _review(root) if f.data.extra("pass") == "tests"]
    assert _rules(untested) == [("lib/m.py", "review/tests/untested-change", 0)]
    assert "`area` changed and no test in this diff did" in untested[0].message
    write(root, {"tests/test_m.py": "def test_area():\n    assert area(-1, 2) == 2\n"})
    assert [f for f in _review(root) if f.data.extra("pass") == "tests"] == []


# -- suppressions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "line", "rule"),
    [
        ("a.py", "y = eval(x)  # noqa", "ruff/S307"),
        ("a.py", "y = eval(x)  # noqa: S307", "ruff/S307"),
        ("a.py", "y = eval(x)  # nosec", "ruff/S307"),
        ("a.py", "y = eval(x)  # nosec B307", "ruff/S307"),
        ("a.py", "y = eval(x)  # swath: ignore[ruff/S307]", "ruff/S307"),
        ("a.py", "y = eval(x)  # swath: ignore", "ruff/S307"),
        (
            "a.ts",
            "console.log(x); // eslint-disable-line no-console",
            "review/correctness/console-log",
        ),
        (
            "a.ts",
            "// eslint-disable-next-line no-console\nconsole.log(x);",
            "review/correctness/console-log",
        ),
        ("a.ts", "console.log(x); // swath: ignore[console-log]", "review/correctness/console-log"),
        (
            "a.go",
            'func F() {\n\t_ = os.Remove("x") //nolint:errcheck\n}',
            "review/correctness/unchecked-error",
        ),
    ],
)
def test_suppression_comments(tmp_path: Path, path: str, line: str, rule: str) -> None:
    head = (
        "package a\n"
        if path.endswith(".go")
        else "x = 1\n"
        if path.endswith(".py")
        else "let x = 1;\n"
    )
    root = _repo(tmp_path, {path: head})
    write(root, {path: head + line + "\n"})
    assert [f.rule for f in _review(root) if f.rule == rule] == []
    # the same line without the comment is reported: the suppression is what silenced it
    bare = "\n".join(
        part.split(" #")[0].split(" //")[0]
        for part in line.split("\n")
        if "eslint-disable-next" not in part
    )
    write(root, {path: head + bare + "\n"})
    assert [f.rule for f in _review(root) if f.rule == rule] == [rule]


def test_a_suppression_names_its_rule(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"a.py": "x = 1\n"})
    write(root, {"a.py": "x = 1\ny = eval(x)  # noqa: E722\n"})
    assert [f.rule for f in _review(root)] == ["ruff/S307"]
    write(root, {"a.py": "x = 1\ny = eval(x)  # nosec\n"})  # nosec is about security only
    assert [f.rule for f in _review(root)] == []


# -- the repository setting -------------------------------------------------------------------------


PLANTED = {
    "svc/a.py": "x = 1\ny = eval(x)\ntry:\n    pass\nexcept:\n    pass\n",
    "web/a.tsx": 'export const A = () => <img src="a.png" />;\nconsole.log(A);\n',
}


def test_the_repository_setting_switches_passes_and_rules_off(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"README.md": "r\n"})
    write(root, PLANTED)
    write(root, {".swath/review.yaml": "passes: [security, correctness]\ndisable: [E722]\n"})
    report = review(root)
    assert sorted(f.rule for f in report.findings) == [
        "review/correctness/console-log",
        "ruff/S307",
    ]
    md = report.outputs["summary"]["markdown"]
    assert "### Accessibility\n\nSwitched off in `.swath/review.yaml`." in md
    assert report.outputs["summary"]["passes"] == ["security", "correctness"]


def test_the_setting_in_pyproject(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"README.md": "r\n"})
    write(root, PLANTED)
    write(root, {"pyproject.toml": '[tool.swath.review]\npasses = ["accessibility"]\n'})
    assert [f.rule for f in _review(root)] == ["review/accessibility/img-alt"]


def test_a_broken_setting_says_where(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"README.md": "r\n"})
    write(root, PLANTED)
    write(root, {".swath/review.yaml": "disable: [E722]\npasses: [security, speed]\n"})
    with pytest.raises(ReviewSettingError, match=r"\.swath/review\.yaml:2:1: passes: .*'speed'"):
        _review(root)


def test_unknown_pass_names_say_what_exists() -> None:
    assert parse_passes("security, tests") == ["security", "tests"]
    assert parse_passes(None) == parse_passes("all") == parse_passes("")
    with pytest.raises(PassError, match=r"no pass 'securty' \(did you mean 'security'\?\)"):
        parse_passes("securty")


# -- merging across passes ----------------------------------------------------------------------------


def _f(rule: str, line: int, severity: Severity, p: str) -> tuple[Finding, str]:
    f = Finding(
        rule=rule,
        severity=severity,
        path="a.py",
        range=Range.of_line(line, 0, 5),
        message=f"{p} says so",
        evidence=[Evidence(path="a.py", line=line, quote="except:")],
        data={"pass": p},
    )
    return f, p


def test_the_same_problem_from_two_passes_is_one_finding_with_both_tags() -> None:
    merged = merge_passes(
        [
            _f("review/correctness/bare-except", 3, Severity.warning, "correctness"),
            _f("review/security/bare-except", 3, Severity.error, "security"),
            _f("review/security/bare-except", 9, Severity.warning, "security"),  # another line
            _f("review/performance/slow-loop", 3, Severity.information, "performance"),
        ]
    )
    assert [(f.rule, f.range.start.line, f.data.extra("passes")) for f in merged] == [
        ("review/performance/slow-loop", 3, ["performance"]),
        ("review/security/bare-except", 3, ["security", "correctness"]),
        ("review/security/bare-except", 9, ["security"]),
    ]
    both = merged[1]
    assert both.severity == Severity.error and both.message == "security says so"
    assert both.data.extra("also") == [
        {
            "pass": "correctness",
            "rule": "review/correctness/bare-except",
            "message": "correctness says so",
        }
    ]


# -- where the change stands in git --------------------------------------------------------------------


def test_staged_unstaged_untracked_and_renamed_changes_are_all_reviewed(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {"staged.py": "x = 1\n", "unstaged.py": "x = 1\n", "old_name.py": "x = 1\n" * 5},
    )
    write(root, {"staged.py": "x = 1\ny = eval(x)\n"})
    git(root, "add", "staged.py")
    write(root, {"unstaged.py": "x = 1\ny = eval(x)\n", "untracked.py": "y = eval(1)\n"})
    git(root, "mv", "old_name.py", "new_name.py")
    write(root, {"new_name.py": "x = 1\n" * 5 + "y = eval(x)\n"})
    found = _rules([f for f in _review(root) if f.rule == "ruff/S307"])
    assert found == [
        ("new_name.py", "ruff/S307", 5),
        ("staged.py", "ruff/S307", 1),
        ("unstaged.py", "ruff/S307", 1),
        ("untracked.py", "ruff/S307", 0),
    ]
    # the renamed file's old lines are not the change's: only its edit is reviewed
    assert {
        f.path for f in _review(root) if f.range.start.line < 5 and f.path == "new_name.py"
    } == set()


def test_against_a_base_only_the_branchs_lines_count(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"a.py": "x = 1\n"})
    git(root, "checkout", "-q", "-b", "feature")
    commit_files(root, {"a.py": "x = 1\ny = eval(x)\n"}, message="feature")
    git(root, "checkout", "-q", "main")
    commit_files(root, {"b.py": "z = eval(2)\n"}, message="main moves on")
    git(root, "checkout", "-q", "feature")
    findings = analyze("diff-review", diff_items(root, base="main"), root).findings
    assert _rules([f for f in findings if f.rule.startswith("ruff/")]) == [("a.py", "ruff/S307", 1)]
    secret_root = _repo(tmp_path / "s", {"a.py": "x = 1\n"})
    git(secret_root, "checkout", "-q", "-b", "feature")
    commit_files(secret_root, {"a.py": 'x = 1\nKEY = "AKIAIOSFODNN7EXAMPLE"\n'}, message="key")
    [secret] = analyze("diff-review", diff_items(secret_root, base="main"), secret_root).findings
    assert "rotate it if it was ever pushed" in secret.message
    assert "not committed yet" not in secret.message


# -- what only a model reads -----------------------------------------------------------------


def test_an_offline_review_renders_no_pass_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pass prompts (the compact diff and the facts, rendered from the pass's template)
    are for a model: a run without one renders none and stores none (~1.3 MB of text on a
    2,000-line diff). The analyzer asked on its own, as a model run asks it, still does."""
    rendered: list[str] = []
    real = review_analyzer.render_pass_prompt

    def counting(pass_: str, items: list[Item], files: list[Any]) -> str:
        rendered.append(pass_)
        return real(pass_, items, files)

    monkeypatch.setattr(review_analyzer, "render_pass_prompt", counting)
    root = _repo(tmp_path, {"README.md": "r\n"})
    write(root, PLANTED)
    report = review(root)
    assert report.status == RunStatus.succeeded
    assert {"ruff/S307", "ruff/E722", "review/accessibility/img-alt"} <= {
        f.rule for f in report.findings
    }
    assert rendered == []
    conn = sqlite3.connect(root / ".swath" / "swath.db")
    try:
        records = [json.loads(r) for (r,) in conn.execute("SELECT record_json FROM records")]
    finally:
        conn.close()
    passes = [r for r in records if r["step"] in PASSES]
    assert {r["step"] for r in passes} == set(PASSES)
    assert all(r["output"]["files"] and "prompt" not in r["output"] for r in passes)

    out = analyze("diff-review", diff_items(root), root, {"pass": "security"})
    assert rendered == ["security"]
    assert "You are the **security** pass" in out.output["prompt"]
