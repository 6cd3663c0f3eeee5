"""Where a constant holding a key is visible, and what a file imports.

The reference scan follows a constant (`const FLAG = 'new-checkout'`, then `isEnabled(FLAG)`)
to the uses of its name. A name is not a constant: unleash-server's tests declare `const
enabledEnvName = …` in three test bodies of one file with three values, and following the
name made every use of all three a reference of the key `enabled`. So a declaration has a
scope, found from the text alone (no parse: this runs in the scan workers on every file
holding a key):

- brace languages (JavaScript/TypeScript, Go, and the others of the scan's code files): the
  innermost `{ … }` around the declaration (strings and comments skipped), or the file. A
  block whose header is `enum`/`class`/`interface`/`namespace`/`struct` holds *members*,
  read qualified (`Flag.NewCheckout`) anywhere and bare inside the block; JavaScript's `var`
  belongs to the enclosing function, not to an `if` block.
- Python: the body of the innermost `def` around the declaration (an `if`/`try`/`with`
  block is no scope), a `class` body's names are members, else the module.

Inside its scope a name declared again in a nested scope (a `const`/`let`/`var`, a function
parameter, a Python assignment in a nested `def`) hides the first there.

Other files see only exported constants, and, in JavaScript/TypeScript and Python, only
through an import (`import { FLAG } from './flags'`, `const { FLAG } = require(…)`, `from
app.flags import FLAG`, `from app.flags import *`) or qualified (`flags.FLAG`): `imports()`
gives a file's bindings and `resolves()` whether an import's module is the defining file.
This module imports nothing of Swath's (it runs in the scan workers).
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right

# Scope kinds: the whole file, a block (a function body, a test callback), a container's members.
MODULE, BLOCK, MEMBER = "module", "block", "member"
# A CommonJS export (`exports.X = …`, `module.exports = { X: … }`): read through the exports
# object in its file, through `require` elsewhere.
EXPORTS = "exports"

_TOKENS = re.compile(
    rb"""[{}]|//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`"""
    # a JavaScript regex literal, where an expression starts (`= /[{'"]/`): its braces and
    # quotes are none
    rb"""|(?<=[(,=:\[!&|?{};])[ \t]*/(?![/*])(?:[^/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+/""",
    re.S,
)
_CONTAINER = re.compile(
    rb"\b(?:enum|class|interface|namespace|struct|module)\b[^;{}()=]*\Z|\bstruct\s*\Z"
)
_CONTROL = {b"if", b"for", b"while", b"switch", b"catch", b"with", b"return", b"elif", b"else"}
_PY = (".py", ".pyi")
_GO = ".go"


class Blocks:
    """The `{ … }` pairs of a brace-language file, by opening offset."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        pairs: list[tuple[int, int]] = []
        stack: list[int] = []
        for m in _TOKENS.finditer(data):
            c = data[m.start()]
            if c == 0x7B:  # {
                stack.append(m.start())
            elif c == 0x7D and m.end() - m.start() == 1:  # }
                if stack:
                    pairs.append((stack.pop(), m.start()))
        n = len(data)
        pairs.extend((o, n) for o in stack)  # unclosed: to the end
        pairs.sort()
        self.pairs = pairs

    def around(self, pos: int) -> list[tuple[int, int]]:
        """The blocks holding `pos`, innermost first."""
        out = [(o, c) for o, c in self.pairs if o < pos < c]
        out.sort(key=lambda p: -p[0])
        return out

    def header(self, open_at: int) -> bytes:
        """The text before a block's `{`, back to the previous statement."""
        back = self.data[max(0, open_at - 400) : open_at]
        for sep in (b";", b"}", b"{"):
            i = back.rfind(sep)
            if i >= 0:
                back = back[i + 1 :]
        return back.strip()


def _is_function_header(header: bytes) -> bool:
    h = header.rstrip()
    if h.endswith(b"=>") or re.search(rb"\bfunction\b", h):
        return True
    m = re.search(rb"([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\([^()]*\)\s*(?::[^{}]*)?\Z", h)
    return m is not None and m.group(1) not in _CONTROL


