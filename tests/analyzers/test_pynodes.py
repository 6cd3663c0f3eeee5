"""pynodes finds the nodes a full tree-sitter query finds, without visiting the whole tree.

The oracle is the query the map used before (every node of the branch kinds, every import
statement, every definition, then the module/class-level filter), run over source where
the keywords also stand in strings, comments, f-strings, identifiers and after numbers.
"""

from __future__ import annotations

import tree_sitter as ts

from swath.analyzers.pyfacts import LANGUAGE, _PARSER, python_facts
from swath.analyzers.pynodes import BRANCH_PARENTS, definition_nodes, keyword_nodes

BRANCH_KINDS = sorted({kind for kinds in BRANCH_PARENTS.values() for kind in kinds})
ORACLE = ts.Query(
    LANGUAGE,
    "(import_statement) @import (import_from_statement) @import "
    "(function_definition) @def (class_definition) @def "
    "[" + " ".join(f"({k})" for k in BRANCH_KINDS) + "] @branch",
)

SOURCE = '''\
"""Docs: if you import this, for each and every case or while it runs, except when not."""
import os, sys as system
from . import sibling
from __future__ import annotations
# if for while and or import: a comment
motif = vector = error = band = "elif" if os else 'or'
x = 1if motif else 2
y = 0or 1
z = [a for a in range(3) if a and not a or a]
w = f"{x if y else z} import {'and'}"
iffy, format_, _for, import_ = 1, 2, 3, 4
\u00e9if = 5


def outer(p):
    import json
    if p:
        pass
    elif p or p:
        pass
    while p:
        break
    try:
        pass
    except ValueError:
        pass
    match p:
        case 1 if p:
            pass
        case _:
            pass
    async def inner():
        async for q in p:
            pass
    return [r async for r in p]


@decorator
class Shape:
    def area(self):
        return 1 if self else 0

    @property
    class Inner:
        def deep(self):
            pass

    if True:
        def hidden(self):
            pass


if __name__ == "__main__":
    def main():
        from typing import TYPE_CHECKING
'''


def _oracle(root: ts.Node) -> tuple[list[int], list[int], list[int]]:
    found = ts.QueryCursor(ORACLE).captures(root)
    defs = []
    for node in found.get("def", []):
        outer = node.parent if node.parent.type == "decorated_definition" else node
        holder = outer.parent
        if holder.type == "module":
            defs.append(node.start_byte)
            continue
        owner = holder.parent if holder.type == "block" else None
        if owner is None or owner.type != "class_definition":
            continue
        owner_outer = owner.parent if owner.parent.type == "decorated_definition" else owner
        if owner_outer.parent.type == "module":
            defs.append(node.start_byte)
    return (
        sorted(n.start_byte for n in found.get("branch", [])),
        sorted(n.start_byte for n in found.get("import", [])),
        sorted(defs),
    )


def test_keywords_and_definitions_are_the_nodes_a_full_query_finds() -> None:
    data = SOURCE.encode()
    root = _PARSER.parse(data).root_node
    assert not root.has_error
    branches, imports = keyword_nodes(data, root)
    want_branches, want_imports, want_defs = _oracle(root)
    assert branches == want_branches
    assert [n.start_byte for n in imports] == want_imports
    assert [n.start_byte for n in definition_nodes(root)] == want_defs
    # the cases this source is made of are all there
    assert len(want_imports) == 4  # the __future__ import is no import statement
    kinds = {n.type for n in ts.QueryCursor(ORACLE).captures(root)["branch"]}
    assert kinds == set(BRANCH_KINDS)


def test_a_keyword_right_after_a_number_counts_and_one_in_a_name_does_not() -> None:
    # tree-sitter's reading; the lexer pass (pyscan) does not see `0or` (deprecated since 3.12)
    source = "x = 1if y else 2\nz = 0or 1\nmotif = iffy = _or = 3\n"
    assert python_facts("m.py", source, "m", tree=True)["branches"] == 2


def test_definitions_are_module_level_and_one_class_down() -> None:
    facts = python_facts("m.py", SOURCE, "m")
    assert [s["qualname"] for s in facts["symbols"]] == [
        "outer",
        "Shape",
        "Shape.area",
        "Shape.Inner",
    ]
    outer = facts["symbols"][0]
    # if, elif, or, while, except, 2 case clauses, async for, the comprehension's for
    assert outer["branches"] == 9
