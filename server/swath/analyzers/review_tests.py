"""The tests pass's own check: public behaviour changed while no test changed.

A public function or method (Python: no leading `_`; Go: capitalised; TS/JS: exported or a
class method) with an added line in its body, in a diff that changes no test file at all,
gets one information finding on its definition line. Definitions come from the ast-grep
tree, which parses every Python version (the interpreter's `ast` does not).
"""

from __future__ import annotations

from dataclasses import replace

from ast_grep_py import SgNode, SgRoot

from swath.analyzers.review_rules import Hit, rule
from swath.analyzers.sgfacts import find_kind
from swath.findings.model import Severity

UNTESTED_CHANGE = rule(
    "tests",
    "untested-change",
    Severity.information,
    "A public function changed in a diff that changes no test.",
)
KINDS = {
    "python": ("function_definition",),
    "go": ("function_declaration", "method_declaration"),
    "typescript": ("function_declaration", "method_definition"),
    "tsx": ("function_declaration", "method_definition"),
    "javascript": ("function_declaration", "method_definition"),
}
NESTED_IN = {
    "function_definition",
    "function_declaration",
    "method_definition",
    "arrow_function",
    "function_expression",
}


def _public(node: SgNode, language: str, name: str) -> bool:
    if language == "python":
        if name.startswith("_"):
            return False
    elif language == "go":
        return name[:1].isupper()
    else:
        if name.startswith(("_", "#")):
            return False
        if node.kind() == "function_declaration":
            parent = node.parent()
            if parent is None or parent.kind() != "export_statement":
                return False
    p = node.parent()
    while p is not None:  # a function inside a function is an implementation detail
        if p.kind() in NESTED_IN:
            return False
        p = p.parent()
    return True


def untested_hits(
    text: str,
    language: str,
    added: set[int],
    lines: list[str] | None = None,
    spans: list[tuple[int, int]] | None = None,
) -> list[Hit]:
    """`spans`: the top-level regions [a, b) of `lines` holding the added lines (the loop
    rules' regions, which parsed): only they are parsed then, not the whole file."""
    if spans and lines is not None and language == "python":
        hits: list[Hit] = []
        for a, b in spans:
            part = untested_hits("\n".join(lines[a:b]) + "\n", language, {n - a for n in added})
            hits += [replace(h, line=h.line + a) for h in part]
        return hits
    kinds = KINDS.get(language)
    if not kinds or not added:
        return []
    root = SgRoot(text, language).root()
    hits = []
    try:
        for kind in kinds:
            for node in find_kind(root, kind):
                name_node = node.field("name")
                if name_node is None:
                    continue
                name = name_node.text()
                r = node.range()
                if not any(r.start.line <= n <= r.end.line for n in added):
                    continue
                if not _public(node, language, name):
                    continue
                nr = name_node.range()
                hits.append(
                    Hit(
                        UNTESTED_CHANGE.id,
                        nr.start.line,
                        nr.start.column,
                        nr.end.column,
                        f"`{name}` changed and no test in this diff did: add or update a test "
                        "that pins the new behaviour.",
                        anywhere=True,
                        data={"symbol": name},
                    )
                )
    finally:
        del root
    return hits