# -- comments and strings --------------------------------------------------------------------
# A name in a comment or a string is prose (`// Retry is set if …` above grpc's
# `envconfig.Retry`), not a read of the constant; a key quoted in a comment is no read either.
# Python: comments, and strings with their prefixes (an f-string interpolates code: not prose).
_PY_TOKENS = re.compile(rb"""#[^\n]*|(?:(?<![\w])([rRbBuUfF]{1,2}))?("{3}|'{3}|"|')""")
_COMMENT, _STRING = 1, 2
_WHOLE_FILE_PROSE = 16 << 10  # bigger files are read near each name only
_PROSE_MARKS = b"#/\"'"  # what starts a comment or a one-line string
# The languages whose comments and strings these tokens are (Ruby's and PHP's `#`, Rust's
# lifetimes `'a` are not told apart: their files get no prose spans).
_PROSE_SUFFIXES = (
    ".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".go", ".java", ".kt",
    ".cs", ".swift", ".scala", ".py", ".pyi",
)  # fmt: skip


def _python_prose(data: bytes) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    pos, n = 0, len(data)
    while True:
        m = _PY_TOKENS.search(data, pos)
        if m is None:
            return out
        if m.group(2) is None:  # a comment
            out.append((m.start(), m.end(), _COMMENT))
            pos = m.end()
            continue
        quote = m.group(2)
        i = m.end()
        while i < n:
            c = data[i]
            if c == 0x5C:  # a backslash escapes the next byte
                i += 2
                continue
            if data.startswith(quote, i):
                i += len(quote)
                break
            if c == 0x0A and len(quote) == 1:
                break  # an unterminated string ends at its line
            i += 1
        if b"f" not in (m.group(1) or b"").lower():
            out.append((m.start(), min(i, n), _STRING))
        pos = max(i, m.end())


# _TOKENS without the braces (most of a file's tokens), each kind its group: comment 1,
# string 2, template 3; a regex literal (4) is neither, but its quotes open no string.
_PROSE_TOKENS = re.compile(
    rb"""(//[^\n]*|/\*.*?\*/)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(`(?:[^`\\]|\\.)*`)"""
    rb"""|((?<=[(,=:\[!&|?{};])[ \t]*/(?![/*])(?:[^/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+/)""",
    re.S,
)


def _brace_prose(data: bytes) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    for m in _PROSE_TOKENS.finditer(data):
        group = m.lastindex
        if group == 1:
            out.append((m.start(), m.end(), _COMMENT))
        elif group == 2 or (group == 3 and b"${" not in m.group(3)):
            out.append((m.start(), m.end(), _STRING))  # a template that interpolates is code
    return out


