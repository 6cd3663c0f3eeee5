"""Key symbols: which definitions the rest of the module leans on, ranked by PageRank.

The way aider ranks a repository's tags: files are nodes, and a file that uses a name
defined in another file points at it. PageRank over that graph says which files matter;
each file then hands its rank to the definitions it uses, in proportion to how often it
uses each, so a symbol ranks high when important files use it, not merely many files.

A use is an imported name (`from pkg.core import Engine`, `import { Engine } from
"./core"`, Go's `core.Engine`) followed through re-exports (a package `__init__` or an
`index.ts` that imports and re-exports it) to the file that defines it. Its weight is how
many times the importing file mentions the name (counted by the parse workers), at least
one. A name imported from a module that does not define it and does not re-export it
(an attribute set at run time) is no use of any symbol.

What a key symbol's place says is its `score`: its PageRank share (`rank`) times the
number of files that use it, tests and test data not counted (`used_by_tests`). The
share alone put a name that one well-ranked file uses above names the whole module uses
(preact's `PreactDOMAttributes`, 1 user, above `options`, 10; cobra's
`MousetrapHelpText`, 1 user, among the first); counted with the tests, x/tools' test
helpers `analysistest.TestData` and `Run` (43 and 36 users, all tests) were 5th and 8th. A declaration
file (`.d.ts`) stands for the code beside it: a code file's use of a name its
implementation (`index.d.ts` -> `index.js`) defines or re-exports goes to that code, and
where the map holds code, the definitions of declaration files are listed after the
code's (preact's hand-written types came before all of its JavaScript).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from swath.analyzers.hotspots import is_test_file
from swath.analyzers.importgraph import ImportGraph, is_declaration_file
from swath.analyzers.sourcetext import SCRIPT_LANGUAGES
from swath.analyzers.tsresolve import ScriptResolver

DAMPING = 0.85
MAX_REEXPORT_DEPTH = 8
# What runs beside a declaration file: `index.d.ts` types `index.js` (`.d.mts` a `.mjs`).
_DECLARATION_SUFFIX = re.compile(r"\.d\.([mc]?)ts$")
_IMPLEMENTATIONS = {"": (".js", ".jsx"), "m": (".mjs",), "c": (".cjs",)}


def implementation_of(path: str, files: Collection[str]) -> str | None:
    """The mapped JavaScript file a declaration file describes (same folder and name)."""
    m = _DECLARATION_SUFFIX.search(path)
    if m is None:
        return None
    stem = path[: m.start()]
    return next((stem + ext for ext in _IMPLEMENTATIONS[m.group(1)] if stem + ext in files), None)


def pagerank(
    nodes: list[str],
    edges: dict[str, dict[str, float]],
    damping: float = DAMPING,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> dict[str, float]:
    """PageRank by power iteration; a node without out-edges spreads its rank over all nodes.

    `edges[a][b]` is the weight of `a -> b`. The ranks sum to 1.

    Over list indexes rather than dicts, each sum and each addition in the same order as
    the plain reading (nodes in order; sources in `edges` order, their targets in theirs),
    so the ranks are the same floats to the last bit, in about half the time.
    """
    n = len(nodes)
    if n == 0:
        return {}
    at = {node: i for i, node in enumerate(nodes)}
    out_weight = {a: sum(w.values()) for a, w in edges.items() if w}
    dangling = [i for i, node in enumerate(nodes) if not out_weight.get(node)]
    sources: list[tuple[int, float, list[tuple[int, float]]]] = []
    for a, targets in edges.items():
        total = out_weight.get(a)
        if not total or a not in at:
            continue
        sources.append((at[a], total, [(at[b], w) for b, w in targets.items() if b in at]))
    rank = [1.0 / n] * n
    for _ in range(max_iter):
        mass = sum([rank[i] for i in dangling])
        base = (1.0 - damping) / n + damping * mass / n
        new = [base] * n
        for i, out_total, out_edges in sources:
            share = damping * rank[i] / out_total
            for j, weight in out_edges:
                new[j] += share * weight
        delta = sum([abs(x - y) for x, y in zip(new, rank, strict=True)])
        rank = new
        if delta < tol:
            break
    return dict(zip(nodes, rank, strict=True))


@dataclass
class SymbolUses:
    """Who uses which top-level definition: `(path, name) -> {user path: weight}`."""

    uses: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    # Uses of a Go name by its own package's files: they share the user's rank out but
    # are no edge of the file graph PageRank walks: as edges, every package became a
    # clique that kept its rank (x/tools ranked typeparams' `under`, 1 user, second).
    package_local: set[tuple[tuple[str, str], str]] = field(default_factory=set)

    def add(self, target: tuple[str, str], user: str, weight: float) -> None:
        if target[0] == user:
            return
        per = self.uses.setdefault(target, {})
        per[user] = per.get(user, 0.0) + weight

    def used_by(self, target: tuple[str, str]) -> int:
        return len(self.uses.get(target, {}))


def top_level_defs(f: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A file's top-level definitions by name (methods are reached through their class)."""
    out: dict[str, dict[str, Any]] = {}
    for s in f.get("symbols") or []:
        if "." not in s.get("qualname", "."):
            out.setdefault(s["name"], s)
    return out


