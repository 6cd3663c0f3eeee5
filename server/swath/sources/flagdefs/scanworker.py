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
import re2

from swath import generated
from swath.sources.flagdefs import scopes

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
_anchor_automata: dict[int, Any] = {}


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


def skip_reason(rel: str, data: bytes, not_generated: frozenset[str] = frozenset()) -> str | None:
    """ "minified" or "generated" for a file a tool wrote (swath/generated.py: a flag's removal
    does not edit it, it regenerates it), unless the repository's .gitattributes say it is
    not (`-linguist-generated`, in `not_generated`)."""
    if rel in not_generated:
        return None
    if generated.minified_bytes(rel, data):
        return "minified"
    if generated.says_generated(rel, data):
        return "generated"
    return None


_not_generated: dict[tuple[str, ...], frozenset[str]] = {}


def _keep_set(paths: list[str] | None) -> frozenset[str]:
    if not paths:
        return frozenset()
    sig = tuple(paths)
    hit = _not_generated.get(sig)
    if hit is None:
        if len(_not_generated) > 4:
            _not_generated.clear()
        hit = _not_generated[sig] = frozenset(paths)
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
    root: str,
    paths: list[str],
    keys: list[str],
    bare: list[str],
    calls: list[str],
    max_bytes: int,
    anchors: list[str] | None = None,
    checks: list[PatternCheck] | None = None,
    not_generated: list[str] | None = None,
) -> tuple[list[tuple[str, list[Hit]]], int, int, list[tuple[str, str]]]:
    """([(path, hits)], files read, bytes read, [(path, why it was not read)]). Hit tuples:

    ("key", key_index, line, col, end_col, text, const_name | None, const_exported,
     scope kind: "module" | "block" | "member" | "exports" | None)
    ("bare", bare_index, line, col, end_col, text, declares: the name's own declaration)
    ("call", name_index, line, col, end_col, text, literal_key | None, key_line, key_col, key_end_col, key_text,
     [(identifier, line, col)])
    ("dynamic", name_index, line, col, end_col, text, prefix, suffix, [(identifier, line, col)],
     [enclosing function, …])                        # a key built at run time (not in tests)
    ("use", const_name, line, col, end_col, text, def_line)  # a constant used in its own file,
                                                    # where that declaration is visible
    ("patterns", [check_index, …])                  # code files that may hold a read through
                                                    # a homegrown reference pattern (`checks`)
    ("imports", {name: import path})                # Go files only, last
    """
    auto, n_quoted, n_bare, n_all = _automaton(keys, bare, calls)
    anchored = _anchor_automaton(anchors or [])
    keep = _keep_set(not_generated)
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
        why = skip_reason(rel, data, keep)
        if why is not None:
            skipped.append((rel, why))
            continue
        files += 1
        total += len(data)
        matches = auto.find_matches_as_indexes(data) if auto is not None else []
        hits = _hits(data, matches, n_quoted, n_bare, rel) if matches else []
        if anchored is not None and rel.endswith(CODE_EXTENSIONS):
            found = {i for i, _, _ in anchored.find_matches_as_indexes(data, overlapping=True)}
            candidates = pattern_candidates(data, found, checks or []) if found else []
            if candidates:
                hits.append(("patterns", candidates))
        if hits:
            if rel.endswith(".go"):
                hits.append(("imports", go_imports(data)))
            out.append((rel, hits))
    return out, files, total, skipped


# -- reads through homegrown reference patterns ------------------------------------------------
# Which files the main process parses for reads whose key is built at run time (see
# patternreads.py): those holding a word of each of the pattern's anchor groups, matching its
# `prefilter`, and, for a call pattern, with a call whose first argument is no literal.
PatternCheck = tuple[list[list[int]], str | None, str | None]  # anchor groups, prefilter, lead
_RUBY_SYMBOL_ARG = re.compile(rb""":(?:[A-Za-z_]\w*[?!]?|"[^"#]*"|'[^']*')\Z""")
_RE2_CANNOT = ("(?=", "(?!", "(?<=", "(?<!")
_BACKREF = re.compile(r"\\[1-9]|\(\?P=")
_searchers: dict[str, Any] = {}
_lead_regexes: dict[str, re.Pattern[bytes]] = {}


def pattern_candidates(data: bytes, found: set[int], checks: list[PatternCheck]) -> list[int]:
    """The indices of the patterns this file may hold a read of (`found`: anchor indices)."""
    return [
        i
        for i, (groups, prefilter, lead) in enumerate(checks)
        if groups
        and all(any(a in found for a in g) for g in groups)
        and might_build_key(data, prefilter, lead)
    ]


