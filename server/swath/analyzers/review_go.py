"""The review's Go rules, on the ast-grep (tree-sitter) tree of the file."""

from __future__ import annotations

from ast_grep_py import SgNode, SgRoot

from swath.analyzers.review_rules import Hit, Rule, rule
from swath.analyzers.sgfacts import find_kind
from swath.findings.model import Severity

# Outside `package main`, output to stdout is almost always a debugging leftover (a library
# logs or returns).
DEBUG_PRINT = rule(
    "correctness",
    "debug-print",
    Severity.information,
    "fmt.Print*/println outside package main (Go).",
)
# `_ = f()`, `v, _ := f()`: when the last result is an error, it is dropped without a word.
UNCHECKED_ERROR = rule(
    "correctness",
    "unchecked-error",
    Severity.warning,
    "A Go call's last result (usually its error) assigned to `_`.",
)

PRINTS = {"fmt.Println", "fmt.Printf", "fmt.Print", "println", "print"}


def _hit(rule: Rule, node: SgNode, message: str) -> Hit:
    r = node.range()
    end = (
        r.end.column
        if r.end.line == r.start.line
        else r.start.column + len(node.text().split("\n", 1)[0])
    )
    return Hit(rule.id, r.start.line, r.start.column, end, message)


def go_hits(text: str, path: str) -> list[Hit]:
    root = SgRoot(text, "go").root()
    hits: list[Hit] = []
    try:
        package = next(iter(find_kind(root, "package_identifier")), None)
        is_main = package is not None and package.text() == "main"
        if not is_main and not path.rsplit("/", 1)[-1].startswith("main"):
            for call in find_kind(root, "call_expression"):
                fn = call.field("function")
                if fn is not None and fn.text() in PRINTS:
                    hits.append(
                        _hit(
                            DEBUG_PRINT,
                            call,
                            f"{fn.text()}() in package {package.text() if package else '?'} writes to "
                            "stdout: a debugging leftover? Log it or return it instead.",
                        )
                    )
        for kind in ("assignment_statement", "short_var_declaration"):
            for asg in find_kind(root, kind):
                left, right = asg.field("left"), asg.field("right")
                if left is None or right is None:
                    continue
                names = [c.text() for c in left.children() if c.is_named()]
                values = [c for c in right.children() if c.is_named()]
                if (
                    names
                    and names[-1] == "_"
                    and len(values) == 1
                    and values[0].kind() == "call_expression"
                ):
                    fn = values[0].field("function")
                    hits.append(
                        _hit(
                            UNCHECKED_ERROR,
                            asg,
                            f"The last result of {fn.text() if fn else 'the call'}() is thrown away; if it "
                            "is an error, handle or return it.",
                        )
                    )
    finally:
        del root
    return hits