class _Resolver:
    """Follows an imported name to the file that defines it, through re-exports."""

    def __init__(self, graph: ImportGraph, scripts: ScriptResolver | None) -> None:
        self.files = graph.files
        self.scripts = scripts
        self.defs = {p: top_level_defs(f) for p, f in graph.files.items()}
        self.py_index: dict[str, str] = {}
        for p, f in graph.files.items():
            if f.get("language") == "python" and f.get("module"):
                self.py_index.setdefault(f["module"], p)
        self.go_dirs: dict[str, list[str]] = defaultdict(list)
        for p, f in graph.files.items():
            if f.get("language") == "go" and not p.endswith("_test.go"):
                self.go_dirs[p.rsplit("/", 1)[0] if "/" in p else ""].append(p)
        self._memo: dict[tuple[str, str], tuple[str, str] | None] = {}
        self._bound: dict[str, _Bindings] = {}

    def module_file(self, f: dict[str, Any], imp: dict[str, Any]) -> str | None:
        """The mapped file an import's names come from."""
        lang = f.get("language")
        if lang == "python":
            return self.py_index.get(str(imp.get("module") or ""))
        if lang in SCRIPT_LANGUAGES and self.scripts is not None:
            found = self.scripts.resolve(f["path"], str(imp.get("module") or ""))
            return found.target if found.kind == "file" else None
        return None

    def define(self, path: str, name: str, depth: int = 0) -> tuple[str, str] | None:
        """(file, name) of the definition `name` means when imported from `path`."""
        key = (path, name)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # a re-export cycle resolves to nothing
        found: tuple[str, str] | None = None
        if name in self.defs.get(path, {}):
            found = (path, name)
        elif depth < MAX_REEXPORT_DEPTH and path in self.files:
            found = self._through_imports(path, name, depth)
        self._memo[key] = found
        return found

    def _bindings(self, path: str) -> _Bindings:
        """Which imports of `path` bind each name, in import order (built once per file)."""
        hit = self._bound.get(path)
        if hit is None:
            hit = self._bound[path] = _Bindings.of(self.files[path].get("imports") or [])
        return hit

    def _through_imports(self, path: str, name: str, depth: int) -> tuple[str, str] | None:
        f = self.files[path]
        bindings = self._bindings(path)
        for imp, original in bindings.by_name.get(name, ()):
            source = self.module_file(f, imp)
            if source is not None and source != path:
                hit = self.define(source, original, depth + 1)
                if hit is not None:
                    return hit
        binding = {id(imp) for imp, _ in bindings.by_name.get(name, ())}
        for imp in bindings.stars:
            if id(imp) in binding:  # it binds the name itself: tried above
                continue
            source = self.module_file(f, imp)
            if source is not None and source != path:
                hit = self.define(source, name, depth + 1)
                if hit is not None:
                    return hit
        return None


