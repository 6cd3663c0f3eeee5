"""The import graph among a module's files: resolution, strongly connected components, cycles.

Nodes are workspace-relative file paths. An edge `a -> b` means file `a` imports file `b`;
it keeps the first import statement that made it (line and text: the evidence of a
cycle), and whether that import runs when `a` is imported (*eager*) or only later
(inside a function, under `TYPE_CHECKING`, a dynamic `import()`), since only eager
cycles break an import.

Resolution follows Python's rules the way grimp does (`from a import b` is an edge to
module `a.b` when that is a module of the map, else to `a`); TypeScript/JavaScript the
way tsc and Node do (`tsresolve`: relative paths, tsconfig `paths`/`baseUrl`, package.json
`imports`/`exports` of workspace packages); Go import paths under the module path of the
nearest go.mod. What does not resolve to a file of the map is an external dependency,
classed as `stdlib`, `project` (the same top-level package, or a path, outside the mapped
folder) or `package` (third party), or, for a specifier that names nothing, *unresolved*
with the reason.
"""

from __future__ import annotations

import re

import posixpath
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from swath.analyzers.pyfacts import is_stdlib
from swath.analyzers.sourcetext import SCRIPT_LANGUAGES, is_test_path
from swath.analyzers.tsresolve import ScriptResolver, vendored_package


@dataclass
class Edge:
    src: str
    dst: str
    line: int
    text: str
    eager: bool


@dataclass
class External:
    name: str
    kind: str  # stdlib | project | package
    importers: set[str] = field(default_factory=set)


@dataclass
class ImportGraph:
    files: dict[str, dict[str, Any]]
    edges: dict[str, dict[str, Edge]] = field(default_factory=dict)
    external: dict[str, External] = field(default_factory=dict)
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    # Modules named in a string ("pkg.mod:Class"), as registries load them: not imports,
    # but the file is not an orphan either.
    loaded_by_name: dict[str, set[str]] = field(default_factory=dict)

    def add_edge(self, src: str, dst: str, imp: dict[str, Any], eager: bool) -> None:
        if src == dst:
            return
        out = self.edges.setdefault(src, {})
        prior = out.get(dst)
        # Keep the first import, but an eager import outranks a deferred one.
        if prior is None or (eager and not prior.eager):
            out[dst] = Edge(src, dst, int(imp["line"]), str(imp.get("text") or ""), eager)

    def add_external(self, src: str, name: str, kind: str) -> None:
        ext = self.external.setdefault(f"{kind}:{name}", External(name, kind))
        ext.importers.add(src)

    def successors(self, node: str, eager_only: bool = False) -> list[str]:
        return sorted(d for d, e in self.edges.get(node, {}).items() if e.eager or not eager_only)

    def used_by(self) -> dict[str, set[str]]:
        rev: dict[str, set[str]] = {p: set() for p in self.files}
        for src, out in self.edges.items():
            for dst in out:
                rev.setdefault(dst, set()).add(src)
        return rev


# -- resolution --------------------------------------------------------------------------------


def _closest(candidates: list[str], importer: str) -> str:
    if len(candidates) == 1:
        return candidates[0]
    here = posixpath.dirname(importer)

    def score(c: str) -> tuple[int, str]:
        common = (
            posixpath.commonpath([here, posixpath.dirname(c)])
            if here and posixpath.dirname(c)
            else ""
        )
        return (-len(common.split("/")) if common else 0, c)

    return min(candidates, key=score)


def build_graph(files: list[dict[str, Any]], scripts: ScriptResolver | None = None) -> ImportGraph:
    graph = ImportGraph(files={f["path"]: f for f in files})
    if scripts is None:
        scripts = ScriptResolver(None, set(graph.files))
    py_index: dict[str, list[str]] = {}
    for f in files:
        if f.get("language") == "python" and f.get("module"):
            py_index.setdefault(f["module"], []).append(f["path"])
    top_packages = {m.split(".")[0] for m in py_index}
    go_dirs: dict[str, list[str]] = {}
    for f in files:
        if f.get("language") == "go" and not f["path"].endswith("_test.go"):
            go_dirs.setdefault(posixpath.dirname(f["path"]), []).append(f["path"])
    for f in files:
        lang = f.get("language")
        for ref in f.get("string_refs") or []:
            for target in index_lookup(py_index, ref):
                if target != f["path"]:
                    graph.loaded_by_name.setdefault(target, set()).add(f["path"])
        for imp in f.get("imports") or []:
            if lang == "python":
                _resolve_python(graph, f, imp, py_index, top_packages)
            elif lang in SCRIPT_LANGUAGES:
                _resolve_script(graph, f, imp, scripts)
            elif lang == "go":
                _resolve_go(graph, f, imp, go_dirs)
    _offered_by_packages(graph, files, scripts)
    return graph


