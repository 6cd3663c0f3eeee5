"""Flag removal for TypeScript and JavaScript (JSX/TSX too), with ast-grep.

ast-grep gives the syntax tree; we compute the new text of each node from the new texts
of its children, splicing them into the original source, so everything we do not fold
keeps its exact bytes. Statements lifted out of a `{ … }` block are re-indented to the
`if` they replace; a statement that folds away takes its whole line with it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ast_grep_py import SgNode, SgRoot

from swath.analyzers.flags.rewrite_request import RewriteRequest, RewriteResult
from swath.findings.model import Position, Range

STATEMENT_LISTS = {"program", "statement_block", "switch_case", "switch_default"}
SYNTACTIC_PARENS = {
    "if_statement",
    "while_statement",
    "do_statement",
    "switch_statement",
    "for_statement",
}
JSX = {"jsx_element", "jsx_self_closing_element", "jsx_fragment"}
TERMINAL = {"return_statement", "throw_statement", "break_statement", "continue_statement"}
# Still meaningful after a return: declarations are hoisted or are types.
KEEP_AFTER_RETURN = {
    "comment",
    "function_declaration",
    "generator_function_declaration",
    "class_declaration",
    "interface_declaration",
    "type_alias_declaration",
    "enum_declaration",
    "export_statement",
    "import_statement",
}
SIDE_EFFECTS = {
    "call_expression",
    "await_expression",
    "assignment_expression",
    "augmented_assignment_expression",
    "update_expression",
    "new_expression",
    "yield_expression",
}
MEMBERSHIP_METHODS = {"has", "includes"}
_QUOTES = "\"'`"


@dataclass
class _R:
    text: str
    const: bool | None = None
    changed: bool = False
    removed: bool = False  # a statement that folded away
    jsx: bool = False  # the text is a JSX element (a `{…}` around it can go)
    terminal: bool = False  # lifted statements that end in return/throw: what follows is dead


def _span(n: SgNode) -> tuple[int, int]:
    r = n.range()
    return r.start.index, r.end.index


def _range(n: SgNode) -> Range:
    r = n.range()
    return Range(
        start=Position(line=r.start.line, character=r.start.column),
        end=Position(line=r.end.line, character=r.end.column),
    )


class _Rewriter:
    def __init__(self, src: str, lang: str, req: RewriteRequest) -> None:
        self.src = src
        self.req = req
        self.root = SgRoot(src, lang).root()
        self.checks: dict[tuple[int, int], bool] = {}
        self.var_decls: dict[tuple[int, int], tuple[str, bool, list[tuple[int, int]]]] = {}
        self.var_values: dict[tuple[int, int], bool] = {}
        self.interesting: list[int] = []
        self.dead: list[Range] = []
        self.replaced = 0
        self.memo: dict[tuple[int, int, str, bool], _R] = {}

    # -- recognising checks ------------------------------------------------------------------
    def _is_key(self, n: SgNode) -> bool:
        kind = n.kind()
        if kind == "string" or (kind == "template_string" and "${" not in n.text()):
            t = n.text()
            return len(t) >= 2 and t[0] in _QUOTES and t[1:-1] == self.req.key
        if kind in ("identifier", "member_expression"):
            text = n.text()
            return text in self.req.key_aliases or text.rsplit(".", 1)[-1] in self.req.key_aliases
        return False

    def _call_name(self, call: SgNode) -> str | None:
        f = call.field("function")
        if f is None:
            return None
        if f.kind() == "identifier":
            return f.text()
        if f.kind() == "member_expression":
            prop = f.field("property")
            return prop.text() if prop is not None else None
        return None

    def _check_value(self, n: SgNode) -> bool | None:
        req = self.req
        kind = n.kind()
        if kind == "call_expression":
            name = self._call_name(n)
            args_node = n.field("arguments")
            args = args_node.named_children() if args_node is not None else []
            if name in req.call_names and any(self._is_key(a) for a in args[:2]):
                return (not req.value) if name in req.negated_calls else req.value
            if name in MEMBERSHIP_METHODS and len(args) == 1 and self._is_key(args[0]):
                return req.value
        if kind == "binary_expression":
            op = n.field("operator")
            left = n.field("left")
            if op is not None and op.text() == "in" and left is not None and self._is_key(left):
                return req.value
        if req.check_texts and kind in (
            "call_expression",
            "member_expression",
            "identifier",
            "binary_expression",
        ):
            if " ".join(n.text().split()) in req.check_texts:
                return req.value
        return None

    def _in_scope(self, n: SgNode) -> bool:
        if self.req.at is None:
            return True
        r = n.range()
        return (r.start.line, r.start.column) <= self.req.at <= (r.end.line, r.end.column)

    def prepass(self) -> None:
        kinds = ["call_expression", "binary_expression"]
        if self.req.check_texts:
            kinds += ["member_expression", "identifier"]
        for kind in kinds:
            for n in self.root.find_all(kind=kind):
                v = self._check_value(n)
                if v is not None and self._in_scope(n):
                    self.checks[_span(n)] = v
        if not self.checks:
            return
        spans = sorted(self.checks)
        for kind in ("lexical_declaration", "variable_declaration"):
            for decl in self.root.find_all(kind=kind):
                self._variable(decl, spans)
        points = [s for s, _ in self.checks] + [s for s, _ in self.var_decls]
        points += [a for _, _, acc in self.var_decls.values() for a, _ in acc]
        self.interesting = sorted(points)

    def _variable(self, decl: SgNode, spans: list[tuple[int, int]]) -> None:
        declarators = [c for c in decl.named_children() if c.kind() == "variable_declarator"]
        if len(declarators) != 1:
            return
        name_node, value = declarators[0].field("name"), declarators[0].field("value")
        if name_node is None or value is None or name_node.kind() != "identifier":
            return
        vs, ve = _span(value)
        i = bisect.bisect_left(spans, (vs, -1))
        if i >= len(spans) or spans[i][0] >= ve:
            return
        scope = decl.parent()
        if scope is None:
            return
        name = name_node.text()
        _, decl_end = _span(decl)
        accesses = []
        for ident in scope.find_all(kind="identifier", regex=f"^{re.escape(name)}$"):
            if ident.text() != name or _span(ident) == _span(name_node):
                continue
            parent = ident.parent()
            pk = parent.kind() if parent is not None else ""
            if pk in (
                "variable_declarator",
                "required_parameter",
                "optional_parameter",
                "formal_parameters",
                "assignment_expression",
                "augmented_assignment_expression",
                "update_expression",
                "function_declaration",
                "arrow_function",
                "catch_clause",
            ):
                return  # shadowed or reassigned somewhere: not safe to inline
            if _span(ident)[0] < decl_end:
                return
            accesses.append(_span(ident))
        if (
            scope.find(kind="shorthand_property_identifier", regex=f"^{re.escape(name)}$")
            is not None
        ):
            return  # `{ name }` would need rewriting into `{ name: true }`
        exported = decl.parent() is not None and decl.parent().kind() == "export_statement"  # type: ignore[union-attr]
        self.var_decls[_span(decl)] = (name, not exported, accesses)

    # -- rewriting ---------------------------------------------------------------------------
    def _touches(self, n: SgNode) -> bool:
        s, e = _span(n)
        i = bisect.bisect_left(self.interesting, s)
        return i < len(self.interesting) and self.interesting[i] < e

    def rw(self, n: SgNode, in_list: bool = False) -> _R:
        # Handlers look at a child before deciding to splice it: compute each node once, so
        # the dead ranges and the count of replaced checks are recorded once.
        memo_key = (*_span(n), n.kind(), in_list)
        hit = self.memo.get(memo_key)
        if hit is None:
            hit = self._rw(n, in_list)
            self.memo[memo_key] = hit
        return hit

    def _rw(self, n: SgNode, in_list: bool) -> _R:
        span = _span(n)
        if not self._touches(n):
            return _R(n.text())
        if span in self.checks:
            self.replaced += 1
            v = self.checks[span]
            return _R("true" if v else "false", const=v, changed=True)
        if span in self.var_values:
            v = self.var_values[span]
            return _R("true" if v else "false", const=v, changed=True)
        kind = n.kind()
        handler = getattr(self, "_rw_" + kind, None)
        if handler is not None:
            out: _R | None = handler(n, in_list)
            if out is not None:
                return out
        return self._splice(n)

    def _splice(self, n: SgNode) -> _R:
        """`n`'s text with its children's new texts; statements that folded away lose their lines."""
        src = self.src
        ns, ne = _span(n)
        is_list = n.kind() in STATEMENT_LISTS
        drops_lines = is_list or n.kind() == "jsx_element"
        edits: list[tuple[int, int, str]] = []
        changed = False
        unreachable = False
        for child in n.children():
            cs, ce = _span(child)
            if unreachable and child.is_named() and child.kind() not in KEEP_AFTER_RETURN:
                self.dead.append(_range(child))
                r = _R("", changed=True, removed=True)
            else:
                r = self.rw(child, in_list=is_list)
            if is_list and r.terminal:
                unreachable = True
            if not r.changed:
                continue
            changed = True
            if r.removed and drops_lines:
                ls = src.rfind("\n", 0, cs) + 1
                if src[ls:cs].strip() == "" and ls >= ns:
                    cs = ls
                le = src.find("\n", ce)
                le = len(src) if le < 0 else le
                if src[ce:le].strip() == "":
                    ce = min(le + 1, ne) if le < ne else ce
            edits.append((cs, ce, r.text))
        if not changed:
            return _R(n.text())
        return _R(self._apply(n, edits), changed=True)

    def _apply(self, n: SgNode, edits: list[tuple[int, int, str]]) -> str:
        ns, ne = _span(n)
        out, pos = [], ns
        for s, e, t in sorted(edits):
            out.append(self.src[pos:s])
            out.append(t)
            pos = e
        out.append(self.src[pos:ne])
        return "".join(out)

    def _rw_parenthesized_expression(self, n: SgNode, in_list: bool) -> _R | None:
        inner = n.named_children()
        if len(inner) != 1:
            return None
        r = self.rw(inner[0])
        if r.const is not None:
            return _R(f"({r.text})", const=r.const, changed=True)
        return None

    def _rw_await_expression(self, n: SgNode, in_list: bool) -> _R | None:
        inner = n.named_children()
        if inner:
            r = self.rw(inner[-1])
            if r.const is not None:
                return r
        return None

    def _rw_unary_expression(self, n: SgNode, in_list: bool) -> _R | None:
        op, arg = n.field("operator"), n.field("argument")
        if op is None or arg is None or op.text() != "!":
            return None
        r = self.rw(arg)
        if r.const is not None:
            return _R("false" if r.const else "true", const=not r.const, changed=True)
        return None

    def _rw_binary_expression(self, n: SgNode, in_list: bool) -> _R | None:
        op, left, right = n.field("operator"), n.field("left"), n.field("right")
        if op is None or left is None or right is None or op.text() not in ("&&", "||"):
            return None
        is_and = op.text() == "&&"
        lr, rr = self.rw(left), self.rw(right)
        if lr.const is not None:
            if lr.const == is_and:  # true && E -> E ; false || E -> E
                return _R(rr.text, const=rr.const, changed=True, jsx=right.kind() in JSX)
            self.dead.append(_range(right))
            return _R("true" if lr.const else "false", const=lr.const, changed=True)
        if rr.const is not None:
            if rr.const == is_and:  # E && true -> E ; E || false -> E (in a truth test)
                return _R(lr.text, changed=True)
            if not self._has_side_effects(left):
                self.dead.append(_range(left))
                return _R("true" if rr.const else "false", const=rr.const, changed=True)
        return None

    def _rw_ternary_expression(self, n: SgNode, in_list: bool) -> _R | None:
        cond, yes, no = n.field("condition"), n.field("consequence"), n.field("alternative")
        if cond is None or yes is None or no is None:
            return None
        c = self.rw(cond)
        if c.const is None:
            return None
        keep, drop = (yes, no) if c.const else (no, yes)
        self.dead.append(_range(drop))
        r = self.rw(keep)
        return _R(r.text, const=r.const, changed=True, jsx=keep.kind() in JSX or r.jsx)

    def _rw_jsx_expression(self, n: SgNode, in_list: bool) -> _R | None:
        inner = [c for c in n.named_children() if c.kind() != "comment"]
        parent = n.parent()
        if len(inner) != 1 or parent is None or parent.kind() == "jsx_attribute":
            return None
        r = self.rw(inner[0])
        if r.const is not None:
            return _R("", changed=True, removed=True)  # {false} and {true} render nothing
        if r.jsx:
            return _R(r.text, changed=True)
        return None

    def _rw_if_statement(self, n: SgNode, in_list: bool) -> _R | None:
        cond, yes, alt = n.field("condition"), n.field("consequence"), n.field("alternative")
        if cond is None or yes is None:
            return None
        c = self.rw(cond)
        alt_stmt = None
        if alt is not None:
            named = [x for x in alt.named_children() if x.kind() != "comment"]
            alt_stmt = named[0] if named else None
        if c.const is None:
            if alt is not None and alt_stmt is not None:
                ar = self.rw(alt_stmt)
                if ar.removed:  # `else if (off) {…}` with nothing after it: the else goes
                    ys, ye = _span(yes)
                    _, ae = _span(alt)
                    yr = self.rw(yes)
                    edits = [(*_span(cond), c.text), (ys, ye, yr.text), (ye, ae, "")]
                    return _R(self._apply(n, edits), changed=True)
            return None
        if c.const:
            if alt is not None:
                self.dead.append(_range(alt))
            return self._lift(n, yes, in_list)
        self.dead.append(_range(yes))
        if alt_stmt is None:
            # `removed` also tells an enclosing `else` that it has nothing left to hold.
            return _R("" if in_list else "{}", changed=True, removed=True)
        return self._lift(n, alt_stmt, in_list)

    def _lift(self, stmt: SgNode, body: SgNode, in_list: bool) -> _R:
        """The statement(s) of `body` in place of `stmt`."""
        r = self.rw(body, in_list=False)
        if body.kind() != "statement_block" or not in_list:
            return _R(r.text, changed=True, terminal=in_list and body.kind() in TERMINAL)
        stmts = [c for c in body.named_children() if c.kind() != "comment"]
        terminal = bool(stmts) and stmts[-1].kind() in TERMINAL
        text = r.text.strip()
        if text.startswith("{") and text.endswith("}"):
            text = text[1:-1]
        inner = text.strip("\n").rstrip()
        if not inner.strip():
            return _R("", changed=True, removed=True)
        return _R(self._reindent(inner, stmt, body), changed=True, terminal=terminal)

    def _reindent(self, inner: str, stmt: SgNode, body: SgNode) -> str:
        src = self.src
        s, _ = _span(stmt)
        line_start = src.rfind("\n", 0, s) + 1
        target = src[line_start:s] if src[line_start:s].strip() == "" else ""
        lines = inner.split("\n")
        indents = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
        cut = min(indents) if indents else 0
        out = []
        for i, ln in enumerate(lines):
            if not ln.strip():
                out.append("")
                continue
            body_text = ln[cut:] if len(ln) - len(ln.lstrip()) >= cut else ln.lstrip()
            out.append(body_text if i == 0 else target + body_text)
        return "\n".join(out).lstrip()

    def _rw_lexical_declaration(self, n: SgNode, in_list: bool) -> _R | None:
        return self._declaration(n, in_list)

    def _rw_variable_declaration(self, n: SgNode, in_list: bool) -> _R | None:
        return self._declaration(n, in_list)

    def _declaration(self, n: SgNode, in_list: bool) -> _R | None:
        hit = self.var_decls.get(_span(n))
        if hit is None:
            return None
        declarator = next(c for c in n.named_children() if c.kind() == "variable_declarator")
        value = declarator.field("value")
        assert value is not None
        r = self.rw(value)
        if r.const is None:
            return None
        _, removable, accesses = hit
        for a in accesses:
            self.var_values[a] = r.const
        if removable and in_list:
            return _R("", changed=True, removed=True)
        vs, ve = _span(value)
        ns, ne = _span(n)
        return _R(self.src[ns:vs] + r.text + self.src[ve:ne], changed=True)

    def _has_side_effects(self, n: SgNode) -> bool:
        if n.kind() in SIDE_EFFECTS:
            return True
        return any(n.find(kind=k) is not None for k in SIDE_EFFECTS)


def has_errors(text: str, lang: str) -> bool:
    return SgRoot(text, lang).root().find(kind="ERROR") is not None


def rewrite(text: str, lang: str, req: RewriteRequest) -> RewriteResult:
    rw = _Rewriter(text, lang, req)
    if rw.root.find(kind="ERROR") is not None:  # the tree just parsed, not a second parse
        return RewriteResult(
            new_text=text, error="the file does not parse cleanly; not rewriting it"
        )
    rw.prepass()
    if not rw.checks:
        return RewriteResult(new_text=text)
    new_text = rw.rw(rw.root, in_list=True).text
    if has_errors(new_text, lang):
        return RewriteResult(new_text=text, error="rewrite would not parse; left unchanged")
    return RewriteResult(new_text=new_text, dead_ranges=rw.dead, checks=rw.replaced)