@dataclass
class _Bindings:
    """A file's imports by the name each binds (`from m import a as b` binds `b`, meaning
    `a` of `m`), in import order, and its `*` imports."""

    by_name: dict[str, list[tuple[dict[str, Any], str]]]
    stars: list[dict[str, Any]]

    @classmethod
    def of(cls, imports: list[dict[str, Any]]) -> _Bindings:
        by_name: dict[str, list[tuple[dict[str, Any], str]]] = {}
        stars = []
        for imp in imports:
            names = imp.get("names") or []
            aliases: dict[str, str] = imp.get("aliases") or {}
            bound: dict[str, str] = {}
            for original, alias in aliases.items():
                bound.setdefault(alias, original)  # the first name imported under it
            for n in names:
                if n not in aliases:
                    bound[n] = n  # imported under its own name: that wins
            for alias, original in bound.items():
                by_name.setdefault(alias, []).append((imp, original))
            if "*" in names:
                stars.append(imp)
        return cls(by_name, stars)


def _python_module_names(imp: dict[str, Any], py_modules: set[str]) -> list[str]:
    module = str(imp.get("module") or "")
    return [n for n in imp.get("names") or [] if n != "*" and f"{module}.{n}" not in py_modules]


def collect_uses(graph: ImportGraph, scripts: ScriptResolver | None) -> SymbolUses:
    res = _Resolver(graph, scripts)
    py_modules = set(res.py_index)
    uses = SymbolUses()
    for path, f in graph.files.items():
        lang = f.get("language")
        if lang == "go":
            _same_package_uses(graph, path, f, res, uses)
        for imp in f.get("imports") or []:
            counts: dict[str, int] = imp.get("uses") or {}
            if lang == "go":
                for target_dir in _go_targets(graph, path, imp, res):
                    for name, n in counts.items():
                        hit = next(
                            (
                                (p, name)
                                for p in res.go_dirs.get(target_dir, [])
                                if name in res.defs.get(p, {})
                            ),
                            None,
                        )
                        if hit is not None:
                            uses.add(hit, path, max(1, n))
                continue
            names = (
                _python_module_names(imp, py_modules)
                if lang == "python"
                else [n for n in imp.get("names") or [] if n != "*"]
            )
            if not names:
                continue
            source = res.module_file(f, imp)
            if source is None:
                continue
            # A code file's import of a declaration file uses the code it types, where
            # that code defines or re-exports the name (a type stays the .d.ts's).
            code = None if is_declaration_file(path) else implementation_of(source, graph.files)
            aliases = imp.get("aliases") or {}
            for name in names:
                hit = (res.define(code, name) if code else None) or res.define(source, name)
                if hit is not None:
                    uses.add(hit, path, max(1, counts.get(aliases.get(name, name), 0)))
    return uses


def _same_package_uses(
    graph: ImportGraph, path: str, f: dict[str, Any], res: _Resolver, uses: SymbolUses
) -> None:
    """A Go file uses the names its own package's other files define, with no import."""
    mentioned: dict[str, int] = f.get("package_uses") or {}
    if not mentioned:
        return
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    package = f.get("package")
    for peer in res.go_dirs.get(folder, []):
        if peer == path or graph.files.get(peer, {}).get("package") != package:
            continue
        defs = res.defs.get(peer, {})
        # Exported names: the package's API. Its unexported helpers, handed the rank of
        # widely imported files, came before the API (x/tools: typeparams' `under`,
        # 1 user, fourth of all).
        for name in defs.keys() & mentioned.keys():
            if name[:1].isupper():
                uses.add((peer, name), path, mentioned[name])
                uses.package_local.add(((peer, name), path))


