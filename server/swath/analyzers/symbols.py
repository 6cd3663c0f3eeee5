"""map-module's analyzers.

`symbols` (map): per file, its symbols with line ranges and first docstring lines, its
imports (relative ones resolved), the public API, a complexity proxy. Python is read
with `ast`; TypeScript/JavaScript and Go with ast-grep.

`module-map` (reduce): the import graph among the mapped files — internal edges,
external dependencies, entry points, cycles, orphans, the most depended-on files — and
a Markdown module map. Findings: `map/import-cycle` for each cycle (evidence: the import
lines that close it) and one `map/summary` hint per file carrying its code lens.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json

from swath import procpool
from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.analyzers.filefacts import SUMMARY_RULE, SYMBOL_RULE, facts_batch
from swath.gcpause import gc_paused
from swath.analyzers.hotspots import churn, hot_spots, is_test_file
from swath.analyzers.importgraph import (
    Edge,
    External,
    ImportGraph,
    build_graph,
    find_cycles,
    is_declaration_file,
    is_orphan,
)
from swath.analyzers.maplayers import go_packages, layers, repeated_purposes
from swath.analyzers.mapreport import render_markdown
from swath.analyzers.namecheck import check_judgement
from swath.analyzers.mapsymbols import (
    SymbolUses,
    collect_uses,
    rank_symbols,
    symbol_scores,
    top_level_defs,
)
from swath.analyzers.sourcetext import is_test_path, split_lines
from swath.analyzers.tsresolve import ScriptResolver
from swath.findings.model import Evidence, Finding, FindingData, Range, Severity
from swath.findings.report import RuleInfo
from swath.spec.records import Item, Record
from swath.workspace import Workspace
from swath.workspace.depmarks import GIT_HEAD

log = logging.getLogger(__name__)

FACTS_WORKER = "swath.analyzers.filefacts"
# A map's batches outnumber the workers: each holds a second batch while it parses one.
FACTS_DEPTH = 2
# Up to this many batches to parse in a run are parsed in this process unless the workers
# run already: starting them took ~0.75 s of wall time on 2 cores, parsing a batch here
# 0.15-0.25 s (a re-map after one changed file parses one).
IN_PROCESS_BATCHES = 2


def _facts_in_workers(root: str, paths: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The batch on a worker process (both cores parse); in this process if none can start."""
    try:
        pool = procpool.get(FACTS_WORKER, depth=FACTS_DEPTH)
        return pool.call("facts_batch", root, paths)  # type: ignore[no-any-return]
    except (procpool.WorkerFailed, OSError) as exc:
        log.warning("symbols: worker failed (%s); mapping in-process", exc)
        return facts_batch(root, paths)


class SymbolsParams(BaseModel):
    """Params of `symbols`."""

    model_config = ConfigDict(extra="forbid")
    processes: bool = Field(
        True, description="Parse on worker processes (one per core); false parses in-process."
    )


class Symbols:
    name: ClassVar[str] = "symbols"
    kind: ClassVar[Literal["map"]] = "map"
    description: ClassVar[str] = (
        "Per file: classes, functions and methods with line ranges and docstrings, imports (relative ones "
        "resolved), the imported names it uses, public API and a complexity proxy (Python and TS/JS/Go "
        "via tree-sitter), parsed on worker processes."
    )
    params_model: ClassVar[type[BaseModel]] = SymbolsParams
    # 6: TS/Go purposes without directives, Go doc comments' first sentence
    # 7: Go files' package_uses
    # 8: the fingerprints of module-map's findings on each file (content_hash, summary_fp, fp)
    # 9: purposes without licence headers or section labels, Go's package comment by go
    # doc's rule, else a detached description (doc_detached); 10: "Authors:" headers,
    # no section label past 160 characters
    version: ClassVar[str] = "10"
    rules: ClassVar[list[RuleInfo]] = [
        RuleInfo(
            id="map/syntax-error",
            description="A Python file that does not parse: its map is empty.",
        ),
    ]

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        paths = [item.path for item in items if item.path]
        root = str(ctx.workspace.root)
        few = ctx.tasks_to_run is not None and ctx.tasks_to_run <= IN_PROCESS_BATCHES
        if ctx.params.get("processes", True) and not (few and not procpool.running(FACTS_WORKER)):
            files, files_read = _facts_in_workers(root, paths)
        else:
            files, files_read = facts_batch(root, paths)
        findings: list[Finding] = []
        for facts in files:
            err = facts.get("error")
            if err and facts.get("language") == "python" and not err.get("limit"):
                findings.append(self._syntax_error(ctx.workspace, facts["path"], err))
        return AnalyzerOutput(output={"files": files}, findings=findings, files_read=files_read)

    @staticmethod
    def _syntax_error(ws: Workspace, path: str, err: dict[str, Any]) -> Finding:
        lines = split_lines(ws.read_text(path))
        line = min(int(err.get("line") or 0), max(len(lines) - 1, 0))
        quote = lines[line].strip() if line < len(lines) else ""
        return Finding(
            rule="map/syntax-error",
            severity=Severity.error,
            path=path,
            range=Range.of_line(line, 0, len(lines[line]) if line < len(lines) else 0),
            message=f"Does not parse: {err.get('message')}; this file is missing from the module map's graph.",
            evidence=[Evidence(path=path, line=line, quote=quote)] if quote else [],
        )


