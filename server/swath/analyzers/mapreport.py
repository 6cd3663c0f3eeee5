"""The module map as Markdown a person reads: one screen of overview, then the details.

Bounded whatever the module's size: the overview (what it is, its layers as a Mermaid
diagram of folders), key symbols, hot spots, cycles, then one section per folder. Per-file
sections only for a small module; a large one's file-level detail lives in the JSON
output (`modules`) and in the code lenses. Every list that is cut says how much was cut.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from typing import Any

from swath.analyzers.hotspots import is_test_file
from swath.analyzers.maplayers import import_count

MERMAID_MAX_FILES = 40  # a file-level graph up to this many files
MERMAID_MAX_NODES = 30  # the folder diagram collapses to at most this many boxes
MERMAID_MAX_EDGES = 80
FILE_DETAIL_MAX = 60  # per-file sections up to this many files, else per-folder ones
FOLDERS_SHOWN = 30
FILES_PER_FOLDER = 5
INDEX_FILES = ("__init__.py", "index.ts", "index.tsx", "index.js", "doc.go")
LIST_MAX = 30
API_SHOWN = 12
# A Go package whose purpose is a file's description go doc does not show (viper's)
DETACHED = " (a file's comment, not a package comment: go doc shows none)"
CYCLE_NOTE = (
    "An eager cycle (every import runs at module level) *can* fail at import time: which of "
    "its modules is imported first decides whether a name is read before it is defined. "
    "One closed only by a deferred or type-only import (in a function, a dynamic `import()`, "
    "under `TYPE_CHECKING`, an `import type`, in or of a `.d.ts` declaration file) does not."
)


def _rel(path: str, root: str) -> str:
    if not root or path == root:
        return path if path != root else "."
    return posixpath.relpath(path, root)


def _codes(names: list[str], root: str = "", limit: int = API_SHOWN, rel: bool = False) -> str:
    shown = [f"`{_rel(n, root) if rel else n}`" for n in names[:limit]]
    if len(names) > limit:
        shown.append(f"… {len(names) - limit} more")
    return ", ".join(shown) if shown else "—"


def _deps(paths: list[str], root: str) -> str:
    """A Go file depends on packages: `doc/man_docs.go` listed the 14 files of cobra."""
    files = [p for p in paths if not p.endswith(".go")]
    folders = sorted({posixpath.dirname(p) for p in paths if p.endswith(".go")})
    names = [(_rel(f, root) if f else ".") for f in folders]
    shown = [f"`{n}` (package)" if n == "." else f"`{n}/` (package)" for n in names]
    listed = _codes(files, root, rel=True) if files else ""
    return ", ".join([*shown, listed] if listed else shown) or "—"


def _cell(text: str) -> str:
    return text.replace("|", "∣").replace("\n", " ") or "—"


def _more(lines: list[str], total: int, shown: int, what: str) -> None:
    if total > shown:
        lines.append(f"- … {total - shown} more {what} (in the JSON output)")


# -- the folder diagram --------------------------------------------------------------------------


def collapse_folders(
    folders: dict[str, int], root: str, limit: int = MERMAID_MAX_NODES
) -> tuple[dict[str, str], str]:
    """Each folder's box in the diagram, and a sentence saying what was collapsed ("" if nothing).

    Folders deeper than the deepest level that still fits in `limit` boxes are drawn as
    their ancestor at that level; if even the top level has too many, the smallest boxes
    join one "other" box.
    """
    rel = {f: _rel(f, root) for f in folders}
    if len(folders) <= limit:
        return {f: rel[f] for f in folders}, ""
    depth = max(r.count("/") + 1 for r in rel.values())
    box: dict[str, str] = {}
    for d in range(depth, 0, -1):
        box = {f: "/".join(r.split("/")[:d]) for f, r in rel.items()}
        if len(set(box.values())) <= limit:
            return box, (
                f"{len(folders)} folders are drawn as {len(set(box.values()))}: each folder deeper "
                f"than {d} level{'s' if d > 1 else ''} below `{root or '.'}` is drawn as its ancestor."
            )
    sizes: Counter[str] = Counter()
    for f, b in box.items():
        sizes[b] += folders[f]
    kept = {b for b, _ in sizes.most_common(limit - 1)}
    other = len(set(sizes) - kept)
    box = {f: (b if b in kept else "other") for f, b in box.items()}
    return box, (
        f"{len(folders)} folders are drawn as {limit}: top-level folders, the "
        f"{other} smallest of them together as `other`."
    )


def folder_diagram(out: dict[str, Any]) -> list[str]:
    root = out["root"]
    sizes: Counter[str] = Counter(posixpath.dirname(m["path"]) or "." for m in out["modules"])
    if len(sizes) < 2:
        return []
    box, note = collapse_folders(dict(sizes), root)
    files_in: Counter[str] = Counter()
    for f, n in sizes.items():
        files_in[box[f]] += n
    weights: Counter[tuple[str, str]] = Counter()
    for e in out["layering"]["folder_edges"]:
        a, b = box.get(e["from"]), box.get(e["to"])
        if a and b and a != b:
            weights[(a, b)] += e["imports"]
    breaking = {(box.get(e["from"]), box.get(e["to"])) for e in out["layering"]["breaking"]}
    ids = {b: f"f{i}" for i, b in enumerate(sorted(files_in))}
    lines = ["```mermaid", "graph BT"]
    lines += [f'  {ids[b]}["{b} · {files_in[b]} files"]' for b in sorted(files_in)]
    shown = weights.most_common(MERMAID_MAX_EDGES)
    for (a, b), w in sorted(shown):
        arrow = f"-. {w} .->" if (a, b) in breaking else f"-- {w} -->"
        lines.append(f"  {ids[a]} {arrow} {ids[b]}")
    lines.append("```")
    notes = [note] if note else []
    if len(weights) > len(shown):
        notes.append(f"The {len(shown)} heaviest of {len(weights)} folder dependencies are drawn.")
    notes.append(
        "An arrow points from a folder to one it imports, labelled with the number of file "
        "imports; dotted arrows break the layering."
    )
    return ["", *lines, "", " ".join(notes)]


# -- sections --------------------------------------------------------------------------------------


def _imports(out: dict[str, Any]) -> int:
    by_src: dict[str, list[str]] = {}
    for e in out["edges"]:
        by_src.setdefault(e["from"], []).append(e["to"])
    return import_count(by_src)


def _overview(out: dict[str, Any], mods: dict[str, dict[str, Any]]) -> list[str]:
    root = out["root"]
    langs = ", ".join(f"{k} {v}" for k, v in out["languages"].items())
    lines = [f"## Module map: `{root or '.'}`", ""]
    if out.get("purpose"):
        lines += [out["purpose"], ""]
    lines += [
        f"{out['files']} files ({langs}) · {out['lines']} lines · {_imports(out)} internal "
        f"imports · {len(out['external'])} external dependencies · {len(out['cycles'])} import "
        f"cycles · {len(out['layering']['order'])} folders in "
        f"{len(out['layering']['layers'])} layers",
        "",
    ]
    lay = out["layering"]
    if len(lay["order"]) > 1:
        lines += ["### Layers", ""]
        lines.append("Bottom first: a folder imports only folders of the layers below it.")
        lines.append("")
        for row in lay["layers"][:LIST_MAX]:
            lines.append(f"- layer {row['layer']}: {_codes(row['folders'], root, 10, rel=True)}")
        _more(lines, len(lay["layers"]), LIST_MAX, "layers")
        if lay["breaking"]:
            lines += ["", "Imports that go against the layering (fewest to set aside):", ""]
            for e in lay["breaking"][:10]:
                lines.append(
                    f"- `{_rel(e['from'], root)}` → `{_rel(e['to'], root)}` ({e['imports']} imports)"
                )
            _more(lines, len(lay["breaking"]), 10, "such imports")
        lines += folder_diagram(out)
        lines.append("")
    if out["entry_points"]:
        lines += ["### Entry points", ""]
        lines += [
            f"- `{_rel(p, root)}`" + (f" — {mods[p]['purpose']}" if mods[p]["purpose"] else "")
            for p in out["entry_points"][:LIST_MAX]
        ]
        _more(lines, len(out["entry_points"]), LIST_MAX, "entry points")
        lines.append("")
    return lines


def _key_symbols(out: dict[str, Any]) -> list[str]:
    if not out["key_symbols"]:
        return []
    root = out["root"]
    lines = [
        "### Key symbols",
        "",
        "Score: the symbol's share of PageRank (over the graph of which file uses which "
        "file's definitions, so a use by an important file weighs more) times the number "
        "of files that use it, tests not counted, so a name one file uses a lot does not "
        "lead. Definitions in `.d.ts` declaration files come after the code's.",
        "",
        "| symbol | kind | defined in | score | used by (files) | mentions | purpose |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for s in out["key_symbols"]:
        score = s.get("score", s["rank"] * s["used_by"])
        users = _users(s)
        lines.append(
            f"| `{s['name']}` | {s['kind']} | `{_rel(s['path'], root)}:{s['line'] + 1}` | "
            f"{score:.3f} | {users} | {s['uses']} | {_cell(s['doc'])} |"
        )
    return [*lines, ""]


def _users(row: dict[str, Any]) -> str:
    """A row's "used by": the code's files, the tests' apart ("7 (+17 tests)")."""
    tests = row.get("used_by_tests") or 0
    if not tests:
        return str(row["used_by"])
    return f"{row['used_by'] - tests} (+{tests} test{'s' if tests != 1 else ''})"


