"""Suppression comments a developer already writes, honoured on the line they stand on.

- `# noqa` (everything) / `# noqa: S301, E722` (those codes; Swath's rules by their name);
- `# nosec` (the security pass) / `# nosec B602` (bandit's numbers are ruff's S numbers);
- `// eslint-disable-line [rules]` and, on the line above, `// eslint-disable-next-line [rules]`;
- `//nolint` / `//nolint:errcheck` (golangci-lint);
- `# swath: ignore` / `# swath: ignore[rule, …]` in any comment syntax, on the line or the line above
  as `swath: ignore-next-line[…]`.

ruff applies `# noqa` to its own diagnostics too; doing it here as well keeps the rule the
same for every check, whichever tool found the problem.
"""

from __future__ import annotations

import re

NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?", re.I)
NOSEC = re.compile(r"#\s*nosec\b(?P<codes>(?:[\s,]+B\d{3})*)")
ESLINT_LINE = re.compile(r"eslint-disable-line\b(?P<rules>[^*\n]*)")
ESLINT_NEXT = re.compile(r"eslint-disable-next-line\b(?P<rules>[^*\n]*)")
NOLINT = re.compile(r"//\s*nolint(?::(?P<rules>[\w,-]+))?")
SWATH = re.compile(r"swath:\s*ignore(?P<next>-next-line)?(?:\[(?P<rules>[^\]]*)\])?")

# Swath's JS/Go rule names as other linters call the same thing.
ESLINT_NAMES: dict[str, tuple[str, ...]] = {
    "console-log": ("no-console",),
    "debugger": ("no-debugger",),
    "eval": ("no-eval", "no-new-func", "no-implied-eval"),
    "loose-equality": ("eqeqeq",),
    "inner-html": ("no-unsanitized/property", "react/no-danger", "no-unsanitized/method"),
    "img-alt": ("jsx-a11y/alt-text",),
    "click-without-key": (
        "jsx-a11y/click-events-have-key-events",
        "jsx-a11y/no-static-element-interactions",
    ),
    "input-label": (
        "jsx-a11y/label-has-associated-control",
        "jsx-a11y/control-has-associated-label",
    ),
}
NOLINT_NAMES: dict[str, tuple[str, ...]] = {
    "unchecked-error": ("errcheck",),
    "debug-print": ("forbidigo",),
}


def _words(text: str | None) -> set[str]:
    return {w for w in re.split(r"[\s,]+", text or "") if w and w != "--"}


def _name(rule: str) -> str:
    return rule.rsplit("/", 1)[-1]


def _code(rule: str) -> str | None:
    return rule.split("/", 1)[1] if rule.startswith("ruff/") else None


def _rule_listed(rule: str, listed: set[str]) -> bool:
    return any(
        w == rule or w == _name(rule) or (w.endswith("*") and rule.startswith(w[:-1]))
        for w in listed
    )


def _on_line(rule: str, pass_: str | None, line: str) -> bool:
    m = NOQA.search(line)
    if m:
        codes = _words(m.group("codes"))
        if not codes or _code(rule) in codes or _name(rule).upper() in codes:
            return True
    m = NOSEC.search(line)
    if m and pass_ == "security":
        codes = {c.strip(", ") for c in _words(m.group("codes"))}
        code = _code(rule)
        if not codes or (code and code.startswith("S") and "B" + code[1:] in codes):
            return True
    m = ESLINT_LINE.search(line)
    if m and _eslint_match(rule, m.group("rules")):
        return True
    m = NOLINT.search(line)
    if m:
        rules = _words((m.group("rules") or "").replace(",", " "))
        if not rules or rules & set(NOLINT_NAMES.get(_name(rule), ())):
            return True
    m = SWATH.search(line)
    if m and not m.group("next"):
        listed = _words((m.group("rules") or "").replace(",", " "))
        if not listed or _rule_listed(rule, listed):
            return True
    return False


def _eslint_match(rule: str, rules_text: str) -> bool:
    rules = _words(rules_text.split("--", 1)[0].replace(",", " "))
    return not rules or bool(rules & set(ESLINT_NAMES.get(_name(rule), ()))) or rule in rules


def suppressed(rule: str, pass_: str | None, line_no: int, lines: list[str]) -> bool:
    """Whether a comment on the line (or a next-line comment above it) switches the rule off."""
    if 0 <= line_no < len(lines) and _on_line(rule, pass_, lines[line_no]):
        return True
    if 1 <= line_no <= len(lines):
        above = lines[line_no - 1]
        m = ESLINT_NEXT.search(above)
        if m and _eslint_match(rule, m.group("rules")):
            return True
        m = SWATH.search(above)
        if m and m.group("next"):
            listed = _words((m.group("rules") or "").replace(",", " "))
            if not listed or _rule_listed(rule, listed):
                return True
    return False
