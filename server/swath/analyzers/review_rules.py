"""The rules of `diff-review`: ids, severities, descriptions, and what a hit is."""

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
    data: dict[str, Any] = field(default_factory=dict)


_W, _I, _E = Severity.warning, Severity.information, Severity.error

RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        # security
        Rule(
            "review/security/eval",
            _W,
            "eval()/exec() (or JS eval/new Function) runs code built at run time.",
        ),
        Rule(
            "review/security/subprocess-shell",
            _W,
            "A command run through the shell (shell=True, os.system, child_process.exec); an error when the "
            "command is built from variables (injection).",
        ),
        Rule(
            "review/security/pickle",
            _W,
            "Unpickling (pickle, dill, marshal, shelve) runs code from the data.",
        ),
        Rule(
            "review/security/yaml-load",
            _W,
            "yaml.load without a safe loader can construct arbitrary objects.",
        ),
        Rule(
            "review/security/hardcoded-secret",
            _E,
            "A credential in the source: a provider key pattern, a private key, or a secret-named variable "
            "assigned a literal.",
        ),
        Rule(
            "review/security/sql-format",
            _W,
            "SQL built with f-strings, %, .format() or + (or a JS template literal); an error when passed "
            "straight to execute(). Use bound parameters.",
        ),
        Rule(
            "review/security/inner-html",
            _W,
            "Assigning HTML from a variable (innerHTML, document.write, "
            "dangerouslySetInnerHTML) invites XSS.",
        ),
        # performance
        Rule(
            "review/perf/string-concat-in-loop",
            _I,
            "A string grown with += inside a loop is quadratic; collect the parts and ''.join() them.",
        ),
        Rule(
            "review/perf/blocking-call-in-async",
            _W,
            "A blocking call (time.sleep, requests, subprocess, urlopen) inside async def stalls the event loop.",
        ),
        Rule(
            "review/perf/any-all-list",
            _I,
            "any()/all() over a list comprehension builds the whole list first; pass a generator to short-circuit.",
        ),
        Rule(
            "review/perf/query-in-loop",
            _I,
            "A database query inside a loop (N+1 queries); batch it.",
        ),
        # regressions and bugs
        Rule(
            "review/bug/bare-except",
            _W,
            "A bare `except:` also catches KeyboardInterrupt and SystemExit.",
        ),
        Rule(
            "review/bug/mutable-default",
            _W,
            "A mutable default argument is created once and shared between calls.",
        ),
        Rule("review/bug/assert-tuple", _E, "assert on a non-empty tuple is always true."),
        Rule(
            "review/bug/none-comparison",
            _I,
            "Comparison to None with == or !=; use `is` / `is not`.",
        ),
        Rule(
            "review/bug/is-literal",
            _W,
            "`is` with a str/number literal compares identity, not value.",
        ),
        Rule(
            "review/bug/return-in-finally",
            _W,
            "return/break/continue in `finally` swallows the exception being raised.",
        ),
        Rule("review/bug/leftover-print", _I, "A print() left in library code."),
        Rule(
            "review/bug/debugger",
            _W,
            "A debugger breakpoint (breakpoint(), pdb, `debugger;`) left in the code.",
        ),
        Rule("review/bug/console-log", _I, "A console.log/debug/trace left in the code."),
        Rule("review/bug/loose-equality", _I, "== / != coerce types in JavaScript; use === / !==."),
        Rule("review/bug/conflict-marker", _E, "A merge conflict marker was committed."),
        Rule("review/bug/syntax-error", _E, "The changed file no longer parses."),
    ]
}


def rule_infos(extra: list[RuleInfo] | None = None) -> list[RuleInfo]:
    return [RuleInfo(id=r.id, description=r.description) for r in RULES.values()] + (extra or [])