def _hot_spots(out: dict[str, Any]) -> list[str]:
    root = out["root"]
    lines = ["### Hot spots", ""]
    if not out["hot_spots"]:
        why = out.get("hot_spots_note") or "no file was both changed and branching"
        return [*lines, f"None: {why}.", ""]
    lines += [
        "Complexity × churn: decision points (branches) × commits touching the file in the last year.",
        "",
        "| file | commits | branches | lines | score |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| `{_rel(h['path'], root)}` | {h['commits']} | {h['branches']} | {h['lines']} | {h['score']} |"
        for h in out["hot_spots"]
    ]
    lines.append("")
    tests = out.get("test_hot_spots") or []
    if tests:
        shown = ", ".join(f"`{_rel(h['path'], root)}` ({h['score']})" for h in tests)
        lines += [f"Tests and test data are ranked apart; theirs: {shown}.", ""]
    return lines


def _cycles(out: dict[str, Any]) -> list[str]:
    if not out["cycles"]:
        return []
    root = out["root"]
    lines = ["### Import cycles", "", CYCLE_NOTE, ""]
    for c in out["cycles"][:LIST_MAX]:
        chain = " → ".join(f"`{_rel(p, root)}`" for p in [*c["cycle"], c["cycle"][0]])
        kind = "eager" if c["eager"] else "closed by a deferred or type-only import"
        lines.append(f"- {chain} ({kind}; {len(c['files'])} files in the tangle)")
    _more(lines, len(out["cycles"]), LIST_MAX, "cycles")
    return [*lines, ""]