class ModuleMapParams(BaseModel):
    """Params of `module-map`."""

    model_config = ConfigDict(extra="forbid")
    top: int = Field(10, ge=1, le=1000, description="How many most-depended-on files to list.")
    key_symbols: int = Field(
        15, ge=0, le=1000, description="How many key symbols to rank and list."
    )
    hot_spots: int = Field(10, ge=0, le=1000, description="How many hot spots to list.")
    lenses: bool = Field(True, description="A summary finding with a code lens on every file.")
    symbol_lenses: bool = Field(
        True,
        description="A code lens above every top-level symbol: `used by N · complexity C`.",
    )


class ModuleMap:
    name: ClassVar[str] = "module-map"
    kind: ClassVar[Literal["reduce"]] = "reduce"
    description: ClassVar[str] = (
        "Import graph of the mapped files (internal edges, external dependencies), entry points, cycles, "
        "orphans, the most depended-on files, per-file code lenses and a Markdown module map."
    )
    params_model: ClassVar[type[BaseModel]] = ModuleMapParams
    # 3: each mapped file carries the digest of what the graph reads of it (`graph_digest`)
    # 4: package.json entries, folder package.json, @types, type-only .d.ts cycles,
    # a Go package import counted once; 5: Go same-package uses; 6: key symbols by
    # score (share x users), code files' uses of a .d.ts go to its code, test hot
    # spots apart, vendored imports; 7: a purpose repeated in 3+ files is none, a Go
    # package's detached purpose; 8: tests' uses not counted in a key symbol's score
    # (used_by_tests); 9: the lenses' "used by" counts the code's files, the tests' apart
    # ("used by 3 · +2 tests"), a summary without a purpose says none; 10: most depended
    # on ranked by the code's users, `used_by_tests` beside `used_by`; 11: the report's
    # folders ranked and counted by the code's users, the tests' apart
    version: ClassVar[str] = "11"
    dated: ClassVar[bool] = True  # hot spots count the commits of the last year
    rules: ClassVar[list[RuleInfo]] = [
        RuleInfo(
            id="map/import-cycle",
            description=(
                "Files that import each other in a cycle. A warning when every import of the cycle runs at import "
                "time (it can break with a partially initialised module); information when a deferred or type-only "
                "import (inside a function, under TYPE_CHECKING, dynamic import(), import type, a .d.ts) closes it."
            ),
        ),
        RuleInfo(
            id="map/summary",
            description="Per-file summary of the module map (code lens: purpose, used by / imports).",
            alert=False,
        ),
        RuleInfo(
            id="map/symbol",
            description="A top-level symbol's code lens: how many files use it, its complexity.",
            alert=False,
        ),
    ]

    def reduce(self, records: list[Record], ctx: AnalyzerContext) -> AnalyzerOutput:
        return self.combine([self.partial(rec, ctx) for rec in records], ctx)

    def partial(self, record: Record, ctx: AnalyzerContext) -> list[dict[str, Any]]:
        """One batch's contribution (engine.partials): its files' facts as the map reads
        them. Of the symbols, only the top-level ones (and how many there are in all)."""
        out = record.output if isinstance(record.output, dict) else {}
        return [
            _as_mapped(f) for f in out.get("files") or [] if isinstance(f, dict) and f.get("path")
        ]

    def combine(self, partials: list[Any], ctx: AnalyzerContext) -> AnalyzerOutput:
        """The map; `partials` is emptied (handed over, see `_map`)."""
        with gc_paused():  # see gcpause: the collector re-walked every record's facts
            files: dict[str, dict[str, Any]] = {}
            for part in partials:
                for f in part:
                    files[f["path"]] = f
            partials.clear()
            return self._map(files, ctx)

    def _map(self, files: dict[str, dict[str, Any]], ctx: AnalyzerContext) -> AnalyzerOutput:
        """The map of `files`, which it empties: the facts (~25 MiB on a 1,500-file package)
        are let go once the graph, the output and what the lenses read of them are drawn,
        before the thousands of lens findings are made (held beside the facts, the two were
        the run's memory peak)."""
        ordered = [files[p] for p in sorted(files)]
        graph, uses, scores, resolution = _graph_of(ordered, ctx)
        p = ctx.params
        output = self._output(graph, ordered, int(p.get("top") or 10))
        output["key_symbols"] = rank_symbols(graph, uses, int(p.get("key_symbols", 15)), scores)
        self._hot_spots(ctx.workspace, output, int(p.get("hot_spots", 10)))
        findings = self._cycle_findings(output["_cycles"], graph)
        firsts = {path: f.get("first_line") for path, f in files.items()}
        drawn = {path: f.get("summary_fp") for path, f in files.items()}
        identified = {path: f["content_hash"] for path, f in files.items() if f.get("content_hash")}
        defs = _lensed_defs(ordered) if p.get("symbol_lenses", True) else []
        files.clear()
        ordered.clear()
        del graph
        # Tests and test data, as the key symbols' score leaves them out: a lens's "used by"
        # counts the code's files, and the tests' beside it ("used by 3 · +2 tests").
        tests = {m["path"] for m in output["modules"] if is_test_file(m["path"])}
        if p.get("lenses", True):
            findings += self._summaries(output["modules"], firsts, drawn, tests)
        findings += self._symbol_lenses(defs, uses, tests)
        del output["_cycles"]
        output["config_problems"] = resolution.problems
        output["markdown"] = render_markdown(output)
        # The hot spots count commits: a new one changes them with no file read changing.
        deps = resolution.deps
        read = [*deps, GIT_HEAD] if ctx.workspace.is_git() else list(deps)
        return AnalyzerOutput(
            output=output, findings=findings, files_read=read, identified=identified
        )

    def check_judgement(self, judgement: Any, output: Any, records: list[Record]) -> Any:
        """Model mode: every file and symbol the narrative names must be on the map."""
        files = [
            f
            for rec in records
            if isinstance(rec.output, dict)
            for f in rec.output.get("files") or []
            if isinstance(f, dict) and f.get("path")
        ]
        out = output if isinstance(output, dict) else {}
        external = [str(e.get("name")) for e in out.get("external") or []]
        return check_judgement(judgement, files, str(out.get("root") or ""), external)

    @staticmethod
    def _hot_spots(ws: Workspace, output: dict[str, Any], top: int) -> None:
        if not ws.is_git():
            output["hot_spots"] = output["test_hot_spots"] = []
            output["hot_spots_note"] = "the workspace is not a git repository, so there is no churn"
            return
        commits = churn(ws, [output["root"]] if output["root"] else [])
        output["hot_spots"] = hot_spots(output["modules"], commits, top)
        output["test_hot_spots"] = hot_spots(output["modules"], commits, TEST_HOT_SPOTS, tests=True)
        if not output["hot_spots"]:
            output["hot_spots_note"] = "no mapped file with branches was committed in the last year"

    # -- the map ------------------------------------------------------------------------------
    def _output(self, graph: ImportGraph, files: list[dict[str, Any]], top: int) -> dict[str, Any]:
        used_by = graph.used_by()
        cycles = find_cycles(graph)
        in_cycle = {p for c in cycles for p in c["files"]}
        ext_by_file: dict[str, list[str]] = {}
        for ext in graph.external.values():
            for src in ext.importers:
                ext_by_file.setdefault(src, []).append(ext.name)
        repeated = repeated_purposes(files)
        modules = []
        for f in files:
            p = f["path"]
            deps = sorted(graph.edges.get(p, {}))
            users = sorted(used_by.get(p, set()))
            modules.append(
                {
                    "path": p,
                    "module": f.get("module") if f.get("language") == "python" else None,
                    "language": f.get("language"),
                    "purpose": "" if f.get("docstring") in repeated else f.get("docstring") or "",
                    "lines": f.get("lines", 0),
                    "code_lines": f.get("code_lines", 0),
                    "branches": f.get("branches", 0),
                    "symbols": f.get("symbol_count", len(f.get("symbols") or [])),
                    "public_api": list(f.get("exports") or []),
                    "depends_on": deps,
                    "used_by": users,
                    "external": sorted(set(ext_by_file.get(p, []))),
                    "entry": bool(f.get("entry")),
                    "loaded_by_name": sorted(graph.loaded_by_name.get(p, set())),
                    "orphan": is_orphan(p, f, len(users) + len(graph.loaded_by_name.get(p, ()))),
                    "in_cycle": p in in_cycle,
                    "error": (f.get("error") or {}).get("message") if f.get("error") else None,
                }
            )
        paths = [m["path"] for m in modules]
        root = posixpath.commonpath(paths) if paths else ""
        if len(paths) == 1 or (root and root in paths):
            root = posixpath.dirname(root)
        externals = sorted(
            graph.external.values(), key=lambda e: (-len(e.importers), e.kind, e.name)
        )
        packages = go_packages(graph, used_by, repeated)
        # Declaration files (`.d.ts`) after the code, when there is code: preact's
        # src/index.d.ts (what its `.js` files' imports of 'preact' resolve to) led.
        has_code = any(not is_declaration_file(m["path"]) for m in modules)
        # By the code's users, as the key symbols and the lenses count them: a test helper
        # every test imports is not what the code depends on most.
        tested = {
            m["path"]: sum(1 for u in m["used_by"] if is_test_file(u))
            for m in modules
            if m["used_by"] and m["language"] != "go"
        }
        ranked = sorted(
            (m for m in modules if m["path"] in tested),
            key=lambda m: (
                has_code and is_declaration_file(m["path"]),
                tested[m["path"]] - len(m["used_by"]),
                -len(m["used_by"]),
                m["path"],
            ),
        )
        return {
            "root": root,
            "purpose": _root_purpose(modules, root, packages),
            "files": len(modules),
            "languages": dict(sorted(Counter(m["language"] for m in modules).items())),
            "lines": sum(m["lines"] for m in modules),
            "modules": modules,
            "edges": [
                {"from": e.src, "to": e.dst, "line": e.line, "eager": e.eager}
                for src in sorted(graph.edges)
                for e in (graph.edges[src][d] for d in sorted(graph.edges[src]))
            ],
            "external": [
                {"name": e.name, "kind": e.kind, "files": len(e.importers)} for e in externals
            ],
            "entry_points": [m["path"] for m in modules if m["entry"]],
            "orphans": [m["path"] for m in modules if m["orphan"]],
            "cycles": [
                {"files": c["files"], "cycle": c["cycle"], "eager": c["eager"]} for c in cycles
            ],
            "most_depended_on": [
                {
                    "path": m["path"],
                    "used_by": len(m["used_by"]),
                    "used_by_tests": tested[m["path"]],
                }
                for m in ranked[:top]
            ],
            "unresolved": graph.unresolved,
            "layering": layers(graph),
            "go_packages": packages,
            "_cycles": cycles,
        }

    # -- findings -----------------------------------------------------------------------------
    @staticmethod
    def _cycle_findings(cycles: list[dict[str, Any]], graph: ImportGraph) -> list[Finding]:
        findings = []
        for c in cycles:
            edges = c["edges"]
            if not edges:
                continue
            first = edges[0]
            chain = " → ".join([*c["cycle"], c["cycle"][0]])
            size = len(c["files"])
            more = f" ({size} files are tangled in this cycle)" if size > len(c["cycle"]) else ""
            if c["eager"]:
                message = (
                    f"Import cycle: {chain}{more}. Every import of it runs at module level, so it can "
                    "fail at import time depending on which module is imported first (a name read "
                    "before its module has defined it); move the shared code into a module both "
                    "import, or defer one import."
                )
            else:
                message = (
                    f"Import cycle closed only by a deferred or type-only import: {chain}{more}. "
                    "It cannot fail at import time as it stands: the import that closes it runs "
                    "later or not at all (`import type`, `TYPE_CHECKING`, a declaration file)."
                )
            findings.append(
                Finding(
                    rule="map/import-cycle",
                    severity=Severity.warning if c["eager"] else Severity.information,
                    path=first.src,
                    range=Range.of_line(first.line, 0, len(first.text)),
                    message=message,
                    evidence=[
                        Evidence(path=e.src, line=e.line, quote=e.text) for e in edges if e.text
                    ],
                    data=FindingData.model_validate(
                        {
                            "cycle": c["cycle"],
                            "files": c["files"],
                            "eager": c["eager"],
                            "key": "→".join(c["cycle"]),
                        }
                    ),
                )
            )
        return findings

    @staticmethod
    def _symbol_lenses(defs: list[_LensedDef], uses: SymbolUses, tests: set[str]) -> list[Finding]:
        out = []
        for path, name, kind, line, col, branches, fp in defs:
            users = uses.uses.get((path, name)) or {}
            used = len(users)
            in_tests = sum(1 for u in users if u in tests) if tests else 0
            complexity = branches + 1
            code, also = used - in_tests, _plus_tests(in_tests)
            by_tests = f" and {in_tests} test file(s)" if in_tests else ""
            # Validated from one dict (not a Range, a FindingData and the Finding one by
            # one): a large map makes thousands of these.
            lens = Finding.model_validate(
                {
                    "rule": SYMBOL_RULE,
                    "severity": "hint",
                    "path": path,
                    "range": {
                        "start": {"line": line, "character": col},
                        "end": {"line": line, "character": col + len(name)},
                    },
                    "message": (
                        f"{kind} {name}: used by {code} file(s){by_tests} of this module; "
                        f"complexity {complexity} ({complexity - 1} decision points)."
                    ),
                    "data": {
                        "lens": f"used by {code}{also} · complexity {complexity}",
                        "symbol": name,
                        "used_by": used,
                        "used_by_tests": in_tests,
                        "complexity": complexity,
                    },
                }
            )
            if fp:  # drawn by the parse (filefacts): its id stays the provisional one's
                lens.fingerprint = fp
            out.append(lens)
        return out

    @staticmethod
    def _summaries(
        modules: list[dict[str, Any]],
        firsts: dict[str, Any],
        drawn: dict[str, str | None],
        tests: set[str],
    ) -> list[Finding]:
        """`firsts`: each file's first non-blank line (`[line, text]`, or None); `drawn`:
        the summary's fingerprint the parse drew (filefacts), or None; `tests`: the mapped
        tests and test data, counted apart in "used by"."""
        out = []
        for m in modules:
            first = firsts[m["path"]]
            in_tests = sum(1 for u in m["used_by"] if u in tests) if tests else 0
            used, deps = len(m["used_by"]) - in_tests, len(m["depends_on"])
            also = _plus_tests(in_tests)
            lens = f"⇄ used by {used}{also} · imports {deps}"
            if m["purpose"]:  # the file's first line says what the file is for
                lens = f"{_short(m['purpose'])} · {lens}"
            label = m["module"] or m["path"]
            # a file without a purpose says none (the report's "no docstring" was noise)
            purpose = m["purpose"].rstrip(".")
            said = f"{label}: {purpose}." if purpose else f"{label}."
            by_tests = f" (and used by {in_tests} test file(s))" if in_tests else ""
            summary = Finding(
                rule=SUMMARY_RULE,
                severity=Severity.hint,
                path=m["path"],
                range=Range.of_line(0, 0, 0),
                message=(
                    f"{said} Used by {used} and imports {deps} file(s) of this module{by_tests}; "
                    f"{len(m['external'])} external dependencies."
                ),
                evidence=[Evidence(path=m["path"], line=int(first[0]), quote=str(first[1]))]
                if first
                else [],
                data=FindingData.model_validate(
                    {
                        "lens": lens,
                        "used_by": m["used_by"],
                        "depends_on": m["depends_on"],
                        "external": m["external"],
                        "public_api": m["public_api"][:50],
                        "module": m["module"],
                    }
                ),
            )
            fp = drawn.get(m["path"])
            if fp:  # drawn by the parse (filefacts): its id stays the provisional one's
                summary.fingerprint = fp
            out.append(summary)
        return out


