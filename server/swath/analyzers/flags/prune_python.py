"""What a flag removal leaves unused in a Python module, deleted with libcst: imports,
module-level helpers (functions, classes) and constants.

Only what the edits made unused goes: a name the module's global scope bound and read
before the removal and reads no more after it (libcst's scope analysis counts the reads).
An import unused before is left as it was: it is not the removal's doing. A helper or
constant other modules could import goes only when `used_elsewhere` says no other file
names it; a private one (`_name`) needs no such check. An import is the module's attribute
too: it stays when `read_as_attribute` says another file reads it through the module (a
test's `mock.patch.object(checkout.client, …)` or `mock.patch("app.checkout.client")`).
Names listed in `__all__` are kept. Deleting a helper can leave another unused (it was
only called from there), so the pass repeats until nothing more goes.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
from libcst.metadata import Assignment, GlobalScope, MetadataWrapper, ScopeProvider

MAX_ROUNDS = 8
LITERALS = (
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.Integer,
    cst.Float,
    cst.Name,  # True, False, None, or another name: no side effect either way
)


def prune(
    before: str,
    after: str,
    *,
    used_elsewhere: Callable[[str], bool] = lambda name: True,
    read_as_attribute: Callable[[str], bool] = lambda name: False,
) -> str:
    """`after` without the imports, helpers and constants it no longer uses but `before` did."""
    try:
        read_before = _reads(cst.parse_module(before))
        module = cst.parse_module(after)
    except cst.ParserSyntaxError:
        return after
    exported = _dunder_all(module)
    for _ in range(MAX_ROUNDS):
        wrapper = MetadataWrapper(module)
        scope = wrapper.resolve(ScopeProvider)[wrapper.module]
        assert isinstance(scope, GlobalScope)
        drop: set[str] = set()
        for a in scope.assignments:
            if not isinstance(a, Assignment):
                continue  # a builtin
            name = a.name
            if name in exported or read_before.get(name, 0) == 0 or a.references:
                continue
            if any(other.references for other in scope[name]):
                continue  # bound twice (`try: import x / except: x = None`), still read
            node = a.node
            if isinstance(node, cst.Import | cst.ImportFrom):
                if not read_as_attribute(name):  # `mock.patch.object(checkout.client, …)`
                    drop.add(name)
            elif isinstance(node, cst.FunctionDef | cst.ClassDef) and node.decorators:
                continue  # a decorator may register it (a route, a fixture): it is used
            elif isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Name) and (
                name.startswith("_") or not used_elsewhere(name)
            ):
                drop.add(name)
        if not drop:
            break
        pruned = wrapper.module.visit(_Drop(drop))
        if pruned.code == module.code:
            break
        module = pruned
    code = module.code
    # An import that opened the file leaves the blank lines after it at the top.
    return code.lstrip("\n") if not after.startswith("\n") else code


def _reads(module: cst.Module) -> dict[str, int]:
    """Reads of each name bound in the module's global scope."""
    wrapper = MetadataWrapper(module)
    scope = wrapper.resolve(ScopeProvider)[wrapper.module]
    out: dict[str, int] = {}
    if scope is None:
        return out
    for a in scope.assignments:
        out[a.name] = out.get(a.name, 0) + len(a.references)
    return out


def _dunder_all(module: cst.Module) -> set[str]:
    names: set[str] = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if (
                isinstance(small, cst.Assign | cst.AugAssign | cst.AnnAssign)
                and "__all__" in cst.Module([]).code_for_node(small).split("=")[0]
            ):
                value = small.value
                if isinstance(value, cst.List | cst.Tuple | cst.Set):
                    for el in value.elements:
                        if isinstance(el.value, cst.SimpleString):
                            names.add(str(el.value.evaluated_value))
    return names


def _alias_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return cst.Module([]).code_for_node(alias.name)


class _Drop(cst.CSTTransformer):
    """Removes the module-level bindings of `names` (an import alias, a whole import left
    empty, a `def`/`class`, a one-name assignment)."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names
        self.depth = 0  # inside a def/class: nothing there is module level

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.depth += 1
        return True

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef | cst.RemovalSentinel:
        self.depth -= 1
        if self.depth == 0 and original_node.name.value in self.names:
            return cst.RemovalSentinel.REMOVE
        return updated_node

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef | cst.RemovalSentinel:
        self.depth -= 1
        if self.depth == 0 and original_node.name.value in self.names:
            return cst.RemovalSentinel.REMOVE
        return updated_node

    def leave_Import(
        self, original_node: cst.Import, updated_node: cst.Import
    ) -> cst.Import | cst.RemovalSentinel:
        if self.depth:
            return updated_node
        names = [a for a in updated_node.names if _alias_name(a) not in self.names]
        if not names:
            return cst.RemovalSentinel.REMOVE
        return updated_node.with_changes(names=_without_trailing_comma(names))

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom | cst.RemovalSentinel:
        if self.depth or isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        names = [a for a in updated_node.names if _alias_name(a) not in self.names]
        if not names:
            return cst.RemovalSentinel.REMOVE
        if len(names) == len(updated_node.names):
            return updated_node
        last = updated_node.names[-1]
        if updated_node.lpar is None:
            names = _without_trailing_comma(names)
        elif names[-1] is not last:
            # The last alias went: the one now last ends the way it did (its comma, or
            # none, then the line break before `)`), not with the indent meant for another.
            names[-1] = names[-1].with_changes(comma=last.comma)
        return updated_node.with_changes(names=names)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if self.depth:
            return updated_node
        body = [s for s in updated_node.body if not self._binds_dropped(s)]
        if not body:
            return cst.RemovalSentinel.REMOVE
        return updated_node.with_changes(body=body)

    def _binds_dropped(self, small: cst.BaseSmallStatement) -> bool:
        """A constant: one name bound to a literal (a call could have side effects)."""
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target, value = small.targets[0].target, small.value
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            target, value = small.target, small.value
        else:
            return False
        return (
            isinstance(target, cst.Name)
            and target.value in self.names
            and isinstance(value, LITERALS)
        )


def _without_trailing_comma(names: list[cst.ImportAlias]) -> list[cst.ImportAlias]:
    """`import a, b` less `b` is `import a`: the comma that separated them goes."""
    return [*names[:-1], names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]
