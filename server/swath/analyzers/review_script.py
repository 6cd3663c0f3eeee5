"""The review's TypeScript/JavaScript and Go rules, on the ast-grep (tree-sitter) tree of the file."""

from __future__ import annotations

import re

from ast_grep_py import SgNode, SgRoot

from swath.analyzers.review_rules import Hit, Rule, rule
from swath.analyzers.sgfacts import find_kind
from swath.findings.model import Severity

EVAL = rule(
    "security", "eval", Severity.warning, "JS eval() / new Function() runs code built at run time."
)
SUBPROCESS_SHELL = rule(
    "security",
    "subprocess-shell",
    Severity.error,
    "child_process.exec with a command string built from variables (shell injection).",
)
SQL_FORMAT = rule(
    "security",
    "sql-format",
    Severity.warning,
    "SQL built in a JS template literal or by concatenation; use bound parameters.",
)
INNER_HTML = rule(
    "security",
    "inner-html",
    Severity.warning,
    "HTML assigned from a value (innerHTML, document.write, dangerouslySetInnerHTML).",
)
DEBUGGER = rule("correctness", "debugger", Severity.warning, "`debugger;` left in TS/JS code.")
CONSOLE_LOG = rule(
    "correctness",
    "console-log",
    Severity.information,
    "console.log/debug/trace left in TS/JS code.",
)
LOOSE_EQUALITY = rule(
    "correctness",
    "loose-equality",
    Severity.information,
    "== / != coerce types in JS; use === / !==.",
)

CONSOLE_METHODS = {"log", "debug", "trace", "dir", "info", "table"}
SQL_TEXT = re.compile(
    r"(?is)\b(?:select\s.+?\sfrom|insert\s+into|update\s+[\w.\"`\[\]]+\s+set|delete\s+from|"
    r"create\s+(?:table|index|view)|drop\s+(?:table|index|view)|alter\s+table|replace\s+into)\b"
)
QUERY_CALLS = {
    "query",
    "execute",
    "exec",
    "raw",
    "$queryRawUnsafe",
    "$executeRawUnsafe",
    "unsafe",
    "run",
    "all",
    "get",
    "prepare",
}
CHILD_PROCESS = re.compile(r"""(?:require\(\s*|from\s+)["'](?:node:)?child_process["']""")
SHELL_CALLS = {"exec", "execSync"}


def _hit(rule: Rule, node: SgNode, message: str, severity: Severity | None = None) -> Hit:
    r = node.range()
    end = (
        r.end.column
        if r.end.line == r.start.line
        else r.start.column + len(node.text().split("\n", 1)[0])
    )
    return Hit(rule.id, r.start.line, r.start.column, end, message, severity)


def _shell_hit(name: str, call: SgNode) -> Hit:
    """`exec(...)`/`child_process.exec(...)` with a command built from variables."""
    return _hit(
        SUBPROCESS_SHELL,
        call,
        f"{name}() runs a command string built from variables through the shell; use "
        "execFile/spawn with an argument array.",
        Severity.error,
    )


def _interpolated(node: SgNode | None) -> bool:
    if node is None:
        return False
    if node.kind() == "template_string":
        return any(c.kind() == "template_substitution" for c in node.children())
    if node.kind() == "binary_expression":
        op = node.field("operator")
        return (
            op is not None
            and op.text() == "+"
            and not all(
                c.kind() in ("string", "number")
                for c in (node.field("left"), node.field("right"))
                if c is not None
            )
        )
    return False


def _first_arg(call: SgNode) -> SgNode | None:
    args = call.field("arguments")
    if args is None or args.kind() != "arguments":
        return None
    return next((c for c in args.children() if c.is_named() and c.kind() != "comment"), None)


_LITERALS = {"string", "number", "true", "false", "template_string", "regex"}


def _typeof(node: SgNode) -> bool:
    return node.kind() == "unary_expression" and node.text().startswith("typeof")


