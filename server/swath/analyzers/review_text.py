"""Line checks for any text file: merge conflict markers on added lines, and what a
placeholder value or a real-looking credential looks like (for the secrets check)."""

from __future__ import annotations

import re

from swath.analyzers.review_rules import Hit, rule
from swath.findings.model import Severity

PLACEHOLDER_WORDS = (
    "xxx",
    "changeme",
    "change_me",
    "change-me",
    "example",
    "dummy",
    "placeholder",
    "your",
    "redacted",
    "todo",
    "fake",
    "sample",
    "test",
    "mock",
    "secret",
    "password",
    "token",
    "none",
    "null",
    "undefined",
    "****",
    "localhost",
    "foobar",
)
CONFLICT_MARKER = rule(
    "correctness", "conflict-marker", Severity.error, "A merge conflict marker was committed."
)
CONFLICT = re.compile(r"^(?:<{7}|>{7}|\|{7})(?: |$)")


def looks_placeholder(value: str) -> bool:
    low = value.lower()
    if any(w in low for w in PLACEHOLDER_WORDS) or any(c in value for c in "<>{}$%\\ /"):
        return True
    if len(set(value)) <= 3:  # "aaaaaaaa", "12121212"
        return True
    if re.fullmatch(r"[a-z]+(?:[_.-][a-z]+)*", value) or re.fullmatch(r"[A-Z][A-Z0-9_]+", value):
        return True  # a word, a dotted/snake name, an ENV_VAR name
    return False


def looks_real_secret(value: str) -> bool:
    """Whether a credential reads like one made for real use, not for a test: no placeholder,
    long enough, and mixing character classes as generated or chosen passwords do.

    `Circle Of Life`, `abc123`, `hunter2hunter2` are what tests write; `Xk9mQ2vLp7rT…` or a
    long hex token is what a real credential looks like (and a test should not hold one).
    """
    if looks_placeholder(value) or len(value) < 10:
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    return classes >= 3 or (classes == 2 and len(value) >= 16 and len(set(value)) >= 10)


TRIPLE_QUOTES = ('"' * 3, "'" * 3)


def triple_quoted_lines(lines: list[str]) -> set[int]:
    """Lines inside a Python triple-quoted string (docstrings, text blocks), the opening and
    closing lines included; counted by quotes, so a quote inside the other kind of string
    can mislead it (it only decides how strict the secrets check is)."""
    out: set[int] = set()
    dq = sq = 0
    for n, line in enumerate(lines):
        inside = dq % 2 or sq % 2
        dq += line.count(TRIPLE_QUOTES[0])
        sq += line.count(TRIPLE_QUOTES[1])
        if inside or dq % 2 or sq % 2 or TRIPLE_QUOTES[0] in line or TRIPLE_QUOTES[1] in line:
            out.add(n)
    return out


def conflict_hits(lines: list[str], added: set[int]) -> list[Hit]:
    return [
        Hit(
            CONFLICT_MARKER.id,
            n,
            0,
            len(lines[n]),
            "A merge conflict marker: resolve the conflict before committing.",
        )
        for n in sorted(added)
        if n < len(lines) and CONFLICT.match(lines[n])
    ]
