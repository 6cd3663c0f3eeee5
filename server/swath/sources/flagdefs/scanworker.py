"""The inner loop of the reference scan: read files, find keys and SDK calls.

Runs in worker processes, so it imports nothing heavy and returns only what it found.
Reading files dominates a Python scan (see /work/shared/notes/baselines.md): we read
with one `os.read` of the exact size, skip symlinks the way ripgrep does, and find every
pattern in one pass of an Aho-Corasick DFA over the raw bytes (`ahocorasick_rs`, which
releases the GIL). Line numbers and columns are worked out only for the few files that
have a match.
"""

from __future__ import annotations

import errno
import os
import re
from typing import Any

import ahocorasick_rs as ac

QUOTES = (b'"', b"'", b"`")
BINARY_SNIFF = 8192
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_IDENT = re.compile(rb"[A-Za-z0-9_$]")

# After an SDK call name: `(`, then the first two arguments, each a string literal (the
# key) or a name (a context, a request, or a constant holding the key). Groups: quote 1,
# literal 2, name 3 for the first argument; 4, 5, 6 for the second.
_CALL_ARGS = re.compile(
    rb"""\s*\(\s*(?:(["'`])((?:(?!\1)[^\\\r\n]){1,200})\1|([A-Za-z_$][\w$.]*)(?:\(\))?)"""
    rb"""(?:\s*,\s*(?:(["'`])((?:(?!\4)[^\\\r\n]){1,200})\4|([A-Za-z_$][\w$.]*)))?"""
)
# Ruby names flags by symbols: Flipper's and GitLab's `Feature.enabled?(:new_search, user)`.
_CALL_SYMBOL = re.compile(rb"""\s*\(\s*:([A-Za-z_]\w*)""")
_NOT_KEYS = {
    b"True",
    b"False",
    b"None",
    b"true",
    b"false",
    b"null",
    b"nil",
    b"undefined",
    b"this",
    b"self",
}
# A line that only assigns the key to a name: `NAME = "key"`, `const NAME = 'key';`,
# `Name string = "key"`, `NAME: Final = "key"`, `Name = "key",` (an enum member). Never an
# object property (`name: "key"`) or a parameter default: following every use of `name`
# in a repository made 212,239 of 213,141 "references" on a real monorepo.
_CONST_PREFIX = re.compile(  # used with match(data, line_start, key_start): no `^`
    rb"""\s*(export\s+)?((?:(?:public|private|protected|static|final|readonly|const|let|var|val)\s+)*)"""
    rb"""([A-Za-z_$][\w$]*)((?:\s*:\s*[^=:'"`]+?|\s+[A-Za-z_][\w.\[\]]*)?)(\s*)(=|:=)\s*$"""
)
_CONST_SUFFIX = re.compile(rb"""\s*[,;]?\s*(?:(?:#|//).*)?$""")
_CONST_SUFFIX_PY = re.compile(rb"""\s*;?\s*(?:#.*)?$""")  # `name="key",` is a keyword argument
_JS_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
# Go: `import x "path"` and the lines of an `import ( … )` block.
_GO_IMPORT_BLOCK = re.compile(rb"^import\s*\(([^)]*)\)", re.MULTILINE)
_GO_IMPORT_LINE = re.compile(
    rb"""^\s*(?:import\s+)?([A-Za-z_][\w]*|\.)?\s*"([^"\n]+)"\s*$""", re.MULTILINE
)
_GO_IMPORT_SINGLE = re.compile(rb'^import\s+((?:[A-Za-z_]\w*|\.)\s+)?"([^"\n]+)"', re.MULTILINE)

Hit = tuple[Any, ...]
# Only in code can a key be held in a constant (a YAML `name: "key"` is not one).
CODE_EXTENSIONS = (
    ".py",
    ".pyi",
    ".ts",
    ".tsx",
    ".mts",
    ".cts",
    ".js",
    ".jsx",
    ".mjs",
    ".cjs",
    ".go",
    ".java",
    ".kt",
    ".rb",
    ".rs",
    ".cs",
    ".php",
    ".swift",
    ".scala",
)
_automata: dict[int, tuple[Any, int, int, int]] = {}