def _go_targets(graph: ImportGraph, path: str, imp: dict[str, Any], res: _Resolver) -> list[str]:
    """The package folder a Go import names, when it is one of the map's."""
    targets = {
        e.dst.rsplit("/", 1)[0] if "/" in e.dst else ""
        for e in graph.edges.get(path, {}).values()
        if e.line == imp.get("line") and graph.files.get(e.dst, {}).get("language") == "go"
    }
    return sorted(t for t in targets if t in res.go_dirs)


def _weights(
    graph: ImportGraph, uses: SymbolUses
) -> tuple[dict[str, dict[str, float]], dict[str, dict[tuple[str, str], float]]]:
    """(file -> file edge weights, user file -> (definition -> weight))."""
    file_edges: dict[str, dict[str, float]] = defaultdict(dict)
    for src, imported in graph.edges.items():
        for dst in imported:
            # importing a module is a use of it; a code file importing a declaration
            # file uses the code beside it (preact's `.js` files import 'preact', whose
            # package.json `types` is src/index.d.ts: that file and dom.d.ts, which
            # import each other, kept most of the rank)
            code = None if is_declaration_file(src) else implementation_of(dst, graph.files)
            file_edges[src][code if code and code != src else dst] = 1.0
    sym_weight: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    for target, users in uses.uses.items():
        for user, w in users.items():
            # sqrt damps a file that mentions one name a hundred times, as aider does
            w = math.sqrt(w)
            sym_weight[user][target] = w
            if (target, user) not in uses.package_local:
                file_edges[user][target[0]] = file_edges[user].get(target[0], 0.0) + w
    return file_edges, sym_weight


def symbol_scores(graph: ImportGraph, uses: SymbolUses) -> dict[tuple[str, str], float]:
    """Each used definition's score: the PageRank of the files that use it, each file's
    rank handed to the definitions it uses in proportion to its use of each."""
    file_edges, sym_weight = _weights(graph, uses)
    file_rank = pagerank(sorted(graph.files), file_edges)
    scores: dict[tuple[str, str], float] = defaultdict(float)
    for user, targets in sym_weight.items():
        local = sum(w for t, w in targets.items() if (t, user) in uses.package_local)
        total = sum(file_edges[user].values()) + local
        for target, w in targets.items():
            scores[target] += file_rank.get(user, 0.0) * w / total
    return scores


def rank_symbols(
    graph: ImportGraph,
    uses: SymbolUses,
    top: int = 20,
    scores: dict[tuple[str, str], float] | None = None,
) -> list[dict[str, Any]]:
    """The `top` key symbols by `score` (PageRank share x code files using it), the code's
    before the declaration files' when the map has code; `scores`: `symbol_scores` of
    the same graph and uses, drawn before."""
    if scores is None:
        scores = symbol_scores(graph, uses)
    has_code = any(not is_declaration_file(p) for p, _ in scores)
    tests = {p for p in graph.files if is_test_file(p)}

    def code_users(target: tuple[str, str]) -> int:
        return sum(1 for user in uses.uses.get(target, ()) if user not in tests)

    def order(kv: tuple[tuple[str, str], float]) -> tuple[bool, float, int, tuple[str, str]]:
        target, share = kv
        declared = has_code and is_declaration_file(target[0])
        return (declared, -share * code_users(target), -uses.used_by(target), target)

    ranked = sorted(scores.items(), key=order)[:top]
    out = []
    for (path, name), share in ranked:
        sym = top_level_defs(graph.files[path]).get(name, {})
        out.append(
            {
                "path": path,
                "name": name,
                "kind": sym.get("kind", ""),
                "line": sym.get("line", 0),
                "rank": round(share, 6),
                "score": round(share * code_users((path, name)), 6),
                "used_by": uses.used_by((path, name)),
                "used_by_tests": uses.used_by((path, name)) - code_users((path, name)),
                "uses": int(sum(uses.uses[(path, name)].values())),
                "doc": sym.get("doc", ""),
            }
        )
    return out
