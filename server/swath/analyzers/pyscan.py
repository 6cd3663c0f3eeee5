"""The facts the map needs from a Python file, read by one lexer pass instead of a full parse.

A tree-sitter parse of a large package is most of a first map's time (sympy: 5 s of
parse for 26 MB), and the map reads few things: the definitions at module level and one
class down, every import with where it stands, `__all__`, the decision points. So:

1. One regex finds every string and comment (all prefixes, triple quotes; f-strings as
   strings). A *skeleton* of the file is built from it, of the same length: a string
   becomes `"` and filler (`\\x01`, newlines inside it too), a comment becomes spaces. In
   the skeleton every bracket, colon, keyword and line break is code.
2. Statements are matched on the skeleton by regexes that consume a whole logical line
   (nested brackets, line continuations) in C: `_block(k)` matches one statement at
   indentation `k` with every deeper line of its body, so a module's top-level
   statements, a class's members and a block's statements are a few matches each.
3. The decision points are keywords counted on the skeleton with punctuation turned to
   spaces (literal searches); the `if` of an `if` statement is told from a
   comprehension's by where it stands, a conditional expression is counted by its `else`.

The result has the shape `pyfacts` gives from tree-sitter, and the same values (a test
compares both on real packages). What the pass is not sure of returns None and the file
is read by tree-sitter, which also confirms syntax errors with `compile()`: an
unterminated string, unbalanced or too deeply nested brackets, a statement the block
regexes cannot place (unexpected indentation), tabs or form feeds in indentation, a lone
`\\r` line break, a byte-order mark, `match` statements, Python 2 forms (`print x`,
backticks, `except E, e`). A file with a syntax error the pass does not notice is
mapped from what it reads, never reported as an error.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from itertools import accumulate
from typing import Any

from swath.analyzers.sourcetext import first_sentence

SIGNATURE_MAX = 160
FILL = "\x01"
_NEST = 24  # bracket depth the regexes follow; deeper files go to tree-sitter

_D3 = r'"""[^"\\]*+(?:(?:\\.|"(?!""))[^"\\]*+)*+"""'
_S3 = r"'''[^'\\]*+(?:(?:\\.|'(?!''))[^'\\]*+)*+'''"
_D1 = r'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"'
_S1 = r"'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'"
# one-quoted and triple-quoted strings, by their quote
_STRINGS = (re.compile(_D1, re.S), re.compile(_D3, re.S))
_STRINGS_SQ = (re.compile(_S1, re.S), re.compile(_S3, re.S))


def _group(depth: int) -> str:
    inner = "(?!)"
    for _ in range(depth):
        inner = r"[(\[{](?:[^()\[\]{}]++|" + inner + r")*+[)\]}]"
    return inner


_G = _group(_NEST)
# One logical line of the skeleton: code, bracketed groups (any lines), continuations.
_LL_BODY = r"(?:[^\n()\[\]{}\\]++|" + _G + r"|\\\r?\n|\\)*+"
_LL = re.compile(_LL_BODY + r"(?:\n|\Z)")
# A header up to its colon (a walrus is not one).
_HEAD = re.compile(r"(?:[^:()\[\]{}\n\\]++|" + _G + r"|\\\r?\n|\\|:=)*+:")
_BLANKS = re.compile(r"(?:[ \t]*+\r?\n)*+")
_WORD = re.compile(r"(async[ \t]+)?([A-Za-z_]\w*|@)")
_NAME = re.compile(r"[ \t]+(\w+)")
_IDENT = re.compile(r"[^\W\d]\w*\Z")
_SPACE = re.compile(r"\s+")
_SOFT = re.compile(
    r"(?:match|case)\b(?![ \t]*+[=.,:;)\]}]|[ \t]*+(?:\n|\Z|[-+*/%&|^@<>!]=|if\b|for\b|in\b|and\b|or\b|is\b|not\b))"
)
# `print x` / `exec code` (a statement in Python 2), each pattern opening with its literal
_PY2_AFTER = r"[ \t]++(?![=(.,)\]\[+\-*/%<>!&|^:;\n]|if\b|for\b|in\b|and\b|or\b|is\b|not\b)"
_PY2_STATEMENTS = (re.compile("print" + _PY2_AFTER), re.compile("exec" + _PY2_AFTER))
_EXCEPT_COMMA = re.compile(r"except[ \t]+[\w.]+[ \t]*,")
_GROUP = re.compile(_G)
_SIMPLE = re.compile(r"(?:[^\n;()\[\]{}\\]++|" + _G + r"|\\\r?\n|\\)*+")
_INDENT = re.compile(r"[ \t]*+")

COMPOUND = {
    "if",
    "elif",
    "else",
    "try",
    "except",
    "finally",
    "for",
    "while",
    "with",
    "def",
    "class",
    "match",
    "case",
}
STATEMENT_KEYWORDS = COMPOUND | {
    "return",
    "del",
    "pass",
    "raise",
    "global",
    "nonlocal",
    "assert",
    "import",
    "from",
    "break",
    "continue",
    "yield",
    "await",
    "lambda",
    "not",
}
TYPE_CHECKING = ("TYPE_CHECKING", "typing.TYPE_CHECKING", "t.TYPE_CHECKING")
IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}

