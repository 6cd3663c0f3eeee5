"""The reference scan: one pass over the tree finds every key of every flag.

Why at discover time, once per run: every flag needs the same scan (and "which SDK calls
name a key nobody defines" needs all of them at once), so scanning per map batch would
read the tree once per batch. Doing it here also makes each flag item's `files` list the
files that reference it, so the engine's result cache re-runs a flag's analysis exactly
when one of those files changes.

How: candidate search with an Aho-Corasick DFA over bytes in worker processes (reading
files is GIL-bound, so threads do not help; processes do: see scanpool.py), then, for exported
constants that hold a key, a second pass for their names over files of the same
language. Structure (is this hit a call, which branch does it guard) is the analyzer's
job, on the few files that matter.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from swath.items.flags import (
    DOC_EXTENSIONS,
    CallName,
    ConstantDef,
    DynamicRead,
    KeyCase,
    ReferenceHit,
)
from swath.sources.flagdefs import scanpool, scanworker, scopes
from swath.sources.flagdefs.common import language_of
from swath.sources.flagdefs.patternreads import PatternRead, SourceText, find_captures

log = logging.getLogger(__name__)

MAX_PER_KEY = 2000  # references kept per key; the rest are counted
PARALLEL_MIN_FILES = 1500  # below this, starting processes costs more than it saves
CHUNKS_PER_WORKER = 4
_TEST_PATH = re.compile(
    r"(^|/)(tests?|__tests__|spec|specs|testing)/|(^|/)test_[^/]*\.py$|_test\.(py|go)$|\.(test|spec)\.[cm]?[jt]sx?$"
    r"|(^|/)conftest\.py$"
)
# What an undefined key may look like: a template (`flag_{i}`, `${name}`) or prose is not a key.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}")
_FAMILY = {
    ".py": "py",
    ".pyi": "py",
    ".ts": "js",
    ".tsx": "js",
    ".mts": "js",
    ".cts": "js",
    ".js": "js",
    ".jsx": "js",
    ".mjs": "js",
    ".cjs": "js",
    ".go": "go",
}


# Membership checks read a key without a call name: `enabled.has("demo")` (a method call:
# prose "has" and "includes" too), `"demo" in flags` (told by the `in` after the key).
# What a one-word key's occurrence may be the mere word in: a quoted string, a name. A
# constant holding the key (`OTHER = "other"`) and its uses stay references: code that put
# the key in a constant may pass it to a check anywhere (a helper), and the plan keeps a
# definition that is still read so.
_WORDLIKE = ("literal", "identifier")
_MEMBERSHIP_CALL = r"\.\s*(?:has|includes|contains)\s*\("
_MEMBERSHIP_AFTER = re.compile(r"\s*(?:not\s+)?in\b")


def is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path))


def family(path: str) -> str:
    dot = path.rfind(".")
    ext = path[dot:].lower() if dot >= 0 else ""
    return _FAMILY.get(ext, ext)


@dataclass
class ScanStats:
    files_listed: int = 0
    files_read: int = 0
    bytes_read: int = 0
    seconds: float = 0.0
    workers: int = 1
    second_pass_files: int = 0
    pattern_files: int = 0  # files parsed for reads through homegrown reference patterns


@dataclass
class ScanIndex:
    """What the scan found, by key."""

    references: dict[str, list[ReferenceHit]] = field(default_factory=dict)
    mentions: dict[str, list[ReferenceHit]] = field(default_factory=dict)
    constants: dict[str, list[ConstantDef]] = field(default_factory=dict)
    undefined: dict[str, list[ReferenceHit]] = field(default_factory=dict)
    # References found beyond `max_per_key` (counted, not kept: memory stays bounded).
    unlisted: dict[str, int] = field(default_factory=dict)
    # Listed files the scan did not read, with the reason (SkipReason names): a flag read only
    # in a 6 MB generated file is not "unused", and the report must say what it left out.
    skipped: dict[str, str] = field(default_factory=dict)
    # Reads whose key is built at run time, by the literal (prefix, suffix) it must have, the
    # homegrown system they read ("": an SDK call) and its key case: (how many, the first
    # by path and line).
    dynamic: dict[tuple[str, str, str, str], tuple[int, DynamicRead]] = field(default_factory=dict)
    # One-word keys' occurrences where their system reads no key (see `plain_keys`): not
    # references; how many, and the first by path and line.
    ordinary: dict[str, tuple[int, ReferenceHit]] = field(default_factory=dict)
    stats: ScanStats = field(default_factory=ScanStats)

    def dynamic_reads_of(
        self, key: str, systems: Iterable[str] = ()
    ) -> tuple[int, DynamicRead | None]:
        """How many dynamic reads may read `key` (a flag of `systems`), and the first."""
        mine = set(systems)
        count, first = 0, None
        for n, read in self.dynamic.values():
            if read.system is not None and read.system not in mine:
                continue
            if read.may_read(key):
                count += n
                if first is None or (read.path, read.line) < (first.path, first.line):
                    first = read
        return count, first


@dataclass
class DefinitionSpan:
    key: str
    path: str
    line: int
    end_line: int


def shutdown_pool() -> None:
    scanpool.shutdown()


def prestart(n_files: int, workers: int | None = None) -> None:
    """Start the workers now when the scan will want them, so that their start-up overlaps
    with reading the flag definitions."""
    n = workers or os.cpu_count() or 1
    if n > 1 and n_files >= PARALLEL_MIN_FILES:
        scanpool.get(n)


def warm_pool(workers: int | None = None) -> None:
    """Start the scan workers ahead of the first scan (an editor session scans many times)."""
    n = workers or os.cpu_count() or 1
    if n > 1:
        scanpool.get(n).warm()


def _run_chunks(
    root: str, files: list[str], fn_args: tuple[object, ...], workers: int, fn: str
) -> Iterator[Any]:
    """`scanworker.<fn>` over interleaved chunks, in worker processes when it pays; each
    chunk's result as soon as it is there, so the caller never holds all of them."""
    target = getattr(scanworker, fn)
    if workers <= 1 or len(files) < PARALLEL_MIN_FILES:
        yield target(root, files, *fn_args)
        return
    n_chunks = workers * CHUNKS_PER_WORKER
    # Interleaved, not contiguous: neighbouring files are alike in size, so every chunk
    # gets a fair share of the big ones.
    chunks = [c for c in (files[i::n_chunks] for i in range(n_chunks)) if c]
    done = 0
    try:
        for result in scanpool.get(workers).stream(fn, [(root, c, *fn_args) for c in chunks]):
            done += 1
            yield result
    except (scanpool.WorkerFailed, OSError) as exc:
        log.warning("scan workers failed, scanning the rest in this process: %s", exc)
        scanpool.shutdown()
        for c in chunks[done:]:
            yield target(root, c, *fn_args)


