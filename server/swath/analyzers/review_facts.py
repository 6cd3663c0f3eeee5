"""Every offline check of one changed file, for all passes at once.

The passes run as separate steps over the same files; parsing a file five times would
cost five times as much. So a file is read and checked once, its hits kept in a small
memo keyed by its content, and each pass takes the hits that are its own.

What a file gets depends on its role (swath.workspace.roles): source code gets every
check; a test gets the secrets check, conflict markers and the tests pass's ruff rules;
generated code (build output, minified, vendored) the secrets check and conflict markers;
test data gets nothing (it is input, not code).
"""

from __future__ import annotations

import ast
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from swath.analyzers.review_a11y import a11y_hits, jsx_elements, markup_elements
from swath.analyzers.review_go import go_hits
from swath.analyzers.review_passes import pass_of_rule
from swath.analyzers.review_python import python_hits
from swath.analyzers.review_rules import Hit
from swath.analyzers.review_script import LOOSE_EQUALITY, script_hits
from swath.analyzers.review_secrets import secret_hits
from swath.analyzers.review_tests import untested_hits
from swath.analyzers.review_text import conflict_hits
from swath.analyzers.sourcetext import SCRIPT_LANGUAGES
from swath.workspace.roles import Role

log = logging.getLogger(__name__)

MARKUP_EXTENSIONS = (".html", ".htm", ".vue", ".svelte", ".astro", ".jinja", ".j2", ".hbs")
MEMO_SIZE = 4096


def is_markup(path: str) -> bool:
    return path.lower().endswith(MARKUP_EXTENSIONS)


@dataclass
class FileChecks:
    """The hits of one file (every pass) and the checks that ran on it."""

    hits: list[Hit] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FileToCheck:
    """One changed file and what its checks depend on."""

    path: str
    text: str
    lines: list[str] = field(hash=False, compare=False)
    language: str | None
    role: Role
    added: frozenset[int]
    tests_changed: bool
    # A tree with no test at all gets no "no test changed" findings: there is nothing to update.
    tree_has_tests: bool
    committed: bool | None  # whether the added lines are in a commit already (None: unknown)


def file_checks(f: FileToCheck) -> FileChecks:
    """Every pass's hits in the file (before the added-line and suppression filters)."""
    with _lock:
        if f in _memo:
            _memo.move_to_end(f)
            return _memo[f]
        key_lock = _key_locks.setdefault(f, threading.Lock())
    # The passes start side by side on the same files: the first computes, the others wait
    # for its result (before, all five computed it, and fought over the GIL doing so).
    with key_lock:
        with _lock:
            if f in _memo:
                return _memo[f]
        try:
            out = _compute(f)
            with _lock:
                _memo[f] = out
                while len(_memo) > MEMO_SIZE:
                    _memo.popitem(last=False)
        finally:
            with _lock:
                _key_locks.pop(f, None)
    return out


_memo: OrderedDict[FileToCheck, FileChecks] = OrderedDict()
_lock = threading.Lock()
_key_locks: dict[FileToCheck, threading.Lock] = {}


# A file whose unchanged lines already compare with `==` this often follows a style (preact's
# sources do throughout, and their lint allows it): one more is not a slip worth a finding.
_LOOSE_STYLE = 2


def _in_the_files_style(hits: list[Hit], added: set[int], notes: list[str]) -> list[Hit]:
    loose = LOOSE_EQUALITY.id
    before = sum(1 for h in hits if h.rule == loose and h.line not in added)
    if before < _LOOSE_STYLE:
        return hits
    notes.append(f"{loose}: the file's unchanged lines compare with ==/!= {before} times")
    return [h for h in hits if h.rule != loose]


def _compute(f: FileToCheck) -> FileChecks:
    out = FileChecks()
    if f.role == "test-data":
        return out
    added = set(f.added)
    out.hits += conflict_hits(f.lines, added)
    out.hits += secret_hits(f.path, f.lines, added, f.committed, f.role)
    out.checks += ["conflict-markers", "secrets"]
    if f.role in ("test", "generated"):
        return out
    text, language, path = f.text, f.language, f.path
    try:
        # The Python regions parsed, and their trees: the tests pass reads definitions off them.
        spans: list[tuple[int, int, ast.Module]] = []
        if language == "python":
            own = python_hits(path, text, f.lines, added, spans)
            if own is None:
                out.notes.append("loop rules skipped: syntax this Python does not parse")
            else:
                out.hits += own
                out.checks.append("python-loops")
        elif language in SCRIPT_LANGUAGES:
            own = script_hits(text, language)
            out.hits += _in_the_files_style(own, added, out.notes)
            out.checks.append("ast-grep")
            if language == "tsx":
                out.hits += a11y_hits(text, jsx_elements(text, language))
                out.checks.append("accessibility")
        elif language == "go":
            out.hits += go_hits(text, path)
            out.checks.append("ast-grep")
        elif is_markup(path):
            out.hits += a11y_hits(text, markup_elements(text))
            out.checks.append("accessibility")
        if (
            f.tree_has_tests
            and not f.tests_changed
            and language in ("python", "go", "typescript", "tsx", "javascript")
        ):
            out.hits += untested_hits(text, language, added, f.lines, spans or None)
            out.checks.append("tests")
    except Exception as exc:  # a grammar problem must not cost the file its other checks
        log.warning("review checks failed on %s: %s", path, exc)
        out.notes.append(f"structural checks failed: {exc}")
    return out


def hit_pass(hit: Hit) -> str | None:
    return pass_of_rule(hit.rule)
