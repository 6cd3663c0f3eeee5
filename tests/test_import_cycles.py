"""No import circles anywhere in the package: not inside a subpackage, not across them.

A circle means two modules can only be understood (and changed) together; it is also how
"one module per job" quietly turns back into one big module. Imports made only for type
checking count too: they are a dependency all the same. When this fails, give the module
lower in the circle a Protocol of what it needs (as `engine/planner.py`'s `PlanningEngine`
or `lsp/feature.py` do) instead of importing the module above it, or move what both need
into a module below both (as `swath/places.py`, `cli/parser.py` or
`analyzers/flags/rewrite_request.py`).
"""

from __future__ import annotations

import pkgutil

import grimp
import pytest

import swath

# The whole package (a circle across subpackages) and each subpackage (the same circles,
# reported where they are).
PACKAGES = ["swath"] + sorted(
    f"swath.{m.name}" for m in pkgutil.iter_modules(swath.__path__) if m.ispkg
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("swath", cache_dir=None)


def circles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each with its edges."""
    modules = sorted(graph.find_descendants(package) | {package})
    inside = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for m in modules:
        if m not in index:
            visit(m)
    return found


def describe(graph: grimp.ImportGraph, group: list[str]) -> str:
    lines = []
    for importer in group:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & set(group)):
            details = graph.get_import_details(importer=importer, imported=imported)
            where = ", ".join(f"line {d['line_number']}" for d in details)
            lines.append(f"  {importer} -> {imported} ({where})")
    return "\n".join(lines)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circles(graph: grimp.ImportGraph, package: str) -> None:
    found = circles(graph, package)
    assert not found, f"import circles in {package}:\n" + "\n".join(
        describe(graph, group) for group in found
    )


def test_the_check_sees_a_circle() -> None:
    """The check itself finds a circle when there is one (not a test that cannot fail)."""
    g = grimp.ImportGraph()
    for m in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        g.add_module(m)
    g.add_import(importer="pkg.a", imported="pkg.b")
    g.add_import(importer="pkg.b", imported="pkg.c")
    g.add_import(importer="pkg.c", imported="pkg.a")
    assert circles(g, "pkg") == [["pkg.a", "pkg.b", "pkg.c"]]
