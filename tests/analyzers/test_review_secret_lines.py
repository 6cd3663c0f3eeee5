"""The secrets prefilter (swath.analyzers.review_secret_lines) never hides a secret.

`secret_hits` with the filter must report exactly what detect-secrets' plugins report when
each of them runs on every line: on lines of every kind of credential the plugins know,
on those lines cut and spliced with random characters, and on real code.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swath.linefilter import widened
from swath.analyzers.review_secrets import _filters, _plugins, secret_hits
from swath.analyzers.sourcetext import split_lines

SAMPLES = [
    'KEY = "AKIAIOSFODNN7EXAMPLE"',
    "aws_secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYab'",
    'token = "ghp_' + "a1B2" * 9 + '"',
    'x = "glpat-' + "b" * 20 + '"',
    'x = "glagent-' + "c" * 60 + '"',
    'slack = "xoxb-1234-5678-abcdef"',
    'stripe = "sk_live_' + "0a" * 12 + '"',
    'jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc"',
    "-----BEGIN RSA PRIVATE KEY-----",
    "PuTTY-User-Key-File-2: ssh-rsa",
    'url = "https://user:Zq8rT2vLmN4x@example.com/x"',
    'password = "hunter2hunter2"',
    'api_key: "Zq8rT2vLmN4xQw"',
    "PASSWORD='Sup3rS3cretValue!'",
    'db_pass := "abcdefghijk"',
    'if secret == "Zq8rT2vLmN4xQw":',
    '"Zq8rT2vLmN4xQw" == password',
    "AccountKey=" + "A" * 88,
    'npm = "//registry.npmjs.org/:_authToken=npm_abcdef"',
    "pypi-AgEIcHlwaS5vcmc" + "x" * 70,
    "SG." + "a" * 22 + "." + "b" * 43,
    'tg = "123456789:' + "A" * 35 + '"',
    "AC" + "a" * 32,
    "SK" + "b" * 32,
    "M" + "a" * 23 + "." + "b" * 6 + "." + "c" * 27,
    "a" * 32 + "-us12",
    "sk-" + "a" * 20 + "T3BlbkFJ" + "b" * 20,
    "sq0csp-" + "a" * 43,
    "https://hooks.slack.com/services/TABC/BDEF/ghi",
    'cloudant_password = "' + "a" * 64 + '"',
    'ibm_cloud_iam_key = "' + "a" * 44 + '"',
    'softlayer_api_key = "' + "a" * 64 + '"',
    'ibm_cos_hmac_secret_access_key = "' + "a" * 48 + '"',
    "AKC" + "a" * 10,
    " AP6" + "a" * 8 + " ",
    'contraseña = "Zq8rT2vLmN4xQw"',
    'päss = "x"; password = "Zq8rT2vLmN4xQw"',
    'pass\x0bword = "Zq8rT2vLmN4xQw"',
    '\tsecret = "Zq8rT2vLmN4xQw";',
    'private_key => "Zq8rT2vLmN4xQw"',
    'secret("Zq8rT2vLmN4xQw")',
]
PATHS = ["m.py", "a.go", "c.yaml", "tests/test_x.py", "README.md", "x.cpp", "App.java"]


def _both(path: str, lines: list[str]) -> tuple[list[object], list[object]]:
    added = set(range(len(lines)))
    return (
        secret_hits(path, lines, added, False, prefilter=True),
        secret_hits(path, lines, added, False, prefilter=False),
    )


def test_every_kind_of_credential_is_found_with_the_filter_as_without() -> None:
    for path in PATHS:
        filtered, everywhere = _both(path, SAMPLES)
        assert filtered == everywhere, path
        assert len(everywhere) >= 20  # the samples do hold secrets


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(SAMPLES),
            st.integers(min_value=0, max_value=200),
            st.text(alphabet="aAKZ09_-=:\"' /.@\t\\[]()ñ\x0b", max_size=4),
            st.sampled_from(SAMPLES + ["", " ", "x = 1"]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(PATHS),
)
def test_spliced_lines_give_the_same_hits(
    parts: list[tuple[str, int, str, str]], path: str
) -> None:
    lines = []
    for sample, cut, noise, tail in parts:
        k = min(cut, len(sample))
        lines.append(sample[:k] + noise + sample[k:] + tail)
    filtered, everywhere = _both(path, lines)
    assert filtered == everywhere


def test_real_code_gives_the_same_hits() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for p in sorted(stdlib.glob("*.py"))[:15]:
        lines = split_lines(p.read_text(encoding="utf-8", errors="replace"))
        filtered, everywhere = _both(p.name, lines)
        assert filtered == everywhere, p.name


def test_every_plugin_kept_is_filtered() -> None:
    # A plugin whose patterns stop translating (a new detect-secrets) still runs, on every
    # line: right but slow. This says when that happens.
    unfiltered = [
        type(p).__name__ for p, rx in zip(_plugins(), _filters().regexes, strict=True) if rx is None
    ]
    assert unfiltered == []


def test_widening_drops_assertions_and_keeps_the_rest() -> None:
    assert widened(r"(?:(?<=\W)|(?<=^))key(?!\w)", re.IGNORECASE) == "(?m)(?i)(?:|)key"
    assert widened(r"\Afoo\Z", 0) == "(?m)^foo$"
    assert widened(r"a{50,1024}", 0) == "(?m)a{50,}"  # RE2's limit is 1,000
    assert widened(r"[(?=]x", 0) == "(?m)[(?=]x"  # inside a class it is no lookahead
    assert widened(r"(a)\1", 0) is None  # a backreference: no translation
    assert widened(r"a # comment", re.VERBOSE) is None


def test_the_stored_filters_are_those_of_the_installed_detect_secrets() -> None:
    # Regenerate with `python -m swath.analyzers.review_secrets` after upgrading it.
    from swath.analyzers.review_secret_lines import DATA, filters_data, line_filters

    modules = [type(p).__module__ for p in _plugins()]
    assert DATA.read_text(encoding="utf-8") == filters_data(line_filters(_plugins()), modules)


def test_only_the_plugins_the_lines_call_for_are_imported() -> None:
    # The stored filters name each plugin's module: lines only the keyword plugin could
    # match import it, not the other plugins (private_key comes with detect-secrets' filters).
    code = (
        "import sys\n"
        "from swath.analyzers.review_secrets import secret_hits\n"
        "def plugins():\n"
        "    return sorted(m for m in sys.modules if m.startswith('detect_secrets.plugins.'))\n"
        "hits = secret_hits('m.py', ['password = \"Xk9#mQ2!vR7pL4zW\"'], {0}, False)\n"
        "assert [h.data['kind'] for h in hits] == ['secret'], hits\n"
        "assert plugins() == ['detect_secrets.plugins.base', 'detect_secrets.plugins.keyword',"
        " 'detect_secrets.plugins.private_key'], plugins()\n"
        "hits = secret_hits('m.py', ['KEY = \"AKIAIOSFODNN7EXAMPLE\"'], {0}, False)\n"
        "assert [h.data['kind'] for h in hits] == ['AWS Access Key'], hits\n"
        "assert 'detect_secrets.plugins.aws' in plugins(), plugins()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lines_no_plugin_could_match_do_not_import_detect_secrets() -> None:
    code = (
        "import sys\n"
        "from swath.analyzers.review_secrets import secret_hits\n"
        "lines = ['def f(x):', '    return x + 1', '# café', 'y = \"plain\"']\n"
        "assert secret_hits('m.py', lines[:2], {0, 1}, False) == []\n"
        "assert 'detect_secrets' not in sys.modules, 'imported for plain lines'\n"
        "secret_hits('m.py', lines, {0, 1, 2, 3}, False)  # a line not plain ASCII: every plugin\n"
        "assert 'detect_secrets' in sys.modules\n"
        "hits = secret_hits('m.py', ['KEY = \"AKIAIOSFODNN7EXAMPLE\"'], {0}, False)\n"
        "assert [h.rule for h in hits] == ['review/security/hardcoded-secret'], hits\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_detect_secrets_scans_without_importing_requests_or_multiprocessing() -> None:
    # It imports both at its modules' tops, for online verification and parallel file
    # scans the review never asks of it; they are stand-ins while it is imported.
    code = (
        "import sys\n"
        "from swath.analyzers.review_secrets import secret_hits\n"
        "hits = secret_hits('m.py', ['KEY = \"AKIAIOSFODNN7EXAMPLE\"', 'password = \"Xk9#mQ2!vR7pL4zW\"'], {0, 1}, False)\n"
        "assert [h.data['kind'] for h in hits] == ['AWS Access Key', 'secret'], hits\n"
        "assert 'detect_secrets' in sys.modules\n"
        "for name in ('requests', 'urllib3', 'multiprocessing'):\n"
        "    assert name not in sys.modules, name\n"
        "import detect_secrets.plugins.base as base\n"
        "assert base.requests.exceptions.RequestException.__module__ == 'requests.exceptions'\n"
        "import requests\n"
        "assert type(requests).__name__ == 'module' and requests.get\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
