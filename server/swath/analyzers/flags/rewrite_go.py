"""Flag removal for Go, with ast-grep: checks in conditions, folded one at a time.

Deliberately narrower than the Python and TypeScript rewriters. A Go check is rewritten
only where its value is a plain `bool` in a condition (`if`, `!`, `&&`, `||`, parentheses,
`return`), and in a two-value assignment whose error is thrown away (`v, _ :=
ldClient.BoolVariation(…)` is `v := true`). Where the error is read (`v, err := …`) the
getter is left alone and reported. An `if` whose condition folds to a constant is replaced by the branch that
survives (its statements lifted and re-indented, or kept in a bare `{ … }` block when they
declare names, so they cannot clash with the enclosing scope); an import the removal
leaves unused is deleted, since Go refuses to compile a file with one. The result must
parse, or the rewrite is refused.
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode, SgRoot

from swath.analyzers.flags.fold_checks import MAX_FOLDS, fold_checks
from swath.analyzers.flags.remove_defs import Target, delete_units
from swath.analyzers.flags.rewrite_request import RewriteRequest, RewriteResult
from swath.analyzers.flags.node_edits import (
    indent_of,
    line_start,
    node_range,
    replace,
    replace_lines,
    same,
)
from swath.findings.model import Range

_QUOTES = "\"'`"
NOT_A_CONDITION = (
    "a Go check whose error is read (`v, err := …`), or that is not a plain bool in a "
    "condition, is not rewritten"
)


def rewrite(src: str, req: RewriteRequest) -> RewriteResult:
    # A homegrown check may be a plain bool read, not a call (`if envconfig.Retry`,
    # `if flags.EnableFoo`): such check texts are looked for among selectors and names too.
    kinds: tuple[str, ...] = ("call_expression",)
    if any("(" not in t for t in req.check_texts):
        kinds += ("selector_expression", "identifier")
    return fold_checks(
        src,
        "go",
        "Go",
        req,
        call_kind=kinds,
        check_value=_check_value,
        fold=_fold,
        not_a_condition=NOT_A_CONDITION,
        tidy=lambda text: drop_unused_imports(drop_unused_locals(text)),
    )


# -- recognising checks ----------------------------------------------------------------------
def _is_key(n: SgNode, req: RewriteRequest) -> bool:
    kind = n.kind()
    t = n.text()
    if kind in ("interpreted_string_literal", "raw_string_literal"):
        return len(t) >= 2 and t[0] in _QUOTES and t[1:-1] == req.key
    if kind in ("identifier", "selector_expression"):
        return t in req.key_aliases or t.rsplit(".", 1)[-1] in req.key_aliases
    return False


def _check_value(n: SgNode, req: RewriteRequest) -> bool | None:
    if n.kind() in ("selector_expression", "identifier"):
        if " ".join(n.text().split()) in req.check_texts and not written(n):
            return req.value
        return None
    if n.kind() != "call_expression":
        return None
    if req.check_texts and " ".join(n.text().split()) in req.check_texts:
        return req.value
    f = n.field("function")
    name = None
    if f is not None and f.kind() == "selector_expression":
        fld = f.field("field")
        name = fld.text() if fld is not None else None
    elif f is not None and f.kind() == "identifier":
        name = f.text()
    args_node = n.field("arguments")
    args = args_node.children() if args_node is not None else []
    named = [a for a in args if a.is_named()]
    if name in req.call_names and any(_is_key(a, req) for a in named[:2]):
        return (not req.value) if name in req.negated_calls else req.value
    return None


def written(n: SgNode) -> bool:
    """Whether this bool variable is written here, not read: the left of `=` / `:=`, the
    operand of `&` or `++`, the name a declaration binds. (`envconfig.Retry = true` in a
    test is no check; folding it would make `true = true`.)"""
    node = n
    parent = node.parent()
    while parent is not None and parent.kind() == "parenthesized_expression":
        node, parent = parent, parent.parent()
    if parent is None:
        return True
    kind = parent.kind()
    if kind in ("inc_statement", "dec_statement", "const_spec", "var_spec"):
        return True
    if kind == "literal_element":  # `{Name: …}`: a key of a composite literal is no read
        keyed = parent.parent()
        return (
            keyed is not None and keyed.kind() == "keyed_element" and same(keyed.child(0), parent)
        )
    if kind == "unary_expression" and parent.text().lstrip().startswith("&"):
        return True
    if kind == "expression_list":
        stmt = parent.parent()
        if stmt is not None and stmt.kind() in ("assignment_statement", "short_var_declaration"):
            return same(stmt.field("left"), parent)
    return False


# -- folding ---------------------------------------------------------------------------------
def _has_call(n: SgNode) -> bool:
    return n.kind() == "call_expression" or n.find(kind="call_expression") is not None


def _fold(text: str, check: SgNode, value: bool) -> tuple[str, list[Range]] | None:
    """(new text, ranges that die) for the check folded into what holds it, or None when
    the check is not in a place where a constant `bool` can stand."""
    node, const = check, value
    while True:
        parent = node.parent()
        if parent is None:
            return None
        kind = parent.kind()
        if kind == "parenthesized_expression":
            node = parent
            continue
        if kind == "unary_expression" and parent.text().lstrip().startswith("!"):
            node, const = parent, not const
            continue
        if kind == "binary_expression":
            op = parent.field("operator")
            opt = op.text() if op is not None else ""
            left, right = parent.field("left"), parent.field("right")
            other = right if left is not None and same(left, node) else left
            if opt not in ("&&", "||") or other is None:
                return None
            absorbing = (opt == "&&" and not const) or (opt == "||" and const)
            if absorbing and not _has_call(other):
                node = parent  # `false && x`, `true || x`: the constant, x never ran... or did not matter
                continue
            if absorbing:
                # `f() && false`: f() still runs; keep it, write the constant in place.
                return replace(text, node, "true" if const else "false"), []
            # `true && x` is x: the expression stops being constant.
            return replace(text, parent, other.text()), [node_range(node)]
        if kind == "if_statement" and same(parent.field("condition"), node):
            if parent.field("initializer") is not None:
                return replace(text, node, "true" if const else "false"), []
            return _fold_if(text, parent, const)
        if kind in ("return_statement", "expression_list", "argument_list", "literal_element"):
            gp = parent.parent()
            if kind == "expression_list" and gp is not None and _multi_assign(gp):
                return _fold_two_values(text, gp, parent, "true" if const else "false")
            return replace(text, node, "true" if const else "false"), []
        return None


def _fold_two_values(
    text: str, stmt: SgNode, values: SgNode, const: str
) -> tuple[str, list[Range]] | None:
    """`v, _ := client.BoolVariation(…)` is `v := true`: the error was thrown away, so
    nothing else reads what the call answered. With the error kept (`v, err := …`) the
    code goes on to read `err`: left alone, and the note says so."""
    left = stmt.field("left")
    if stmt.kind() not in ("short_var_declaration", "assignment_statement") or left is None:
        return None
    if len([c for c in values.children() if c.is_named()]) != 1:
        return None
    names = [c.text() for c in left.children() if c.is_named()]
    if len(names) != 2 or names[1] != "_" or names[0] == "_":
        return None
    r, lr = stmt.range(), left.range()
    op = text[lr.end.index : values.range().start.index].strip()  # `:=` or `=`
    return text[: r.start.index] + f"{names[0]} {op} {const}" + text[r.end.index :], []


def _multi_assign(n: SgNode) -> bool:
    if n.kind() == "var_spec":
        # `var v, _ = …`: the names are the spec's own identifiers, before its `=`.
        names = []
        for c in n.children():
            if c.kind() == "=":
                break
            names += [c] if c.kind() == "identifier" else []
        return len(names) > 1
    if n.kind() not in ("short_var_declaration", "assignment_statement"):
        return False
    left = n.field("left")
    return left is not None and "," in left.text()


def _fold_if(text: str, stmt: SgNode, const: bool) -> tuple[str, list[Range]]:
    consequence, alternative = stmt.field("consequence"), stmt.field("alternative")
    if const:
        keep, gone = consequence, alternative
    else:
        keep, gone = alternative, consequence
    dead = [node_range(gone)] if gone is not None else []
    if keep is None:
        return _drop_statement(text, stmt), dead
    if keep.kind() == "if_statement":  # `else if …`: the chain goes on as an `if`
        return replace(text, stmt, keep.text()), dead
    after = _unreachable_after(stmt, keep)
    if after is not None:
        # The lifted branch returns: what followed the `if` in its block can never run
        # (go vet reports it), so it goes too.
        first, last = after
        dead.append(Range(start=node_range(first).start, end=node_range(last).end))
        start = line_start(text, first.range().start.index)
        end = text.find("\n", last.range().end.index)
        end = len(text) if end < 0 else end + 1
        text = text[:start] + text[end:]
    return replace_lines(text, stmt, _lifted(text, stmt, keep)), dead


def _drop_statement(text: str, stmt: SgNode) -> str:
    """The statement's lines deleted, and with them the blank line it leaves at the start or
    the end of its block (etcd's interceptors open with a check, then a blank line: gofmt
    keeps a block's leading blank line, so it would stay)."""
    r = stmt.range()
    start = line_start(text, r.start.index)
    end = text.find("\n", r.end.index)
    end = len(text) if end < 0 else end + 1
    before, after = text[:start], text[end:]
    blank_after = re.match(r"[ \t]*\n", after)
    if before.rstrip(" \t\n").endswith("{") and blank_after:
        after = after[blank_after.end() :]
    elif after.lstrip(" \t").startswith("}") and re.search(r"\n[ \t]*\n\Z", before):
        before = before[: before.rstrip(" \t\n").__len__() + 1]
    return before + after


def _unreachable_after(stmt: SgNode, block: SgNode) -> tuple[SgNode, SgNode] | None:
    body = block.find(kind="statement_list")
    parent = stmt.parent()
    if body is None or parent is None or parent.kind() != "statement_list":
        return None
    stmts = [c for c in body.children() if c.is_named() and c.kind() != "comment"]
    if not stmts or stmts[-1].kind() != "return_statement":
        return None
    siblings = [c for c in parent.children() if c.is_named()]
    index = next((i for i, c in enumerate(siblings) if same(c, stmt)), None)
    rest = siblings[index + 1 :] if index is not None else []
    if not rest or any(c.kind() == "labeled_statement" for c in rest):
        return None  # nothing after it, or a label something may jump to
    return rest[0], rest[-1]


def _lifted(text: str, stmt: SgNode, block: SgNode) -> str:
    """The block's statements at the `if`'s indentation, or the block itself (bare) when it
    declares names at its top level."""
    indent = indent_of(text, stmt)
    body = block.find(kind="statement_list")
    declares = body is not None and any(
        c.kind()
        in ("short_var_declaration", "var_declaration", "const_declaration", "type_declaration")
        for c in body.children()
    )
    if body is None:
        return ""
    if declares:
        return indent + block.text()
    inner = text[line_start(text, body.range().start.index) : body.range().end.index]
    lines = inner.splitlines()
    step = min((len(ln) - len(ln.lstrip("\t ")) for ln in lines if ln.strip()), default=0)
    return "\n".join(indent + ln[step:] if ln.strip() else "" for ln in lines)


# -- locals ----------------------------------------------------------------------------------
def drop_unused_locals(text: str) -> str:
    """Local variables the removal left unread (`client := openfeature.NewClient(…)` whose
    one use was the check): Go does not compile a function with one. A Go file compiled
    before, so every local it leaves unread is the removal's doing. A declaration whose
    every name goes is deleted; otherwise the unread names become `_`."""
    for _ in range(MAX_FOLDS):
        root = SgRoot(text, "go").root()
        edit = next(
            (e for d in root.find_all(kind="short_var_declaration") if (e := _unread(text, d))),
            None,
        )
        if edit is None:
            return text
        text = edit
    return text


def _unread(text: str, decl: SgNode) -> str | None:
    """`text` with `decl`'s unread names dropped, or None when all are read."""
    left, block = decl.field("left"), decl.parent()
    if left is None or block is None:
        return None
    names = [c for c in left.children() if c.is_named()]
    end = decl.range().end.index
    read = {i.text() for i in block.find_all(kind="identifier") if i.range().start.index >= end}
    unread = [n for n in names if n.text() != "_" and n.text() not in read]
    if not unread:
        return None
    if len(unread) == len([n for n in names if n.text() != "_"]):
        return replace_lines(text, decl, None)
    for n in sorted(unread, key=lambda n: -n.range().start.index):
        text = replace(text, n, "_")
    return text


# -- imports ---------------------------------------------------------------------------------
def drop_unused_funcs(old: str, new: str, others: list[tuple[str, str]]) -> str:
    """Delete the unexported top-level functions of `new` the removal left unused: named
    (outside their own body) in `old` or the package's other files before, and nowhere in
    the package after (etcd's `notCapable`, called only under the capability check). Go
    compiles an unused function, but linters (staticcheck's U1000) do not let it pass.
    A word anywhere (a comment, a string) counts as a use: what goes is surely unused."""
    text = new
    for _ in range(20):  # a deleted helper may have held the last call of another
        root = SgRoot(text, "go").root()
        gone = None
        for fn in root.children():
            if fn.kind() != "function_declaration":
                continue
            name_node = fn.field("name")
            name = name_node.text() if name_node is not None else ""
            if not name or not name[0].islower() or name in ("init", "main"):
                continue
            word = re.compile(rf"\b{re.escape(name)}\b")
            start, end = _declaration_span(text, fn)
            own = len(word.findall(text[start:end]))  # its body and its doc comment
            after = len(word.findall(text)) - own + sum(len(word.findall(b)) for _, b in others)
            if after:
                continue
            before = sum(len(word.findall(a)) for a, _ in others) + len(word.findall(old))
            if before > own:  # it was called before the removal
                gone = fn
                break
        if gone is None:
            return text
        text = _drop_declaration(text, gone)
    return text


def _drop_declaration(text: str, decl: SgNode) -> str:
    """The declaration's lines, the `//` comment lines right above it and one blank line
    around it deleted."""
    start, end = _declaration_span(text, decl)
    if text[end : end + 1] == "\n":
        end += 1
    elif text[start - 2 : start] == "\n\n":
        start -= 1
    return text[:start] + text[end:]


def _declaration_span(text: str, decl: SgNode) -> tuple[int, int]:
    """Where the declaration's lines are, with the `//` comment lines right above it."""
    start = line_start(text, decl.range().start.index)
    end = text.find("\n", decl.range().end.index)
    end = len(text) if end < 0 else end + 1
    while start > 0:
        prev = line_start(text, start - 1)
        if not text[prev:start].lstrip().startswith("//"):
            break
        start = prev
    return start, end


def drop_unused_imports(text: str) -> str:
    """Delete the import specs whose package the file no longer names: Go does not compile a
    file with an unused import, and a removal often takes the last use of the flag package."""
    root = SgRoot(text, "go").root()
    specs = root.find_all(kind="import_spec")
    body_start = max((s.range().end.index for s in specs), default=0)
    rest = text[body_start:]
    drop: list[SgNode] = []
    for spec in specs:
        name_node = spec.field("name")
        path_node = spec.field("path")
        if path_node is None:
            continue
        if name_node is not None:
            name = name_node.text()
            if name in ("_", "."):
                continue
        else:
            name = path_node.text().strip('"`').rsplit("/", 1)[-1]
            if re.fullmatch(
                r"v\d+", name
            ):  # `…/go-server-sdk/v7`: the package is the element before
                name = path_node.text().strip('"`').rsplit("/", 2)[-2]
            name = name.replace("-", "_")
        if not re.search(rf"\b{re.escape(name)}\s*\.", rest):
            drop.append(spec)
    for spec in sorted(drop, key=lambda s: -s.range().start.index):
        parent = spec.parent()
        if parent is not None and parent.kind() == "import_declaration":
            at = line_start(text, parent.range().start.index)
            text = replace_lines(text, parent, None)  # `import "x"` alone
            if text[at - 2 : at] == "\n\n" and text[at : at + 1] == "\n":
                text = text[:at] + text[at + 1 :]  # its blank lines were two: gofmt keeps one
        else:
            text = replace_lines(text, spec, None)
    if drop:
        # `import (` with nothing left in it: the declaration goes too.
        for decl in sorted(
            SgRoot(text, "go").root().find_all(kind="import_declaration"),
            key=lambda d: -d.range().start.index,
        ):
            if decl.find(kind="import_spec") is None:
                text = replace_lines(text, decl, None)
                if "\n\n\n" in text:
                    text = text.replace("\n\n\n", "\n\n", 1)
            elif "(" in decl.text():
                text = replace(text, decl, _tidy_block(decl.text()))
    return text


def _tidy_block(decl: str) -> str:
    """An import block after deletions, as gofmt leaves it: no blank line just inside the
    parentheses, never two in a row (a group emptied leaves its separator behind)."""
    lines = decl.split("\n")
    out: list[str] = []
    for line in lines:
        blank = not line.strip()
        if blank and (not out or out[-1].rstrip().endswith("(") or not out[-1].strip()):
            continue
        out.append(line)
    while len(out) > 1 and not out[-2].strip() and out[-1].strip() == ")":
        out.pop(-2)
    return "\n".join(out)


def drop_unused_consts(old: str, new: str, others: list[tuple[str, str]]) -> str:
    """Delete the unexported package-level constants of `new` the removal left unused, as
    `drop_unused_funcs` does functions: named outside their own spec (and doc comment) in
    `old` or the package's other files before, nowhere in the package after (grpc's
    `retryStr = prefix + "RETRY"` once `Retry`'s variable went, then `prefix`). A block
    emptied goes whole; a block counting with `iota` is left alone (deleting one spec
    renumbers the rest). Go compiles an unused constant; staticcheck's U1000 does not.
    Constants only: a variable's initializer may have effects."""
    text = new
    for _ in range(50):  # a constant may have held the last use of another
        found = _unused_const(text, old, others)
        if found is None:
            return text
        line, name = found
        result = delete_units(text, "go", [Target(line, line, name, line, line)])
        if result.error or not result.deleted:
            return text
        text = result.new_text
    return text


def _unused_const(text: str, old: str, others: list[tuple[str, str]]) -> tuple[int, str] | None:
    lines = text.split("\n")
    for decl in SgRoot(text, "go").root().children():
        if decl.kind() != "const_declaration":
            continue
        specs = [c for c in decl.children() if c.kind() == "const_spec"]
        if any(s.field("value") is None or re.search(r"\biota\b", s.text()) for s in specs):
            continue
        for spec in specs:
            names = [n.text() for n in spec.field_children("name")]
            if len(names) != 1 or not names[0][:1].islower() or names[0] == "_":
                continue
            name = names[0]
            word = re.compile(rf"\b{re.escape(name)}\b")
            first, last = spec.range().start.line, spec.range().end.line
            while first > 0 and lines[first - 1].strip().startswith("//"):
                first -= 1
            own = len(word.findall("\n".join(lines[first : last + 1])))
            after = len(word.findall(text)) - own + sum(len(word.findall(b)) for _, b in others)
            if after:
                continue
            before = len(word.findall(old)) + sum(len(word.findall(a)) for a, _ in others)
            if before > own:
                return spec.range().start.line, name
    return None
