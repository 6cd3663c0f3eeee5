"""The nodes of a Python tree that the map reads, found without visiting every node.

A tree-sitter query visits every node of the tree (a large file has ~5 per byte), and
that visit cost about a third of the parse itself, whatever the patterns. What the map
needs is few and easy to reach: the definitions sit at module level or one class down,
and every import statement and decision point starts with a keyword. So a bytes regex
finds the keywords in the source, `descendant_for_byte_range` (a descent in C) names
the token at each, and only a real keyword token whose parent is the right statement
counts: the same words inside strings, comments and identifiers are other nodes.
"""

from __future__ import annotations

import re

import tree_sitter as ts

# A decision point is the node whose keyword token is its child here: one keyword per
# node (elif branches are their own clauses; `else` is none). `boolean_operator` is
# binary in the grammar: `a and b and c` counts 2, as ast's BoolOp does. A
# comprehension's `if` (if_clause) is a filter, not a branch.
BRANCH_PARENTS: dict[str, tuple[str, ...]] = {
    "if": ("if_statement", "conditional_expression"),
    "elif": ("elif_clause",),
    "for": ("for_statement", "for_in_clause"),
    "while": ("while_statement",),
    "except": ("except_clause",),
    "case": ("case_clause",),
    "and": ("boolean_operator",),
    "or": ("boolean_operator",),
}
IMPORT_PARENTS = ("import_statement", "import_from_statement")


def _keyword_pattern(words: list[str]) -> re.Pattern[bytes]:
    """A whole keyword: not after a letter (a digit may end a number right before one: `1if x
    else 2` parses), not before a word character; UTF-8 bytes >= 0x80 belong to identifiers.

    It opens with the set of first letters, so that `re` skips in C to where a keyword can
    begin, and only then looks at the byte before: a leading look-behind is tried at every
    byte (on sympy's 26 MB, 0.7 s against 0.4 s).
    """
    ordered = sorted(words, key=len, reverse=True)
    firsts = "".join(sorted({w[0] for w in ordered}))
    rest = "|".join(f"(?<={w[0]}){w[1:]}" for w in ordered)
    return re.compile(
        f"[{firsts}](?<![A-Za-z_\\x80-\\xff].)(?:{rest})(?![\\w\\x80-\\xff])".encode()
    )


_KEYWORD = _keyword_pattern([*BRANCH_PARENTS, "import"])
_DEFS = ("function_definition", "class_definition")


def keyword_nodes(data: bytes, root: ts.Node) -> tuple[list[int], list[ts.Node]]:
    """(start bytes of the decision points, sorted; the import statements, in order)."""
    branches: list[int] = []
    imports: list[ts.Node] = []
    for m in _KEYWORD.finditer(data):
        token = root.descendant_for_byte_range(m.start(), m.end())
        if token is None or token.is_named:
            continue  # an identifier, string, comment… that holds the word
        word = token.type
        parent = token.parent
        if parent is None or word != m.group().decode():
            continue
        if word == "import":
            if parent.type in IMPORT_PARENTS:
                imports.append(parent)
        elif parent.type in BRANCH_PARENTS[word]:
            branches.append(parent.start_byte)
    branches.sort()  # a conditional expression starts before its `if`
    return branches, imports


def _definition(stmt: ts.Node) -> ts.Node | None:
    node = stmt.child_by_field_name("definition") if stmt.type == "decorated_definition" else stmt
    return node if node is not None and node.type in _DEFS else None


def definition_nodes(root: ts.Node) -> list[ts.Node]:
    """Top-level classes and functions, and what a top-level class defines directly, in order."""
    found: list[ts.Node] = []
    for stmt in root.named_children:
        node = _definition(stmt)
        if node is None:
            continue
        found.append(node)
        body = node.child_by_field_name("body") if node.type == "class_definition" else None
        for inner in body.named_children if body is not None else ():
            member = _definition(inner)
            if member is not None:
                found.append(member)
    return found
