"""Line rules for any language: credentials and merge conflict markers on added lines.

A secret is never repeated in a finding: the message names its kind and length only,
and the evidence quotes the line up to the first four characters of the value (a
verbatim substring, so the verify step still checks it) instead of the whole line.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from swath.analyzers.review_rules import Hit
from swath.findings.model import Severity

# Provider formats with a fixed, recognisable shape (gitleaks-style); low false-positive rates.
PROVIDER_PATTERNS: list[tuple[str, re.Pattern[str], Severity]] = [
    (
        "AWS access key id",
        re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b"),
        Severity.error,
    ),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"), Severity.error),
    (
        "GitHub fine-grained token",
        re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"),
        Severity.error,
    ),
    ("GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"), Severity.error),
    ("Slack token", re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"), Severity.error),
    (
        "Slack webhook",
        re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"),
        Severity.error,
    ),
    ("Stripe live key", re.compile(r"\b[rs]k_live_[A-Za-z0-9]{20,}\b"), Severity.error),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), Severity.error),
    ("Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}"), Severity.error),
    (
        "OpenAI API key",
        re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}"),
        Severity.error,
    ),
    (
        "private key",
        re.compile(
            r"-----BEGIN (?:RSA |DSA |EC |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----"
        ),
        Severity.error,
    ),
    (
        "JSON Web Token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
        Severity.warning,
    ),
]
URL_CREDENTIALS = re.compile(
    r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:(?P<value>[^/\s:@'\"]{3,})@", re.I
)

SECRET_NAME = re.compile(
    r"(?i)(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
    r"client[_-]?secret|auth[_-]?key|credential|signing[_-]?key)"
)
# Names that hold *about* a secret rather than the secret itself.
NOT_SECRET_NAME = re.compile(
    r"(?i)(?:_?(?:url|uri|file|path|name|env|var|field|header|type|kind|id|prefix|suffix|length|len|pattern|"
    r"regex|re|count|limit|ttl|expiry|expires|timeout|label|key_id|policy|endpoint|dir|format|fmt|placeholder|"
    r"hint|message|msg|help|prompt|attr|param|column|col|class|mode))$|^(?:is|has|use|no|min|max)_"
)
# A quoted literal after `name =`, `name:`, `"name":`, `name :=` in most languages.
GENERIC_ASSIGNMENT = re.compile(
    r"""(?P<name>[A-Za-z_][\w.-]*)["']?\s*(?::=|=>|==|=|:)\s*(?:\w+\()?\s*(?P<q>["'`])(?P<value>[^"'`\s]{8,})(?P=q)"""
)
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
CONFLICT = re.compile(r"^(?:<{7}|>{7}|\|{7})(?: |$)")


def entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values()) if n else 0.0


def looks_placeholder(value: str) -> bool:
    low = value.lower()
    if any(w in low for w in PLACEHOLDER_WORDS) or any(c in value for c in "<>{}$%\\ /"):
        return True
    if len(set(value)) <= 3:  # "aaaaaaaa", "12121212"
        return True
    if re.fullmatch(r"[a-z]+(?:[_.-][a-z]+)*", value) or re.fullmatch(r"[A-Z][A-Z0-9_]+", value):
        return True  # a word, a dotted/snake name, an ENV_VAR name
    return False


def secret_like(value: str, min_len: int = 8) -> bool:
    """A literal that could be a real credential (not a placeholder, name or sentence)."""
    if len(value) < min_len or looks_placeholder(value):
        return False
    classes = sum(
        bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")
    )
    return classes >= 2 or entropy(value) >= 3.5


def secret_name(name: str) -> bool:
    tail = re.split(r"[.\[\]'\"]", name.strip())[-1] or name
    return bool(SECRET_NAME.search(tail)) and not NOT_SECRET_NAME.search(tail)


def masked_quote(line: str, value_start: int) -> str:
    """The line up to four characters into the secret: verbatim, and enough to find it."""
    return line[: value_start + 4].strip()


def secret_hit(
    line_no: int,
    line: str,
    start: int,
    end: int,
    what: str,
    severity: Severity,
    name: str | None = None,
) -> Hit:
    where = f" in `{name}`" if name else ""
    return Hit(
        rule="review/security/hardcoded-secret",
        line=line_no,
        start=start,
        end=end,
        message=(
            f"Hard-coded {what}{where} ({end - start} characters); move it to the environment or a secret "
            "store, and rotate it: it is in the git history now."
        ),
        severity=severity,
        quote=masked_quote(line, start),
        data={"kind": what},
    )


def provider_hits(line_no: int, line: str) -> list[Hit]:
    hits = []
    for what, pattern, severity in PROVIDER_PATTERNS:
        for m in pattern.finditer(line):
            hits.append(secret_hit(line_no, line, m.start(), m.end(), what, severity))
    for m in URL_CREDENTIALS.finditer(line):
        value = m.group("value")
        if secret_like(value, min_len=4):
            hits.append(
                secret_hit(
                    line_no,
                    line,
                    m.start("value"),
                    m.end("value"),
                    "password in a URL",
                    Severity.warning,
                )
            )
    return hits


def generic_secret_hits(line_no: int, line: str) -> list[Hit]:
    """`password = "…"` in languages the AST rules do not cover."""
    hits = []
    for m in GENERIC_ASSIGNMENT.finditer(line):
        if secret_name(m.group("name")) and secret_like(m.group("value")):
            hits.append(
                secret_hit(
                    line_no,
                    line,
                    m.start("value"),
                    m.end("value"),
                    "secret",
                    Severity.warning,
                    m.group("name"),
                )
            )
    return hits


def text_hits(lines: list[str], added: set[int], generic: bool) -> list[Hit]:
    hits: list[Hit] = []
    for n in sorted(added):
        if n >= len(lines):
            continue
        line = lines[n]
        if CONFLICT.match(line):
            hits.append(
                Hit(
                    "review/bug/conflict-marker",
                    n,
                    0,
                    len(line),
                    "A merge conflict marker: resolve the conflict before committing.",
                )
            )
            continue
        if len(line) > 4000:  # minified or data: the patterns would only find noise
            continue
        found = provider_hits(n, line)
        if not found and generic:
            found = generic_secret_hits(n, line)
        hits += found
    return hits