def might_build_key(data: bytes, prefilter: str | None, lead: str | None) -> bool:
    """Does the file match `prefilter`, and does some call of `lead(` in it take a first
    argument that is no literal (a name, an f-string, a concatenation)? For a pattern that is
    a call whose key is its first argument, a file without one holds no read to find,
    however often it holds the anchor (`Feature.enabled?(:x)` all over a Rails tree)."""
    if prefilter is not None and _searcher(prefilter).search(data) is None:
        return False
    if lead is None:
        return True
    rx = _lead_regexes.get(lead)
    if rx is None:
        rx = _lead_regexes[lead] = re.compile(
            rb"(?<![\w$])" + re.escape(lead.encode()) + rb"(?=\s*\()"
        )
    for m in rx.finditer(data):
        args = call_arguments(data, m.end())
        if not args:
            return True  # too long to see: parse
        arg = data[args[0][0] : args[0][1]].strip()
        if _RUBY_SYMBOL_ARG.match(arg):
            continue
        shape = key_shape(arg)
        if shape != LITERAL and shape[0] != "other":
            return True
    return False


def _searcher(rx: str) -> Any:
    """RE2 when it can (a DFA: ~9 us for a 2 KB file where `re` takes ~130), else `re`."""
    found = _searchers.get(rx)
    if found is None:
        if not any(op in rx for op in _RE2_CANNOT) and not _BACKREF.search(rx):
            try:
                found = re2.compile(rx.encode("utf-8"))
            except re2.error:
                found = None
        if found is None:
            found = re.compile(rx.encode("utf-8"))
        _searchers[rx] = found
    return found


def _anchor_automaton(anchors: list[str]) -> Any:
    if not anchors:
        return None
    sig = hash(("anchors", tuple(anchors)))
    hit = _anchor_automata.get(sig)
    if hit is None:
        if len(_anchor_automata) > 8:
            _anchor_automata.clear()
        # Overlapping (standard) matching: which words a file holds, not where.
        hit = _anchor_automata[sig] = ac.BytesAhoCorasick(
            [a.encode() for a in anchors], implementation=ac.Implementation.DFA
        )
    return hit