def _plus_tests(n: int) -> str:
    """What a lens adds for the tests' uses: " · +17 tests" (none without)."""
    return f" · +{n} test{'s' if n != 1 else ''}" if n else ""


LENS_PURPOSE_MAX = 72
TEST_HOT_SPOTS = 5  # the tests' own hot spots, listed apart

# What a symbol's code lens reads of its definition: (path, name, kind, line, column,
# branches, the lens's fingerprint where the parse drew it).
_LensedDef = tuple[str, str, str, int, int, int, str | None]


def _lensed_defs(files: list[dict[str, Any]]) -> list[_LensedDef]:
    """The top-level definitions that get a code lens, with what the lens says of each:
    not a test file's (a test runner calls tests: "used by 0" says nothing)."""
    return [
        (
            f["path"],
            name,
            str(sym.get("kind", "symbol")),
            int(sym.get("line") or 0),
            int(sym.get("column") or 0),
            int(sym.get("branches") or 0),
            sym.get("fp"),
        )
        for f in files
        if not is_test_path(f["path"])
        for name, sym in top_level_defs(f).items()
    ]


# What the map reads of a symbol and of an import (the rest is the map step's, for its
# prompt); an import's flags, names, aliases and counts are left out where they are empty,
# as the map reads them with those defaults.
_SYMBOL_KEYS = ("name", "qualname", "kind", "line", "column", "branches", "doc", "fp")
_IMPORT_KEYS = ("line", "text", "module", "kind")
_IMPORT_IF_SET = ("names", "aliases", "uses", "level", "deferred", "type_checking")


