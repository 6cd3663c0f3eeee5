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

import logging
import posixpath
from collections import Counter
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from swath import procpool
from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.analyzers.filefacts import facts_batch
from swath.analyzers.importgraph import ImportGraph, build_graph, find_cycles, is_orphan
from swath.analyzers.sourcetext import split_lines
from swath.analyzers.tsresolve import ScriptResolver
from swath.findings.model import Evidence, Finding, Range, Severity
from swath.findings.report import RuleInfo
from swath.spec.records import Item, Record
from swath.workspace import Workspace

log = logging.getLogger(__name__)

MERMAID_MAX_FILES = 40
API_SHOWN = 12
FACTS_WORKER = "swath.analyzers.filefacts"


def _facts_in_workers(root: str, paths: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The batch on a worker process (both cores parse); in this process if none can start."""
    try:
        return procpool.get(FACTS_WORKER).call("facts_batch", root, paths)  # type: ignore[no-any-return]
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
    version: ClassVar[str] = "2"
    rules: ClassVar[list[RuleInfo]] = [
        RuleInfo(
            id="map/syntax-error",
            description="A Python file that does not parse: its map is empty.",
        ),
    ]

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        paths = [item.path for item in items if item.path]
        root = str(ctx.workspace.root)
        if ctx.params.get("processes", True):
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
    lenses: bool = Field(True, description="A summary finding with a code lens on every file.")


class ModuleMap:
    name: ClassVar[str] = "module-map"
    kind: ClassVar[Literal["reduce"]] = "reduce"
    description: ClassVar[str] = (
        "Import graph of the mapped files (internal edges, external dependencies), entry points, cycles, "
        "orphans, the most depended-on files, per-file code lenses and a Markdown module map."
    )
    params_model: ClassVar[type[BaseModel]] = ModuleMapParams
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = [
        RuleInfo(
            id="map/import-cycle",
            description=(
                "Files that import each other in a cycle. A warning when every import of the cycle runs at import "
                "time (it can break with a partially initialised module); information when a deferred import "
                "(inside a function, under TYPE_CHECKING, dynamic import()) closes it."
            ),
        ),
        RuleInfo(
            id="map/summary",
            description="Per-file summary of the module map (code lens: used by / imports).",
        ),
    ]

    def reduce(self, records: list[Record], ctx: AnalyzerContext) -> AnalyzerOutput:
        files: dict[str, dict[str, Any]] = {}
        for rec in records:
            out = rec.output if isinstance(rec.output, dict) else {}
            for f in out.get("files") or []:
                if isinstance(f, dict) and f.get("path"):
                    files[f["path"]] = f
        ordered = [files[p] for p in sorted(files)]
        scripts = ScriptResolver(ctx.workspace.root, set(files))
        graph = build_graph(ordered, scripts)
        top = int(ctx.params.get("top") or 10)
        output = self._output(graph, ordered, top)
        findings = self._cycle_findings(output["_cycles"], graph)
        if ctx.params.get("lenses", True):
            findings += self._summaries(output["modules"], files)
        del output["_cycles"]
        output["config_problems"] = scripts.problems
        output["markdown"] = render_markdown(output)
        return AnalyzerOutput(output=output, findings=findings, files_read=scripts.deps())

    # -- the map ------------------------------------------------------------------------------
    def _output(self, graph: ImportGraph, files: list[dict[str, Any]], top: int) -> dict[str, Any]:
        used_by = graph.used_by()
        cycles = find_cycles(graph)
        in_cycle = {p for c in cycles for p in c["files"]}
        ext_by_file: dict[str, list[str]] = {}
        for ext in graph.external.values():
            for src in ext.importers:
                ext_by_file.setdefault(src, []).append(ext.name)
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
                    "purpose": f.get("docstring") or "",
                    "lines": f.get("lines", 0),
                    "code_lines": f.get("code_lines", 0),
                    "branches": f.get("branches", 0),
                    "symbols": len(f.get("symbols") or []),
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
        ranked = sorted(
            (m for m in modules if m["used_by"]), key=lambda m: (-len(m["used_by"]), m["path"])
        )
        return {
            "root": root,
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
                {"path": m["path"], "used_by": len(m["used_by"])} for m in ranked[:top]
            ],
            "unresolved": graph.unresolved,
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
                    f"Import cycle: {chain}{more}. Importing any of them first runs the others while it is "
                    "half initialised; move the shared code into a module both import, or defer one import."
                )
            else:
                message = (
                    f"Import cycle closed only by a deferred import: {chain}{more}. It works today; the "
                    "deferred import is what keeps it from breaking."
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
                    data={
                        "cycle": c["cycle"],
                        "files": c["files"],
                        "eager": c["eager"],
                        "key": "→".join(c["cycle"]),
                    },
                )
            )
        return findings

    @staticmethod
    def _summaries(
        modules: list[dict[str, Any]], files: dict[str, dict[str, Any]]
    ) -> list[Finding]:
        out = []
        for m in modules:
            first = files[m["path"]].get("first_line")
            used, deps = len(m["used_by"]), len(m["depends_on"])
            lens = f"⇄ used by {used} · imports {deps}"
            label = m["module"] or m["path"]
            purpose = m["purpose"].rstrip(".") or "no module docstring"
            out.append(
                Finding(
                    rule="map/summary",
                    severity=Severity.hint,
                    path=m["path"],
                    range=Range.of_line(0, 0, 0),
                    message=(
                        f"{label}: {purpose}. Used by {used} and imports {deps} file(s) of this module; "
                        f"{len(m['external'])} external dependencies."
                    ),
                    evidence=[Evidence(path=m["path"], line=int(first[0]), quote=str(first[1]))]
                    if first
                    else [],
                    data={
                        "lens": lens,
                        "used_by": m["used_by"],
                        "depends_on": m["depends_on"],
                        "external": m["external"],
                        "public_api": m["public_api"][:50],
                        "module": m["module"],
                    },
                )
            )
        return out


# -- Markdown ------------------------------------------------------------------------------------


def _rel(path: str, root: str) -> str:
    return posixpath.relpath(path, root) if root else path


def _codes(names: list[str], root: str = "", limit: int = API_SHOWN, rel: bool = False) -> str:
    shown = [f"`{_rel(n, root) if rel else n}`" for n in names[:limit]]
    if len(names) > limit:
        shown.append(f"… {len(names) - limit} more")
    return ", ".join(shown) if shown else "—"


def render_markdown(out: dict[str, Any]) -> str:  # noqa: C901 - one branch per optional report section
    root = out["root"]
    mods = {m["path"]: m for m in out["modules"]}
    langs = ", ".join(f"{k} {v}" for k, v in out["languages"].items())
    internal = len(out["edges"])
    lines = [
        f"## Module map: `{root or '.'}`",
        "",
        f"{out['files']} files ({langs}) · {out['lines']} lines · {internal} internal imports · "
        f"{len(out['external'])} external dependencies · {len(out['cycles'])} import cycles",
        "",
    ]
    if out["entry_points"]:
        lines += ["### Entry points", ""]
        lines += [
            f"- `{_rel(p, root)}` — {mods[p]['purpose'] or 'no docstring'}"
            for p in out["entry_points"]
        ]
        lines.append("")
    if out["most_depended_on"]:
        lines += [
            "### Most depended on",
            "",
            "| file | used by | imports | purpose |",
            "| --- | ---: | ---: | --- |",
        ]
        for row in out["most_depended_on"]:
            m = mods[row["path"]]
            lines.append(
                f"| `{_rel(m['path'], root)}` | {row['used_by']} | {len(m['depends_on'])} | "
                f"{m['purpose'].replace('|', '∣') or '—'} |"
            )
        lines.append("")
    if out["cycles"]:
        lines += ["### Import cycles", ""]
        for c in out["cycles"]:
            chain = " → ".join(f"`{_rel(p, root)}`" for p in [*c["cycle"], c["cycle"][0]])
            kind = "breaks at import time" if c["eager"] else "closed by a deferred import"
            lines.append(f"- {chain} ({kind}; {len(c['files'])} files in the tangle)")
        lines.append("")
    if out["external"]:
        lines += [
            "### External dependencies",
            "",
            "| dependency | kind | files |",
            "| --- | --- | ---: |",
        ]
        lines += [f"| `{e['name']}` | {e['kind']} | {e['files']} |" for e in out["external"][:40]]
        if len(out["external"]) > 40:
            lines.append(f"| … {len(out['external']) - 40} more | | |")
        lines.append("")
    if out["orphans"]:
        lines += [
            "### Orphans",
            "",
            "Nothing in the module imports these, and they are not entry points or tests:",
            "",
        ]
        lines += [f"- `{_rel(p, root)}`" for p in out["orphans"]]
        lines.append("")
    if 1 < out["files"] <= MERMAID_MAX_FILES and out["edges"]:
        ids = {p: f"n{i}" for i, p in enumerate(sorted(mods))}
        lines += ["### Graph", "", "```mermaid", "graph LR"]
        lines += [f'  {ids[p]}["{_rel(p, root)}"]' for p in sorted(mods)]
        lines += [
            f"  {ids[e['from']]} {'-->' if e['eager'] else '-.->'} {ids[e['to']]}"
            for e in out["edges"]
        ]
        lines += ["```", ""]
    lines += ["### Files", ""]
    for m in out["modules"]:
        title = f"#### `{_rel(m['path'], root)}`"
        if m["module"]:
            title += f" ({m['module']})"
        lines += [title, ""]
        if m["purpose"]:
            lines += [m["purpose"], ""]
        flags = [
            x
            for x, on in (
                ("entry point", m["entry"]),
                ("orphan", m["orphan"]),
                ("in a cycle", m["in_cycle"]),
            )
            if on
        ]
        lines.append(
            f"- {m['lines']} lines, {m['symbols']} symbols, {m['branches']} branches"
            + (f" · {', '.join(flags)}" if flags else "")
        )
        if m["error"]:
            lines.append(f"- **Does not parse:** {m['error']}")
        lines.append(f"- **Public API:** {_codes(m['public_api'])}")
        lines.append(f"- **Depends on:** {_codes(m['depends_on'], root, rel=True)}")
        lines.append(f"- **Used by:** {_codes(m['used_by'], root, rel=True)}")
        if m["loaded_by_name"]:
            lines.append(f"- **Loaded by name in:** {_codes(m['loaded_by_name'], root, rel=True)}")
        if m["external"]:
            lines.append(f"- **External:** {_codes(m['external'])}")
        lines.append("")
    if out["unresolved"]:
        lines += ["### Unresolved imports", ""]
        lines += [
            f"- `{u['path']}:{u['line'] + 1}` `{u['import']}` — {u['reason']}"
            for u in out["unresolved"]
        ]
        lines.append("")
    return "\n".join(lines)