# Punctuation (and the skeleton's marks) to spaces, `:` to \x02: keywords become " if ".
_PUNCT = {c: " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
_PUNCT[ord(":")] = "\x02"
_PUNCT[ord(FILL)] = FILL  # a string's inside: no keyword to find, skipped fast by str.find
_PUNCT_TABLE = str.maketrans(_PUNCT)
# keyword -> the searches that find it as a decision point (a conditional expression by
# its `else`, which a statement's `else:` is not).
_BRANCH_WORDS = (" elif ", " for ", " while ", " except ", " except\x02", " and ", " or ")


def _skip(pattern: re.Pattern[str], code: str, pos: int, end: int | None = None) -> int:
    """Where a pattern that always matches (blanks, indentation) ends from `pos`."""
    m = pattern.match(code, pos) if end is None else pattern.match(code, pos, end)
    return m.end() if m is not None else pos


def _py2_statement(code: str) -> bool:
    """Whether a line of `code` starts with Python 2's `print x` or `exec code`."""
    for pattern in _PY2_STATEMENTS:
        for m in pattern.finditer(code):
            line = code.rfind("\n", 0, m.start()) + 1
            if not code[line : m.start()].strip():
                return True
    return False


def _continued(code: str, line: int) -> bool:
    """Whether the line starting at `line` continues the one before (a backslash)."""
    j = line - 2
    while j >= 0 and code[j] in " \t\r":
        j -= 1
    return j >= 0 and code[j] == "\\"


class Unsure(Exception):
    """The cheap pass cannot vouch for this file: tree-sitter reads it."""


@lru_cache(maxsize=64)
def _block(indent: int) -> re.Pattern[str]:
    """One statement at `indent` and every blank or deeper line after it."""
    return re.compile(
        _LL_BODY + r"(?:\n|\Z)(?:[ \t]*+\r?\n|[ \t]{%d,}+%s(?:\n|\Z))*+" % (indent + 1, _LL_BODY)
    )


class _Source:
    """The text, its skeleton, and rows and columns of offsets."""

    def __init__(self, text: str, lines: list[str] | None = None) -> None:
        """`lines`: the text split at "\\n" where the caller has it (each split of a
        large package's files costs a share of the pass)."""
        self.text = text
        pieces: list[str] = []
        strings: dict[int, int] = {}
        comments: list[int] = []
        fstrings: list[int] = []
        # Jump from quote to quote with str.find: a regex search for the next of `"'#`
        # tests every character in Python's engine and cost 5x more on a large package.
        find = text.find
        size = len(text)
        none = size + 1
        dq, sq, hs = find('"'), find("'"), find("#")
        dq, sq, hs = (none if dq < 0 else dq), (none if sq < 0 else sq), (none if hs < 0 else hs)
        last = 0
        while True:
            at = min(dq, sq, hs)
            if at > size:
                break
            pieces.append(text[last:at])
            if at == hs:
                end = find("\n", at)
                end = size if end < 0 else end
                comments.append(at)
                pieces.append(" " * (end - at))
            else:
                quote = text[at]
                triple = text.startswith(quote * 3, at)
                m = (_STRINGS if quote == '"' else _STRINGS_SQ)[triple].match(text, at)
                if m is None:
                    raise Unsure("unterminated string")
                end = m.end()
                strings[at] = end
                # its first and last characters a quote, so that a keyword right after
                # it (`"a"if`) stands apart in the skeleton as it does in the text
                pieces.append('"' + FILL * (end - at - 2) + '"')
                if "f" in text[max(at - 2, 0) : at].lower() and "{" in text[at:end]:
                    fstrings.append(at)
            last = end
            if dq < end:
                dq = find('"', end)
                dq = none if dq < 0 else dq
            if sq < end:
                sq = find("'", end)
                sq = none if sq < 0 else sq
            if hs < end:
                hs = find("#", end)
                hs = none if hs < 0 else hs
        pieces.append(text[last:])
        self.code = "".join(pieces)
        self.strings = strings
        self.comments = comments
        self.fstrings = fstrings
        parts = text.split("\n") if lines is None else lines
        # newline offsets: the n-th line ends at nl[n]
        self.nl = list(map(int.__add__, accumulate(map(len, parts)), range(len(parts))))

    def row(self, pos: int) -> int:
        return bisect_left(self.nl, pos)

    def line_start(self, row: int) -> int:
        return self.nl[row - 1] + 1 if row else 0

    def col(self, pos: int) -> int:
        return pos - self.line_start(self.row(pos))

    def last_code(self, start: int, end: int) -> int:
        """Offset of the last code character in [start, end)."""
        seg = self.code[start:end]
        return start + len(seg.rstrip()) - 1


class _Statement:
    __slots__ = ("start", "end", "word", "is_async", "word_end")

    def __init__(self, start: int, end: int, code: str) -> None:
        self.start, self.end = start, end
        m = _WORD.match(code, start)
        if m is None:
            self.word, self.is_async, self.word_end = "", False, start
        else:
            self.word, self.is_async, self.word_end = m.group(2), bool(m.group(1)), m.end()
            if self.word in ("match", "case") and not _soft_keyword(code, start):
                self.word = ""  # `match = …`, `case(x)`: a name, not a statement


def _soft_keyword(code: str, at: int) -> bool:
    """Whether the `match`/`case` at `at` opens a match statement or a case clause: a
    subject or pattern follows, and the header's colon ends the line."""
    if _SOFT.match(code, at) is None:
        return False
    head = _HEAD.match(code, at)
    if head is None:
        return False
    stop = code.find("\n", head.end())
    return not code[head.end() : stop if stop >= 0 else len(code)].strip()


def _statements(src: _Source, start: int, end: int, indent: int) -> list[_Statement]:
    """The statements at `indent` from `start` (a line's first code character) to `end`."""
    code = src.code
    pattern = _block(indent)
    out = []
    pos = start
    while pos < end:
        m = pattern.match(code, pos, end)
        if m is None or m.end() == pos:
            raise Unsure("a statement the block regex cannot place")
        out.append(_Statement(pos, m.end(), code))
        pos = m.end()
        if pos < end:
            pos = _skip(_BLANKS, code, pos, end)
            if pos < end:
                first = _skip(_INDENT, code, pos)
                if first - pos != indent:
                    raise Unsure("unexpected indentation")
                pos = first
    return out


class _Header:
    """A compound statement's header: its colon, whether the body is on the same line, the body."""

    __slots__ = ("colon", "inline", "body", "body_indent")

    def __init__(self, src: _Source, st: _Statement) -> None:
        code = src.code
        m = _HEAD.match(code, st.start, st.end)
        if m is None:
            raise Unsure("no colon in a compound statement's header")
        self.colon = m.end()
        after = _skip(_INDENT, code, self.colon)
        nxt = code[after : after + 1]
        self.inline = nxt not in ("\n", "\r", "")
        if nxt == "\\":
            raise Unsure("a line continuation after a header's colon")
        line_end = after + (2 if code.startswith("\r\n", after) else 1)
        if self.inline:
            self.body = after
            self.body_indent = -1
        else:
            line_start = _skip(_BLANKS, code, line_end, st.end)
            self.body = _skip(_INDENT, code, line_start)
            if self.body >= st.end:
                raise Unsure("a compound statement without a body")
            self.body_indent = self.body - line_start


class _Scan:
    def __init__(self, text: str, lines: list[str], module: str, is_package: bool) -> None:
        if text.startswith("\ufeff"):
            raise Unsure("byte-order mark")
        self.src = src = _Source(text, None if "\r" in text else lines)
        code = src.code
        if "\t" in code and re.search(r"(?m)^ *\t", code):
            raise Unsure("tabs in indentation")
        if "\f" in code or ("\r" in text and text.count("\r") != text.count("\r\n")):
            raise Unsure("form feed or lone carriage return")
        if (
            "`" in code
            or "<>" in code
            or _py2_statement(code)
            or ("except" in code and _EXCEPT_COMMA.search(code))
        ):
            raise Unsure("Python 2 syntax")
        self.lines = lines
        self.package = module.split(".") if is_package else module.split(".")[:-1]
        first = _skip(_BLANKS, code, 0)
        if first < len(code) and code[first] in " \t":
            raise Unsure("the first statement is indented")
        self.top = _statements(src, first, len(code), 0)
        self.top_starts = [st.start for st in self.top]
        self.heads: dict[int, _Header] = {}
        self.kids: dict[int, list[_Statement]] = {}
        self.branches = self._branches()

    # -- decision points ----------------------------------------------------------------------
    def _branches(self) -> list[int]:
        src = self.src
        code = src.code
        words = (" " + code).translate(_PUNCT_TABLE)  # offset +1: a keyword at 0 has a space
        found: list[int] = []
        for word in _BRANCH_WORDS:
            at = words.find(word)
            while at >= 0:
                found.append(at)
                at = words.find(word, at + len(word) - 1)
        at = words.find(" else ")  # a conditional expression; a statement's else has a colon
        while at >= 0:
            nxt = at + 4  # in code, just after the `else`
            while nxt < len(code) and code[nxt] in " \t":
                nxt += 1
            if nxt >= len(code) or code[nxt] != ":":
                found.append(at)
            at = words.find(" else ", at + 5)
        at = words.find(" if ")
        while at >= 0:
            pos = at  # offset in code of the `if` (words is shifted by one)
            line = code.rfind("\n", 0, pos) + 1
            # a statement's `if` starts a line and its header ends in a colon; a
            # comprehension's or a conditional's `if` that starts a line (black's style)
            # runs into the line's end or a closing bracket first
            if not code[line:pos].strip() and _HEAD.match(code, pos) is not None:
                if not _continued(code, line):
                    found.append(at)
            at = words.find(" if ", at + 3)
        if "case" in code:  # a case clause is a decision point; `case` is a soft keyword
            at = words.find(" case ")
            while at >= 0:
                line = code.rfind("\n", 0, at) + 1
                if not code[line:at].strip() and _soft_keyword(code, at):
                    found.append(at)
                at = words.find(" case ", at + 5)
        for start in self.src.fstrings:
            found += self._interpolated(start)
        found.sort()
        return found

    def _interpolated(self, start: int) -> list[int]:
        """Decision points in an f-string's replacement fields (code, for tree-sitter too)."""
        text = self.src.text
        body = text[start : self.src.strings[start]].replace("{{", "  ").replace("}}", "  ")
        found = []
        depth = 0
        for i, ch in enumerate(body):
            if ch == "{":
                if depth == 0:
                    open_at = i + 1
                depth += 1
            elif ch == "}" and depth:
                depth -= 1
                if depth == 0:
                    try:
                        inner = _Source(body[open_at:i]).code
                    except Unsure:
                        continue
                    words = (" " + inner + " ").translate(_PUNCT_TABLE)
                    for word in (" for ", " and ", " or ", " else "):
                        at = words.find(word)
                        while at >= 0:
                            found.append(start + open_at + at)
                            at = words.find(word, at + len(word) - 1)
        return found

    def branches_in(self, start: int, end: int) -> int:
        return bisect_left(self.branches, end) - bisect_left(self.branches, start)

    # -- structure ----------------------------------------------------------------------------
    def body_of(self, st: _Statement) -> _Header:
        head = self.heads.get(st.start)
        if head is None:
            head = self.heads[st.start] = _Header(self.src, st)
        return head

    def kids_of(self, st: _Statement) -> list[_Statement]:
        kids = self.kids.get(st.start)
        if kids is None:
            head = self.body_of(st)
            kids = [] if head.inline else _statements(self.src, head.body, st.end, head.body_indent)
            self.kids[st.start] = kids
        return kids

    def end_of(self, st: _Statement, head: _Header) -> tuple[int, int]:
        """(row, offset) where a definition ends: its last token, or a trailing comment that
        is still indented as its body (tree-sitter keeps those in the block)."""
        src = self.src
        last = src.last_code(st.start, st.end)
        row = src.row(last)
        if head.inline:
            return row, last + 1
        comments = src.comments
        i = bisect_right(comments, last)
        while i < len(comments) and comments[i] < st.end:
            c = comments[i]
            crow = src.row(c)
            if crow != row:
                if c - src.line_start(crow) < head.body_indent:
                    break
                row = crow
            i += 1
        return row, last + 1

    def docstring(self, head: _Header, end: int) -> str:
        return self._string_statement(head.body, end)

    def _string_statement(self, pos: int, end: int) -> str:
        """The content of a string that is a statement by itself at `pos`, else ""."""
        src = self.src
        code = src.code
        m = re.match(r"[A-Za-z]{0,2}", code[pos : pos + 3])
        q = pos + (m.end() if m else 0)
        stop = src.strings.get(q)
        if stop is None or (q > pos and not code[pos:q].isalpha()):
            return ""
        line = _LL.match(code, stop, end)
        rest = code[stop : line.end()] if line else code[stop:end]
        rest = rest.strip()
        if rest and not rest.startswith(";"):
            return ""
        return first_sentence(self._content(pos, q, stop))

    def _content(self, pos: int, q: int, stop: int) -> str:
        text = self.src.text
        width = 3 if text.startswith(text[q] * 3, q) and stop - q >= 6 else 1
        content = text[q + width : stop - width]
        if "f" in text[pos:q].lower():
            brace = re.search(r"(?<!\{)\{(?!\{)", content)
            if brace:
                content = content[: brace.start()]
        return content

    # -- definitions --------------------------------------------------------------------------
    def definitions(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for st, outer in self._defs(self.top):
            out.append(self._symbol(st, outer, "", "class" if st.word == "class" else "function"))
            if st.word == "class":
                kids = self.kids_of(st)
                name = self._def_name(st)[0]
                for inner, inner_outer in self._defs(kids):
                    kind = "class" if inner.word == "class" else "method"
                    out.append(self._symbol(inner, inner_outer, name + ".", kind))
        return out

    def _defs(self, stmts: list[_Statement]) -> list[tuple[_Statement, _Statement]]:
        found = []
        deco: _Statement | None = None
        for st in stmts:
            if st.word == "@":
                deco = deco or st
                continue
            if st.word in ("def", "class") and not (st.word == "class" and st.is_async):
                found.append((st, deco or st))
            deco = None
        return found

    def _def_name(self, st: _Statement) -> tuple[str, int]:
        m = _NAME.match(self.src.code, st.word_end)
        if m is None:
            raise Unsure("a definition without a name")
        return m.group(1), m.start(1)

    def _symbol(self, st: _Statement, outer: _Statement, owner: str, kind: str) -> dict[str, Any]:
        src = self.src
        name, at = self._def_name(st)
        head = self.body_of(st)
        row = src.row(at)
        end_row, end = self.end_of(st, head)
        start_row = src.row(outer.start)
        sym: dict[str, Any] = {
            "name": name,
            "qualname": owner + name,
            "kind": kind,
            "line": row,
            "column": at - src.line_start(row),
            "start": start_row,
            "end": end_row,
            "lines": end_row - start_row + 1,
            "doc": self.docstring(head, st.end),
            "public": not name.startswith("_") or (name.startswith("__") and name.endswith("__")),
            "branches": self.branches_in(st.start, end),
        }
        after = self._skip_type_params(at + len(name))
        if st.word == "def":
            sym["signature"] = self._signature(after, head.colon)
            sym["async"] = st.is_async
            if outer is not st:
                sym["decorators"] = self._decorators(outer.start, st.start)
        else:
            sym["bases"] = self._bases(after, head.colon)[:8]
        return sym

    def _skip_type_params(self, pos: int) -> int:
        code = self.src.code
        pos = _skip(_INDENT, code, pos)
        if pos < len(code) and code[pos] == "[":
            g = _GROUP.match(code, pos)
            if g is None:
                raise Unsure("type parameters")
            return g.end()
        return pos

    def _group_at(self, pos: int, stop: int) -> tuple[int, int] | None:
        code = self.src.code
        while pos < stop and code[pos] in " \t\\\r\n":
            pos += 1
        if pos >= stop or code[pos] != "(":
            return None
        g = _GROUP.match(code, pos)
        if g is None:
            raise Unsure("unbalanced brackets")
        return pos, g.end()

    def _signature(self, pos: int, colon: int) -> str:
        text = self.src.text
        group = self._group_at(pos, colon)
        if group is None:
            raise Unsure("a def without parameters")
        sig = text[group[0] : group[1]]
        rest = self.src.code[group[1] : colon - 1]
        arrow = rest.find("->")
        if arrow >= 0:
            ann = group[1] + arrow + 2
            ann += len(rest[arrow + 2 :]) - len(rest[arrow + 2 :].lstrip(" \t\\\r\n"))
            sig += " -> " + text[ann : colon - 1].strip()
        sig = " ".join(sig.split())
        return sig if len(sig) <= SIGNATURE_MAX else sig[: SIGNATURE_MAX - 1] + "…"

    def _decorators(self, start: int, stop: int) -> list[str]:
        src = self.src
        out = []
        for line in _statements(src, start, stop, src.col(start)):
            # to the end of its last line: tree-sitter's decorator node keeps a trailing comment
            end = src.text.find("\n", src.last_code(line.start, line.end))
            text = src.text[line.start : end if end >= 0 else len(src.text)]
            out.append(text.lstrip("@").split("(")[0].strip())
        return out

    def _split(self, start: int, stop: int) -> list[tuple[int, int]]:
        """Spans of the comma-separated items of the code in [start, stop), at its depth."""
        code = self.src.code
        spans = []
        depth = 0
        item = start
        for m in re.finditer(r"[()\[\]{},]", code[start:stop]):
            ch = m.group()
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
            elif depth == 0:
                spans.append((item, start + m.start()))
                item = start + m.end()
        spans.append((item, stop))
        return spans

    def _items(self, start: int, stop: int) -> list[tuple[int, str]]:
        """(offset, text) of the named children of a bracketed list: items and comments."""
        src = self.src
        out = []
        for a, b in self._split(start, stop):
            seg = src.code[a:b]
            lead = len(seg) - len(seg.lstrip())
            body = seg.strip()
            if body:
                out.append((a + lead, src.text[a + lead : a + lead + len(body)]))
        i = bisect_left(src.comments, start)
        while i < len(src.comments) and src.comments[i] < stop:
            c = src.comments[i]
            stop_c = src.text.find("\n", c)
            out.append((c, src.text[c : stop_c if stop_c >= 0 else len(src.text)]))
            i += 1
        out.sort()
        return out

    def _bases(self, pos: int, colon: int) -> list[str]:
        group = self._group_at(pos, colon)
        if group is None:
            return []
        return [t.strip() for _, t in self._items(group[0] + 1, group[1] - 1)]

    # -- imports ------------------------------------------------------------------------------
    def imports(self) -> list[dict[str, Any]]:
        src = self.src
        code = src.code
        out: list[dict[str, Any]] = []
        at = code.find("import")
        size = len(code)
        while at >= 0:
            end = at + 6
            before = code[at - 1] if at else " "
            after = code[end] if end < size else " "
            if not (before.isalnum() or before in "_." or after.isalnum() or after == "_"):
                self._import(at, out)
            at = code.find("import", end)
        return out

    def _import(self, at: int, out: list[dict[str, Any]]) -> None:
        src = self.src
        code = src.code
        line = code.rfind("\n", 0, at) + 1
        seg = code[line:at]
        if _continued(code, line):
            raise Unsure("an import continued from the line before")
        m = re.search(r"(?:^|[;:])[ \t]*(from[ \t]+(\.[ \t.]*)?([\w.]*?)[ \t]*)$", seg)
        if m is not None and m.group(1):
            start = line + m.start(1)
            dots = (m.group(2) or "").replace(" ", "").replace("\t", "")
            rest = m.group(3)
            if not dots and rest == "__future__":
                return
            kind = "from"
        elif not seg.strip() or seg.rstrip()[-1] in ";:":
            start, kind, dots, rest = at, "import", "", ""
        else:
            return  # `import` inside something else: not a statement
        stmt_end = self._simple_end(at + 6)
        names_code = code[at + 6 : stmt_end].replace("\\\r\n", " ").replace("\\\n", " ")
        row = src.row(start)
        context = self._context(start)
        base = {
            "line": row,
            "text": self.lines[row].strip() if row < len(self.lines) else "",
            "deferred": context[0],
            "type_checking": context[1],
            "optional": context[2],
        }
        if kind == "import":
            for item in names_code.split(","):
                words = item.split()
                if not words:
                    continue
                module = words[0]
                out.append(
                    {
                        **base,
                        "kind": "import",
                        "module": module,
                        "names": [],
                        "level": 0,
                        "resolved": True,
                    }
                )
            return
        out.append(self._from(base, names_code, len(dots), rest))

    def _from(self, base: dict[str, Any], names_code: str, level: int, rest: str) -> dict[str, Any]:
        """The record of `from … import names_code` (relative ones resolved)."""
        body = names_code.strip()
        if body.startswith("(") and body.endswith(")"):
            body = body[1:-1]
        names: list[str] = []
        aliases: dict[str, str] = {}
        for item in body.split(","):
            words = item.split()
            if not words or words[0] == "*":
                continue
            if len(words) >= 3 and words[1] == "as":
                aliases[words[0]] = words[2]
            names.append(words[0])
        if "*" in body:
            names.append("*")
        extra = {"aliases": aliases} if aliases else {}
        record = {**base, "kind": "from", "module": rest, "names": names, "level": level}
        if not level:
            return {**record, "resolved": True, **extra}
        up = level - 1
        if up >= len(self.package):  # beyond the top-level package
            return {**record, "module": "." * level + rest, "resolved": False, **extra}
        target = ".".join([*self.package[: len(self.package) - up], *([rest] if rest else [])])
        return {**record, "module": target, "resolved": bool(target), **extra}

    def _simple_end(self, pos: int) -> int:
        """Where the simple statement going on at `pos` ends: `;` or the logical line's end."""
        code = self.src.code
        m = _SIMPLE.match(code, pos)
        return m.end() if m else pos

    def _context(self, pos: int) -> tuple[bool, bool, bool]:
        """(deferred, type_checking, optional) of the statement at `pos`."""
        deferred = type_checking = optional = False
        stmts = self.top
        starts = self.top_starts
        while True:
            i = bisect_right(starts, pos) - 1
            if i < 0:
                return deferred, type_checking, optional
            st = stmts[i]
            if st.start == pos or st.word not in COMPOUND and st.word != "@":
                return deferred, type_checking, optional
            if st.word == "@":
                return deferred, type_checking, optional
            head = self.body_of(st)
            if pos < head.colon:
                return deferred, type_checking, optional
            if st.word == "def":
                deferred = True
            elif st.word == "if":
                cond = self.src.text[st.word_end : head.colon - 1].strip()
                if cond in TYPE_CHECKING:
                    type_checking = True
            elif st.word == "try":
                for sib in stmts[i + 1 :]:
                    if sib.word != "except":
                        break
                    hdr = self.src.text[sib.start : self.body_of(sib).colon - 1]
                    caught = set(re.findall(r"\w+", hdr)) - {"except"}
                    if not caught or caught & IMPORT_ERRORS:
                        optional = True
            if head.inline or pos < head.body:
                return deferred, type_checking, optional
            stmts = self.kids_of(st)
            starts = [k.start for k in stmts]

    # -- module level -------------------------------------------------------------------------
    def module_docstring(self) -> str:
        if not self.top:
            return ""
        first = self.top[0]  # comments before it are no statements
        return self._string_statement(first.start, first.end)

    def top_level(self) -> tuple[list[str], list[str] | None, bool]:
        """Names bound at module level, `__all__` when declared, the `__main__` guard."""
        src = self.src
        names: list[str] = []
        declared: list[str] | None = None
        entry = False
        for st in self.top:
            word = st.word
            if word in ("def", "class"):
                names.append(self._def_name(st)[0])
                continue
            if word == "if":
                head = self.body_of(st)
                cond = src.text[st.word_end : head.colon - 1].strip().replace("'", '"')
                if "__name__" in cond and '"__main__"' in cond:
                    entry = True
                continue
            if word == "@" or word in STATEMENT_KEYWORDS or st.is_async:
                continue
            assign = self._assignment(st)
            if assign is None:
                continue
            op, left, right = assign
            left_text = src.text[left[0] : left[1]].strip()
            if left_text == "__all__":
                found = self._strings(*right) if right else []
                if op == "aug":
                    declared = (declared or []) + found
                else:
                    declared = found
                continue
            if op == "aug":
                continue
            names += self._target_names(left)
        return names, declared, entry

    def _assignment(
        self, st: _Statement
    ) -> tuple[str, tuple[int, int], tuple[int, int] | None] | None:
        code = self.src.code
        end = self._simple_end(st.start)
        depth = 0
        for m in re.finditer(
            r"[()\[\]{}]|[=!<>]=|->|:=|(?:\*\*|//|>>|<<|[-+*/%&|^@])=|=|:|\blambda\b",
            code[st.start : end],
        ):
            tok = m.group()
            if tok in "([{":
                depth += 1
            elif tok in ")]}":
                depth -= 1
            elif depth:
                continue
            elif tok == "lambda" or tok in ("==", "!=", "<=", ">=", "->", ":="):
                if tok == "lambda":
                    return None
                continue
            elif tok == "=":
                return "=", (st.start, st.start + m.start()), (st.start + m.end(), end)
            elif tok == ":":
                left = (st.start, st.start + m.start())
                eq = self._top_equals(st.start + m.end(), end)
                return "=", left, ((eq, end) if eq is not None else None)
            else:
                return "aug", (st.start, st.start + m.start()), (st.start + m.end(), end)
        return None

    def _top_equals(self, start: int, end: int) -> int | None:
        depth = 0
        for m in re.finditer(r"[()\[\]{}]|[=!<>]=|->|:=|=", self.src.code[start:end]):
            tok = m.group()
            if tok in "([{":
                depth += 1
            elif tok in ")]}":
                depth -= 1
            elif tok == "=" and not depth:
                return start + m.end()
        return None

    def _target_names(self, left: tuple[int, int]) -> list[str]:
        """The names an assignment binds: `a`, `a, b`, `(a, b)`, `[a, b]` (not `a.b`, `a[k]`)."""
        text = self.src.text[left[0] : left[1]].strip()
        if _IDENT.match(text):
            return [text]
        inner = text
        if inner[:1] in "([" and inner[-1:] in ")]":
            inner = inner[1:-1]
        elif "," not in inner:
            return []
        return [p for part in inner.split(",") if _IDENT.match(p := part.strip())]

    def _strings(self, start: int, end: int) -> list[str]:
        src = self.src
        code = src.code
        seg = code[start:end]
        lead = len(seg) - len(seg.lstrip())
        body = seg.strip()
        if not body or body[0] not in "([":
            return []
        open_at = start + lead
        g = _GROUP.match(code, open_at)
        if g is None or g.end() != open_at + len(body):
            return []
        items = self._split(open_at + 1, g.end() - 1)
        if body[0] == "(" and len(items) == 1 and code[items[0][0] : items[0][1]].strip():
            return []  # parenthesized, not a tuple
        out = []
        for a, b in items:
            piece = code[a:b]
            pos = a + len(piece) - len(piece.lstrip())
            item = piece.strip()
            if not item:
                continue
            m = re.match(r"[A-Za-z]{0,2}", item)
            q = pos + (m.end() if m else 0)
            stop = src.strings.get(q)
            if stop is None or stop != pos + len(item):
                continue
            out.append(self._content(pos, q, stop))
        return out


def scan(text: str, lines: list[str], module: str, is_package: bool) -> dict[str, Any] | None:
    """The facts of a Python file from the lexer pass, or None where tree-sitter must read it."""
    try:
        s = _Scan(text, lines, module, is_package)
        return {
            "docstring": s.module_docstring(),
            "symbols": s.definitions(),
            "imports": s.imports(),
            "branches": len(s.branches),
            "top_level": s.top_level(),
        }
    except (Unsure, RecursionError, IndexError):
        return None
