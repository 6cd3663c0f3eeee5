"""The redactor's line filter: a line it skips must hold no match of a detector family.

The filter itself (`swath.linefilter`) is tested with the review's detect-secrets plugins in
tests/analyzers/test_review_secret_lines.py; here it is checked on the redactor's own
families (its extra provider patterns, the keyword hint, netrc, PEM) and on the outputs.
"""

from __future__ import annotations

import pytest

from swath.agents.redaction import Redactor
from swath.linefilter import LineFilters, filters_per_line
from tests.agents.conftest import AWS_KEY, ENV_KEY, PEM_BODY, STRIPE_KEY


def test_every_family_is_filtered() -> None:
    # A family whose patterns do not translate would be tried on every line: correct but slow.
    filters = Redactor()._filters
    assert [n for n, p in zip(filters.names, filters.patterns, strict=True) if p is None] == []


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


def test_every_match_of_every_family_is_on_a_line_its_filter_passes() -> None:
    # The guarantee the filter rests on, checked on each pattern the redactor uses, against
    # secrets of each kind it is meant to catch, each between lines of plain code.
    redactor = Redactor()
    families = dict(zip(redactor._filters.names, range(redactor._filters.size), strict=True))
    patterns = {
        "extra": [rx for _, rx in redactor._extra],
        "regex": [rx for p in redactor._regex for rx in getattr(p, "denylist", ())],
    }
    lines = [line for s in SAMPLES for line in ("def f(x):", s, "    return x")]
    per_line = filters_per_line(redactor._filters, lines)
    checked = 0
    for family, rxs in patterns.items():
        for k, line in enumerate(lines):
            if any(rx.search(line) for rx in rxs):
                assert families[family] in per_line[k], (family, line)
                checked += 1
    assert checked >= len(SAMPLES) // 2
    assert per_line[0] == ()  # and a line of plain code goes to no family at all


@pytest.mark.parametrize("odd", ["päss = 'x'", "naïve\tkey", "\r"])
def test_a_line_beyond_printable_ascii_goes_to_every_family(odd: str) -> None:
    filters = Redactor()._filters
    assert filters_per_line(filters, ["x = 1", odd, "y = 2"])[1] == tuple(range(filters.size))


def test_the_filter_changes_no_redaction() -> None:
    # Each sample alone and all together, between lines of code that hold no secret: the
    # same secrets are found as when every family is tried on every line (the filter off).
    redactor = Redactor()
    unfiltered = Redactor()
    unfiltered._filters = LineFilters(unfiltered._filters.names, [None] * unfiltered._filters.size)
    text = "\n".join(f"def f{i}(x):\n    return x\n{s}" for i, s in enumerate(SAMPLES))
    assert redactor.redact(text, "x.py") == unfiltered.redact(text, "x.py")
    assert sum(redactor.counts.values()) >= 10  # the test has secrets to find