def build_patterns(keys: list[str], bare: list[str], calls: list[str]) -> list[bytes]:
    """Quoted keys (3 per key), then bare identifiers, then call names."""
    pats = [q + k.encode() + q for k in keys for q in QUOTES]
    pats += [b.encode() for b in bare]
    pats += [c.encode() for c in calls]
    return pats


def _automaton(keys: list[str], bare: list[str], calls: list[str]) -> tuple[Any, int, int, int]:
    sig = hash((tuple(keys), tuple(bare), tuple(calls)))
    hit = _automata.get(sig)
    if hit is None:
        pats = build_patterns(keys, bare, calls)
        auto = (
            ac.BytesAhoCorasick(
                pats, matchkind=ac.MATCHKIND_LEFTMOST_LONGEST, implementation=ac.Implementation.DFA
            )
            if pats
            else None
        )
        hit = (auto, len(keys) * 3, len(keys) * 3 + len(bare), len(pats))
        if len(_automata) > 8:
            _automata.clear()
        _automata[sig] = hit
    return hit


def read_file(path: str, max_bytes: int) -> bytes | None:
    """The bytes of a regular file, or None for symlinks, unreadable, huge or binary files."""
    data = read_or_reason(path, max_bytes, root=None)
    return data if isinstance(data, bytes) else None


def read_or_reason(path: str, max_bytes: int, root: str | None) -> bytes | str | None:
    """The bytes of a regular file; else why it was not read, by the report's SkipReason
    names ("too_large", "binary", "unreadable", "symlink_loop", "symlink_outside": this
    module imports nothing of Swath's). None for a symlink to a file inside `root`: that
    file is read at its own path, so nothing is missed. Without `root` (the caller wants only
    the bytes) a file that cannot be opened is just "unreadable"."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return _why_not_opened(path, root) if root is not None else "unreadable"
    try:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            return "too_large"
        data = os.read(fd, size + 1)
    except OSError:
        return "unreadable"
    finally:
        os.close(fd)
    if b"\0" in data[:BINARY_SNIFF]:
        return "binary"
    return data


def _why_not_opened(path: str, root: str) -> str | None:
    if not os.path.islink(path):
        return "unreadable"
    try:
        os.stat(path)
    except OSError as exc:
        return "symlink_loop" if exc.errno == errno.ELOOP else "unreadable"
    target, top = os.path.realpath(path), os.path.realpath(root)
    inside = os.path.commonpath([target, top]) == top
    return None if inside and os.path.isfile(target) else "symlink_outside"


class _Lines:
    """Line number, column and text of byte offsets, computed forwards once per file."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0
        self.line = 0

    def locate(self, start: int, end: int) -> tuple[int, int, int, str, int]:
        data = self.data
        if start < self.offset:  # matches arrive in order; restart only if they did not
            self.offset, self.line = 0, 0
        self.line += data.count(b"\n", self.offset, start)
        self.offset = start
        ls = data.rfind(b"\n", 0, start) + 1
        le = data.find(b"\n", end)
        if le < 0:
            le = len(data)
        raw = data[ls:le]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        col = len(data[ls:start].decode("utf-8", "replace"))
        end_col = col + len(data[start:end].decode("utf-8", "replace"))
        return self.line, col, end_col, raw.decode("utf-8", "replace"), ls


def scan_chunk(
    root: str, paths: list[str], keys: list[str], bare: list[str], calls: list[str], max_bytes: int
) -> tuple[list[tuple[str, list[Hit]]], int, int, list[tuple[str, str]]]:
    """([(path, hits)], files read, bytes read, [(path, why it was not read)]). Hit tuples:

    ("key", key_index, line, col, end_col, text, const_name | None, const_exported)
    ("bare", bare_index, line, col, end_col, text)
    ("call", name_index, line, col, end_col, text, literal_key | None, key_line, key_col, key_end_col, key_text,
     [(identifier, line, col)])
    ("use", const_name, line, col, end_col, text)   # file-scope constant used in its own file
    ("imports", {name: import path})                # Go files only, last
    """
    auto, n_quoted, n_bare, n_all = _automaton(keys, bare, calls)
    out: list[tuple[str, list[Hit]]] = []
    skipped: list[tuple[str, str]] = []
    files = total = 0
    prefix = root.rstrip("/") + "/"
    for rel in paths:
        data = read_or_reason(prefix + rel, max_bytes, root)
        if not isinstance(data, bytes):
            if data is not None:
                skipped.append((rel, data))
            continue
        files += 1
        total += len(data)
        if auto is None:
            continue
        matches = auto.find_matches_as_indexes(data)
        if matches:
            hits = _hits(data, matches, n_quoted, n_bare, rel)
            if hits:
                if rel.endswith(".go"):
                    hits.append(("imports", go_imports(data)))
                out.append((rel, hits))
    return out, files, total, skipped


