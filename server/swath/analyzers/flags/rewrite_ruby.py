"""Flag removal for Ruby (Flipper, GitLab's `Feature`), with ast-grep: checks folded one
at a time, in the shapes Rails code uses them.

`Feature.enabled?(:x, user)`, `Flipper.enabled?(:x)`, `Feature.disabled?(:x)` (negated)
with the key as a symbol, a string or a constant holding it. A check folds through `!` /
`not`, `&&` / `||` / `and` / `or` (an operand with a call in it is never dropped), and
parentheses into what holds it: `if` / `unless` / `elsif` (the surviving branch lifted and
re-indented, an `elsif` going on as an `if`), the modifiers `x if check` / `x unless
check`, and the ternary `check ? a : b`; as a value (an argument, the right side of an
assignment, a `return`) it becomes `true` or `false`. Anywhere else it is left alone and
the note says so. The result must parse, or the rewrite is refused.
"""

from __future__ import annotations

from ast_grep_py import SgNode

from swath.analyzers.flags.fold_checks import fold_checks
from swath.analyzers.flags.rewrite_request import RewriteRequest, RewriteResult
from swath.analyzers.flags.node_edits import indent_of, node_range, replace, replace_lines, same
from swath.findings.model import Range

NOT_A_CONDITION = "a Ruby check in this position (not a condition or a value) is not rewritten"
STATEMENT_PARENTS = frozenset(
    {"program", "body_statement", "then", "else", "block_body", "begin", "do_block"}
)


def rewrite(src: str, req: RewriteRequest) -> RewriteResult:
    return fold_checks(
        src,
        "ruby",
        "Ruby",
        req,
        call_kind="call",
        check_value=_check_value,
        fold=_fold,
        not_a_condition=NOT_A_CONDITION,
    )


# -- recognising checks ----------------------------------------------------------------------
def _is_key(n: SgNode, req: RewriteRequest) -> bool:
    t = n.text()
    if n.kind() in ("simple_symbol", "delimited_symbol"):
        return t[1:].strip("\"'") == req.key
    if n.kind() == "string":
        return len(t) >= 2 and t[0] in "\"'" and t[1:-1] == req.key
    if n.kind() in ("constant", "scope_resolution", "identifier"):
        return t in req.key_aliases or t.rsplit("::", 1)[-1] in req.key_aliases
    return False


def _check_value(n: SgNode, req: RewriteRequest) -> bool | None:
    if n.kind() != "call":
        return None
    if req.check_texts and " ".join(n.text().split()) in req.check_texts:
        return req.value
    method = n.field("method")
    args = n.field("arguments")
    if method is None or args is None or method.text() not in req.call_names:
        return None
    first = next((a for a in args.children() if a.is_named()), None)
    if first is None or not _is_key(first, req):
        return None
    return (not req.value) if method.text() in req.negated_calls else req.value


# -- folding ---------------------------------------------------------------------------------
def _fold(text: str, check: SgNode, value: bool) -> tuple[str, list[Range]] | None:  # noqa: C901 - one branch per construct a check can sit in
    node, const = check, value
    while True:
        parent = node.parent()
        if parent is None:
            return None
        kind = parent.kind()
        if kind == "parenthesized_statements":
            node = parent
            continue
        if kind == "unary" and parent.text().lstrip().startswith(("!", "not")):
            node, const = parent, not const
            continue
        if kind == "binary":
            op = parent.field("operator")
            opt = op.text() if op is not None else ""
            left, right = parent.field("left"), parent.field("right")
            check_first = same(left, node)
            other = right if check_first else left
            if opt not in ("&&", "||", "and", "or") or other is None:
                return None
            absorbing = (opt in ("&&", "and") and not const) or (opt in ("||", "or") and const)
            if absorbing and check_first:
                # `false && x`: x never runs, so it goes with the check.
                node = parent
                continue
            if absorbing:
                # `x && false`: x still runs (any bare name may be a method call in Ruby).
                return replace(text, node, "true" if const else "false"), []
            return replace(text, parent, other.text()), [node_range(node)]
        if kind in ("if", "unless", "elsif") and same(parent.field("condition"), node):
            return _fold_if(text, parent, const if kind != "unless" else not const)
        if kind in ("if_modifier", "unless_modifier") and same(parent.field("condition"), node):
            keep = const if kind == "if_modifier" else not const
            body = parent.field("body")
            if keep and body is not None:
                return replace(text, parent, body.text()), []
            if _statement(parent):
                return replace_lines(text, parent, None), [node_range(parent)]
            return None
        if kind in ("argument_list", "return") or (
            kind == "assignment" and same(parent.field("right"), node)
        ):
            # A value, not a branch: the constant stands in its place.
            return replace(text, node, "true" if const else "false"), []
        if kind == "conditional" and same(parent.field("condition"), node):
            keep_node = parent.field("consequence" if const else "alternative")
            gone = parent.field("alternative" if const else "consequence")
            if keep_node is None:
                return None
            return replace(text, parent, keep_node.text()), [node_range(gone)] if gone else []
        return None


def _statement(n: SgNode) -> bool:
    parent = n.parent()
    return parent is not None and parent.kind() in STATEMENT_PARENTS


def _fold_if(text: str, stmt: SgNode, const: bool) -> tuple[str, list[Range]] | None:
    """`if`/`unless`/`elsif` whose condition is the constant `const`."""
    consequence, alternative = stmt.field("consequence"), stmt.field("alternative")
    keep, gone = (consequence, alternative) if const else (alternative, consequence)
    dead = [node_range(gone)] if gone is not None else []
    if stmt.kind() == "elsif":
        return _fold_elsif(text, stmt, keep, const), dead
    if not _statement(stmt):
        return None  # `x = if …`: the value of the `if` is used
    if keep is None:
        return replace_lines(text, stmt, None), dead
    if keep.kind() == "elsif":
        # The chain goes on: `elsif c … end` is `if c … end`.
        return replace(text, stmt, "if" + keep.text()[len("elsif") :] + _end(text, stmt)), dead
    return replace_lines(text, stmt, _lifted(text, stmt, keep)), dead


def _fold_elsif(text: str, stmt: SgNode, keep: SgNode | None, const: bool) -> str:
    """An `elsif` decided: true, it becomes the `else` (what follows never runs); false,
    the chain goes on with what follows it."""
    if const:
        body = keep.text() if keep is not None else ""
        return replace(text, stmt, "else" + ("\n" if not body.startswith("\n") else "") + body)
    if keep is None:
        start = text.rfind("\n", 0, stmt.range().start.index)
        return text[: max(start, 0)] + text[stmt.range().end.index :]
    return replace(text, stmt, keep.text())


def _end(text: str, stmt: SgNode) -> str:
    """The newline and indented `end` that close `stmt`."""
    indent = indent_of(text, stmt)
    return "\n" + indent + "end"


def _lifted(text: str, stmt: SgNode, block: SgNode) -> str:
    """The branch's statements at the `if`'s indentation."""
    named = [c for c in block.children() if c.is_named()]
    if not named:
        return ""
    start = text.rfind("\n", 0, named[0].range().start.index) + 1
    body = text[start : named[-1].range().end.index]
    lines = body.split("\n")
    step = min((len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()), default=0)
    indent = indent_of(text, stmt)
    return "\n".join(indent + ln[step:] if ln.strip() else "" for ln in lines)