def _depended_on(out: dict[str, Any], mods: dict[str, dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    root = out["root"]
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
                f"| `{_rel(m['path'], root)}` | {_users(row)} | {len(m['depends_on'])} | "
                f"{_cell(m['purpose'])} |"
            )
        lines.append("")
    if out.get("go_packages"):
        pkgs = sorted(out["go_packages"], key=lambda p: (-len(p["used_by"]), p["folder"]))
        lines += [
            "### Go packages",
            "",
            "| package | folder | files | used by (packages) | imports (packages) | purpose |",
            "| --- | --- | ---: | ---: | ---: | --- |",
        ]
        for p in pkgs[:LIST_MAX]:
            lines.append(
                f"| `{p['package']}` | `{_rel(p['folder'], root)}` | {p['files']} | "
                f"{len(p['used_by'])} | {len(p['imports'])} | {_cell(p['purpose'])}"
                f"{DETACHED if p.get('purpose_detached') else ''} |"
            )
        if len(pkgs) > LIST_MAX:
            lines.append(f"| … {len(pkgs) - LIST_MAX} more | | | | | |")
        lines.append("")
    if out["external"]:
        lines += ["### External dependencies", "", "| dependency | kind | files |"]
        lines.append("| --- | --- | ---: |")
        lines += [f"| `{e['name']}` | {e['kind']} | {e['files']} |" for e in out["external"][:20]]
        if len(out["external"]) > 20:
            lines.append(f"| … {len(out['external']) - 20} more | | |")
        lines.append("")
    return lines


def _folders(out: dict[str, Any]) -> list[str]:
    """A section for each of the folders the rest of the module uses most; the others by name."""
    root = out["root"]
    by_folder: dict[str, list[dict[str, Any]]] = {}
    for m in out["modules"]:
        by_folder.setdefault(posixpath.dirname(m["path"]) or ".", []).append(m)
    # The code's users, the tests' apart, as the key symbols, the lenses and the table of
    # the most depended on count them: x/tools' folders were ranked by their _test.go users.
    tests = {m["path"] for m in out["modules"] if is_test_file(m["path"])}
    users = {m["path"]: [u for u in m["used_by"] if u not in tests] for m in out["modules"]}
    outside = {
        folder: len({u for m in files for u in users[m["path"]] if posixpath.dirname(u) != folder})
        for folder, files in by_folder.items()
    }
    ranked = sorted(by_folder, key=lambda f: (-outside[f], -len(by_folder[f]), f))
    shown = sorted(ranked[:FOLDERS_SHOWN])
    lines = [
        "### Folders",
        "",
        f"The {len(shown)} of {len(by_folder)} folders the rest of the module's code uses "
        "most, with their most used files (tests' uses counted apart):",
        "",
    ]
    for folder in shown:
        files = by_folder[folder]
        init = next(
            (m for m in files if posixpath.basename(m["path"]) in INDEX_FILES),
            None,
        )
        purpose = (init or {}).get("purpose") or ""
        lines.append(
            f"#### `{_rel(folder, root)}/` — {len(files)} files, "
            f"{sum(m['lines'] for m in files)} lines, used by {outside[folder]} files outside it"
        )
        lines.append("")
        if purpose:
            lines += [purpose, ""]
        top = sorted(files, key=lambda m: (-len(users[m["path"]]), -len(m["used_by"]), m["path"]))[
            :FILES_PER_FOLDER
        ]
        for m in top:  # a file without a purpose says nothing ("no docstring" was noise)
            what = f": {m['purpose']}" if m["purpose"] else ""
            in_tests = len(m["used_by"]) - len(users[m["path"]])
            plus = f", +{in_tests} test{'s' if in_tests != 1 else ''}" if in_tests else ""
            used = f"{len(users[m['path']])}{plus}"
            lines.append(f"- `{posixpath.basename(m['path'])}` (used by {used}){what}")
        if len(files) > len(top):
            lines.append(f"- … {len(files) - len(top)} more files")
        lines.append("")
    rest = sorted(ranked[FOLDERS_SHOWN:])
    if rest:
        names = [f"`{_rel(f, root)}/` ({len(by_folder[f])})" for f in rest[: LIST_MAX * 2]]
        more = f", … {len(rest) - LIST_MAX * 2} more" if len(rest) > LIST_MAX * 2 else ""
        lines += [f"Other folders (files): {', '.join(names)}{more}.", ""]
    return lines


def _files(out: dict[str, Any]) -> list[str]:
    root = out["root"]
    lines = ["### Files", ""]
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
        lines.append(f"- **Depends on:** {_deps(m['depends_on'], root)}")
        lines.append(f"- **Used by:** {_codes(m['used_by'], root, rel=True)}")
        if m["loaded_by_name"]:
            lines.append(f"- **Loaded by name in:** {_codes(m['loaded_by_name'], root, rel=True)}")
        if m["external"]:
            lines.append(f"- **External:** {_codes(m['external'])}")
        lines.append("")
    return lines


def _file_graph(out: dict[str, Any], mods: dict[str, dict[str, Any]]) -> list[str]:
    # A Go import is an edge to every file of the package: drawn file by file, cobra's
    # 11 doc/ files made 154 arrows into its 14 files. The package table and the layers
    # diagram show those; the file graph keeps the other languages' edges.
    edges = [e for e in out["edges"] if not e["to"].endswith(".go")]
    if not (1 < out["files"] <= MERMAID_MAX_FILES and edges):
        return []
    root = out["root"]
    shown = (
        sorted(p for p in mods if not p.endswith(".go"))
        if len(edges) < len(out["edges"])
        else sorted(mods)
    )
    ids = {p: f"n{i}" for i, p in enumerate(shown)}
    lines = ["### Graph", "", "```mermaid", "graph LR"]
    lines += [f'  {ids[p]}["{_rel(p, root)}"]' for p in shown]
    lines += [f"  {ids[e['from']]} {'-->' if e['eager'] else '-.->'} {ids[e['to']]}" for e in edges]
    return [*lines, "```", ""]


def _tail(out: dict[str, Any]) -> list[str]:
    root = out["root"]
    lines: list[str] = []
    if out["orphans"]:
        lines += [
            "### Orphans",
            "",
            "Nothing in the module imports these, and they are not entry points or tests:",
            "",
        ]
        lines += [f"- `{_rel(p, root)}`" for p in out["orphans"][:LIST_MAX]]
        _more(lines, len(out["orphans"]), LIST_MAX, "orphans")
        lines.append("")
    if out["unresolved"]:
        lines += ["### Unresolved imports", ""]
        lines += [
            f"- `{u['path']}:{u['line'] + 1}` `{u['import']}` — {u['reason']}"
            for u in out["unresolved"][:LIST_MAX]
        ]
        _more(lines, len(out["unresolved"]), LIST_MAX, "unresolved imports")
        lines.append("")
    return lines


def render_markdown(out: dict[str, Any]) -> str:
    mods = {m["path"]: m for m in out["modules"]}
    lines = _overview(out, mods)
    lines += _key_symbols(out)
    lines += _hot_spots(out)
    lines += _cycles(out)
    lines += _depended_on(out, mods)
    lines += _file_graph(out, mods)
    if out["files"] <= FILE_DETAIL_MAX:
        lines += _files(out)
    else:
        lines += _folders(out)
        lines += [
            f"Per-file detail of the {out['files']} files (purpose, public API, imports, users) is "
            "in the JSON output (`modules`) and in each file's code lenses.",
            "",
        ]
    lines += _tail(out)
    return "\n".join(lines)
