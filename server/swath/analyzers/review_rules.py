"""The review's own rules (ids, severities, descriptions) and what a hit is.

Only rules ruff has no equivalent for live here: the TS/JS, Go and markup checks, the
secrets and conflict-marker line checks, two loop rules for Python, and the tests pass.
Python's security, bug and performance rules are ruff's (`ruff/<CODE>`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from swath.findings.model import Severity
from swath.findings.report import RuleInfo


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    description: str


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


_W, _I, _E = Severity.warning, Severity.information, Severity.error

RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        Rule("review/security/eval", _W, "JS eval() / new Function() runs code built at run time."),
        Rule(
            "review/security/subprocess-shell",
            _E,
            "child_process.exec with a command string built from variables (shell injection).",
        ),
        Rule(
            "review/security/hardcoded-secret",
            _E,
            "A credential on an added line (detect-secrets' provider and keyword plugins).",
        ),
        Rule(
            "review/security/sql-format",
            _W,
            "SQL built in a JS template literal or by concatenation; use bound parameters.",
        ),
        Rule(
            "review/security/inner-html",
            _W,
            "HTML assigned from a value (innerHTML, document.write, dangerouslySetInnerHTML).",
        ),
        Rule(
            "review/performance/string-concat-in-loop",
            _I,
            "A string grown with += inside a loop is quadratic; collect the parts and join them.",
        ),
        Rule("review/performance/query-in-loop", _I, "A database query inside a loop (N+1)."),
        Rule("review/correctness/debugger", _W, "`debugger;` left in TS/JS code."),
        Rule("review/correctness/console-log", _I, "console.log/debug/trace left in TS/JS code."),
        Rule("review/correctness/loose-equality", _I, "== / != coerce types in JS; use === / !==."),
        Rule("review/correctness/debug-print", _I, "fmt.Print*/println outside package main (Go)."),
        Rule(
            "review/correctness/unchecked-error",
            _W,
            "A Go call's last result (usually its error) assigned to `_`.",
        ),
        Rule("review/correctness/conflict-marker", _E, "A merge conflict marker was committed."),
        Rule("review/correctness/syntax-error", _E, "The changed file no longer parses (ruff)."),
        Rule(
            "review/correctness/unsupported-syntax",
            _W,
            "Valid Python that is newer than the project's target version.",
        ),
        Rule(
            "review/tests/untested-change",
            _I,
            "A public function changed in a diff that changes no test.",
        ),
        Rule("review/accessibility/img-alt", _W, "An image without alt text."),
        Rule(
            "review/accessibility/click-without-key",
            _W,
            "A click handler on a non-interactive element with no role and no keyboard handler.",
        ),
        Rule("review/accessibility/input-label", _W, "A form field without a label."),
    ]
}


# GitHub's security-severity by the rule's default severity (>= 7 high, >= 4 medium).
SECURITY_SEVERITY = {Severity.error: 8.0, Severity.warning: 5.5, Severity.information: 3.0}


def rule_info(r: Rule) -> RuleInfo:
    """A rule's metadata; `review/<pass>/<name>` makes the pass its SARIF category."""
    pass_ = r.id.split("/")[1]
    return RuleInfo(
        id=r.id,
        description=r.description,
        category=pass_,
        tags=["review"],
        security_severity=SECURITY_SEVERITY.get(r.severity) if pass_ == "security" else None,
    )


def rule_infos(extra: list[RuleInfo] | None = None) -> list[RuleInfo]:
    # Imported here: the ruff data module reads review_passes, which must not need this one.
    from swath.analyzers.review_ruff_rules import ruff_rule_infos

    return [rule_info(r) for r in RULES.values()] + ruff_rule_infos() + (extra or [])