class FileScopes:
    """Scopes of one file's declarations (its blocks found once, when first asked)."""

    def __init__(self, data: bytes, path: str) -> None:
        self.data, self.path = data, path
        self._blocks: Blocks | None = None
        self._prose: tuple[list[int], list[tuple[int, int, int]]] | None = None
        self._multiline: bool | None = None

    @property
    def blocks(self) -> Blocks:
        if self._blocks is None:
            self._blocks = Blocks(self.data)
        return self._blocks

    def _prose_at(self, pos: int) -> tuple[int, int, int] | None:
        """The comment or string holding the byte at `pos`, if any (found once per file; in a
        big file, from its line, see `_prose_near`)."""
        if self._prose is None and len(self.data) > _WHOLE_FILE_PROSE:
            return self._prose_near(pos)
        if self._prose is None:
            if not self.path.endswith(_PROSE_SUFFIXES):
                spans: list[tuple[int, int, int]] = []
            elif self.path.endswith(_PY):
                spans = _python_prose(self.data)
            else:
                spans = _brace_prose(self.data)
            self._prose = ([s for s, _, _ in spans], spans)
        starts, spans = self._prose
        i = bisect_right(starts, pos) - 1
        if i < 0:
            return None
        span = spans[i]
        return span if pos < span[1] else None

    def _prose_near(self, pos: int) -> tuple[int, int, int] | None:
        """`_prose_at` from the text near `pos`: a `/*` before its line not closed before it,
        an odd number of backticks (Python: triple quotes) before its line (a template, a raw
        string, a docstring spanning lines), else the tokens of its line. Generated type
        files of megabytes (unleash-server's OpenAPI schemas, 1.3 MB each) are a few of the
        files holding a name, but were most of the scan's time tokenised whole."""
        if not self.path.endswith(_PROSE_SUFFIXES):
            return None
        d = self.data
        ls = d.rfind(b"\n", 0, pos) + 1
        le = d.find(b"\n", pos)
        le = len(d) if le < 0 else le
        start = ls
        if self.path.endswith(_PY):
            for q in (b'"""', b"'''"):
                if d.count(q, 0, ls) % 2:
                    return (d.rfind(q, 0, ls), le, _STRING)
            spans = _python_prose(d[ls:le])
        else:
            opened = d.rfind(b"/*", 0, pos)
            if opened >= 0:
                closed = d.find(b"*/", opened + 2, pos)
                if closed < 0:
                    return (opened, le, _COMMENT)
                start = max(start, closed + 2)
            if d.count(b"`", 0, ls) % 2:
                tick = d.rfind(b"`", 0, ls)
                end = d.find(b"`", pos)
                if b"${" not in d[tick : end if end >= 0 else le]:
                    return (tick, le, _STRING)
                return None
            spans = _brace_prose(d[start:le])
        for a, b, kind in spans:
            if start + a <= pos < start + b:
                return (start + a, start + b, kind)
        return None

    def in_comment(self, pos: int) -> bool:
        if self._prose is None and not self._maybe(pos, b"#" if self.path.endswith(_PY) else b"/"):
            return False
        found = self._prose_at(pos)
        return found is not None and found[2] == _COMMENT

    def _maybe(self, pos: int, marks: bytes) -> bool:
        """Could a comment (or a string: `marks` with the quotes) hold `pos`? Most files
        holding a key are never tokenised: with none of `marks` before it on its line and
        nothing in the file spanning lines (`/*`, a backtick, Python's triple quotes), no."""
        if self._multiline is None:
            d = self.data
            self._multiline = (
                b'"""' in d or b"'''" in d
                if self.path.endswith(_PY)
                else b"/*" in d or b"`" in d or b'"""' in d
            )  # (Java's and Kotlin's text blocks: `"""`)
        if self._multiline:
            return True
        before = self.data[self.data.rfind(b"\n", 0, pos) + 1 : pos]
        return any(m in before for m in marks)

    def in_prose(self, pos: int) -> bool:
        """In a comment, or inside a string (a name there is a word, not a read)."""
        if self._prose is None and not self._maybe(pos, _PROSE_MARKS):
            return False
        found = self._prose_at(pos)
        return found is not None and (found[2] == _COMMENT or found[0] < pos)

    def scope_of(self, line_start: int, keyword: bytes = b"") -> tuple[str, int, int]:
        """(kind, start, end): the scope of a declaration on the line starting at `line_start`."""
        if self.path.endswith(_PY):
            return _python_scope(self.data, line_start)
        return _brace_scope(self.blocks, line_start, keyword)

    def hidden(
        self, name: bytes, own_at: int, scope: tuple[str, int, int]
    ) -> list[tuple[int, int]]:
        return hidden_ranges(self.data, name, self.path, own_at, scope, self)


def _brace_scope(blocks: Blocks, pos: int, keyword: bytes) -> tuple[str, int, int]:
    around = blocks.around(pos)
    if not around:
        return MODULE, 0, len(blocks.data)
    o, c = around[0]
    if _CONTAINER.search(blocks.header(o)):
        return MEMBER, o, c
    if keyword == b"var":  # function-scoped: the nearest function body, or the file
        for o2, c2 in around:
            if _is_function_header(blocks.header(o2)):
                return BLOCK, o2, c2
        return MODULE, 0, len(blocks.data)
    return BLOCK, o, c


