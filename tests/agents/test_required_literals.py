"""The redactor's literal prefilter: a line it skips must hold no match of the pattern."""

from __future__ import annotations

import re

import pytest

from swath.agents.redaction import Redactor
from swath.agents.required_literals import Lines, folds, required_literals
from tests.agents.conftest import AWS_KEY, ENV_KEY, PEM_BODY, STRIPE_KEY


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [
        (r"AKIA[0-9A-Z]{16}", 0, {"AKIA"}),
        # the longest run of literal characters wins over a shorter one
        (r"(?:\s|^)ab[0-9]+cdef", 0, {"cdef"}),
        # an alternation needs one of its branches' literals
        (r"(?:token|secret)_[A-Za-z0-9]{36}", 0, {"token", "secret"}),
        # an optional part requires nothing; a repeated one requires its body
        (r"x(?:token)?y+", 0, None),
        (r"(?:secret){1,3}", 0, {"secret"}),
        # a lookbehind consumes nothing, so it requires nothing
        (r"(?<=key)=[0-9a-f]{32}", 0, None),
        # folded under IGNORECASE, kept as written otherwise
        (r"Secret|Token", re.IGNORECASE, {"secret", "token"}),
        (r"Secret|Token", 0, {"Secret", "Token"}),
        (r"[Kk]ey_[0-9]{8}", re.IGNORECASE, {"key_"}),
        # a branch with an alternative that needs nothing needs nothing
        (r"(?:cloud|x?)[0-9]{10}", 0, None),
        # a single character filters no line: treated as nothing required
        (r"\d{8}:[A-Za-z]{35}", 0, None),
        # verbose patterns are read as `re` reads them
        ("hooks \\. slack # the host\n\\.com", re.VERBOSE, {"hooks.slack.com"}),
    ],
)
def test_required_literals(pattern: str, flags: int, expected: set[str] | None) -> None:
    got = required_literals(re.compile(pattern, flags))
    assert got == (None if expected is None else frozenset(expected))


def test_lines_holding_finds_each_line_once() -> None:
    lines = Lines("no\nAKIA here and AKIA again\nnone\nend AKIA")
    assert lines.holding(frozenset({"AKIA", "zzz"})) == {1, 3}


SAMPLES = [
    f'aws_access_key_id = "{AWS_KEY}"',
    f"ANTHROPIC_API_KEY={ENV_KEY}",
    f"stripe={STRIPE_KEY}",
    PEM_BODY,
    "-----BEGIN RSA PRIVATE KEY-----MIIEow-----END RSA PRIVATE KEY-----",
    "token: ghp_" + "a1B2" * 9,
    "url = 'https://user:hunter2pass@example.com/x'",
    "slack = https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "cloudant_password='abcdef0123456789abcdef'",
    "SOFTLAYER_API_KEY = 'abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd'",
    "jwt = eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc",
    "AccountKey=" + "a" * 88,
    "xoxb-1234-5678-abcdef",
    "glpat-" + "x" * 20,
    "key = AC" + "a1" * 16,
]


def test_every_match_of_every_detector_pattern_holds_one_of_its_literals() -> None:
    # The guarantee the prefilter rests on, checked on each pattern the redactor uses,
    # against secrets of each kind it is meant to catch.
    redactor = Redactor()
    checked = 0
    for _family, prefiltered in redactor._families:
        for pf in prefiltered:
            if pf.literals is None:
                continue
            for sample in SAMPLES:
                for m in pf.rx.finditer(sample):
                    text = m.group(0).casefold() if folds(pf.rx) else m.group(0)
                    assert any(lit in text for lit in pf.literals), (pf.rx.pattern, m.group(0))
                    checked += 1
    assert checked >= len(SAMPLES)


def test_the_prefilter_changes_no_redaction() -> None:
    # Each sample alone and all together, between lines of code that hold no secret: the
    # same secrets are found as when every pattern scans every line (the prefilter off).
    redactor = Redactor()
    unfiltered = Redactor()
    unfiltered._families = [
        (name, [type(pf)(pf.rx, None, pf.fold) for pf in pfs]) for name, pfs in unfiltered._families
    ]
    text = "\n".join(f"def f{i}(x):\n    return x\n{s}" for i, s in enumerate(SAMPLES))
    assert redactor.redact(text, "x.py") == unfiltered.redact(text, "x.py")
    assert sum(redactor.counts.values()) >= 10  # the test has secrets to find