def script_hits(text: str, language: str) -> list[Hit]:  # noqa: C901 - one branch per rule over a single syntax tree
    root = SgRoot(text, language).root()
    hits: list[Hit] = []
    uses_child_process = bool(CHILD_PROCESS.search(text))
    try:
        for call in find_kind(root, "call_expression"):
            fn = call.field("function")
            if fn is None:
                continue
            kind, name = fn.kind(), fn.text()
            if kind == "member_expression":
                obj, prop = fn.field("object"), fn.field("property")
                obj_text, prop_text = (obj.text() if obj else ""), (prop.text() if prop else "")
                if obj_text == "console" and prop_text in CONSOLE_METHODS:
                    hits.append(
                        _hit(
                            CONSOLE_LOG,
                            call,
                            f"console.{prop_text}() left in the code; remove it or use the app's logger.",
                        )
                    )
                elif obj_text == "document" and prop_text in ("write", "writeln"):
                    hits.append(
                        _hit(
                            INNER_HTML,
                            call,
                            f"document.{prop_text}() inserts raw HTML; build DOM nodes or escape it.",
                        )
                    )
                elif (
                    prop_text in SHELL_CALLS
                    and uses_child_process
                    and _interpolated(_first_arg(call))
                ):
                    hits.append(_shell_hit(name, call))
                elif prop_text in QUERY_CALLS and _interpolated(_first_arg(call)):
                    arg = _first_arg(call)
                    if arg is not None and SQL_TEXT.search(arg.text()):
                        hits.append(
                            _hit(
                                SQL_FORMAT,
                                arg,
                                f"SQL built from interpolated values and passed to {name}(): an "
                                "injection risk; use placeholders and bound parameters.",
                                Severity.error,
                            )
                        )
            elif kind == "identifier":
                if name == "eval":
                    hits.append(_hit(EVAL, fn, "eval() runs code built at run time."))
                elif name in SHELL_CALLS and uses_child_process and _interpolated(_first_arg(call)):
                    hits.append(_shell_hit(name, call))
        for new in find_kind(root, "new_expression"):
            ctor = new.field("constructor")
            if ctor is not None and ctor.text() == "Function":
                hits.append(
                    _hit(
                        EVAL,
                        new,
                        "new Function() compiles code built at run time.",
                    )
                )
        for node in find_kind(root, "debugger_statement"):
            hits.append(
                _hit(
                    DEBUGGER,
                    node,
                    "`debugger;` left in the code: it pauses every user with the devtools open.",
                )
            )
        for asg in find_kind(root, "assignment_expression"):
            left, right = asg.field("left"), asg.field("right")
            prop = (
                left.field("property")
                if left is not None and left.kind() == "member_expression"
                else None
            )
            if (
                prop is not None
                and prop.text() in ("innerHTML", "outerHTML")
                and right is not None
                and (
                    right.kind() not in ("string",)
                    and not (right.kind() == "template_string" and not _interpolated(right))
                )
            ):
                hits.append(
                    _hit(
                        INNER_HTML,
                        asg,
                        f"Assigning {prop.text()} from a value invites XSS; use textContent or sanitise.",
                    )
                )
        for attr in find_kind(root, "jsx_attribute"):
            first = attr.children()[0] if attr.children() else None
            if first is not None and first.text() == "dangerouslySetInnerHTML":
                hits.append(
                    _hit(
                        INNER_HTML,
                        attr,
                        "dangerouslySetInnerHTML renders raw HTML; sanitise it (DOMPurify) or render text.",
                    )
                )
        for tpl in find_kind(root, "template_string"):
            parent = tpl.parent()
            if (
                parent is not None and parent.kind() == "call_expression"
            ):  # sql`...` tagged templates are safe
                continue
            if (
                _interpolated(tpl)
                and SQL_TEXT.search(tpl.text())
                and not any(
                    h.rule == SQL_FORMAT.id and h.line == tpl.range().start.line for h in hits
                )
            ):
                hits.append(
                    _hit(
                        SQL_FORMAT,
                        tpl,
                        "SQL built in a template literal from interpolated values; use bound parameters "
                        "(or a tagged sql`` template).",
                    )
                )
        for b in find_kind(root, "binary_expression"):
            op = b.field("operator")
            if op is None or op.text() not in ("==", "!="):
                continue
            sides = [b.field("left"), b.field("right")]
            if any(
                s is not None
                and s.kind() in ("null", "undefined")
                or (s is not None and s.text() == "undefined")
                for s in sides
            ):
                continue  # `x == null` is the idiom for null-or-undefined
            if any(s is not None and _typeof(s) for s in sides) or all(
                s is not None and s.kind() in _LITERALS for s in sides
            ):
                continue  # a string from `typeof`, or two literals: no coercion (eqeqeq "smart")
            r = op.range()
            hits.append(
                Hit(
                    LOOSE_EQUALITY.id,
                    r.start.line,
                    r.start.column,
                    r.end.column,
                    f"`{op.text()}` converts types before comparing; use `{op.text()}=`.",
                )
            )
    finally:
        del root
    return hits
