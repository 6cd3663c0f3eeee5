"""The facts of a batch of files: each file read once, parsed once, everything extracted in that pass.

Runs in worker processes (`python -m swath.analyzers.filefacts`, through `swath.procpool`):
parsing is CPU-bound and holds the GIL, so a map of a large package spreads its batches
over every core. Only plain dicts come back; the trees die in the worker.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from typing import Any

from swath.analyzers.pyfacts import importable, module_name, python_facts
from swath.analyzers.sgfacts import go_facts, go_module_path, script_facts
from swath.analyzers.sourcetext import (
    SCRIPT_LANGUAGES,
    first_nonempty_of,
    is_boilerplate,
    is_test_path,
    language_of,
    split_lines,
)
from swath.places import LineIndex, fingerprint
from swath.workspace import Workspace
from swath.workspace.depmarks import EXISTS

# The rules of the findings `module-map` makes on every mapped file and on every top-level
# symbol of one that is not a test (analyzers/symbols.py); their fingerprints are drawn here.
SUMMARY_RULE = "map/summary"
SYMBOL_RULE = "map/symbol"
BOM = b"\xef\xbb\xbf"


log = logging.getLogger(__name__)
GoModules = dict[str, tuple[str | None, str | None]]


def python_module(ws: Workspace, path: str, files_read: list[str]) -> tuple[str, str | None]:
    """(module name, the folder it is importable from when that is not the workspace root).

    A folder whose name is not an identifier (`my-tools/`) cannot be part of a dotted
    name: its files are named from inside it, the way a script run from there imports
    its neighbours, and the folder is said so.
    """
    module, asked = module_name(path, lambda rel: (ws.root / rel).is_file(), ws.root.name)
    files_read += [EXISTS + a for a in asked]  # a name depends on which __init__.py exist
    if importable(module):
        return module, None
    parts = path.split("/")
    bad = [i for i, part in enumerate(parts[:-1]) if not part.isidentifier()]
    if not bad:  # the file's own name is not an identifier: mapped by its path
        return path, None
    base = "/".join(parts[: bad[-1] + 1])
    inner = "/".join(parts[bad[-1] + 1 :])
    sub, asked = module_name(inner, lambda rel: (ws.root / base / rel).is_file())
    files_read += [f"{EXISTS}{base}/{a}" for a in asked]
    return (sub if importable(sub) else path), (base or None)


def _go_module(
    ws: Workspace, folder: str, cache: GoModules, files_read: list[str]
) -> tuple[str | None, str | None]:
    """(folder of the nearest go.mod, its module path), walking up to the workspace root."""
    if folder in cache:
        return cache[folder]
    gomod = posixpath.join(folder, "go.mod") if folder else "go.mod"
    files_read.append(gomod)
    result: tuple[str | None, str | None]
    if (ws.root / gomod).is_file():
        result = (folder, go_module_path(ws.read_text(gomod)))
    elif folder:
        result = _go_module(ws, posixpath.dirname(folder), cache, files_read)
    else:
        result = (None, None)
    cache[folder] = result
    return result


def file_facts(
    ws: Workspace, path: str, go_mods: GoModules, files_read: list[str]
) -> dict[str, Any] | None:
    language = language_of(path)
    if language is None:
        return None
    data = ws.read_bytes(path)
    # As `Workspace.read_text`: a UTF-8 byte order mark is no part of the text.
    text = data.removeprefix(BOM).decode("utf-8", errors="replace")
    lines = split_lines(text)
    if language == "python":
        module, import_root = python_module(ws, path, files_read)
        facts = python_facts(path, text, module, lines=lines)
        if import_root:
            facts["import_root"] = import_root
        if module == path:
            facts["importable"] = False
        if is_boilerplate(facts.get("docstring") or ""):  # a licence as the docstring
            facts["docstring"] = ""
    elif language in SCRIPT_LANGUAGES:
        facts = script_facts(path, text, language)
    else:
        facts = go_facts(path, text)
        mod_dir, mod = _go_module(ws, posixpath.dirname(path), go_mods, files_read)
        facts["go_module"], facts["go_mod_dir"] = mod, mod_dir
    first = first_nonempty_of(text)
    facts["path"] = path
    facts["first_line"] = list(first) if first else None
    _lens_identities(facts, path, data, text, lines)
    return facts


def _lens_identities(
    facts: dict[str, Any], path: str, data: bytes, text: str, lines: list[str]
) -> None:
    """The stable fingerprints (findings.identity) of the findings module-map makes on this
    file, drawn from the very bytes parsed, with their sha256 (`content_hash`): its summary
    (`summary_fp`, at the file's start) and each top-level symbol's code lens (`fp`; a
    test file's symbols get none). The engine takes them for what identity would draw while
    the file still hashes so, instead of reading and indexing every file of the map again
    (engine.filememo). Where identity would read other lines than these (a byte-order mark
    is part of its first line; a binary file it does not read), none are given."""
    if data.startswith(BOM) or Workspace.looks_binary(data):
        return
    index = LineIndex(lines, None if "\r" in text else text)
    at = index.place(0, 0)
    if at is None:
        return
    facts["content_hash"] = hashlib.sha256(data).hexdigest()
    facts["summary_fp"] = fingerprint(SUMMARY_RULE, path, *at)
    if is_test_path(path):
        return
    for sym in facts.get("symbols") or []:
        if "." in sym.get("qualname", "."):
            continue
        at = index.place(int(sym.get("line") or 0), int(sym.get("column") or 0))
        if at is not None:
            sym["fp"] = fingerprint(SYMBOL_RULE, path, *at)


def _unmappable(
    ws: Workspace, path: str, exc: BaseException, files_read: list[str]
) -> dict[str, Any]:
    """A file a parser gave up on (a grammar panic): on the map, with the reason."""
    language = language_of(path)
    module = python_module(ws, path, files_read)[0] if language == "python" else path
    return {
        "path": path,
        "language": language,
        "module": module,
        "symbols": [],
        "imports": [],
        "uses": [],
        "exports": [],
        "error": {
            "message": str(exc)[:200] or type(exc).__name__,
            "line": 0,
            "column": 0,
            "limit": True,
        },
    }


def facts_batch(root: str, paths: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Facts of every file of `paths` that still exists, and the other files consulted."""
    ws = Workspace(root)
    files: list[dict[str, Any]] = []
    files_read: list[str] = []
    go_mods: GoModules = {}
    for path in paths:
        try:
            facts = file_facts(ws, path, go_mods, files_read)
        except (OSError, ValueError):  # gone or refused since discovery
            continue
        except Exception as exc:  # noqa: BLE001 - one file, not the batch
            log.warning("symbols: cannot map %s: %s", path, exc)
            facts = _unmappable(ws, path, exc, files_read)
        if facts is not None:
            files.append(facts)
    return files, sorted(set(files_read))


if __name__ == "__main__":
    from swath.procpool import serve

    serve(globals(), ["facts_batch"])