def _offered_by_packages(
    graph: ImportGraph, files: list[dict[str, Any]], scripts: ScriptResolver
) -> None:
    """A file a package.json offers (`exports`, `main`, `bin`…) is loaded by that name."""
    if any(f.get("language") in SCRIPT_LANGUAGES for f in files):
        for target, manifest in scripts.package_entries().items():
            graph.loaded_by_name.setdefault(target, set()).add(manifest)


def index_lookup(index: dict[str, list[str]], module: str) -> list[str]:
    return index.get(module, [])


# `x.d.ts`, `x.d.mts`, `x.d.cts` and TS 5's `x.d.css.ts`: types only, no code that runs.
_DECLARATION_FILE = re.compile(r"\.d\.(?:[^/.]+\.)?[mc]?ts$")


def is_declaration_file(path: str) -> bool:
    return _DECLARATION_FILE.search(path) is not None


def _eager(imp: dict[str, Any]) -> bool:
    return not (imp.get("deferred") or imp.get("type_checking"))


def _resolve_python(
    graph: ImportGraph,
    f: dict[str, Any],
    imp: dict[str, Any],
    index: dict[str, list[str]],
    top_packages: set[str],
) -> None:
    src = f["path"]
    module = str(imp.get("module") or "")
    if not imp.get("resolved", True):
        graph.unresolved.append(
            {
                "path": src,
                "line": imp["line"],
                "import": imp.get("text", ""),
                "reason": "relative import beyond the top-level package",
            }
        )
        return
    targets: list[str] = []
    if imp.get("kind") == "from":
        for name in imp.get("names") or []:
            sub = f"{module}.{name}" if module else name
            if name != "*" and sub in index:
                targets.append(sub)
        if not targets or len(targets) < len([n for n in imp.get("names") or [] if n != "*"]):
            # some names are attributes of `module` itself (or `*`): an edge to it too
            if module in index:
                targets.append(module)
    if not targets and module in index:
        # `import a.b` is an edge to a.b only: like grimp, not to the parent packages Python
        # also runs, and none to a module the map lacks (a compiled extension, a file outside)
        targets.append(module)
    if targets:
        for t in dict.fromkeys(targets):
            graph.add_edge(src, _closest(index[t], src), imp, _eager(imp))
        return
    if not module or module == "__future__":
        return
    if is_stdlib(module):
        graph.add_external(src, module.split(".")[0], "stdlib")
    elif "._vendor." in f".{module}.":  # pip's `pip._vendor.rich`, when not mapped
        names = [n for n in imp.get("names") or [] if n != "*"] or [""]
        for name in names if module.endswith("_vendor") else [""]:
            found = vendored_package(f"{module}.{name}".strip(".").replace(".", "/"))
            graph.add_external(src, found or module, "vendored")
    elif module.split(".")[0] in top_packages or int(imp.get("level") or 0) > 0:
        graph.add_external(src, module, "project")
    else:
        graph.add_external(src, module.split(".")[0], "package")


def _statement(imp: dict[str, Any], spec: str) -> str:
    """The import's first line, and its specifier when that line does not hold it
    (`import type {` of a multi-line import said nothing about what was unresolved)."""
    text = str(imp.get("text") or "").strip()
    return text if spec in text else f"{text} … '{spec}'".strip()


