"""The whole removal as one patch (`flag-plan`'s `patch`, what `--fix-preview` shows and
`--fix` writes): every candidate's checks rewritten, then its definition entries, and the
declarations that held its key, deleted once nothing reads it any more.

Checks first, flag after flag in each file (`rewrite_file`). A flag's definitions go only
when every read of it in code is gone from the patched files: a read Swath could not
rewrite (a Go getter whose error is read, a template) keeps the definition, since
deleting it would change what that read returns; the plan says so. A flag nothing here
reads loses its definition only when that is this code's own (an enum member, a gate
map entry), not a flag file other services may read. Tests are not reads: they pin the
flag and are named in the plan for review. A definition that is a whole file of its own
(GitLab's `config/feature_flags/…/key.yml`) is deleted as a file (`+++ /dev/null`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace

from ast_grep_py import SgRoot

from swath.analyzers.flags.facts import FlagFacts, ReferenceFact, definition_advice
from swath.analyzers.flags.references import parsed
from swath.analyzers.flags import prune_ts
from swath.analyzers.flags.remove_defs import (
    Removal,
    Target,
    delete_units,
    objects_naming,
    removal_language,
    unit_lines,
)
from swath.analyzers.flags.rewrite import TS_LIKE, language_for, rewrite_file, unified_diff
from swath.analyzers.flags.rewrite_go import (
    drop_unused_consts,
    drop_unused_funcs,
    drop_unused_imports,
)
from swath.workspace import Workspace

READ_KINDS = {"call", "literal", "constant-use", "identifier", "pattern"}
# Definitions in this repository's own code (an enum, a gate map, a comment annotation):
# only this code reads them. Flag files (flagd, exports) may be read from elsewhere.
CODE_DEFINED = {"homegrown"}
DELETABLE = ("fully-on", "fully-off", "unreferenced")


@dataclass
class PatchState:
    """The files as the patch leaves them so far, beside their originals."""

    original: dict[str, str] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    # path -> (the text it was computed for, original line -> line in that text)
    line_maps: dict[str, tuple[str, dict[int, int]]] = field(default_factory=dict)
    # Files the patch deletes (a GitLab-style definition that is a whole file of its own).
    deleted: set[str] = field(default_factory=set)

    def load(self, ws: Workspace, path: str) -> str | None:
        if path not in self.text:
            pf = parsed(ws, path)
            if pf is None:
                return None
            self.original[path] = self.text[path] = pf.text
        return self.text[path]

    def moved(self, path: str, targets: list[Target]) -> list[Target]:
        """Targets (lines of the original file) at their lines in the patched text: a flag
        removed before may have deleted lines above them. A target whose lines were changed
        by an earlier edit is dropped (its unit is not where the definition said)."""
        old, new = self.original[path], self.text[path]
        if old == new:
            return targets
        cached = self.line_maps.get(path)
        if cached is None or cached[0] is not new:
            cached = self.line_maps[path] = (new, _line_map(old, new))
        where = cached[1]
        old_lines, new_lines = old.splitlines(), [ln.strip() for ln in new.splitlines()]
        out = []
        for t in targets:
            line, end = where.get(t.line), where.get(t.end_line)
            if line is None or end is None:
                # The diff may pair identical lines (`    },`) other than the ones kept:
                # the target's own first line, where it is unique, says where it went.
                first = old_lines[t.line].strip() if t.line < len(old_lines) else ""
                if not first or new_lines.count(first) != 1:
                    continue
                line = new_lines.index(first)
            shift = line - t.line
            out.append(
                replace(
                    t,
                    line=line,
                    end_line=t.end_line + shift,
                    lo=None if t.lo is None else t.lo + shift,
                    hi=None if t.hi is None else t.hi + shift,
                )
            )
        return out

    def delete(self, path: str) -> None:
        self.text[path] = ""
        self.deleted.add(path)

    def diff(self) -> str:
        return "".join(
            deletion_diff(p, self.original[p])
            if p in self.deleted
            else unified_diff(p, self.original[p], self.text[p])
            for p in sorted(self.text)
            if self.text[p] != self.original[p] or p in self.deleted
        )


def deletion_diff(path: str, old: str) -> str:
    """A file deleted, as `git diff` shows it (`+++ /dev/null`): `git apply` and `--fix`
    delete the file, rather than leaving it empty."""
    body = unified_diff(path, old, "")
    if not body:  # an empty file: no hunk, only the header
        return f"--- a/{path}\n+++ /dev/null\n"
    return body.replace(f"\n+++ b/{path}\n", "\n+++ /dev/null\n", 1)


def _line_map(old: str, new: str) -> dict[int, int]:
    """Original line -> patched line, for the lines no edit touched, and for lines edited
    in place (as many lines after as before: an entry beside it went on a one-line JSON
    file); the unit found there must still be keyed by the name, so nothing else goes."""
    a, b = old.splitlines(), new.splitlines()
    out: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            out.update({i1 + k: j1 + k for k in range(i2 - i1)})
    return out


def build_patch(ws: Workspace, flags: list[FlagFacts]) -> tuple[str, list[str]]:
    """(the unified diff, notes on what was left for a human)."""
    state = PatchState()
    notes = _rewrite_checks(ws, state, flags)
    # Imports first: an import of a constant is a use of it until it goes.
    _prune(ws, state)
    for f in flags:
        if f.candidate:
            _delete_constants(ws, state, f)
    # Each flag is judged against the same text (its reads, its entries found), then every
    # file loses all its flags' entries in one pass: one line map per file, not per flag.
    chosen: dict[str, list[Target]] = {}
    owners: dict[str, list[str]] = {}
    for f in flags:
        if f.candidate and f.category in DELETABLE and f.definitions:
            kept, targets = _definition_targets(ws, state, f)
            notes += kept
            if targets is None:
                continue
            for path in targets.files:
                state.delete(path)
            for path, ts in targets.units.items():
                chosen.setdefault(path, []).extend(ts)
                owners.setdefault(path, []).append(f.key)
    for path, ts in sorted(chosen.items()):
        lang = removal_language(path)
        assert lang is not None
        result = delete_units(state.text[path], lang, ts)
        if result.error:
            keys = ", ".join(f"`{k}`" for k in owners[path])
            notes.append(f"{keys}: definitions in {path} kept: {result.error}")
        else:
            state.text[path] = result.new_text
    _prune(ws, state)
    return state.diff(), notes


def mark_units(ws: Workspace, f: FlagFacts) -> None:
    """Each definition's whole entries (a Go gate's `X: {…},` around its versioned specs, a
    LaunchDarkly item's `{…}` around its `"key"` line, a Go `var` spec with its doc
    comment), as the patch would delete them: what the finding at the definition and the
    plan tell a human to delete, so that the two say the same. A definition that is the
    whole file (GitLab's `config/feature_flags/…/key.yml`) is marked so."""
    for d in f.definitions:
        lang = removal_language(d.path)
        pf = parsed(ws, d.path)
        d.removable = lang is not None
        if lang is None or pf is None:
            continue
        entries = d.entries or [(d.line, d.end_line)]
        lo, hi = min(a for a, _ in entries), max(b for _, b in entries)
        targets = [Target(a, b, f.key, lo, hi) for a, b in entries]
        root = pf.root if pf.lang == lang else None
        d.units = unit_lines(pf.text, lang, targets, root=root)
        d.whole_file = not d.units and _whole_file(pf.text, targets[0])


def _prune(ws: Workspace, state: PatchState) -> None:
    """In every file the patch changed, what the change left unused (see prune_python,
    prune_ts; Go's unused imports, which Go would not compile)."""
    for path in sorted(state.text):
        old, new = state.original[path], state.text[path]
        if old == new:
            continue
        lang = language_for(path)
        if lang == "python":
            # Imported here, as rewrite.py imports rewrite_python: loading libcst is ~0.3 s
            # of every flag audit's plan step otherwise, Python files in the patch or not.
            from swath.analyzers.flags import prune_python

            def elsewhere(name: str, path: str = path) -> bool:
                return _used_elsewhere(ws, state, name, path)

            def attribute(name: str, path: str = path) -> bool:
                return _used_elsewhere(ws, state, name, path, through=_module_name(path))

            state.text[path] = prune_python.prune(
                old, new, used_elsewhere=elsewhere, read_as_attribute=attribute
            )
        elif lang in TS_LIKE:
            state.text[path] = prune_ts.prune(old, new, "tsx" if lang == "jsx" else lang)
        elif lang == "go":
            others = _go_package_texts(ws, state, path)
            new = drop_unused_funcs(old, new, others)
            new = drop_unused_imports(drop_unused_consts(old, new, others))
            # All a file held after its package clause gone: gofmt keeps no blank last line.
            state.text[path] = new.rstrip("\n") + "\n" if new.endswith("\n\n") else new


def _go_package_texts(ws: Workspace, state: PatchState, path: str) -> list[tuple[str, str]]:
    """(before, after) of the other .go files of `path`'s directory: its package, which may
    call its unexported functions."""
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    base = ws.root / folder if folder else ws.root
    out = []
    for child in sorted(base.glob("*.go")):
        rel = f"{folder}/{child.name}" if folder else child.name
        if rel == path:
            continue
        if rel in state.text:
            out.append((state.original[rel], state.text[rel]))
            continue
        pf = parsed(ws, rel)
        if pf is not None:
            out.append((pf.text, pf.text))
    return out


def _module_name(path: str) -> str:
    """`app/checkout.py` -> `checkout`: how other modules reach its attributes."""
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return path.rsplit("/", 2)[-2] if stem == "__init__" and "/" in path else stem


def _used_elsewhere(
    ws: Workspace, state: PatchState, name: str, path: str, *, through: str | None = None
) -> bool:
    """Whether a file other than `path` names `name` (as the patch leaves it), or with
    `through`, reads it as that module's attribute (`checkout.client`, "app.checkout.client").
    Outside git Swath cannot tell cheaply, and says yes: the name stays."""
    if not ws.is_git():
        return True
    found = ws.git("grep", "-l", "-w", "-F", "-e", name, check=False).split("\n")
    word = re.compile(
        rf"\b{re.escape(through)}\.{re.escape(name)}\b" if through else rf"\b{re.escape(name)}\b"
    )
    for other in filter(None, found):
        if other == path:
            continue
        text = state.text[other] if other in state.text else state.load(ws, other)
        if text is None or word.search(text):
            return True
    return False


def _delete_constants(ws: Workspace, state: PatchState, f: FlagFacts) -> None:
    """A constant that held the key (`NEW_CHECKOUT = "new_checkout"`), once the patch took
    its every use, tests included (a test importing it would break)."""
    for c in f.constants:
        name, path, line = c.name, c.path, c.line
        lang = removal_language(path)
        text = state.load(ws, path)
        if lang is None or text is None:
            continue
        uses = [r for r in f.references if r.via == name and r.kind != "constant-def"]
        if any(_line_left(ws, state, r) for r in uses) or _used_elsewhere(ws, state, name, path):
            continue
        if _read_in_file(text, name):
            continue
        targets = state.moved(path, [Target(line, line, name)])
        if not targets:
            continue
        result = delete_units(text, lang, targets)
        if not result.error and result.deleted:
            state.text[path] = result.new_text


def _line_left(ws: Workspace, state: PatchState, r: ReferenceFact) -> bool:
    text = state.text[r.path] if r.path in state.text else state.load(ws, r.path)
    return text is not None and r.quote in {ln.strip() for ln in text.splitlines()}


def _read_in_file(text: str, name: str) -> bool:
    """The constant's own file names it somewhere besides its declaration."""
    return len(re.findall(rf"\b{re.escape(name)}\b", text)) > 1


def _rewrite_checks(ws: Workspace, state: PatchState, flags: list[FlagFacts]) -> list[str]:
    by_file: dict[str, list[FlagFacts]] = {}
    for f in flags:
        if f.removal is not None:
            for path in f.removal.files:
                by_file.setdefault(path, []).append(f)
    notes: list[str] = []
    for path in sorted(by_file):
        lang = language_for(path)
        text = state.load(ws, path)
        if text is None or lang is None:
            continue
        for f in by_file[path]:
            spec = f.removal
            assert spec is not None
            result = rewrite_file(
                text,
                lang,
                f.key,
                spec.value,
                spec.call_names,
                negated_calls=spec.negated_calls,
                key_aliases=spec.key_aliases,
                check_texts=spec.check_texts,
            )
            if result.error:
                notes.append(f"{path}: `{f.key}` not rewritten: {result.error}")
                continue
            text = result.new_text
        state.text[path] = text
    return notes


def _declaration(name: str) -> re.Pattern[str]:
    """A line that declares `name` (an enum member, a constant, a map entry's key), not one
    that uses it: `NAME = …`, `NAME: …`, `NAME Type = …`, `NAME,` or `NAME` alone."""
    n = re.escape(name)
    return re.compile(
        rf"^(?:export\s+)?(?:const\s+|let\s+|var\s+)?{n}\s*(?:[:=](?!=)|,|$|[\w.\[\]*]+\s*=(?!=))"
    )


# An import of a constant holding the key names it without reading the flag's state.
_IMPORT = re.compile(r"^(?:from\s+\S+\s+import\b|import\b|export\s+\{[^}]*\}\s+from\b)")


def _is_read(r: ReferenceFact) -> bool:
    return r.kind in READ_KINDS and not r.test and not _IMPORT.match(r.quote)


def _targets(ws: Workspace, state: PatchState, f: FlagFacts) -> dict[str, list[Target]]:
    """Per file: the definition entries, and the declarations beside them that spell the key."""
    targets: dict[str, list[Target]] = {}
    for d in f.definitions:
        entries = d.entries or [(d.line, d.end_line)]
        lo, hi = min(a for a, _ in entries), max(b for _, b in entries)
        for a, b in entries:
            targets.setdefault(d.path, []).append(Target(a, b, f.key, lo, hi))
        text = state.original.get(d.path) if d.path in state.original else state.load(ws, d.path)
        if d.format == "unleash" and text is not None and removal_language(d.path) == "json":
            # A feature's strategies and environments are entries of their own arrays.
            targets[d.path] += objects_naming(text, "featureName", f.key)
    def_paths = set(targets)
    for r in f.references:
        # The enum member or constant beside the definition that spells the key (its map
        # entry's key, `Feature.X`'s member): it declares, it does not read.
        name = r.via or f.key
        if r.path in def_paths and _declaration(name).match(r.quote):
            targets.setdefault(r.path, []).append(Target(r.line, r.line, name))
    return targets


def _whole_file(text: str, t: Target) -> bool:
    """A GitLab-style `config/feature_flags/…/key.yml`: every line outside the definition's
    is blank, a comment or a document marker."""
    lo, hi = t.lo if t.lo is not None else t.line, t.hi if t.hi is not None else t.end_line
    return all(
        not ln.strip() or ln.lstrip().startswith(("#", "---", "..."))
        for i, ln in enumerate(text.splitlines())
        if not lo <= i <= hi
    )


def _still_read(
    ws: Workspace, state: PatchState, f: FlagFacts, after: dict[str, str]
) -> ReferenceFact | None:
    """A read of the flag whose line the patch leaves in place."""
    for r in f.references:
        if not _is_read(r):
            continue
        text = after[r.path] if r.path in after else state.load(ws, r.path)
        if text is not None and r.quote in {ln.strip() for ln in text.splitlines()}:
            return r
    return None


@dataclass
class Deletion:
    """A flag's definition as the patch deletes it: units per file, and whole files."""

    units: dict[str, list[Target]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def _definition_targets(
    ws: Workspace, state: PatchState, f: FlagFacts
) -> tuple[list[str], Deletion | None]:
    """(why the definition stays, or what to delete: units at their current lines, files)."""
    kept = _kept_because(ws, state, f)
    if isinstance(kept, list):
        return kept, None
    return [], kept


def _kept_because(  # noqa: C901 - one early return per reason a definition stays
    ws: Workspace, state: PatchState, f: FlagFacts
) -> list[str] | Deletion:
    for d in f.definitions:
        # What the finding at the definition and the plan say too: a read Swath cannot see
        # may be this flag's (deleting the definition would change what it returns), or
        # there is no whole entry to delete.
        delete, why = definition_advice(f, d)
        if not delete:
            return [f"`{f.key}`: definition kept: {why}"]
    shared = sorted({d.path for d in f.definitions if d.format not in CODE_DEFINED})
    if f.category == "unreferenced" and shared:
        # Nothing here reads it, but a flag file (a flagd file, an SDK export) is what other
        # services and apps read too, and reads Swath cannot see are no reason to delete.
        return [
            f"`{f.key}`: definition in {', '.join(shared)} kept: referenced nowhere in this "
            "repository, but other services may read that file; delete it by hand once none does"
        ]
    tentative: dict[str, str] = {}
    chosen = Deletion()
    for path, ts in sorted(_targets(ws, state, f).items()):
        lang = removal_language(path)
        text = state.load(ws, path)
        if text is None:
            continue
        if lang is None:
            return [
                f"`{f.key}`: definition in {path} kept: no automatic removal for this file "
                "type; delete it by hand once nothing reads it, as its finding says"
            ]
        moved = state.moved(path, ts)
        if sum(t.lo is not None for t in moved) < sum(t.lo is not None for t in ts):
            return [f"`{f.key}`: definition in {path} kept: an earlier edit changed its lines"]
        result = delete_units(text, lang, moved)
        if result.error:
            return [f"`{f.key}`: definition in {path} kept: {result.error}"]
        # A definition entry with no whole unit around it: deleting the rest would leave
        # the flag half-defined, so none goes (a declaration not found is only left behind).
        missing = [t for t in result.missing if t.lo is not None]
        if missing and _whole_file(text, missing[0]):
            # GitLab's `config/feature_flags/…/key.yml`: the file goes.
            tentative[path] = ""
            chosen.files.append(path)
            continue
        if missing:
            return [
                f"`{f.key}`: definition kept: {path}:{missing[0].line + 1} is no whole entry "
                "(of a map, a list, an enum, a block)"
            ]
        named = _go_still_named(ws, state, path, result) if lang == "go" else None
        if named is not None:
            return [named.replace("KEY", f"`{f.key}`", 1)]
        tentative[path] = result.new_text
        chosen.units[path] = moved
    read = _still_read(ws, state, f, {**state.text, **tentative})
    if read is not None:
        return [_kept_for(f, read)]
    return chosen


_GO_PACKAGE = re.compile(r"^package\s+(\w+)", re.M)


def _go_still_named(ws: Workspace, state: PatchState, path: str, result: Removal) -> str | None:
    """Why the Go constants or variables the deletion takes must stay: code (a test's
    `envconfig.Retry = true` too; comments do not count) that still names one once the
    patch is applied, which Go would not build. Tests count here: Go builds a package's
    tests with it."""
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    m = _GO_PACKAGE.search(result.new_text)
    package = m.group(1) if m else folder.rsplit("/", 1)[-1]
    for name in result.declared:
        at = _go_names(result.new_text, name, None)
        if at is not None:
            return _named_note(name, path, result.new_text, at, state.original.get(path))
        if not ws.is_git():
            return f"KEY: definition kept: outside git Swath cannot tell whether `{name}` is still named"
        found = ws.git("grep", "-l", "-w", "-F", "-e", name, "--", "*.go", check=False)
        for other in sorted(filter(None, found.split("\n"))):
            if other == path:
                continue
            text = state.text[other] if other in state.text else state.load(ws, other)
            if text is None:
                continue
            other_folder = other.rsplit("/", 1)[0] if "/" in other else ""
            # The package's own files (and its `_test` package beside them) name it bare or
            # qualified; another package through the name it imported it under.
            if other_folder == folder:
                at = _go_names(text, name, None)
            else:
                qualifier = _import_name(text, folder, package)
                at = None if qualifier is None else _go_names(text, name, qualifier)
            if at is not None:
                return _named_note(name, other, text, at, state.original.get(other))
    return None


def _go_names(text: str, name: str, qualifier: str | None) -> int | None:
    """The first line of Go code (not a comment) naming `name`: as an identifier, or with
    a qualifier, as `qualifier.name`."""
    root = SgRoot(text, "go").root()
    if qualifier is None or qualifier == ".":
        hit = root.find(kind="identifier", regex=rf"^{re.escape(name)}$")
    else:
        hit = root.find(
            kind="selector_expression", regex=rf"^{re.escape(qualifier)}\s*\.\s*{re.escape(name)}$"
        )
    return None if hit is None else hit.range().start.line


def _import_name(text: str, folder: str, package: str) -> str | None:
    """The name a Go file imports `folder`'s package under (its package name, an alias,
    `.` for a dot import); None when it does not import it."""
    if not folder:
        return None
    imp = re.search(rf'(?m)^\s*(?:import\s+)?(\.|\w+)?\s*"(?:[^"]*/)?{re.escape(folder)}"', text)
    if imp is None:
        return None
    return imp.group(1) or package


def _named_note(name: str, path: str, text: str, line: int, original: str | None = None) -> str:
    """The note, at the line's place in the file as it is (`text` is as the patch leaves
    it, where lines above may have gone)."""
    lines = text.splitlines()
    quote = lines[line].strip() if line < len(lines) else ""
    if original is not None and original != text:
        before = [ln.strip() for ln in original.splitlines()]
        if quote in before:
            line = before.index(quote)
    return (
        f"KEY: definition kept: `{name}` is still named at {path}:{line + 1} (`{quote[:80]}`), "
        "and Go would not build without it; edit that by hand, then delete the definition"
    )


def _kept_for(f: FlagFacts, read: ReferenceFact) -> str:
    return (
        f"`{f.key}`: definition kept: still read at {read.path}:{read.line + 1} "
        "(Swath does not rewrite that read; edit it by hand, then delete the definition)"
    )