def _as_mapped(f: dict[str, Any]) -> dict[str, Any]:
    """A file's facts as the map reads them: its top-level symbols (what the map lists,
    ranks and lenses; a method is reached through its class), the count of all of them,
    its imports without what they leave at its default, and the digest of what the graph
    reads of it (`_graph_of`)."""
    if "symbol_count" in f:  # already so
        return f
    symbols = f.get("symbols") or []
    top = [
        {k: s[k] for k in _SYMBOL_KEYS if k in s}
        for s in symbols
        if "." not in s.get("qualname", ".")
    ]
    mapped = {
        **f,
        "symbols": top,
        "symbol_count": len(symbols),
        "imports": [_import_as_mapped(i) for i in f.get("imports") or []],
    }
    mapped["graph_digest"] = _graph_digest(mapped)
    return mapped


# What the import graph, the symbol uses and their ranking read of a file's facts (besides
# its top-level names and imports): a change anywhere else (a line count, a docstring, a
# function's body) leaves them as they were.
_GRAPH_KEYS = (
    "path",
    "language",
    "module",
    "go_module",
    "go_mod_dir",
    "string_refs",
    "package",
    "package_uses",
)


def _graph_digest(f: dict[str, Any]) -> str:
    # Keys in the order the facts have them (no sorting: a new order is only a miss).
    read: list[Any] = [f.get(k) for k in _GRAPH_KEYS]
    read.append(f.get("imports") or [])
    read.append([[s.get("name"), s.get("qualname")] for s in f.get("symbols") or []])
    # pydantic-core's JSON: half of `json.dumps`'s time over a large map's files (sympy
    # 0.07 -> 0.035 s); a digest that changed with it is a memo miss, once.
    return hashlib.sha256(to_json(read, fallback=str)).hexdigest()