def _hits(
    data: bytes, matches: list[tuple[int, int, int]], n_quoted: int, n_bare: int, path: str
) -> list[Hit]:
    code = path.endswith(CODE_EXTENSIONS)
    lines = _Lines(data)
    hits: list[Hit] = []
    local_consts: list[tuple[str, int]] = []
    n = len(data)
    for idx, start, end in matches:
        if idx < n_quoted:
            line, col, end_col, text, ls = lines.locate(start, end)
            name, exported = (
                _constant_on_line(data, ls, start, end, path) if code else (None, False)
            )
            hits.append(("key", idx // 3, line, col, end_col, text, name, exported))
            if name and not exported:
                local_consts.append((name, start))
        elif idx < n_bare:
            if (start and _IDENT.match(data, start - 1)) or (end < n and _IDENT.match(data, end)):
                continue
            hits.append(("bare", idx - n_quoted, *lines.locate(start, end)[:4]))
        else:
            # SDK call names only count in code: `flags.Enabled("x")` in a YAML comment is prose.
            if not code or (start and _IDENT.match(data, start - 1)):
                continue
            m = _CALL_ARGS.match(data, end)
            if m is None:
                hits.extend(_symbol_call(data, path, lines, idx - n_bare, start, end))
                continue
            line, col, end_col, text, _ = lines.locate(start, end)
            literal: bytes | None = None
            where: tuple[int, int] | None = None
            if m.group(2) is not None:
                literal, where = m.group(2), (m.start(1), m.end(1) + len(m.group(2)) + 1)
            elif m.group(5) is not None:
                literal, where = m.group(5), (m.start(4), m.end(4) + len(m.group(5)) + 1)
            idents = []
            for g in (3, 6):
                ident = m.group(g)
                if ident is not None and ident not in _NOT_KEYS:
                    iline, icol, _, _, _ = lines.locate(m.start(g), m.end(g))
                    idents.append((ident.decode("utf-8", "replace"), iline, icol))
            if literal is not None and where is not None:
                kline, kcol, kend_col, ktext, _ = lines.locate(*where)
                hits.append(
                    (
                        "call",
                        idx - n_bare,
                        line,
                        col,
                        end_col,
                        text,
                        literal.decode("utf-8", "replace"),
                        kline,
                        kcol,
                        kend_col,
                        ktext,
                        idents,
                    )
                )
            elif idents:
                hits.append(
                    (
                        "call",
                        idx - n_bare,
                        line,
                        col,
                        end_col,
                        text,
                        None,
                        line,
                        col,
                        end_col,
                        text,
                        idents,
                    )
                )
    for name, def_at in local_consts:
        hits += _uses(data, name.encode(), def_at)
    return hits


def _symbol_call(
    data: bytes, path: str, lines: _Lines, name_index: int, start: int, end: int
) -> list[Hit]:
    """A call whose key is a Ruby symbol (the key is the name after the colon), or none."""
    sym = _CALL_SYMBOL.match(data, end) if path.endswith(".rb") else None
    if sym is None:
        return []
    line, col, end_col, text, _ = lines.locate(start, end)
    kline, kcol, kend_col, ktext, _ = lines.locate(sym.start(1), sym.end(1))
    key = sym.group(1).decode("utf-8", "replace")
    return [("call", name_index, line, col, end_col, text, key, kline, kcol, kend_col, ktext, [])]


def _constant_on_line(
    data: bytes, line_start: int, start: int, end: int, path: str = ""
) -> tuple[str | None, bool]:
    """Is the key the whole right-hand side of a constant definition? (name, visible outside the file)."""
    m = _CONST_PREFIX.match(data, line_start, start)
    if m is None:
        return None, False
    export, modifiers, raw_name, annotation, space = (m.group(i) for i in range(1, 6))
    name = raw_name.decode("utf-8", "replace")
    python = path.endswith((".py", ".pyi"))
    if python and not (annotation or space):
        return None, False  # `f(\n    name="key",` is an argument, not an assignment
    if path.endswith(_JS_EXTENSIONS) and not (export or modifiers or name[:1].isupper()):
        return None, False  # a class field or a parameter default; enum members are capitalised
    le = data.find(b"\n", end)
    suffix = _CONST_SUFFIX_PY if python else _CONST_SUFFIX
    if not suffix.match(data, end, le if le >= 0 else len(data)):
        return None, False
    return name, bool(export) or name[:1].isupper()


def go_imports(data: bytes) -> dict[str, str]:
    """A Go file's imports: name the file uses -> import path (the last element by default)."""
    out: dict[str, str] = {}
    lines = [m.group(1) for m in _GO_IMPORT_BLOCK.finditer(data)]
    found = [mm for block in lines for mm in _GO_IMPORT_LINE.finditer(block)]
    found += list(_GO_IMPORT_SINGLE.finditer(data))
    for mm in found:
        path = mm.group(2).decode("utf-8", "replace")
        alias = (mm.group(1) or b"").strip().decode("utf-8", "replace")
        out[alias or path.rsplit("/", 1)[-1]] = path
    return out


def _uses(data: bytes, name: bytes, def_at: int) -> list[Hit]:
    """A file-scope constant's uses in its own file."""
    out: list[Hit] = []
    lines = _Lines(data)
    i = data.find(name)
    while i >= 0:
        j = i + len(name)
        before_ok = i == 0 or not _IDENT.match(data, i - 1)
        after_ok = j >= len(data) or not _IDENT.match(data, j)
        if before_ok and after_ok and not _is_definition_of(data, i, j, def_at):
            line, col, end_col, text, _ = lines.locate(i, j)
            out.append(("use", name.decode(), line, col, end_col, text))
        i = data.find(name, j)
    return out


def _is_definition_of(data: bytes, i: int, j: int, def_at: int) -> bool:
    line_start = data.rfind(b"\n", 0, def_at) + 1
    return line_start <= i < def_at


def scan_names(
    root: str, paths: list[str], names: list[str], max_bytes: int
) -> list[tuple[str, list[Hit]]]:
    """Uses of exported constants (identifier boundaries; `Flags.NAME` counts)."""
    if not names:
        return []
    auto = ac.BytesAhoCorasick(
        [n.encode() for n in names],
        matchkind=ac.MATCHKIND_LEFTMOST_LONGEST,
        implementation=ac.Implementation.DFA,
    )
    prefix = root.rstrip("/") + "/"
    out = []
    for rel in paths:
        data = read_file(prefix + rel, max_bytes)
        if data is None:
            continue
        matches = auto.find_matches_as_indexes(data)
        if not matches:
            continue
        lines = _Lines(data)
        hits: list[Hit] = []
        n = len(data)
        for idx, start, end in matches:
            if (start and _IDENT.match(data, start - 1)) or (end < n and _IDENT.match(data, end)):
                continue
            line, col, end_col, text, _ = lines.locate(start, end)
            hits.append(("use", names[idx], line, col, end_col, text))
        if hits:
            if rel.endswith(".go"):
                hits.append(("imports", go_imports(data)))
            out.append((rel, hits))
    return out


# -- serving a parent process over pipes ----------------------------------------------------
# `python -m swath.sources.flagdefs.scanworker` reads length-prefixed pickled requests
# `(function name, args)` from stdin and answers `(ok, result or error text)` on stdout,
# until stdin closes. See scanpool.py for why this is not multiprocessing.

_SERVED = {"scan_chunk", "scan_names"}


if __name__ == "__main__":
    from swath.procpool import serve

    serve(globals(), _SERVED)
