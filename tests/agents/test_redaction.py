"""Secret redaction: provider formats, keywords, entropy, PEM blocks; line numbers kept."""

from __future__ import annotations

import pytest

from swath.agents.redaction import Redactor, default_redactor

CASES = [
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AWS Access Key"),
    ("ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123", "Anthropic API Key"),
    ('client = OpenAI(api_key="sk-proj-abcdefghijklmnopqrstuvwxyz012345")', "API Key"),
    ("token: ghp_abcdefghijklmnopqrstuvwxyz0123456789", "GitHub Token"),
    ("SLACK = 'xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx'", "Slack Token"),
    ("stripe.api_key = 'sk_live_abcdefghijklmnop1234'", "Stripe Key"),
    ('password = "hunter2hunter2"', "Secret Keyword"),
    ("DB_PASSWORD=s3cr3tP4ssw0rd", "Secret Keyword"),
    ('blob = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', "Base64 High Entropy String"),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "JSON Web Token",
    ),
]


@pytest.mark.parametrize("line,kind", CASES)
def test_detects(line: str, kind: str) -> None:
    out = default_redactor().redact(line, "settings.py")
    assert f"[REDACTED:{kind}]" in out, out


@pytest.mark.parametrize(
    "line",
    [
        "def checkout(cart): return cart.total()",
        "token = get_token()",
        "password = os.environ['DB_PASSWORD']",
        "commit 3f2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",
        'HEX = "0123456789abcdef"',
        "if is_enabled('new-checkout'):",
    ],
)
def test_leaves_ordinary_code_alone(line: str) -> None:
    assert default_redactor().redact(line, "app.py") == line


def test_pem_blocks_are_redacted_line_for_line() -> None:
    text = "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----\nafter\n"
    out = Redactor().redact(text)
    assert out.split("\n") == ["before"] + ["[REDACTED:Private Key]"] * 4 + ["after", ""]
    diff = "+-----BEGIN OPENSSH PRIVATE KEY-----\n+b3BlbnNzaC1rZXk\n+-----END OPENSSH PRIVATE KEY-----\n"
    assert Redactor().redact(diff).split("\n")[:3] == ["+[REDACTED:Private Key]"] * 3


def test_line_count_is_preserved_and_counts_are_kept() -> None:
    r = Redactor()
    text = "\n".join(["x = 1", "aws = 'AKIAIOSFODNN7EXAMPLE'", "", "y = 2"])
    out = r.redact(text)
    assert out.count("\n") == text.count("\n")
    assert r.counts["AWS Access Key"] == 1
    assert [(h.line, h.kind) for h in r.scan(text)] == [(1, "AWS Access Key")]


def test_extra_patterns() -> None:
    r = Redactor(extra_patterns=[("Internal Token", r"\bintk_[0-9a-f]{16}\b")])
    assert r.redact("t = intk_0123456789abcdef") == "t = [REDACTED:Internal Token]"


@pytest.mark.parametrize(
    "text,filename",
    [
        ("machine example.com login me password netrcpassword", ""),
        ("machine api.example.com\n  login bob\n  password netrcpassword\n", ""),
        ("login bob\npassword netrcpassword\n", ".netrc"),
        ('+echo "machine github.com login x password netrcpassword" > ~/.netrc', ""),
        ("default\n  login anonymous\n  password netrcpassword", ""),
    ],
)
def test_netrc_passwords_are_redacted(text: str, filename: str) -> None:
    out = Redactor().redact(text, filename)
    assert "netrcpassword" not in out and "[REDACTED:Netrc Password]" in out
    assert out.count("\n") == text.count("\n")


def test_prose_about_passwords_is_left_alone() -> None:
    for line in (
        "The default password policy applies.",
        "if password is None:",
        "reset password here",
    ):
        assert Redactor().redact(line) == line