def _resolve_script(
    graph: ImportGraph, f: dict[str, Any], imp: dict[str, Any], scripts: ScriptResolver
) -> None:
    src = f["path"]
    spec = str(imp.get("module") or "")
    found = scripts.resolve(src, spec)
    if found.kind == "file":
        # A declaration file (`.d.ts`) has no module at run time: an import in one, or
        # of one, is types only, like `import type`: no cycle through it can fail at
        # import time (preact's src/dom.d.ts ⇄ src/index.d.ts was called eager).
        types_only = is_declaration_file(src) or is_declaration_file(found.target)
        eager = not (imp.get("deferred") or imp.get("type_checking") or types_only)
        graph.add_edge(src, found.target, imp, eager)
    elif found.kind == "unresolved":
        graph.unresolved.append(
            {
                "path": src,
                "line": imp["line"],
                "import": _statement(imp, spec),
                "reason": found.target,
            }
        )
    else:  # the workspace's root folder is `.`, not an empty name
        graph.add_external(src, found.target or ".", found.kind)


def _resolve_go(
    graph: ImportGraph, f: dict[str, Any], imp: dict[str, Any], go_dirs: dict[str, list[str]]
) -> None:
    src = f["path"]
    path = str(imp.get("module") or "")
    mod = f.get("go_module")
    if mod and (path == mod or path.startswith(mod + "/")):
        folder = posixpath.normpath(
            posixpath.join(f.get("go_mod_dir") or "", path[len(mod) :].lstrip("/"))
        )
        folder = "" if folder == "." else folder
        targets = [t for t in go_dirs.get(folder, []) if t != src]
        for t in targets:
            graph.add_edge(src, t, imp, True)
        if not targets:
            graph.add_external(src, path, "project")
        return
    first = path.split("/")[0]
    if "." not in first:
        graph.add_external(src, path, "stdlib")
    else:
        graph.add_external(src, "/".join(path.split("/")[:3]), "package")


# -- structure ---------------------------------------------------------------------------------


def strongly_connected(graph: ImportGraph, eager_only: bool = False) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of two or more files, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    nodes = sorted(set(graph.files) | set(graph.edges))
    succ_of: dict[str, list[str]] = {}
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = succ_of.get(node)
            if succ is None:
                succ = succ_of[node] = graph.successors(node, eager_only)
            if i < len(succ):
                work.append((node, i + 1))
                nxt = succ[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(out)


def cycle_through(
    graph: ImportGraph, start: str, within: set[str], eager_only: bool = False
) -> list[str]:
    """A shortest cycle `start -> … -> start` inside `within` (BFS), as the list of its nodes."""
    prev: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for nxt in graph.successors(node, eager_only):
            if nxt not in within:
                continue
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return list(reversed(path))
            if nxt not in seen:
                seen.add(nxt)
                prev[nxt] = node
                queue.append(nxt)
    return []


def cycle_edges(graph: ImportGraph, cycle: list[str]) -> list[Edge]:
    return [graph.edges[a][b] for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True)]


def find_cycles(graph: ImportGraph) -> list[dict[str, Any]]:
    """Eager cycles (they break an import), then cycles only deferred imports close."""
    found: list[dict[str, Any]] = []
    covered: set[str] = set()
    for comp in strongly_connected(graph, eager_only=True):
        cycle = cycle_through(graph, comp[0], set(comp), eager_only=True)
        found.append(
            {"files": comp, "cycle": cycle, "eager": True, "edges": cycle_edges(graph, cycle)}
        )
        covered.update(comp)
    for comp in strongly_connected(graph):
        rest = [n for n in comp if n not in covered]
        if not rest:
            continue
        cycle = cycle_through(graph, rest[0], set(comp))
        if cycle:
            found.append(
                {"files": comp, "cycle": cycle, "eager": False, "edges": cycle_edges(graph, cycle)}
            )
    return found


ENTRY_NAMES = ("__main__.py", "main.go", "cli.py", "main.py", "manage.py", "setup.py")


def is_orphan(path: str, facts: dict[str, Any], used_by: int) -> bool:
    """Nothing in the module imports it, and nothing else runs it obviously."""
    name = posixpath.basename(path)
    if used_by or facts.get("entry") or is_test_path(path) or name in ENTRY_NAMES:
        return False
    if name == "__init__.py" or posixpath.splitext(name)[0] == "index" or name.endswith(".d.ts"):
        return False
    if facts.get("language") == "go":  # Go files of one package see each other without imports
        return False
    return True
