"""The module seen by folders: the folder graph, its layers, and Go's package view.

A folder is the unit a reader thinks in (a Python package, a Go package, a TS feature
folder). Its edges are the file imports that cross folders, weighted by how many there
are. Layers are a topological order of that graph, bottom (imports nothing of the
module) first; a graph with folder cycles has none, so the fewest (lightest) edges are
set aside first, by Eades, Lin and Smyth's greedy heuristic for a minimum feedback arc
set, and listed as the edges that break the layering.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from swath.analyzers.importgraph import ImportGraph


def folder_of(path: str) -> str:
    return posixpath.dirname(path) or "."


def import_pairs(src: str, dsts: Any) -> list[str]:
    """The targets of `src`'s imports, one per import: a Go import names a package and
    is an edge to each of its files, so it counts once, as its folder."""
    out: list[str] = []
    seen: set[str] = set()
    for dst in dsts:
        if dst.endswith(".go"):
            folder = folder_of(dst)
            if folder in seen:
                continue
            seen.add(folder)
        out.append(dst)
    return out


def import_count(graph_edges: dict[str, Any]) -> int:
    """Internal imports: file edges, a Go package import counted once (not per file)."""
    return sum(len(import_pairs(src, dsts)) for src, dsts in graph_edges.items())


def folder_graph(graph: ImportGraph) -> dict[str, dict[str, int]]:
    """`{folder: {folder it imports: number of file imports}}`, every folder a key.

    A Go file importing a package counts 1, not one per file of the package (cobra's
    11 doc/ files importing cobra were '154 imports')."""
    out: dict[str, dict[str, int]] = {folder_of(p): {} for p in graph.files}
    for src, edges in graph.edges.items():
        a = folder_of(src)
        for dst in import_pairs(src, edges):
            b = folder_of(dst)
            if a != b:
                out.setdefault(a, {})
                out[a][b] = out[a].get(b, 0) + 1
    return out


def eades_order(edges: dict[str, dict[str, int]]) -> list[str]:
    """An order of the nodes that puts as little edge weight as it can backwards.

    Here an edge `a -> b` wants `a` *before* `b`. Sinks go to the end, sources to the
    front, and otherwise the node whose out-weight most exceeds its in-weight goes next.
    """
    nodes = set(edges) | {b for out in edges.values() for b in out}
    succ = {n: dict(edges.get(n, {})) for n in nodes}
    pred: dict[str, dict[str, int]] = {n: {} for n in nodes}
    for a, out in edges.items():
        for b, w in out.items():
            pred[b][a] = w
    front: list[str] = []
    back: list[str] = []

    def remove(n: str) -> None:
        for b in succ.pop(n):
            pred[b].pop(n, None)
        for a in pred.pop(n):
            succ[a].pop(n, None)

    while succ:
        changed = True
        while changed:
            changed = False
            for n in sorted(n for n in succ if not succ[n]):
                back.append(n)
                remove(n)
                changed = True
            for n in sorted(n for n in succ if not pred[n]):
                front.append(n)
                remove(n)
                changed = True
        if succ:
            best = max(sorted(succ), key=lambda n: sum(succ[n].values()) - sum(pred[n].values()))
            front.append(best)
            remove(best)
    return front + list(reversed(back))


def layers(graph: ImportGraph) -> dict[str, Any]:
    """Folders by layer (0 = imports no other folder) and the imports that break the order."""
    fg = folder_graph(graph)
    # bottom first: reverse the edges, so a folder comes after the folders it imports
    reverse: dict[str, dict[str, int]] = defaultdict(dict)
    for a, out in fg.items():
        reverse.setdefault(a, {})
        for b, w in out.items():
            reverse[b][a] = w
    order = eades_order(reverse)
    pos = {n: i for i, n in enumerate(order)}
    breaking: list[dict[str, Any]] = [
        {"from": a, "to": b, "imports": w}
        for a, out in fg.items()
        for b, w in out.items()
        if pos[b] > pos[a]
    ]
    breaking.sort(key=lambda e: (-int(e["imports"]), e["from"], e["to"]))
    broken = {(e["from"], e["to"]) for e in breaking}
    level: dict[str, int] = {}
    for n in order:
        deps = [b for b in fg.get(n, {}) if (n, b) not in broken]
        level[n] = 1 + max((level[b] for b in deps), default=-1)
    by_level: dict[int, list[str]] = defaultdict(list)
    for n in order:
        by_level[level[n]].append(n)
    return {
        "order": order,
        "layers": [{"layer": k, "folders": sorted(by_level[k])} for k in sorted(by_level)],
        "breaking": breaking,
        "folder_edges": [
            {"from": a, "to": b, "imports": w} for a in sorted(fg) for b, w in sorted(fg[a].items())
        ],
    }


def repeated_purposes(files: Iterable[dict[str, Any]], least: int = 3) -> set[str]:
    """Purposes that `least` or more files say word for word: a header pasted into each
    (tRPC's ten adapters open with "If you're making an adapter for tRPC and looking at
    this file for reference…"), not what any one of them is for. A Go package's files
    count as one where it is their package comment: go doc joins those."""
    holders: dict[str, set[str]] = defaultdict(set)
    for f in files:
        doc = f.get("docstring")
        if doc:
            path = str(f["path"])
            package_doc = f.get("language") == "go" and not f.get("doc_detached")
            holders[str(doc)].add(folder_of(path) if package_doc else path)
    return {doc for doc, who in holders.items() if len(who) >= least}


def go_packages(
    graph: ImportGraph, used_by: dict[str, set[str]], repeated: Collection[str] = ()
) -> list[dict[str, Any]]:
    """Go's unit: one entry per package folder, with the packages it imports and its users.

    Its purpose is a package comment (doc.go's first), else a file's description that
    go doc does not read as one (`doc_detached`: viper.go's, above a blank line), marked
    `purpose_detached`."""
    files_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p, f in graph.files.items():
        if f.get("language") == "go":
            files_of[folder_of(p)].append(f)
    out = []
    for folder, files in sorted(files_of.items()):
        code = [f for f in files if not f["path"].endswith("_test.go")]
        imports: set[str] = set()
        users: set[str] = set()
        for f in code:
            imports |= {folder_of(d) for d in graph.edges.get(f["path"], {})}
            users |= {folder_of(u) for u in used_by.get(f["path"], set())}
        # a package's tests import it too; they are its own folder
        imports.discard(folder)
        users.discard(folder)
        doc, detached = next(
            (
                (str(f["docstring"]), bool(f.get("doc_detached")))
                for f in sorted(code, key=_doc_first)
                if f.get("docstring") and f["docstring"] not in repeated
            ),
            ("", False),
        )
        out.append(
            {
                "folder": folder,
                "package": next((f.get("package") for f in code if f.get("package")), "")
                or next((f.get("package") for f in files if f.get("package")), ""),
                "purpose": doc,
                **({"purpose_detached": True} if detached else {}),
                "files": len(files),
                "lines": sum(int(f.get("lines") or 0) for f in files),
                "imports": sorted(imports),
                "used_by": sorted(users),
                "exports": sum(len(f.get("exports") or []) for f in code),
            }
        )
    return out


def _doc_first(f: dict[str, Any]) -> tuple[bool, int, str]:
    # a package comment before a detached description; Go's convention: the package
    # comment lives in doc.go when there is one, else the file named like the package
    name = posixpath.basename(f["path"])
    at = 0 if name == "doc.go" else 1 if name == f"{f.get('package')}.go" else 2
    return (bool(f.get("doc_detached")), at, f["path"])