def _indent(line: bytes) -> int:
    return len(line) - len(line.lstrip(b" \t"))


_PY_HEADER = re.compile(rb"[ \t]*(?:async\s+)?(def|class)\b")


def _python_scope(data: bytes, line_start: int) -> tuple[str, int, int]:
    le = data.find(b"\n", line_start)
    line = data[line_start : le if le >= 0 else len(data)]
    indent = _indent(line)
    pos = line_start
    while indent > 0 and pos > 0:
        ls = data.rfind(b"\n", 0, pos - 1) + 1
        text = data[ls : pos - 1] if pos > 0 else b""
        stripped = text.strip()
        if stripped and not stripped.startswith(b"#") and _indent(text) < indent:
            own = _indent(text)
            m = _PY_HEADER.match(text)
            if m is not None:
                end = _python_body_end(data, ls, own)
                return (BLOCK if m.group(1) == b"def" else MEMBER), ls, end
            indent = own
        pos = ls
    return MODULE, 0, len(data)


def _python_body_end(data: bytes, header_at: int, header_indent: int) -> int:
    """Where the body of the `def`/`class` at `header_at` ends: the first later code line
    indented no deeper than its header."""
    pos = data.find(b"\n", header_at)
    while pos >= 0:
        ls = pos + 1
        le = data.find(b"\n", ls)
        text = data[ls : le if le >= 0 else len(data)]
        stripped = text.strip()
        if stripped and not stripped.startswith(b"#") and _indent(text) <= header_indent:
            # A closing bracket of a multi-line signature is still the header.
            if stripped[:1] not in (b")", b"]"):
                return ls
        pos = le
    return len(data)


def declarations(data: bytes, name: bytes, path: str) -> list[tuple[int, str, bytes]]:
    """The places that declare `name` (a constant, a variable, a function's parameter), whose
    scope hides an outer one of that name: (offset, "decl" | "params" | "arrow", keyword)."""
    n = re.escape(name)
    out: list[tuple[int, str, bytes]] = []
    if path.endswith(_PY):
        # `NAME = …`, `NAME: T = …` (spaced, as `_constant_on_line` wants: `NAME=1,` on a
        # line of its own is a keyword argument)
        for m in re.finditer(rb"^[ \t]*" + n + rb"(?:\s*:[^=\n]+|\s+)=(?!=)", data, re.M):
            out.append((m.start(), "decl", b""))
        rx = rb"^[ \t]*(?:async\s+)?def\s+\w+\s*\([^)]*(?<![\w.])" + n + rb"(?!\w)"
        for m in re.finditer(rx, data, re.M):
            out.append((m.start(), "params", b""))
        return out
    if path.endswith(_GO):
        rx = rb"\b(var|const)\s+" + n + rb"\b|(?<![\w.])" + n + rb"\s*(?:,[\w\s,]*)?:="
        for m in re.finditer(rx, data):
            out.append((m.start(), "decl", m.group(1) or b""))
        return out
    for m in re.finditer(rb"\b(const|let|var|function|class)\s+" + n + rb"(?![\w$])", data):
        out.append((m.start(), "decl", m.group(1)))
    params = rb"\(([^()]*?(?<![\w$.])" + n + rb"(?![\w$])[^()]*)\)\s*(?::\s*[^={};]+?)?\s*(=>|\{)"
    for m in re.finditer(params, data):
        # `(a, NAME) =>` / `f(NAME) {`: parameters, unless `if (NAME) {`.
        before = data[max(0, m.start() - 80) : m.start()]
        word = re.search(rb"([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\Z", before)
        if word is not None and word.group(1) in _CONTROL:
            continue
        out.append((m.start(), "params", b""))
    for m in re.finditer(rb"(?<![\w$.])" + n + rb"\s*=>", data):
        out.append((m.start(), "arrow", b""))
    return out


_PARAMS_END = re.compile(rb"\([^()]*\)\s*(?::\s*[^={};]+?)?\s*(?:=>|\{)")


