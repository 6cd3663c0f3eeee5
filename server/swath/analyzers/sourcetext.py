"""Small helpers the code analyzers share: languages, lines the LSP way, columns."""

from __future__ import annotations

import ast
import re
import threading
import warnings
from pathlib import PurePosixPath

from swath.workspace.languages import ANALYZED_LANGUAGES as ANALYZED_LANGUAGES
from swath.workspace.languages import SCRIPT_LANGUAGES as SCRIPT_LANGUAGES
from swath.workspace.languages import language_of as _language_of

# The LSP's (and the evidence verifier's) line breaks. str.splitlines() would also split
# on \f, \v, \x1c… and disagree with the editor's line numbers.
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def language_of(path: str) -> str | None:
    return _language_of(path, ANALYZED_LANGUAGES)


def split_lines(text: str) -> list[str]:
    # Without a \r the breaks are the \n alone: str.split is ~10x faster than the regex.
    return text.split("\n") if "\r" not in text else LINE_BREAK.split(text)


def line_count(lines: list[str]) -> int:
    """Lines of a file as an editor numbers them, not counting the empty one after a final newline."""
    return len(lines) - 1 if lines and lines[-1] == "" else len(lines)


def first_nonempty(lines: list[str]) -> tuple[int, str] | None:
    for n, line in enumerate(lines):
        if line.strip():
            return n, line.strip()
    return None


def first_nonempty_of(text: str) -> tuple[int, str] | None:
    """`first_nonempty(split_lines(text))` without splitting the whole file for it."""
    if "\r" in text:
        return first_nonempty(split_lines(text))
    start = n = 0
    while True:
        end = text.find("\n", start)
        line = (text[start:] if end < 0 else text[start:end]).strip()
        if line:
            return n, line
        if end < 0:
            return None
        n, start = n + 1, end + 1


_SENTENCE_END = re.compile(r"(?<=[.!?])\s")

# A licence or copyright header says whose the file is, not what it is for. Go's own
# rule (go/doc.Synopsis: a comment starting "copyright", "all rights" or "author" is no
# package doc: "the common mistake of a copyright notice immediately before a package
# statement"), SPDX tags, the common licence preambles, and generators' headers.
_BOILERPLATE = re.compile(
    r"^\W*(?:copyright\b|all rights\b|author\b|authors?\s*:|©|\(c\)\s|spdx-license-identifier\b|"
    r"@license\b|licensed (?:under|to)\b|use of this source code is governed\b|"
    r"this (?:source code|file|program|library|software) is (?:part of|free software|"
    r"licensed|distributed|subject to|released)\b|permission is hereby granted\b|"
    r"the mit license\b|code generated\b)",
    re.IGNORECASE,
)
# A section label over a part of a file (`// TYPES`, `// ---- helpers ----`, a heading
# over a rule of dashes) names the part below it; it is no one's purpose.
_SECTION_WORDS = 4


def is_boilerplate(text: str) -> bool:
    """Whether a comment's first sentence is a licence, copyright or generated-file header."""
    return _BOILERPLATE.match(text) is not None


def is_section_label(text: str, ruled: bool = False) -> bool:
    """Whether a comment's text is a section label: a few words, no sentence, in capitals
    (`TYPES`, `PUBLIC API`) or framed by rules (`ruled`: the comment has a line of dashes)."""
    words = text.split()
    if not words or len(words) > _SECTION_WORDS or "\n" in text.strip():
        return False
    if text.rstrip()[-1:] in ".!?:" and not ruled:
        return False
    letters = [c for c in text if c.isalpha()]
    return ruled or (len(letters) >= 3 and all(c.isupper() for c in letters))


def first_sentence(text: str, limit: int = 240) -> str:
    """The first sentence of a doc comment's first paragraph, its lines joined.

    "Package x does this\n// and that. More." is "Package x does this and that.": a purpose
    that wraps over lines is one sentence, not its last line nor its first half.
    """
    paragraph: list[str] = []
    for line in text.strip().splitlines():
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    joined = " ".join(paragraph)
    sentence = _SENTENCE_END.split(joined, 1)[0] if joined else ""
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def char_col(line: str, byte_col: int) -> int:
    """Python's ast gives UTF-8 byte offsets; the LSP layer wants characters."""
    if byte_col <= 0 or line.isascii():
        return max(byte_col, 0)
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace"))


def is_test_path(path: str) -> bool:
    p = PurePosixPath(path)
    name = p.name
    return (
        name.startswith("test_")
        or name.endswith(("_test.py", "_test.go", "_tests.py"))
        or name == "conftest.py"
        or any(part in ("tests", "test", "__tests__", "testing") for part in p.parts[:-1])
        or bool(re.search(r"\.(test|spec)\.[cm]?[jt]sx?$", name))
    )


_PARSE_LOCK = threading.Lock()


def parse_python(text: str, path: str) -> ast.Module:
    """`ast.parse` with the parser's warnings silenced (an invalid escape such as "\\d" warns,
    and under `-W error` would turn a good file into a SyntaxError).

    `warnings.catch_warnings` swaps process-wide state; the lock keeps two worker threads
    from restoring each other's filters. Parsing holds the GIL anyway, so it costs nothing.
    """
    with _PARSE_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, filename=path)
