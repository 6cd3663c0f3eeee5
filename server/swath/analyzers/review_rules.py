"""The review's own rules and what a hit is.

A rule is one registration, `rule(pass, name, severity, description)`, made at the top of
the module whose check emits it (`review_script.py`, `review_go.py`, `review_python.py`,
`review_a11y.py`, `review_text.py`, `review_secrets.py`, `review_tests.py`,
`review_ruff.py`); the check emits hits with the `Rule` it got back (`Hit(RULE.id, ...)`),
so an id is written once. `RULES` holds every registration once those modules are
imported (`review.py`, the analyzer, imports them all before it lists its rules), and a
run served from the cache still describes each one.

Only rules ruff has no equivalent for live here: the TS/JS, Go and markup checks, the
secrets and conflict-marker line checks, two loop rules for Python, and the tests pass.
Python's security, bug and performance rules are ruff's (`ruff/<CODE>`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from swath.analyzers.review_passes import PASSES
from swath.findings.model import Severity
from swath.findings.report import RuleInfo


@dataclass(frozen=True)
class Rule:
    """`review/<pass>/<name>`: its pass, its default severity and the description reports
    and SARIF show."""

    pass_: str
    name: str
    severity: Severity
    description: str

    @property
    def id(self) -> str:
        return f"review/{self.pass_}/{self.name}"


@dataclass
class Hit:
    """One rule firing at a zero-based line and character span of the working-tree file."""

    rule: str
    line: int
    start: int
    end: int
    message: str
    severity: Severity | None = None  # None: the rule's default
    quote: str | None = None  # None: the whole (stripped) line
    # Kept off the added lines too: a syntax error is the file's wherever the parser noticed
    # it, and an untested change is reported at the changed function's name.
    anywhere: bool = False
    data: dict[str, Any] = field(default_factory=dict)  # the finding's data: ruff code, url, …


RULES: dict[str, Rule] = {}  # by id, filled by `rule(...)` in the check modules


def rule(pass_: str, name: str, severity: Severity, description: str) -> Rule:
    """Register one of the review's own rules; the check that emits it uses what comes back."""
    made = Rule(pass_, name, severity, description)
    if pass_ not in PASSES:
        raise ValueError(f"review rule {made.id}: {pass_!r} is not a pass ({', '.join(PASSES)})")
    if RULES.setdefault(made.id, made) != made:
        raise ValueError(f"review rule {made.id} is registered twice")
    return made


# GitHub's security-severity by the rule's default severity (>= 7 high, >= 4 medium).
SECURITY_SEVERITY = {Severity.error: 8.0, Severity.warning: 5.5, Severity.information: 3.0}


def rule_info(r: Rule) -> RuleInfo:
    """A rule's metadata; `review/<pass>/<name>` makes the pass its SARIF category."""
    return RuleInfo(
        id=r.id,
        description=r.description,
        category=r.pass_,
        tags=["review"],
        security_severity=SECURITY_SEVERITY.get(r.severity) if r.pass_ == "security" else None,
    )


def rule_infos(extra: list[RuleInfo] | None = None) -> list[RuleInfo]:
    # Imported here: the ruff data module reads review_passes, which must not need this one.
    from swath.analyzers.review_ruff_rules import ruff_rule_infos

    return [rule_info(r) for r in RULES.values()] + ruff_rule_infos() + (extra or [])