def hidden_ranges(
    data: bytes,
    name: bytes,
    path: str,
    own_at: int,
    scope: tuple[str, int, int],
    scopes: FileScopes | None = None,
) -> list[tuple[int, int]]:
    """The parts of `scope` where another declaration of `name` hides the one at `own_at`
    (`own_at` -1: none is ours, as in a file that imports the name)."""
    _, start, end = scope
    py = path.endswith(_PY)
    blocks = None if py else (scopes.blocks if scopes is not None else Blocks(data))
    own_line = data.rfind(b"\n", 0, own_at) + 1 if own_at >= 0 else -1
    out: list[tuple[int, int]] = []
    for at, how, keyword in declarations(data, name, path):
        if not start <= at < end:
            continue
        ls = data.rfind(b"\n", 0, at) + 1
        if ls == own_line:
            continue  # the declaration itself
        s, e = at, at
        if py:
            if how == "params":  # the def's body
                le = data.find(b"\n", ls)
                header = data[ls : le if le >= 0 else len(data)]
                s, e = ls, _python_body_end(data, ls, _indent(header))
            else:
                _, s, e = _python_scope(data, ls)
        else:
            assert blocks is not None
            if how == "decl":
                _, s, e = _brace_scope(blocks, at, keyword)
            else:  # the function's body: the block after `=>` or `)`, or an arrow's expression
                m = _PARAMS_END.match(data, at) if how == "params" else None
                body = m.end() if m is not None else data.find(b"=>", at) + 2
                rest = data[body : body + 200].lstrip()
                if data[body - 2 : body] == b"=>" and not rest.startswith(b"{"):
                    ends = [i for i in (data.find(b";", body), data.find(b"\n", body)) if i >= 0]
                    s, e = at, min(ends, default=len(data))
                else:
                    brace = data.find(b"{", body - 1)
                    inner = [p for p in blocks.pairs if p[0] == brace]
                    if inner:  # the parameter list and the body: `function f(P) { … }`
                        s, e = (at if how == "params" else inner[0][0]), inner[0][1]
        if own_at < 0 or ((s, e) != (start, end) and start <= s and e <= end and e > s):
            if e > s:
                out.append((s, e))
    return out


# -- imports ----------------------------------------------------------------------------------
_JS_IMPORT = re.compile(
    rb"""\b(?:import|export)\s+(?:type\s+)?([^;'"`]*?)\s*\bfrom\s*(['"])([^'"\n]+)\2""", re.S
)
_JS_REQUIRE = re.compile(
    rb"""\b(?:const|let|var)\s+(\{[^}]*\}|[A-Za-z_$][\w$]*)\s*=\s*require\s*\(\s*(['"])([^'"\n]+)\2\s*\)"""
)
_PY_FROM = re.compile(
    rb"^[ \t]*from\s+(\.*[\w.]*)\s+import\s+(\([^)]*\)|[^\n#]+(?:\\\n[^\n#]*)*)", re.M
)
_PY_IMPORT = re.compile(rb"^[ \t]*import\s+([^\n#]+)", re.M)
STAR = "*"


def imports(data: bytes, path: str) -> dict[str, tuple[str, str]]:
    """Local name -> (module, the name imported from it; "*" for a namespace). `"*"` as a
    local name: the modules star-imported, joined by newlines (Python's `from m import *`)."""
    out: dict[str, tuple[str, str]] = {}
    if path.endswith(_PY):
        stars: list[str] = []
        for m in _PY_FROM.finditer(data):
            mod = m.group(1).decode("utf-8", "replace")
            names = m.group(2).decode("utf-8", "replace").strip("()").replace("\\\n", " ")
            for part in names.split(","):
                bits = part.split()
                if not bits:
                    continue
                if bits[0] == "*":
                    stars.append(mod)
                    continue
                local = bits[2] if len(bits) == 3 and bits[1] == "as" else bits[0]
                out[local] = (mod, bits[0])
        for m in _PY_IMPORT.finditer(data):
            for part in m.group(1).decode("utf-8", "replace").split(","):
                bits = part.split()
                if not bits:
                    continue
                if len(bits) == 3 and bits[1] == "as":  # `import a.b as c`: c is a.b
                    out[bits[2]] = (bits[0], STAR)
                else:  # `import a.b`: binds `a`, read as `a.b.X` (see python_modules)
                    head = bits[0].split(".")[0]
                    out.setdefault(head, (head, STAR))
        if stars:
            out[STAR] = ("\n".join(stars), STAR)
        return out
    for m in _JS_IMPORT.finditer(data):
        _clause(m.group(1), m.group(3).decode("utf-8", "replace"), out, b" as ")
    for m in _JS_REQUIRE.finditer(data):
        _clause(m.group(1), m.group(3).decode("utf-8", "replace"), out, b":")
    return out


