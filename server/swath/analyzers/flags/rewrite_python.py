"""Flag removal for Python, with libcst.

libcst keeps every byte of whitespace and every comment, so code we do not fold prints
exactly as it was, and statements moved out of an `if` body are re-indented by the
printer (indentation belongs to blocks, not to statements). We only fold what the
flag's constant decides; `True`/`False` already in the code are never touched.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Union, cast

import libcst as cst
from libcst.metadata import ClassScope, CodeRange, MetadataWrapper, PositionProvider, ScopeProvider

from swath.analyzers.flags.rewrite_request import RewriteRequest, RewriteResult
from swath.findings.model import Position, Range

_EMPTY = cst.Module(body=[])
_ATOMS = (
    cst.Name,
    cst.Attribute,
    cst.Call,
    cst.Subscript,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Integer,
    cst.Float,
    cst.List,
    cst.Dict,
    cst.Set,
    cst.Tuple,
)
_KEY_KEYWORDS = {"key", "flag", "flag_key", "feature", "feature_key", "name", "flag_name"}


def code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def _to_range(r: CodeRange) -> Range:
    return Range(
        start=Position(line=r.start.line - 1, character=r.start.column),
        end=Position(line=r.end.line - 1, character=r.end.column),
    )


@dataclass
class _Matcher:
    """Recognises the flag's checks in the original tree."""

    req: RewriteRequest

    def func_name(self, call: cst.Call) -> str | None:
        f = call.func
        if isinstance(f, cst.Name):
            return f.value
        if isinstance(f, cst.Attribute):
            return f.attr.value
        return None

    def is_key(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
            try:
                return expr.evaluated_value == self.req.key
            except Exception:  # noqa: BLE001 - odd literals (bytes, f-strings) are not keys
                return False
        if isinstance(expr, (cst.Name, cst.Attribute)):
            text = code(expr)
            if text in self.req.key_aliases:
                return True
            last = expr.value if isinstance(expr, cst.Name) else expr.attr.value
            return last in self.req.key_aliases
        return False

    def check_value(self, node: cst.CSTNode) -> bool | None:
        """The constant `node` evaluates to when it is a check of the flag, else None."""
        req = self.req
        if isinstance(node, cst.Call):
            name = self.func_name(node)
            if name is not None and name in req.call_names:
                positional = [a for a in node.args if a.keyword is None and not a.star][:2]
                keyed = [
                    a
                    for a in node.args
                    if a.keyword is not None and a.keyword.value in _KEY_KEYWORDS
                ]
                if any(self.is_key(a.value) for a in positional + keyed):
                    return (not req.value) if name in req.negated_calls else req.value
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            op = node.comparisons[0].operator
            if isinstance(op, (cst.In, cst.NotIn)) and self.is_key(node.left):
                return req.value if isinstance(op, cst.In) else not req.value
        if req.check_texts and isinstance(
            node, (cst.Call, cst.Attribute, cst.Name, cst.Subscript, cst.Comparison)
        ):
            if " ".join(code(node).split()) in req.check_texts:
                return req.value
        return None


class _SideEffects(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Call(self, node: cst.Call) -> bool:
        self.found = True
        return False

    def visit_Await(self, node: cst.Await) -> bool:
        self.found = True
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        self.found = True
        return False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.found = True
        return False


def _pure(node: cst.CSTNode) -> bool:
    v = _SideEffects()
    node.visit(v)
    return not v.found


class _Prepass(cst.CSTVisitor):
    """Checks in scope, and variables assigned once from an expression holding one."""

    METADATA_DEPENDENCIES = (PositionProvider, ScopeProvider)

    def __init__(self, matcher: _Matcher) -> None:
        super().__init__()
        self.matcher = matcher
        self.checks: dict[int, bool] = {}  # id(original node) -> value
        self.assigns: dict[
            int, tuple[bool, list[int]]
        ] = {}  # id(Assign) -> (removable, access node ids)
        self.elifs: set[int] = set()

    def _in_scope(self, node: cst.CSTNode) -> bool:
        at = self.matcher.req.at
        if at is None:
            return True
        r = self.get_metadata(PositionProvider, node)
        start = (r.start.line - 1, r.start.column)
        end = (r.end.line - 1, r.end.column)
        return start <= at <= end

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.If) and isinstance(node.orelse, cst.If):
            self.elifs.add(id(node.orelse))
        value = self.matcher.check_value(node)
        if value is not None and self._in_scope(node):
            self.checks[id(node)] = value
            return False
        return True

    def leave_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self._variable(node, node.targets[0].target, node.value)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self._variable(node, node.target, node.value)

    def _variable(self, stmt: cst.CSTNode, target: cst.Name, value: cst.BaseExpression) -> None:
        if not self._contains_check(value):
            return
        scope = self.get_metadata(ScopeProvider, target, None)
        if scope is None or isinstance(scope, ClassScope):
            return
        assignments = list(scope.assignments[target.value])
        if len(assignments) != 1:
            return  # reassigned: its value is not the flag's everywhere
        end = self.get_metadata(PositionProvider, stmt).end
        accesses = []
        for access in assignments[0].references:
            pos = self.get_metadata(PositionProvider, access.node).start
            if (pos.line, pos.column) <= (end.line, end.column):
                return  # read before (a loop, or a use in its own value): leave it alone
            accesses.append(id(access.node))
        removable = type(scope).__name__ in {"FunctionScope", "ComprehensionScope"}
        self.assigns[id(stmt)] = (removable, accesses)

    def _contains_check(self, node: cst.CSTNode) -> bool:
        found = False
        checks = self.checks

        class _V(cst.CSTVisitor):
            def on_visit(self, n: cst.CSTNode) -> bool:
                nonlocal found
                if id(n) in checks:
                    found = True
                return not found

        node.visit(_V())
        return found


_Result = Union[cst.BaseStatement, cst.FlattenSentinel[cst.BaseStatement], cst.RemovalSentinel]


class _Folder(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, pre: _Prepass) -> None:
        super().__init__()
        self.pre = pre
        self.consts: dict[int, bool] = {}
        self.keep: list[cst.CSTNode] = []
        self.var_nodes: dict[int, bool] = {}
        self.dead: list[Range] = []
        self.replaced = 0
        self.terminal: set[int] = set()  # lifted statements after which nothing runs

    # -- constants ---------------------------------------------------------------------
    def mk(self, value: bool) -> cst.Name:
        node = cst.Name("True" if value else "False")
        self.consts[id(node)] = value
        self.keep.append(node)  # ids must not be reused while we look them up
        return node

    def cv(self, node: cst.CSTNode | None) -> bool | None:
        return None if node is None else self.consts.get(id(node))

    def mark_dead(self, *nodes: cst.CSTNode) -> None:
        rs = [self.get_metadata(PositionProvider, n) for n in nodes]
        self.dead.append(Range(start=_to_range(rs[0]).start, end=_to_range(rs[-1]).end))

    def reparen(self, old: Any, new: cst.BaseExpression) -> cst.BaseExpression:
        """`new` where `old` stood: keep the parentheses when precedence could need them."""
        if (
            id(new) in self.consts
            or isinstance(new, _ATOMS)
            or new.lpar
            or not getattr(old, "lpar", None)
        ):
            return new
        return new.with_changes(lpar=old.lpar, rpar=old.rpar)

    # -- checks and their folding --------------------------------------------------------
    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> Any:
        value = self.pre.checks.get(id(original))
        if value is not None:
            self.replaced += 1
            return self.mk(value)
        if id(original) in self.var_nodes:
            return self.mk(self.var_nodes[id(original)])
        return super().on_leave(original, updated)

    def leave_Await(self, original: cst.Await, updated: cst.Await) -> cst.BaseExpression:
        return updated.expression if self.cv(updated.expression) is not None else updated

    def leave_UnaryOperation(
        self, original: cst.UnaryOperation, updated: cst.UnaryOperation
    ) -> cst.BaseExpression:
        v = self.cv(updated.expression)
        if v is not None and isinstance(updated.operator, cst.Not):
            return self.mk(not v)
        return updated

    def leave_BooleanOperation(
        self, original: cst.BooleanOperation, updated: cst.BooleanOperation
    ) -> cst.BaseExpression:
        left, right = self.cv(updated.left), self.cv(updated.right)
        is_and = isinstance(updated.operator, cst.And)
        # The operand that decides, by the rules of `and`/`or` on a known operand.
        if left is not None:
            if left == is_and:  # True and E -> E ; False or E -> E
                return self.reparen(updated, updated.right)
            self.mark_dead(original.right)
            return self.mk(left)
        if right is not None:
            if right == is_and:  # E and True -> E ; E or False -> E   (in a truth test)
                return self.reparen(updated, updated.left)
            if _pure(updated.left):  # E and False -> False, only when E does nothing
                self.mark_dead(original.left)
                return self.mk(right)
        return updated

    def leave_IfExp(self, original: cst.IfExp, updated: cst.IfExp) -> cst.BaseExpression:
        v = self.cv(updated.test)
        if v is None:
            return updated
        self.mark_dead(original.orelse if v else original.body)
        return self.reparen(updated, updated.body if v else updated.orelse)

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> Any:
        return self._variable(original, updated, updated.value)

    def leave_AnnAssign(self, original: cst.AnnAssign, updated: cst.AnnAssign) -> Any:
        return self._variable(original, updated, updated.value)

    def _variable(
        self, original: cst.CSTNode, updated: Any, value: cst.BaseExpression | None
    ) -> Any:
        hit = self.pre.assigns.get(id(original))
        v = self.cv(value)
        if hit is None or v is None:
            return updated
        removable, accesses = hit
        for node_id in accesses:
            self.var_nodes[node_id] = v
        return cst.RemoveFromParent() if removable else updated

    # -- statements ------------------------------------------------------------------------
    def leave_If(self, original: cst.If, updated: cst.If) -> _Result:
        if id(original) in self.pre.elifs:
            return updated  # the head of the chain folds it
        kind, payload = self._fold_chain(original, updated)
        if kind == "if":
            assert isinstance(payload, cst.If)
            if payload is not updated and payload.leading_lines is not updated.leading_lines:
                payload = payload.with_changes(leading_lines=updated.leading_lines)
            return payload
        if kind == "none":
            return cst.RemoveFromParent()
        return self._inline(updated, payload)

    def _fold_chain(self, orig: cst.If, upd: cst.If) -> tuple[str, Any]:
        v = self.cv(upd.test)
        if v is True:
            if orig.orelse is not None:
                self.mark_dead(orig.orelse)
            return "body", upd.body
        if v is False:
            self.mark_dead(orig.body)
            if upd.orelse is None:
                return "none", None
            if isinstance(upd.orelse, cst.Else):
                return "body", upd.orelse.body
            assert isinstance(orig.orelse, cst.If)
            return self._fold_chain(orig.orelse, upd.orelse)
        if isinstance(upd.orelse, cst.If):
            assert isinstance(orig.orelse, cst.If)
            kind, payload = self._fold_chain(orig.orelse, upd.orelse)
            if kind == "body":
                return "if", upd.with_changes(
                    orelse=cst.Else(body=payload, leading_lines=upd.orelse.leading_lines)
                )
            if kind == "none":
                return "if", upd.with_changes(orelse=None)
            if payload is not upd.orelse:
                return "if", upd.with_changes(orelse=payload)
        return "if", upd

    def _inline(self, stmt: cst.If, block: cst.BaseSuite) -> _Result:
        lead = list(stmt.leading_lines)
        if isinstance(block, cst.SimpleStatementSuite):
            line = cst.SimpleStatementLine(body=block.body, leading_lines=lead)
            if _is_terminal(line):
                self.terminal.add(id(line))
            return line
        assert isinstance(block, cst.IndentedBlock)
        body = [s for s in block.body]
        if not body:
            return cst.RemoveFromParent()
        if len(body) > 1 and all(_is_pass(s) for s in body[:1]):
            body = body[1:]
        head = cast(
            Any, body[0]
        )  # every statement node has leading_lines; BaseStatement does not say so
        first = head.with_changes(leading_lines=[*lead, *head.leading_lines])
        lifted = [first, *body[1:]]
        if _is_terminal(lifted[-1]):
            self.terminal.add(id(lifted[-1]))
        return cst.FlattenSentinel(lifted)

    def leave_While(self, original: cst.While, updated: cst.While) -> Any:
        if self.cv(updated.test) is False:
            self.mark_dead(original.body)
            if updated.orelse is not None:
                return self._inline(updated, updated.orelse.body)  # type: ignore[arg-type]
            return cst.RemoveFromParent()
        return updated

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not updated.body:
            return updated.with_changes(body=[cst.SimpleStatementLine(body=[cst.Pass()])])
        # A lifted branch that ends in return/raise makes what follows it unreachable:
        # `if flag: return new()` + `return old()` must not leave `return old()` behind.
        for i, stmt in enumerate(updated.body[:-1]):
            if id(stmt) in self.terminal:
                start = self._original_position(original, updated.body[i + 1 :])
                if start is not None:
                    self.dead.append(start)
                return updated.with_changes(body=updated.body[: i + 1])
        return updated

    def _original_position(self, original: cst.IndentedBlock, rest: Any) -> Range | None:
        """Where the trailing statements `rest` stood in the original block.

        The transformer rebuilds nodes, so identity does not survive; the tail after the
        lifted branch is the same statements in the same order, so count from the end.
        """
        hits = list(original.body[-len(rest) :]) if rest else []
        if not hits:
            return None
        first = self.get_metadata(PositionProvider, hits[0])
        last = self.get_metadata(PositionProvider, hits[-1])
        return Range(start=_to_range(first).start, end=_to_range(last).end)


def _is_terminal(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and bool(stmt.body)
        and isinstance(stmt.body[-1], (cst.Return, cst.Raise, cst.Continue, cst.Break))
    )


def _is_pass(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Pass) for s in stmt.body
    )


def rewrite(text: str, req: RewriteRequest) -> RewriteResult:
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return RewriteResult(
            new_text=text, error=f"the file does not parse: {exc.message} (line {exc.raw_line})"
        )
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    pre = _Prepass(_Matcher(req))
    wrapper.visit(pre)
    if not pre.checks:
        return RewriteResult(new_text=text)
    folder = _Folder(pre)
    new_text = wrapper.visit(folder).code
    try:
        ast.parse(new_text)
    except SyntaxError as exc:  # a bug of ours: never hand out code that does not parse
        return RewriteResult(
            new_text=text, error=f"rewrite would not parse ({exc.msg} at line {exc.lineno})"
        )
    return RewriteResult(new_text=new_text, dead_ranges=folder.dead, checks=folder.replaced)