def _hits(
    data: bytes, matches: list[tuple[int, int, int]], n_quoted: int, n_bare: int, path: str
) -> list[Hit]:
    code = path.endswith(CODE_EXTENSIONS)
    lines = _Lines(data)
    hits: list[Hit] = []
    consts: list[tuple[str, int, int, tuple[str, int, int]]] = []  # name, at, line, scope
    file_scopes = scopes.FileScopes(data, path)
    n = len(data)
    for idx, start, end in matches:
        if idx < n_quoted:
            if code and file_scopes.in_comment(start):
                continue  # `// see 'new-checkout'`: prose, no read
            line, col, end_col, text, ls = lines.locate(start, end)
            name, exported, keyword = (
                _constant_on_line(data, ls, start, end, path) if code else (None, False, b"")
            )
            kind = None
            if name is None and path.endswith(_JS_EXTENSIONS):
                name = _commonjs_export(data, ls, start, end, file_scopes)
                if name is not None:
                    kind, exported = scopes.EXPORTS, True
                    consts.append((name, start, line, (scopes.EXPORTS, 0, n)))
            elif name:
                scope = file_scopes.scope_of(ls, keyword)
                if scope[0] != scopes.MODULE and data[ls:start].lstrip().startswith(b"export"):
                    # `export` stands at a module's top only: trust it over the braces counted
                    # (a regex literal holding a quote or a brace can mislead them).
                    scope = (scopes.MODULE, 0, n)
                kind = scope[0]
                # A declaration inside a function or block is seen there only; a member of an
                # enum or class is read qualified; Go's package-level names are the package's.
                if kind == scopes.BLOCK:
                    exported = False
                elif kind == scopes.MEMBER or path.endswith(".go"):
                    exported = True
                consts.append((name, start, line, scope))
            hits.append(("key", idx // 3, line, col, end_col, text, name, exported, kind))
        elif idx < n_bare:
            if (start and _IDENT.match(data, start - 1)) or (end < n and _IDENT.match(data, end)):
                continue
            if code and file_scopes.in_prose(start):
                continue  # a word of a comment or a string
            declares = code and _declares_name(data, start, end, path)
            hits.append(("bare", idx - n_quoted, *lines.locate(start, end)[:4], declares))
        else:
            # SDK call names only count in code: `flags.Enabled("x")` in a YAML comment is prose.
            if not code or (start and _IDENT.match(data, start - 1)):
                continue
            hits.extend(_call_hits(data, path, lines, idx - n_bare, start, end))
    for name, def_at, def_line, scope in consts:
        hits += _uses(data, name.encode(), def_at, def_line, scope, file_scopes)
    return hits


# -- keys built at run time ----------------------------------------------------------------
# `variation(prefix + name)`, `is_enabled(f"new-{x}")`, `isEnabled(`new-${x}`)`,
# `BoolVariation(fmt.Sprintf("new-%s", x), …)`, `variation(key_var)`: a read whose key the scan
# cannot know. Its literal parts (a prefix, a suffix) say which keys it may be.
LITERAL = ("literal", b"", b"")
NAME = ("name", b"", b"")
OTHER = ("other", b"", b"")
Shape = tuple[str, bytes, bytes]
_MAX_ARGS_BYTES = 400
_PLAIN_STRING = re.compile(rb"""[rRbBuU]{0,2}(["'])((?:(?!\1)[^\\\r\n]|\\.)*)\1\Z""")
_RAW_GO = re.compile(rb"`([^`]*)`\Z")
_INTERPOLATED = re.compile(rb"""([`"])((?:(?!\1)[^\\]|\\.)*)\1\Z""", re.S)
_FSTRING = re.compile(rb"""(?:[fF][rRbB]?|[rRbB][fF])(["'])(.*)\1\Z""", re.S)
_DOTTED = re.compile(rb"[A-Za-z_$][\w$]*(?:\s*(?:\.|\?\.|->|::)\s*[A-Za-z_$][\w$]*)*(?:\(\))?\Z")
_KEYWORD_ARG = re.compile(rb"[A-Za-z_]\w*\s*[=:](?![=:])\s*")
_PLACEHOLDER = re.compile(rb"\$\{[^}]*\}|\{[^{}]*\}|%[-+ #0-9.*]*[a-zA-Z]|#\{[^}]*\}")
_FORMAT_CALL = re.compile(rb"[A-Za-z_$][\w$.]*\s*\(\s*(.*)\Z", re.S)
_NOT_A_KEY_START = re.compile(
    rb"[0-9\[{!~-]|(?:lambda|function|async|await|new|not)\b|\([^)]*\)\s*=>"
)
_DECLARATION = re.compile(
    rb"(?:\b(?:def|function|fn|sub)\s+|\bfunc\s*(?:\([^)]*\)\s*)?|\bfunction\s*\*\s*)(?:self\.)?\Z"
)
_METHOD_DEF = re.compile(
    rb"[ \t]*(?:(?:public|private|protected|static|async|override|abstract|readonly|export|"
    rb"default|virtual|final|synchronized)\s+)*(?:[\w<>\[\],.?]+\s+)?"
)
# A statement keyword where a return type could stand: `return isEnabled(x) ? …`.
_METHOD_DEF_NOT = re.compile(
    rb"\b(?:return|case|else|await|yield|throw|new|typeof|void|delete|in|of|if|not|and|or)\s+\Z"
)
_TEST_FILE = re.compile(
    rb"(^|/)(tests?|__tests__|spec|specs|testing)/|(^|/)test_[^/]*\.py$|_test\.(py|go)$|"
    rb"\.(test|spec)\.[cm]?[jt]sx?$|(^|/)conftest\.py$|_spec\.rb$"
)


def _is_test(path: str) -> bool:
    """Tests are not reads (see scan.is_test_path, which this mirrors without importing)."""
    return bool(_TEST_FILE.search(path.encode()))


def call_arguments(data: bytes, pos: int) -> list[tuple[int, int]]:
    """Byte spans of the first two arguments of the call whose `(` follows `pos` (strings
    and brackets skipped as units), at most `_MAX_ARGS_BYTES` in; [] when there is none."""
    n = len(data)
    i = pos
    while i < n and data[i] in b" \t\r\n":
        i += 1
    if i >= n or data[i] != 0x28:
        return []
    i += 1
    stop = min(n, i + _MAX_ARGS_BYTES)
    out: list[tuple[int, int]] = []
    start, depth = i, 0
    while i < stop:
        c = data[i]
        if c in b"\"'`":
            j = i + 1
            while j < stop and data[j] != c:
                if data[j] == 0x5C:
                    j += 1
                elif data[j] == 0x0A and c != 0x60:
                    break  # an unterminated string: stop at its line
                j += 1
            i = j + 1
            continue
        if c in b"([{":
            depth += 1
        elif c in b")]}":
            if depth == 0:
                if c == 0x29 and data[start:i].strip():
                    out.append((start, i))
                return out
            depth -= 1
        elif c == 0x2C and depth == 0:
            out.append((start, i))
            if len(out) == 2:
                return out
            start = i + 1
        i += 1
    return out  # cut off: what was complete


def _past_quoted(data: bytes, i: int, stop: int) -> int:
    """The offset just past the string literal that opens at `i` (backslash escapes
    skipped); past `stop` when it does not close before it."""
    quote, j = data[i], i + 1
    while j < stop and data[j] != quote:
        j += 2 if data[j] == 0x5C else 1
    return j + 1


def _top_level_split(arg: bytes, sep: int) -> list[bytes]:
    parts, depth, start, i, n = [], 0, 0, 0, len(arg)
    while i < n:
        c = arg[i]
        if c in b"\"'`":
            i = _past_quoted(arg, i, n)
            continue
        if c in b"([{":
            depth += 1
        elif c in b")]}":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(arg[start:i])
            start = i + 1
        i += 1
    parts.append(arg[start:])
    return [p.strip() for p in parts]


def _literal_text(arg: bytes) -> bytes | None:
    """The text of a string literal that is the whole argument and interpolates nothing."""
    m = _PLAIN_STRING.match(arg) or _RAW_GO.match(arg)
    if m is None:
        return None
    text = m.group(m.lastindex or 1)
    if (arg.startswith(b"`") and b"${" in text) or (arg.startswith(b'"') and b"#{" in text):
        return None  # a JavaScript template, a Ruby interpolation
    return text


def _template_parts(text: bytes) -> tuple[bytes, bytes]:
    """The literal text before the first placeholder and after the last one."""
    spots = list(_PLACEHOLDER.finditer(text))
    if not spots:
        return text, b""
    return text[: spots[0].start()], text[spots[-1].end() :]


def key_shape(raw: bytes) -> Shape:
    """What a call argument is: a whole string literal, a name (a constant, a context, a
    variable), a key built at run time (with the literal prefix and suffix it must have),
    or something that is no key (a number, a list, a lambda)."""
    arg = raw.strip()
    kw = _KEYWORD_ARG.match(arg)
    if kw is not None and not arg.startswith((b"'", b'"', b"`")):
        arg = arg[kw.end() :]
    if not arg or arg in _NOT_KEYS:
        return OTHER
    if _literal_text(arg) is not None:
        return LITERAL
    whole = _INTERPOLATED.match(arg)
    if whole is not None:
        return ("dynamic", *_template_parts(whole.group(2)))  # `new-${x}`, Ruby "new-#{x}"
    f = _FSTRING.match(arg)
    if f is not None:
        return ("dynamic", *_template_parts(f.group(2)))
    if _DOTTED.match(arg):
        return NAME
    if _NOT_A_KEY_START.match(arg):
        return OTHER
    plus = _top_level_split(arg, 0x2B)  # "new-" + name + "-v2"
    if len(plus) > 1:
        head, tail = key_shape(plus[0]), key_shape(plus[-1])
        prefix = _literal_text(plus[0]) if head == LITERAL else head[1]
        suffix = _literal_text(plus[-1]) if tail == LITERAL else tail[2]
        return ("dynamic", prefix or b"", suffix or b"")
    percent = _top_level_split(arg, 0x25)  # "new-%s" % name
    if len(percent) > 1 and _literal_text(percent[0]) is not None:
        return ("dynamic", *_template_parts(_literal_text(percent[0]) or b""))
    for branch_sep in (b" if ", b"?"):
        if branch_sep in arg and all(_literal_text(p) is not None for p in _branches(arg)):
            return LITERAL  # `"a" if c else "b"`: each key is seen as a literal
    fmt = _FORMAT_CALL.match(arg)  # fmt.Sprintf("new-%s", name), "new-{}".format(name)
    first = _top_level_split(fmt.group(1).rstrip(b")"), 0x2C)[0] if fmt is not None else b""
    for literal in (first, arg.split(b".format(", 1)[0]):
        text = _literal_text(literal)
        if text is not None:
            return ("dynamic", *_template_parts(text))
    return ("dynamic", b"", b"")


def _branches(arg: bytes) -> list[bytes]:
    if b" if " in arg:
        first, _, rest = arg.partition(b" if ")
        return [first.strip(), rest.partition(b" else ")[2].strip()]
    cond, _, rest = arg.partition(b"?")
    return [p.strip() for p in rest.split(b":", 1)] if b":" in rest else [cond]


def _dynamic(shapes: list[Shape]) -> tuple[bytes, bytes] | None:
    """The literal parts of the key when no argument is a literal key: the first argument,
    or the second after a name (a context, a request). A name alone may be a constant the
    merger resolves; it is a candidate all the same."""
    if not shapes or LITERAL in shapes[:2]:
        return None
    first = shapes[0]
    if first[0] == "dynamic":
        return first[1], first[2]
    second = shapes[1] if len(shapes) > 1 else OTHER
    if first == NAME and second[0] == "dynamic":
        return second[1], second[2]
    if NAME in shapes[:2]:
        return b"", b""
    return None


_PYTHON = (".py", ".pyi")
_COMMENT_START = (b"#", b"//", b"/*", b"*", b"--", b"<!--")
_RECEIVER = re.compile(rb"(?:[A-Za-z_$][\w$]*(?:\(\))?\s*(?:\.|\?\.|->|::)\s*)*\Z")


def _in_prose(data: bytes, line_start: int, start: int) -> bool:
    """A call in a comment line or a quoted code span (``is_enabled(feature, ctx)`` in a
    docstring): an example, not a read."""
    before = data[line_start:start]
    if before.lstrip().startswith(_COMMENT_START):
        return True
    m = _RECEIVER.search(before)
    at = m.start() if m is not None else len(before)
    return before[:at].endswith(b"`")


def _declares(data: bytes, line_start: int, start: int, end: int, path: str) -> bool:
    """Is the name at `start` a function or method being defined rather than called?"""
    before = data[line_start:start]
    if _DECLARATION.search(before):
        return True
    if path.endswith(_PYTHON) or not _METHOD_DEF.fullmatch(before):
        return False
    if _METHOD_DEF_NOT.search(before):
        return False
    # `isEnabled(key: string): boolean {` in a class, an interface's `isEnabled(key): boolean;`:
    # a body or a return type follows the parameters.
    close = _close_paren(data, end)
    if close < 0:
        return False
    after = data[close + 1 : close + 200].lstrip(b" \t")
    return after[:1] in (b"{", b":") and not after.startswith(b"::")


def _close_paren(data: bytes, pos: int) -> int:
    """Offset of the `)` closing the `(` that follows `pos`, or -1."""
    i = data.find(b"(", pos, pos + 40)
    if i < 0:
        return -1
    depth, stop = 0, min(len(data), i + 4000)
    while i < stop:
        c = data[i]
        if c in b"\"'`":
            i = _past_quoted(data, i, stop)
            continue
        if c in b"([{":
            depth += 1
        elif c in b")]}":
            depth -= 1
            if depth == 0:
                return i if c == 0x29 else -1
        i += 1
    return -1


_HEADER = re.compile(
    rb"(?:async\s+)?def\s+(?:self\.)?([A-Za-z_]\w*[?!]?)"
    rb"|func\s*(?:\([^)]*\)\s*)?([A-Za-z_]\w*)\s*[\[(]"
    rb"|(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*[<(]"
    rb"|(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?"
    rb"(?:function\b|\([^)]*\)[^=]*=>|[A-Za-z_$][\w$]*\s*=>)"
    rb"|(?:(?:public|private|protected|static|async|override|readonly)\s+)*([A-Za-z_$][\w$]*)\s*"
    rb"(?:<[^>]*>)?\([^)]*\)\s*(?::\s*[^{;]+)?\{"
)
_NOT_FUNCTIONS = {b"if", b"for", b"while", b"switch", b"catch", b"with", b"return", b"elif"}
_MAX_BACK_LINES = 400


def enclosing_functions(data: bytes, line_start: int, start: int, most: int = 4) -> list[str]:
    """The names of the functions the code at `start` is in, innermost first: each the
    nearest header above (or before it on its line) indented less than what it holds.
    `_wrapped_view` inside `waffle_flag(flag_name)`: both, since the key is the outer one's."""
    line_end = data.find(b"\n", start)
    line = data[line_start : line_end if line_end >= 0 else len(data)]
    indent = len(line) - len(line.lstrip(b" \t"))
    out: list[str] = []
    found = _header_name(data[line_start:start].lstrip(b" \t"))
    if found is not None:
        out.append(found)
    end = line_start - 1
    for _ in range(_MAX_BACK_LINES):
        if end <= 0 or len(out) >= most or indent == 0:
            break
        ls = data.rfind(b"\n", 0, end) + 1
        text = data[ls:end]
        stripped = text.lstrip(b" \t")
        own = len(text) - len(stripped)
        if stripped and own < indent:
            name = _header_name(stripped)
            if name is not None:
                out.append(name)
                indent = own
            elif own == 0 and not stripped.startswith(_NOT_STATEMENTS):
                break  # a top-level statement: no function further out
        end = ls - 1
    return out


_NOT_STATEMENTS = (b"}", b")", b"]", b"@", b"#", b"//", b"/*", b"*", b"<")


def _header_name(text: bytes) -> str | None:
    m = _HEADER.match(text)
    if m is None:
        return None
    name = next(g for g in m.groups() if g is not None)
    return None if name in _NOT_FUNCTIONS else name.decode("utf-8", "replace")


def _call_hits(
    data: bytes, path: str, lines: _Lines, name_index: int, start: int, end: int
) -> list[Hit]:
    """The hits of an SDK call name at start..end: the call with its literal key and the
    names it passes, and a "dynamic" hit when its key is built at run time."""
    m = _CALL_ARGS.match(data, end)
    if m is None:
        return _symbol_call(data, path, lines, name_index, start, end)
    line, col, end_col, text, ls = lines.locate(start, end)
    if _declares(data, ls, start, end, path):
        return []  # `def is_enabled(self, key):`: the wrapper's own definition
    shapes = [key_shape(data[a:b]) for a, b in call_arguments(data, end)]
    literal: bytes | None = None
    where: tuple[int, int] | None = None
    # A literal only when it is the whole argument: `"new-" + name` is no key "new-".
    # (No shapes: the arguments run on too long to see; the regex's literal stands.)
    if m.group(2) is not None and shapes[:1] in ([LITERAL], []):
        literal, where = m.group(2), (m.start(1), m.end(1) + len(m.group(2)) + 1)
    elif m.group(5) is not None and shapes[1:2] in ([LITERAL], []):
        literal, where = m.group(5), (m.start(4), m.end(4) + len(m.group(5)) + 1)
    out: list[Hit] = []
    idents = []
    names = []  # those that may be a constant holding the key (the merger looks)
    for g, at in ((3, 0), (6, 1)):
        ident = m.group(g)
        if ident is not None and ident not in _NOT_KEYS:
            iline, icol, _, _, _ = lines.locate(m.start(g), m.end(g))
            idents.append((ident.decode("utf-8", "replace"), iline, icol))
            if shapes[at : at + 1] == [NAME]:
                names.append(idents[-1])
    dynamic = _dynamic(shapes) if literal is None and not _is_test(path) else None
    if dynamic is not None and not _in_prose(data, ls, start):
        prefix, suffix = (part.decode("utf-8", "replace") for part in dynamic)
        funcs = enclosing_functions(data, ls, start)
        out.append(("dynamic", name_index, line, col, end_col, text, prefix, suffix, names, funcs))
    if literal is not None and where is not None:
        kline, kcol, kend_col, ktext, _ = lines.locate(*where)
        key = literal.decode("utf-8", "replace")
        out.append(
            (
                "call",
                name_index,
                line,
                col,
                end_col,
                text,
                key,
                kline,
                kcol,
                kend_col,
                ktext,
                idents,
            )
        )
    elif idents:
        out.append(
            ("call", name_index, line, col, end_col, text, None, line, col, end_col, text, idents)
        )
    return out


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
) -> tuple[str | None, bool, bytes]:
    """Is the key the whole right-hand side of a constant definition? (name, visible outside
    the file if declared at its top, the declaring keyword: `const`, `let`, `var` or b"")."""
    m = _CONST_PREFIX.match(data, line_start, start)
    if m is None:
        return None, False, b""
    export, modifiers, raw_name, annotation, space = (m.group(i) for i in range(1, 6))
    name = raw_name.decode("utf-8", "replace")
    python = path.endswith((".py", ".pyi"))
    if python and not (annotation or space):
        return None, False, b""  # `f(\n    name="key",` is an argument, not an assignment
    if path.endswith(_JS_EXTENSIONS) and not (export or modifiers or name[:1].isupper()):
        return (
            None,
            False,
            b"",
        )  # a class field or a parameter default; enum members are capitalised
    le = data.find(b"\n", end)
    suffix = _CONST_SUFFIX_PY if python else _CONST_SUFFIX
    if not suffix.match(data, end, le if le >= 0 else len(data)):
        return None, False, b""
    words = modifiers.split()
    keyword = next((w for w in words if w in (b"const", b"let", b"var")), b"")
    return name, bool(export) or name[:1].isupper(), keyword


# CommonJS: `exports.NAME = 'key'`, `module.exports.NAME = 'key'` (what tsc writes for `export
# const`), and a property of the object `module.exports = { NAME: 'key' }` is assigned.
_COMMONJS_ASSIGN = re.compile(rb"\s*(?:module\s*\.\s*)?exports\s*\.\s*([A-Za-z_$][\w$]*)\s*=\s*$")
_PROPERTY_BEFORE = re.compile(rb"(?:^|[{,])[ \t]*([A-Za-z_$][\w$]*)\s*:\s*\Z", re.M)
_PROPERTY_AFTER = re.compile(rb"\s*(?:[,}]|(?://[^\n]*)?$)", re.M)
_EXPORTS_HEADER = re.compile(rb"(?<![\w$.])module\s*\.\s*exports\s*=\Z")


def _commonjs_export(
    data: bytes, ls: int, start: int, end: int, file_scopes: scopes.FileScopes
) -> str | None:
    """The name a CommonJS module exports the key at start..end under, if it does: only
    the module's own exports object, never another object's property (`{ name: 'demo' }`)."""
    m = _COMMONJS_ASSIGN.match(data, ls, start)
    if m is not None:
        le = data.find(b"\n", end)
        return (
            m.group(1).decode("utf-8", "replace")
            if _CONST_SUFFIX.match(data, end, le if le >= 0 else len(data))
            else None
        )
    prop = _PROPERTY_BEFORE.search(data, max(ls, start - 200), start)
    if prop is None or _PROPERTY_AFTER.match(data, end) is None:
        return None
    around = file_scopes.blocks.around(start)
    if not around or not _EXPORTS_HEADER.search(file_scopes.blocks.header(around[0][0])):
        return None
    return prop.group(1).decode("utf-8", "replace")


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


_QUALIFIED = re.compile(rb"([A-Za-z_$][\w$]*)?\s*(?:\?\.|\.|::|->)\s*\Z")


def qualifier(data: bytes, start: int) -> str | None:
    """`flags.FLAG`: "flags"; `this.FLAG`, `a().FLAG`: ""; a bare name: None."""
    m = _QUALIFIED.search(data, max(0, start - 80), start)
    if m is None or data[max(0, start - 3) : start] == b"...":  # a spread is the name itself
        return None
    return (m.group(1) or b"").decode("utf-8", "replace")


_ASSIGNED = re.compile(rb"\s*=(?![=>])")
_CHAIN = re.compile(rb"((?:[A-Za-z_]\w*\s*\.\s*)+)\Z")


def qualifier_chain(data: bytes, start: int) -> str | None:
    """Python: `app.flags.keys.FLAG`: "app.flags.keys" (what `import app.flags.keys` makes
    readable); `a().FLAG`: ""; a bare name: None."""
    m = _CHAIN.search(data, max(0, start - 200), start)
    if m is None:
        return qualifier(data, start)
    return re.sub(rb"\s+", b"", m.group(1)).rstrip(b".").decode("utf-8", "replace")


def _uses(
    data: bytes,
    name: bytes,
    def_at: int,
    def_line: int,
    scope: tuple[str, int, int],
    file_scopes: scopes.FileScopes,
) -> list[Hit]:
    """A constant's uses in its own file, where its declaration is visible: a bare name in its
    scope, less where a nested declaration of the name hides it (a member: qualified anywhere,
    bare inside its enum or class)."""
    out: list[Hit] = []
    lines = _Lines(data)
    kind, s, e = scope
    hidden = (
        file_scopes.hidden(name, def_at, scope)
        if kind == scopes.MODULE or kind == scopes.BLOCK
        else []
    )
    i = data.find(name)
    while i >= 0:
        j = i + len(name)
        before_ok = i == 0 or not _IDENT.match(data, i - 1)
        after_ok = j >= len(data) or not _IDENT.match(data, j)
        if (
            before_ok
            and after_ok
            and not _is_definition_of(data, i, j, def_at)
            and not file_scopes.in_prose(i)
        ):
            qual = qualifier(data, i)
            qualified = qual is not None
            if kind == scopes.EXPORTS:  # read through the module's exports object
                seen = qual == "exports" and not _ASSIGNED.match(data, j)  # tsc's `= void 0`
            elif kind == scopes.MEMBER:
                seen = qualified or s <= i < e
            else:
                seen = not qualified and s <= i < e and not any(a <= i < b for a, b in hidden)
            if seen:
                line, col, end_col, text, _ = lines.locate(i, j)
                out.append(("use", name.decode(), line, col, end_col, text, def_line))
        i = data.find(name, j)
    return out


# The name a line declares: `const X`, `var X`, `type X`, `func X(`, `func (r *T) X(`,
# `function X`, `class X`, `def X`, `enum X`, `interface X`, `let X` (with `export`, `async`).
_DECLARING = re.compile(
    rb"(?:^\s*|[;{(]\s*)(?:(?:export|declare|default|async|public|private|protected|static)\s+)*"
    rb"(?:const|var|let|type|func(?:\s*\([^()]*\))?|function\*?|class|def|enum|interface)\s+\Z"
)
_GO_SPEC = re.compile(
    rb"\s*(?:[A-Za-z_][\w.]*|\*[\w.]+|\[\][\w.*]+|map\[[^\]]+\][\w.*]+)?\s*=(?!=)"
)
_PY_ASSIGN = re.compile(rb"\s*(?::[^=\n]+)?=(?!=)")


def _declares_name(data: bytes, start: int, end: int, path: str) -> bool:
    """Does the identifier at start..end stand where a declaration names what it declares?
    etcd's `AuthCapability  Capability = "auth"` (a line of a `const ( … )` block) declares
    the capability its map then reads: the declaration is no reference of it. A write to the
    name (`X = v` in a function body) is not a declaration and stays one."""
    ls = data.rfind(b"\n", 0, start) + 1
    before = data[ls:start]
    if _DECLARING.search(before):
        return True
    if before.strip():
        return False
    if path.endswith(".go"):
        if data.startswith(b":=", end) or re.match(rb"\s*(?:,\s*\w+\s*)*:=", data[end : end + 200]):
            return True  # `x := …`, `x, err := …`: a new name of this scope
        return _in_go_spec_block(data, ls) and _GO_SPEC.match(data, end) is not None
    if path.endswith((".py", ".pyi")):
        return _PY_ASSIGN.match(data, end) is not None and not data.startswith(b"==", end)
    return False


def _in_go_spec_block(data: bytes, ls: int) -> bool:
    """Is the line at `ls` inside a top-level `const ( … )` or `var ( … )` block (gofmt
    writes the block's own lines at column 0, its specs indented)?"""
    pos = ls
    for _ in range(2000):
        if pos <= 0:
            return False
        prev = data.rfind(b"\n", 0, pos - 1) + 1
        text = data[prev : pos - 1]
        if text[:1] not in (b" ", b"\t", b"") and text.strip():
            return re.match(rb"(?:const|var)\s*\(\s*(?://.*)?$", text.rstrip(b"\r")) is not None
        pos = prev
    return False


def _is_definition_of(data: bytes, i: int, j: int, def_at: int) -> bool:
    """On the definition's line (its name, and the key when the key is the name)."""
    line_start = data.rfind(b"\n", 0, def_at) + 1
    line_end = data.find(b"\n", def_at)
    return line_start <= i and (line_end < 0 or i < line_end)


def scan_names(
    root: str,
    paths: list[str],
    names: list[str],
    max_bytes: int,
    not_generated: list[str] | None = None,
) -> list[tuple[str, list[Hit]]]:
    """Uses of exported constants (identifier boundaries; `Flags.NAME` counts), in the files
    the first pass read (not in those a tool wrote)."""
    if not names:
        return []
    auto = ac.BytesAhoCorasick(
        [n.encode() for n in names],
        matchkind=ac.MATCHKIND_LEFTMOST_LONGEST,
        implementation=ac.Implementation.DFA,
    )
    prefix = root.rstrip("/") + "/"
    out = []
    wanted = set(names)
    keep = _keep_set(not_generated)
    for rel in paths:
        data = read_file(prefix + rel, max_bytes)
        if data is None:
            continue
        matches = auto.find_matches_as_indexes(data)
        if not matches or skip_reason(rel, data, keep) is not None:
            continue
        js_or_py = rel.endswith((".py", ".pyi", *_JS_EXTENSIONS))
        lines = _Lines(data)
        hits: list[Hit] = []
        n = len(data)
        hidden: dict[
            int, list[tuple[int, int]]
        ] = {}  # name index -> where this file's own hides it
        file_scopes = scopes.FileScopes(data, rel)
        python = rel.endswith((".py", ".pyi"))
        for idx, start, end in matches:
            if (start and _IDENT.match(data, start - 1)) or (end < n and _IDENT.match(data, end)):
                continue
            if file_scopes.in_prose(start):
                continue  # a word of a comment or a string
            qual = qualifier_chain(data, start) if python else qualifier(data, start)
            if qual is None:
                ranges = hidden.get(idx)
                if ranges is None:
                    whole = (scopes.MODULE, 0, n)
                    ranges = hidden[idx] = file_scopes.hidden(names[idx].encode(), -1, whole)
                if any(a <= start < b for a, b in ranges):
                    continue  # a name this file declares itself there
            line, col, end_col, text, _ = lines.locate(start, end)
            hits.append(("use", names[idx], line, col, end_col, text, qual))
        bindings = scopes.imports(data, rel) if js_or_py else {}
        # A name imported under another is read by that one only (its own may be hidden).
        hits += _alias_uses(data, bindings, wanted, file_scopes) if bindings else []
        if hits:
            if rel.endswith(".go"):
                hits.append(("imports", go_imports(data)))
            elif js_or_py:
                hits.append(("bindings", bindings))
            out.append((rel, hits))
    return out


def _alias_uses(
    data: bytes,
    bindings: dict[str, tuple[str, str]],
    names: set[str],
    file_scopes: scopes.FileScopes,
) -> list[Hit]:
    """Uses of a wanted name imported under another (`import { NEW_PRICING as P } from
    './flags'`, `const { NEW_PRICING: P } = require(…)`, `from app.flags import NEW_SEARCH
    as NS`): each bare `P` the import binds, as a use of NEW_PRICING through `P`."""
    out: list[Hit] = []
    aliases = [
        (local, src)
        for local, (_, src) in bindings.items()
        if src in names and local != src and local != scopes.STAR
    ]
    if not aliases:
        return out
    lines = _Lines(data)
    n = len(data)
    found: list[tuple[int, str, str]] = []
    for local, src in aliases:
        raw = local.encode()
        hidden = file_scopes.hidden(raw, -1, (scopes.MODULE, 0, n))
        for m in re.finditer(rb"(?<![\w$])" + re.escape(raw) + rb"(?![\w$])", data):
            i = m.start()
            if qualifier(data, i) is not None or file_scopes.in_prose(i):
                continue  # `x.P` is another name; a word of a comment or string
            if any(a <= i < b for a, b in hidden):
                continue
            found.append((i, src, local))
    for i, src, local in sorted(found):
        line, col, end_col, text, _ = lines.locate(i, i + len(local))
        out.append(("use", src, line, col, end_col, text, None, local))
    return out


# -- serving a parent process over pipes ----------------------------------------------------
# `python -m swath.sources.flagdefs.scanworker` reads length-prefixed pickled requests
# `(function name, args)` from stdin and answers `(ok, result or error text)` on stdout,
# until stdin closes. See scanpool.py for why this is not multiprocessing.

_SERVED = {"scan_chunk", "scan_names"}


if __name__ == "__main__":
    from swath.procpool import serve

    serve(globals(), _SERVED)