def python_modules(chain: str | None, bindings: dict[str, tuple[str, str]]) -> list[str]:
    """The modules a Python use `chain.NAME` may read NAME from, by what the file imports:
    `import a.b` then `a.b.NAME`: a.b; `import a.b as c` then `c.NAME`: a.b; `from a import
    b` then `b.NAME`: the submodule a.b, or a name `b` of a (a class whose member NAME is)."""
    if not chain:
        return []
    head, _, rest = chain.partition(".")
    bound = bindings.get(head)
    if bound is None:
        return []
    mod, name = bound
    tail = "." + rest if rest else ""
    if name == STAR:
        return [mod + tail]
    sub = mod + ("" if mod.endswith(".") else ".") + name
    return [sub + tail, mod] if not rest else [sub + tail]


def _clause(clause: bytes, spec: str, out: dict[str, tuple[str, str]], alias: bytes) -> None:
    clause = clause.strip()
    named = re.search(rb"\{([^}]*)\}", clause)
    rest = clause[: named.start()] + clause[named.end() :] if named else clause
    if named is not None:
        for part in named.group(1).split(b","):
            part = part.strip()
            if part.startswith(b"type "):
                part = part[5:].strip()
            if not part:
                continue
            src, _, local = part.partition(alias)
            src, local = src.strip(), (local.strip() or src.strip())
            if re.fullmatch(rb"[A-Za-z_$][\w$]*", local):
                out[local.decode()] = (spec, src.decode("utf-8", "replace"))
    ns = re.search(rb"\*\s*as\s+([A-Za-z_$][\w$]*)", rest)
    if ns is not None:
        out[ns.group(1).decode()] = (spec, STAR)
    default = re.match(rb"\s*([A-Za-z_$][\w$]*)\s*(?:,|\Z)", rest)
    if default is not None and default.group(1) not in (b"type",):
        out[default.group(1).decode()] = (spec, STAR)


_JS_EXT = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".d.ts")


def _stem(path: str) -> str:
    for ext in (".d.ts", *_JS_EXT, ".pyi", ".py"):
        if path.endswith(ext):
            path = path[: -len(ext)]
            break
    for tail in ("/index", "/__init__"):
        if path.endswith(tail):
            return path[: -len(tail)]
    return "" if path in ("index", "__init__") else path


def resolves(spec: str, importer: str, defining: str) -> bool | None:
    """Does the module `spec`, imported in `importer`, name the file `defining`? None when
    that cannot be told from the paths (a package, a path alias: the caller keeps every
    candidate)."""
    target = _stem(defining)
    if importer.endswith(_PY):
        dots = len(spec) - len(spec.lstrip("."))
        mod = spec[dots:].replace(".", "/")
        if dots:
            base = os.path.dirname(importer)
            for _ in range(dots - 1):
                base = os.path.dirname(base)
            want = os.path.normpath(os.path.join(base, mod)) if mod else base
            return want == target
        return target == mod or target.endswith("/" + mod) or None
    if spec.startswith("."):
        want = os.path.normpath(os.path.join(os.path.dirname(importer), spec))
        return _stem(want) == target or want == target
    bare = re.sub(r"^(?:@/|~/|#/)", "", spec)
    bare = _stem(bare)
    if target == bare or target.endswith("/" + bare):
        return True
    return None