@dataclass
class _Resolution:
    """What resolving the imports read besides the facts: configs' problems, cache deps."""

    problems: list[str]
    deps: list[str]


def _graph_of(
    ordered: list[dict[str, Any]], ctx: AnalyzerContext
) -> tuple[ImportGraph, SymbolUses, dict[tuple[str, str], float], _Resolution]:
    """The import graph, the symbol uses and their scores (PageRank): from the combine's memo
    when no file's graph digest changed (nor a config the resolution read), else drawn and
    kept there. Held as JSON with every dict's order, so what is built on them downstream
    (PageRank's floats among it) is the same to the last bit."""
    memo = ctx.memo
    slot = digest = ""
    if memo is not None and all("graph_digest" in f for f in ordered):
        # One memo row per mapped set of files, replaced when its graph changes: a row per
        # graph would leave megabytes behind at every edit of an import.
        slot = hashlib.sha256("\x1f".join(f["path"] for f in ordered).encode()).hexdigest()
        h = hashlib.sha256(b"module-map graph 1")
        for f in ordered:
            h.update(f["graph_digest"].encode("ascii"))
        digest = h.hexdigest()
        kept = memo.get(slot, digest)
        if kept is not None:
            return _graph_from(kept, ordered)
    scripts = ScriptResolver(ctx.workspace.root, {f["path"] for f in ordered})
    graph = build_graph(ordered, scripts)
    uses = collect_uses(graph, scripts)
    scores = symbol_scores(graph, uses)
    resolution = _Resolution(list(scripts.problems), scripts.deps())
    if memo is not None and slot:
        memo.put(slot, digest, _graph_as_json(graph, uses, scores, resolution), resolution.deps)
    return graph, uses, scores, resolution