def scan_references(
    root: str,
    files: list[str],
    keys: list[str],
    call_names: list[CallName],
    definitions: list[DefinitionSpan],
    bare_keys: list[str] | None = None,
    defined: set[str] | None = None,
    max_bytes: int = 5_000_000,
    workers: int | None = None,
    follow_constants: bool = True,
    max_per_key: int = MAX_PER_KEY,
    bare_aliases: dict[str, str] | None = None,
    pattern_reads: list[PatternRead] | None = None,
    plain_keys: dict[str, list[str]] | None = None,
    tree_files: list[str] | None = None,
    not_generated: list[str] | None = None,
) -> ScanIndex:
    """`plain_keys`: one-word keys (`enabled`, `demo`: also ordinary words of code and
    prose) with the words their systems read a key through (SDK call names, the words a
    reference pattern spells out): an occurrence on a line with none of them, and not a
    call's key, is not counted as a reference, only in `ScanIndex.ordinary`.
    `bare_aliases`: spellings of a key that its system's code uses instead (LaunchDarkly's
    React SDK reads `new-onboarding` as `newOnboarding`; a kebab-cased `"dark-mode"` for
    `darkMode`), spelling -> key; each is scanned as an identifier and as a quoted key.
    `pattern_reads`: homegrown reference patterns searched for keys built at run time, in
    the files that hold their anchor words (see patternreads.py). `tree_files`: every file
    of the tree when `files` are fewer (a Python import names a module of the tree or not).
    `not_generated`: files the repository's .gitattributes say are not generated, read
    whatever their text says (those they say are generated are left out of `files`)."""
    t0 = time.perf_counter()
    aliases = dict(bare_aliases or {})
    bare_keys = [*(bare_keys or []), *aliases]
    n_workers = workers or os.cpu_count() or 1
    keys = [
        k for k in dict.fromkeys([*keys, *aliases]) if k and not any(c in k for c in "\"'`\n\r")
    ]
    bare = [k for k in dict.fromkeys(bare_keys or []) if re.fullmatch(r"[A-Za-z_$][\w$]*", k)]
    calls = [c.name for c in call_names]
    defined = set(keys) if defined is None else defined
    index = ScanIndex(stats=ScanStats(files_listed=len(files), workers=n_workers))
    spans: dict[str, list[DefinitionSpan]] = {}
    for d in definitions:
        spans.setdefault(d.path, []).append(d)

    specs = [p for p in pattern_reads or [] if p.groups]
    anchors = sorted({w for p in specs for g in p.groups for w in g})
    at = {w: i for i, w in enumerate(anchors)}
    checks = [([[at[w] for w in g] for g in p.groups], p.prefilter, p.lead) for p in specs]
    merger = _Merger(index, keys, bare, calls, defined, spans, max_per_key, aliases, plain_keys)
    merger.tree_files = tree_files if tree_files is not None else files
    # Chunk by chunk as the workers answer: no list of every raw hit of the tree.
    for found, n_files, n_bytes, skipped in _run_chunks(
        root,
        files,
        (keys, bare, calls, max_bytes, anchors, checks, not_generated),
        n_workers,
        "scan_chunk",
    ):
        index.stats.files_read += n_files
        index.stats.bytes_read += n_bytes
        index.skipped.update(skipped)
        for path, hits in found:
            merger.file(path, hits)
    if follow_constants:
        exported = merger.exported_constants()
        if exported:
            fams = {family(c.path) for cs in exported.values() for c in cs}
            targets = [f for f in files if family(f) in fams]
            index.stats.second_pass_files = len(targets)
            names = sorted(exported)
            args = (names, max_bytes, not_generated)
            for chunk in _run_chunks(root, targets, args, n_workers, "scan_names"):
                for path, hits in chunk:
                    merger.constant_uses(path, hits, exported)
    if specs:
        index.stats.pattern_files = merger.pattern_reads(root, specs, max_bytes)
    merger.finish()
    index.stats.seconds = time.perf_counter() - t0
    return index


class _Merger:
    """Turns the workers' raw tuples into ReferenceHits, by key."""

    def __init__(
        self,
        index: ScanIndex,
        keys: list[str],
        bare: list[str],
        calls: list[str],
        defined: set[str],
        spans: dict[str, list[DefinitionSpan]],
        max_per_key: int = MAX_PER_KEY,
        aliases: dict[str, str] | None = None,
        plain_keys: dict[str, list[str]] | None = None,
    ) -> None:
        self.aliases = aliases or {}
        # one-word key -> a search for the words its system reads a key through
        self.plain: dict[str, re.Pattern[str]] = {}
        by_words: dict[tuple[str, ...], re.Pattern[str]] = {}
        for k, words in (plain_keys or {}).items():
            sig = tuple(sorted(set(words)))
            rx = by_words.get(sig)
            if rx is None:
                alternatives = "|".join(re.escape(w) for w in sig) or "(?!)"
                rx = by_words[sig] = re.compile(
                    rf"(?<![\w$])(?:{alternatives})(?![\w$])|{_MEMBERSHIP_CALL}"
                )
            self.plain[k] = rx
        self.call_keys: set[tuple[int, int]] = set()  # this file's calls' literal keys
        # path -> the homegrown reference patterns it may hold a dynamic read of (indices)
        self.anchored: dict[str, list[int]] = {}
        self.index, self.keys, self.bare, self.calls, self.defined, self.spans = (
            index,
            keys,
            bare,
            calls,
            defined,
            spans,
        )
        self.at: dict[tuple[str, int, int], ReferenceHit] = {}
        self.pending_calls: list[
            tuple[str, str, str, int, int]
        ] = []  # path, identifier, call, line, col
        self.local_consts: dict[tuple[str, str, int], str] = {}  # (path, name, line) -> key
        self.members: set[tuple[str, int, str]] = set()  # (path, line, name): enum/class members
        self.commonjs: set[tuple[str, int, str]] = set()  # (path, line, name): `exports.X = …`
        self.tree_files: list[str] = []
        # Every tail of the tree's Python module paths (`app/flags/keys`, `flags/keys`,
        # `keys`), made when first wanted (0.09 s on 20,000 files).
        self._python_modules: set[str] | None = None
        self.max_per_key = max_per_key
        self.placed: dict[tuple[str, str, int, int], ReferenceHit] = {}
        self.go_imports: dict[str, dict[str, str]] = {}
        # path, call, line, col, text, prefix, suffix, [(name, line, col)], enclosing functions,
        # the homegrown system (None: an SDK call), its key case
        self.dynamic: list[
            tuple[str, str, int, int, str, str, str, list[Any], list[str], str | None, str]
        ] = []
        self.positions: set[tuple[str, int, int]] = set()  # every placed hit, kept or not
        self.key_paths: dict[str, set[str]] = {}
        for path, file_spans in spans.items():
            for span in file_spans:
                self.key_paths.setdefault(span.key, set()).add(path)

    def _place(self, key: str, hit: ReferenceHit, origins: Iterable[str] = ()) -> None:
        """References, or mentions when the hit sits in a definition file; each place once.

        `origins`: the files that define the name a constant-use or identifier hit stands
        for (Go: only the same package, or a qualifier importing it, can name it)."""
        where = (key, hit.path, hit.line, hit.col)
        seen = self.placed.get(where)
        if seen is not None:
            # A name found both as a bare key and as a constant's use: one reference.
            if seen.kind == "identifier" and hit.kind == "constant-use":
                seen.kind, seen.via = hit.kind, hit.via
            return
        if hit.path.endswith(".go") and hit.kind in ("identifier", "constant-use", "constant-def"):
            if not _names_go_package(hit, self.go_imports.get(hit.path, {}), origins):
                return
        self.placed[where] = hit
        self.positions.add((hit.path, hit.line, hit.col))
        own = False
        other = False
        for span in self.spans.get(hit.path, ()):
            if span.line <= hit.line <= span.end_line:
                if span.key == key:
                    own = True
                else:
                    other = True
        if own:
            return  # the definition itself
        in_definition_file = hit.path in self.spans
        if other or (in_definition_file and language_of(hit.path) is None):
            self._keep(self.index.mentions, key, hit)
            return
        if key in self.plain and hit.kind in _WORDLIKE and self._ordinary(key, hit):
            return
        if self._keep(self.index.references, key, hit):
            self.at[(hit.path, hit.line, hit.col)] = hit

    def _ordinary(self, key: str, hit: ReferenceHit) -> bool:
        """Is this occurrence of a one-word key outside every read of its system? Then it
        is the word (`{ enabled: false }`, `.select('enabled')`, `/auth/demo/login`, a SQL
        column, a description), counted in `ordinary` and not a reference."""
        if (hit.line, hit.col) in self.call_keys or self.plain[key].search(hit.text):
            return False
        if hit.kind == "literal" and hit.path.lower().endswith(DOC_EXTENSIONS):
            return False  # quoted in prose (`` `demo` ``): a name, a doc to update
        if hit.kind == "literal" and _MEMBERSHIP_AFTER.match(hit.text, hit.end_col):
            return False  # `"demo" in flags` (a name before `in` is no key: `enabled in prod`)
        seen = self.index.ordinary.get(key)
        if seen is None:
            self.index.ordinary[key] = (1, hit)
        else:
            first = seen[1]  # the first in code, by path and line
            if (hit.lang is None, hit.path, hit.line, hit.col) < (
                first.lang is None,
                first.path,
                first.line,
                first.col,
            ):
                first = hit
            self.index.ordinary[key] = (seen[0] + 1, first)
        return True

    def _keep(self, table: dict[str, list[ReferenceHit]], key: str, hit: ReferenceHit) -> bool:
        refs = table.setdefault(key, [])
        if len(refs) < self.max_per_key:
            refs.append(hit)
            return True
        if table is self.index.references:
            self.index.unlisted[key] = self.index.unlisted.get(key, 0) + 1
        return False

    def file(self, path: str, hits: list[tuple[Any, ...]]) -> None:  # noqa: C901 - one branch per kind of hit of a single pass over the file
        if hits and hits[-1][0] == "imports":
            self.go_imports[path] = hits[-1][1]
        test = is_test_path(path)
        lang = language_of(path)
        calls: list[tuple[Any, ...]] = []
        # A call's literal key is a read wherever its line breaks (`isEnabled(\n 'demo')`).
        self.call_keys = {(h[7], h[8]) for h in hits if h[0] == "call" and h[6] is not None}
        # `AnyVolumeDataSource featuregate.Feature = "AnyVolumeDataSource"`: the name on a
        # line that defines the constant is that definition, not a second reference.
        const_lines = {(self.keys[h[1]], h[2]) for h in hits if h[0] == "key" and h[6]}
        for h in hits:
            kind = h[0]
            if kind == "key":
                _, idx, line, col, end_col, text, const, exported, scope_kind = h
                key = self.aliases.get(self.keys[idx], self.keys[idx])
                ref = ReferenceHit(
                    path=path,
                    line=line,
                    col=col,
                    end_col=end_col,
                    text=text,
                    kind="constant-def" if const else "literal",
                    test=test,
                    lang=lang,
                )
                if const:
                    cdef = ConstantDef(
                        name=str(const),
                        key=key,
                        path=path,
                        line=line,
                        scope="global" if exported else "file",
                    )
                    self.index.constants.setdefault(key, []).append(cdef)
                    self.local_consts[(path, str(const), line)] = key
                    if scope_kind == scopes.MEMBER:
                        self.members.add((path, line, str(const)))
                    elif scope_kind == scopes.EXPORTS:
                        self.commonjs.add((path, line, str(const)))
                self._place(key, ref)
            elif kind == "bare":
                _, idx, line, col, end_col, text, declares = h
                name = self.bare[idx]
                key = self.aliases.get(name, name)
                if (path, line, col) in self.at or (key, line) in const_lines:
                    continue
                if declares and path not in self.spans:
                    # `const enabled = …` elsewhere: a name of its own, neither a read nor
                    # the flag's declaration (those stand in its definition's files).
                    continue
                self._place(
                    key,
                    ReferenceHit(
                        path=path,
                        line=line,
                        col=col,
                        end_col=end_col,
                        text=text,
                        # etcd's `AuthCapability  Capability = "auth"`, an enum's member:
                        # listed (a removal deletes it), never counted as a read.
                        kind="constant-def" if declares else "identifier",
                        test=test,
                        lang=lang,
                    ),
                    self.key_paths.get(key, ()),
                )
            elif kind == "call":
                calls.append(h)
            elif kind == "dynamic":
                _, idx, line, col, _end, text, prefix, suffix, names, funcs = h
                self.dynamic.append(
                    (
                        path,
                        self.calls[idx],
                        line,
                        col,
                        text,
                        prefix,
                        suffix,
                        names,
                        list(funcs),
                        None,
                        "as-is",
                    )
                )
            elif kind == "patterns":
                self.anchored[path] = h[1]
            elif kind == "use":
                _, name, line, col, end_col, text, def_line = h
                key = self.local_consts.get((path, str(name), def_line))
                if key is not None:
                    self._place(
                        key,
                        ReferenceHit(
                            path=path,
                            line=line,
                            col=col,
                            end_col=end_col,
                            text=text,
                            kind="constant-use",
                            via=str(name),
                            test=test,
                            lang=lang,
                        ),
                    )
        # Calls last: they mark the key hits (which come after the call name) as calls.
        for h in calls:
            _, idx, line, col, end_col, text, literal, kline, kcol, kend, ktext, idents = h
            call = self.calls[idx]
            if literal is not None:
                lit = str(literal)
                existing = self.at.get((path, kline, kcol))
                if existing is not None:
                    existing.kind, existing.call = "call", call
                elif lit not in self.defined and _KEY_SHAPE.fullmatch(lit):
                    self._keep(
                        self.index.undefined,
                        lit,
                        ReferenceHit(
                            path=path,
                            line=kline,
                            col=kcol,
                            end_col=kend,
                            text=ktext,
                            kind="call",
                            call=call,
                            test=test,
                            lang=lang,
                        ),
                    )
            for ident, iline, icol in idents:
                self.pending_calls.append((path, ident, call, iline, icol))

    def exported_constants(self) -> dict[str, list[ConstantDef]]:
        out: dict[str, list[ConstantDef]] = {}
        for cs in self.index.constants.values():
            for c in cs:
                if c.scope == "global":
                    out.setdefault(c.name, []).append(c)
        return out

    def constant_uses(
        self, path: str, hits: list[tuple[Any, ...]], exported: dict[str, list[ConstantDef]]
    ) -> None:
        """Uses, in other files, of exported constants. In JavaScript/TypeScript and Python a
        bare name is one only where the file imports it (`import { FLAG } from './flags'`,
        `from app.flags import FLAG`, a star import), and then of the definition the import's
        module names when the paths tell (else of each of that name); a qualified one
        (`flags.FLAG`, `Flag.NewCheckout`) of the definition its qualifier's import names, or
        each. Go: the same package, or a qualifier importing it (see `_names_go_package`)."""
        bindings: dict[str, tuple[str, str]] = {}
        if hits and hits[-1][0] in ("imports", "bindings"):
            if hits[-1][0] == "imports":
                self.go_imports[path] = hits[-1][1]
            else:
                bindings = hits[-1][1]
            hits = hits[:-1]
        test = is_test_path(path)
        lang = language_of(path)
        fam = family(path)
        imported = fam in ("py", "js")
        self.call_keys = set()
        for _, name, line, col, end_col, text, qual, *alias in hits:
            # The defining file's own uses were found in its scan, where the declaration is seen.
            cands = [
                c for c in exported.get(str(name), []) if c.path != path and family(c.path) == fam
            ]
            if imported and cands:
                # `import { NEW_PRICING as P }`: `P` stands for the name it imports.
                local = str(alias[0]) if alias else str(name)
                cands = self._imported(path, local, qual, cands, bindings)
            for c in cands:
                self._place(
                    c.key,
                    ReferenceHit(
                        path=path,
                        line=line,
                        col=col,
                        end_col=end_col,
                        text=text,
                        kind="constant-use",
                        via=str(name),
                        test=test,
                        lang=lang,
                    ),
                    (c.path,),
                )

    def _imported(
        self,
        path: str,
        name: str,
        qual: str | None,
        cands: list[ConstantDef],
        bindings: dict[str, tuple[str, str]],
    ) -> list[ConstantDef]:
        """Which of the exported constants named `name` a use in `path` may stand for."""
        if qual is None:
            cands = [c for c in cands if (c.path, c.line, c.name) not in self.members]
            bound = bindings.get(name)
            if bound is not None:
                modules = [bound[0]]
            elif scopes.STAR in bindings:
                modules = bindings[scopes.STAR][0].split("\n")
            else:
                return []  # not imported here: another thing of that name
        elif path.endswith((".py", ".pyi")):
            modules = scopes.python_modules(qual, bindings)
        else:
            bound = bindings.get(qual)
            modules = [bound[0]] if bound is not None else []
            if bound is None and qual:
                # `item.name` where `item` is no import: not a CommonJS module's export (its
                # names are property names too: `module.exports = { name: 'learningLab' }`).
                cands = [c for c in cands if (c.path, c.line, c.name) not in self.commonjs]
        exact = [c for c in cands if any(scopes.resolves(m, path, c.path) for m in modules)]
        if not exact and modules and path.endswith((".py", ".pyi")):
            if not any(
                m.startswith(".") or m.replace(".", "/") in self.python_modules() for m in modules
            ):
                return []  # `import other.keys`: a module from outside the tree
        # A module that is not the defining file (a barrel re-exporting it, a path alias, a
        # package): each candidate, as before imports were read.
        return exact or cands

    def python_modules(self) -> set[str]:
        if self._python_modules is None:
            self._python_modules = _python_module_paths(self.tree_files)
        return self._python_modules

    def pattern_reads(self, root: str, specs: list[PatternRead], max_bytes: int) -> int:
        """Matches of homegrown reference patterns whose key is built at run time, in the
        files the workers found may hold one (tests are not reads). How many files were
        parsed."""
        parsed = 0
        prefix = root.rstrip("/") + "/"
        for path in sorted(self.anchored):
            wanted = [
                (p, lang)
                for p in (specs[i] for i in self.anchored[path])
                if (lang := p.applies_to(path)) is not None
            ]
            if not wanted or is_test_path(path):
                continue
            data = scanworker.read_file(prefix + path, max_bytes)
            if data is None:
                continue
            source = SourceText(data.decode("utf-8", "replace"))
            parsed += 1
            for p, lang in wanted:
                for c in find_captures(p, source, lang):
                    self.dynamic.append(
                        (
                            path,
                            p.summary,
                            c.line,
                            c.col,
                            c.text,
                            c.prefix,
                            c.suffix,
                            c.names,
                            c.functions,
                            p.system,
                            p.key_case,
                        )
                    )
        return parsed

    def finish(self) -> None:
        # SDK calls whose key argument is a name: mark the constant use they contain.
        for path, ident, call, line, col in self.pending_calls:
            last = ident.rsplit(".", 1)[-1]
            hit = self.at.get((path, line, col + len(ident) - len(last)))
            if hit is not None and hit.kind == "constant-use":
                hit.kind, hit.call = "call", call
        self._dynamic_reads()
        # Workers finish in any order: sort so that the same tree gives the same items.
        for table in (self.index.references, self.index.mentions, self.index.undefined):
            for refs in table.values():
                refs.sort(key=lambda r: (r.path, r.line, r.col))
        for consts in self.index.constants.values():
            consts.sort(key=lambda c: (c.path, c.line, c.name))

    def _dynamic_reads(self) -> None:
        """Calls with a key built at run time, less those that are not: a name that is a
        constant holding a key (found by the scan at that place), and wrappers (`def
        is_enabled(key): return client.variation(key, …)`: a call inside a function, or a
        function around that one, that is itself a configured call name or that code calls
        with a key, whose reads are seen where it is called)."""
        if not self.dynamic:
            return
        callers: set[str] | None = None
        calls = set(self.calls)
        # A pattern's match that is also an SDK call (`is_on(f"beta_{x}")` with `is_on($KEY)`):
        # one read, the SDK's (any flag with those literal parts).
        sdk = {(d[0], d[2], d[5], d[6]) for d in self.dynamic if d[9] is None}
        for path, call, line, col, text, prefix, suffix, names, funcs, system, case in self.dynamic:
            if system is not None and (path, line, prefix, suffix) in sdk:
                continue
            if any(
                (path, iline, icol + len(ident) - len(ident.rsplit(".", 1)[-1])) in self.positions
                for ident, iline, icol in names
            ):
                continue  # `variation(NEW_CHECKOUT, …)`: a constant the scan followed
            if funcs:
                if callers is None:
                    callers = self._callers()
                if any(f in calls or f in callers for f in funcs):
                    continue
            read = DynamicRead(
                path=path,
                line=line,
                col=col,
                quote=text.strip(),
                call=call,
                prefix=prefix,
                suffix=suffix,
                system=system,
                key_case=cast(KeyCase, case),
            )
            scope = (prefix, suffix, system or "", case)
            seen = self.index.dynamic.get(scope)
            if seen is None:
                self.index.dynamic[scope] = (1, read)
            else:
                first = min(seen[1], read, key=lambda r: (r.path, r.line, r.col))
                self.index.dynamic[scope] = (seen[0] + 1, first)

    def _callers(self) -> set[str]:
        """Names of the functions code calls with a key (`is_feature_on("new-checkout")`,
        `gateEnabled(features.X)`), from the text before each reference."""
        out: set[str] = set()
        for hit in self.placed.values():
            # The few characters before the key: a minified line is megabytes long.
            m = _CALLEE.search(hit.text, max(0, hit.col - _CALLEE_REACH), hit.col)
            if m is not None:
                out.add(m.group(1))
        return out