def _graph_as_json(
    graph: ImportGraph,
    uses: SymbolUses,
    scores: dict[tuple[str, str], float],
    res: _Resolution,
) -> dict[str, Any]:
    return {
        "edges": [
            [src, [[e.dst, e.line, e.text, e.eager] for e in out.values()]]
            for src, out in graph.edges.items()
        ],
        "external": [[k, e.name, e.kind, sorted(e.importers)] for k, e in graph.external.items()],
        "unresolved": graph.unresolved,
        "loaded_by_name": [[p, sorted(users)] for p, users in graph.loaded_by_name.items()],
        "uses": [[t[0], t[1], list(users.items())] for t, users in uses.uses.items()],
        "scores": [[t[0], t[1], score] for t, score in scores.items()],
        "problems": res.problems,
        "deps": res.deps,
    }


def _graph_from(
    kept: dict[str, Any], ordered: list[dict[str, Any]]
) -> tuple[ImportGraph, SymbolUses, dict[tuple[str, str], float], _Resolution]:
    graph = ImportGraph(files={f["path"]: f for f in ordered})
    for src, out in kept["edges"]:
        graph.edges[src] = {
            dst: Edge(src, dst, line, text, eager) for dst, line, text, eager in out
        }
    for k, name, kind, importers in kept["external"]:
        graph.external[k] = External(name, kind, set(importers))
    graph.unresolved = kept["unresolved"]
    graph.loaded_by_name = {p: set(users) for p, users in kept["loaded_by_name"]}
    uses = SymbolUses({(path, name): dict(users) for path, name, users in kept["uses"]})
    scores = {(path, name): score for path, name, score in kept["scores"]}
    return graph, uses, scores, _Resolution(kept["problems"], kept["deps"])


def _import_as_mapped(imp: dict[str, Any]) -> dict[str, Any]:
    out = {k: imp[k] for k in _IMPORT_KEYS if k in imp}
    out.update((k, imp[k]) for k in _IMPORT_IF_SET if imp.get(k))
    if imp.get("resolved", True) is not True:
        out["resolved"] = imp["resolved"]
    return out


def _short(text: str) -> str:
    text = text.rstrip(".")
    return text if len(text) <= LENS_PURPOSE_MAX else text[: LENS_PURPOSE_MAX - 1] + "…"


def _root_purpose(modules: list[dict[str, Any]], root: str, packages: list[dict[str, Any]]) -> str:
    """What the module says it is: its package docstring, Go package comment or index
    comment; else the Go package of its root folder's (cobra's is in command.go)."""
    for name in ("__init__.py", "doc.go", "index.ts", "index.js", "main.go", "__main__.py"):
        path = posixpath.join(root, name) if root else name
        m = next((m for m in modules if m["path"] == path), None)
        if m is not None and m["purpose"]:
            return str(m["purpose"])
    folder = root or "."
    return next((str(p["purpose"]) for p in packages if p["folder"] == folder), "")