_CALLEE_REACH = 200
# `name(` right before a key, or `name(ctx, ` / `name(features.` (a qualified constant).
_CALLEE = re.compile(
    r"([A-Za-z_$][\w$]*[?!]?)\s*\(\s*(?:[A-Za-z_$][\w$.]*\s*,\s*)?(?:[A-Za-z_$][\w$]*\s*\.\s*)*:?$"
)
_QUALIFIER = re.compile(r"([A-Za-z_]\w*)\s*\.\s*$")


def _python_module_paths(files: list[str]) -> set[str]:
    """Each tail of each Python file's module path: an absolute import names one of these
    when it names a module of the tree (whatever folder its imports are rooted at)."""
    out: set[str] = set()
    for f in files:
        if not f.endswith((".py", ".pyi")):
            continue
        stem = f.rsplit(".", 1)[0]
        if stem.endswith("/__init__") or stem == "__init__":
            stem = stem[: -len("__init__")].rstrip("/")
        parts = stem.split("/")
        for i in range(len(parts)):
            out.add("/".join(parts[i:]))
    return out


def _names_go_package(hit: ReferenceHit, imports: dict[str, str], origins: Iterable[str]) -> bool:
    """Does this Go identifier name the definition? Unqualified only inside its package
    (directory); qualified only through an import of that package: `rest.DeclarativeValidation`
    is another package's type, not the feature gate."""
    dirs = {os.path.dirname(o) for o in origins}
    if not dirs:
        return True
    m = _QUALIFIER.search(hit.text[: hit.col])
    if m is None:
        return os.path.dirname(hit.path) in dirs
    target = imports.get(m.group(1))
    return target is not None and any(_same_package(target, d) for d in dirs)


def _same_package(import_path: str, directory: str) -> bool:
    # The module path is not known here: compare the trailing elements both have.
    imp = import_path.strip("/").split("/")
    loc = directory.strip("/").split("/") if directory else []
    n = min(len(imp), len(loc), 2)
    return n > 0 and imp[-n:] == loc[-n:]
