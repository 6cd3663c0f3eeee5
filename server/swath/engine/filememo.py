"""Identity and verification of findings, drawn once per file content and then reused.

A finding's fingerprint (findings.identity) and its verification (engine.verify) depend on
the finding and on the files it names, nothing else. A map's reduce makes thousands of
findings over every file of the module, so doing both from scratch re-read and indexed
every file on every run, a fully cached one included (seconds on a 1,500-file package).

Both are therefore done per group: the findings of one record on one file. A group's
conclusion (its fingerprints; which findings stand, moved or fell, and why) is kept in the
store's memo (store.memo) under a digest of the group's findings, beside the hash of every
file the conclusion read. A later run with the same group reuses it while each of those
hashes still matches, so one changed file re-checks only its own findings. Splitting by
file changes no result: both steps look at each finding with its own file (identity's
fallback for an unreadable file ranks only findings of that file).

The group's files are hashed before they are read, as the result cache does: a file edited
meanwhile leaves a conclusion that looks stale next time, never a stale one that looks fresh.

What identity concluded about a group is handed to the verification of the very findings it
made (`_Handed`): those are keyed on identity's key (and the verifier's window), with the
hashes identity took, since what they are follows from both; a re-map's verification then
neither keys its thousands of findings again nor hashes their files. A group verified that
way afresh keeps its verdicts under its findings' own key too, where a run whose tasks are
all cached (it identifies nothing) looks them up. Only the findings of steps a verify step
checks are handed over, and what is left once the verify steps are done goes then: a
hand-over nobody takes held its findings to the end of the run.
"""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Callable, TypedDict, TypeVar

from swath.gcpause import gc_paused
from swath.engine import cache
from swath.engine.verify import EvidenceVerifier, VerifyOutcome, identify
from swath.findings.model import Evidence, Finding, Range, fingerprint_of
from swath.findings.report import FileChecks
from swath.store import RunStore
from swath.workspace import PathRefused, Workspace

_T = TypeVar("_T")

# Bump when what identity or verification concludes changes (a new rule for quotes, a new
# fingerprint): earlier conclusions then no longer match any key.
MEMO_EPOCH = "2"  # 2: a group's key is what identity and verification read (`_key_parts`)


@dataclass
class _Group:
    """The findings of one record on one file: their indexes, digest and files."""

    indexes: list[int]
    key: str
    paths: list[str]
    deps: dict[str, str] | None = None  # hashed before reading; None: not memoised
    # Keyed on the identity that made its findings (`_Handed`), not on the findings: its
    # conclusion is also kept under `_group_key`'s key, for a run that identifies nothing.
    after_identity: bool = False


@dataclass
class _Handed:
    """A group identity concluded about, kept for the verification of its findings: the
    identified findings (held, so their ids stay theirs), its key and its files' hashes."""

    findings: list[Finding]
    key: str
    deps: dict[str, str]


def _by_path(findings: list[Finding]) -> dict[str, list[int]]:
    by_path: dict[str, list[int]] = {}
    for n, f in enumerate(findings):
        by_path.setdefault(f.path, []).append(n)
    return by_path


def _group_key(kind: str, findings: list[Finding]) -> str:
    h = hashlib.sha256(f"{kind}\x1f{MEMO_EPOCH}\x1f{cache.CACHE_EPOCH}".encode())
    for f in findings:
        h.update(b"\x1e")
        h.update(_key_parts(f).encode("utf-8"))
    return h.hexdigest()


def _paths(findings: list[Finding]) -> list[str]:
    paths = {f.path for f in findings}
    for f in findings:
        paths.update(ev.path for ev in f.evidence)
    return sorted(paths)


def _groups(kind: str, findings: list[Finding], keyed: bool = True) -> list[_Group]:
    """`keyed`: with the digests that key the memo (a run that does not use it makes no
    keys nobody looks up)."""
    out = []
    for indexes in _by_path(findings).values():
        mine = [findings[n] for n in indexes]
        out.append(_Group(indexes, _group_key(kind, mine) if keyed else "", _paths(mine)))
    return out


def _after_identity_key(kind: str, identity_key: str) -> str:
    """The key of a verification of the findings an identity group made: what identity
    concluded follows from its key and its files, so what verifying that concludes follows
    from the same (and the verifier's window, in `kind`)."""
    text = f"{kind}\x1f{MEMO_EPOCH}\x1f{cache.CACHE_EPOCH}\x1fafter identity\x1f{identity_key}"
    return hashlib.sha256(text.encode()).hexdigest()


def _key_parts(f: Finding) -> str:
    """A finding as a group's key sees it: every field but `data` beyond its `key`, which
    neither identity nor verification reads. A map's lens findings carry long lists in
    `data`, and dumping every finding to JSON to key its group was most of the cost of a
    fully cached run's verification."""
    r = f.range
    parts = [
        f.rule,
        f.path,
        f"{r.start.line}:{r.start.character}-{r.end.line}:{r.end.character}",
        f.message,
        f.data.key or "",
        f.severity.value,
        f.fingerprint,
        str(f.verified),
        ",".join(f.tags),
        str(len(f.evidence)),
    ]
    for ev in f.evidence:
        parts += [ev.path, str(ev.line), ev.quote]
    return "\x1f".join(parts)


def _hash_first(ws: Workspace, group: _Group, refused: dict[str, bool]) -> None:
    """The group's files' hashes, before anything reads them; None when one may not be read
    (outside the workspace, denied): such a group is checked every time, never memoised.
    `refused`: whether each path was refused, as this run found it (identity and then
    verification look at the same 1,500 files of a map; resolving each is an `lstat` per
    part of its path and a match against the deny list)."""
    for p in group.paths:
        bad = refused.get(p)
        if bad is None:
            try:
                ws.resolve(p, must_exist=False)
                bad = False
            except PathRefused:
                bad = True
            refused[p] = bad
        if bad:
            return
    group.deps = cache.file_deps(ws, group.paths)


def _fresh(group: _Group, stored: dict[str, tuple[dict[str, str], Any]]) -> Any:
    """The stored conclusion of `group` if every file it read is unchanged, else None."""
    hit = stored.get(group.key)
    if hit is None or group.deps is None or hit[0] != group.deps:
        return None
    return hit[1]


class FileMemo:
    """One run's identity and verification, reusing what earlier runs concluded."""

    def __init__(self, ws: Workspace, store: RunStore, pool: Executor, enabled: bool) -> None:
        self.ws = ws
        self.store = store
        self.pool = pool
        self.enabled = enabled  # off with the result cache (--no-cache): everything is redone
        self.checks = FileChecks()
        self._refused: dict[str, bool] = {}  # by path, as `_hash_first` found it this run
        # The groups identity concluded about, by the id of their first identified finding,
        # until their verification takes them (see `_verify_groups_of`).
        self._handed: dict[int, _Handed] = {}

    async def _prepare(
        self, kind: str, findings: list[Finding]
    ) -> tuple[list[_Group], dict[str, tuple[dict[str, str], Any]]]:
        loop = asyncio.get_running_loop()
        groups = await loop.run_in_executor(self.pool, self._hashed_groups, kind, findings)
        stored = await self.store.memo_get([g.key for g in groups if g.deps is not None])
        return groups, stored

    def _hashed_groups(self, kind: str, findings: list[Finding]) -> list[_Group]:
        groups = _groups(kind, findings, keyed=self.enabled)
        if self.enabled:
            for g in groups:
                _hash_first(self.ws, g, self._refused)
        return groups

    # -- identity -------------------------------------------------------------------------
    async def identify(
        self,
        findings: list[Finding],
        drawn: dict[str, str] | None = None,
        *,
        hand_over: bool = True,
    ) -> list[Finding]:
        """`findings` with their stable fingerprints (engine.verify.identify), in order: the
        list given, each finding replaced by its identified copy as that is made. `drawn`:
        the files (by path, with their sha256) on which the analyzer gave its findings their
        stable fingerprints already (`AnalyzerOutput.identified`). `hand_over`: whether a
        verification of these very findings follows (`_Handed`): without one, what identity
        concluded would be held, with its findings, to the end of the run for nobody."""
        if not findings:
            return findings
        groups, stored = await self._prepare("identity", findings)
        loop = asyncio.get_running_loop()
        out, rows = await loop.run_in_executor(
            self.pool,
            _paused,
            self._identify_groups,
            findings,
            groups,
            stored,
            drawn or {},
            hand_over,
        )
        self.store.memo_put(rows)
        return out

    def _identify_groups(
        self,
        findings: list[Finding],
        groups: list[_Group],
        stored: dict[str, tuple[dict[str, str], Any]],
        drawn: dict[str, str],
        hand_over: bool,
    ) -> tuple[list[Finding], list[tuple[str, dict[str, str], Any]]]:
        out = findings  # in place: a finding is let go once its copy is in
        rows: list[tuple[str, dict[str, str], Any]] = []
        for g in groups:
            prints = _fresh(g, stored)
            if prints is not None and len(prints) == len(g.indexes):
                self.checks.identity_reused += len(g.indexes)
                for n, fp in zip(g.indexes, prints, strict=True):
                    f = findings[n]
                    out[n] = f if f.fingerprint == fp else f.model_copy(update={"fingerprint": fp})
                continue
            self.checks.identified += len(g.indexes)
            done = _identified(self.ws, [findings[n] for n in g.indexes], g, drawn)
            for n, f in zip(g.indexes, done, strict=True):
                out[n] = f
            if g.deps is not None:
                rows.append((g.key, g.deps, [f.fingerprint for f in done]))
        for g in groups if hand_over else ():
            if g.deps is not None:
                mine = [out[n] for n in g.indexes]
                self._handed[id(mine[0])] = _Handed(mine, g.key, g.deps)
        return out, rows

    def release_handed(self) -> None:
        """The verifications are over: what identity handed them and none took (a record a
        filter dropped, findings another step's dedupe left out) goes now, not at the end of
        the run."""
        self._handed.clear()

    # -- verification ---------------------------------------------------------------------
    def _verify_groups_of(self, kind: str, findings: list[Finding]) -> list[_Group]:
        """The groups to verify `findings` by. Those identity handed over (the very findings
        it made of a group, in its order) are keyed on identity's key, with the hashes it
        took: what they are follows from those, so a re-map's findings of unchanged files
        are neither keyed again nor their files hashed (a sympy re-map's verification keyed
        7,634 findings it had identified a moment before from the same files)."""
        if not self.enabled:
            return _groups(kind, findings, keyed=False)
        out = []
        for indexes in _by_path(findings).values():
            handed = self._handed.pop(id(findings[indexes[0]]), None)
            if (
                handed is not None
                and len(handed.findings) == len(indexes)
                and all(f is findings[n] for f, n in zip(handed.findings, indexes, strict=True))
            ):
                key = _after_identity_key(kind, handed.key)
                out.append(
                    _Group(indexes, key, _paths(handed.findings), handed.deps, after_identity=True)
                )
                continue
            mine = [findings[n] for n in indexes]
            group = _Group(indexes, _group_key(kind, mine), _paths(mine))
            _hash_first(self.ws, group, self._refused)
            out.append(group)
        return out

    async def verify(self, verifier: EvidenceVerifier, findings: list[Finding]) -> VerifyOutcome:
        """`verifier.verify(findings)`, group by group, each reused while its files stand."""
        if not findings:
            return verifier.verify(findings)
        kind = f"verify\x1f{verifier.window}"
        loop = asyncio.get_running_loop()
        groups = await loop.run_in_executor(self.pool, self._verify_groups_of, kind, findings)
        stored = await self.store.memo_get([g.key for g in groups if g.deps is not None])
        outcome, rows = await loop.run_in_executor(
            self.pool, _paused, self._verify_groups, verifier, findings, groups, stored
        )
        self.store.memo_put(rows)
        return outcome

    def _verify_groups(
        self,
        verifier: EvidenceVerifier,
        findings: list[Finding],
        groups: list[_Group],
        stored: dict[str, tuple[dict[str, str], Any]],
    ) -> tuple[VerifyOutcome, list[tuple[str, dict[str, str], Any]]]:
        verdicts: list[Verdict | None] = [None] * len(findings)
        rows: list[tuple[str, dict[str, str], Any]] = []
        for g in groups:
            known = _fresh(g, stored)
            if known is not None and len(known) == len(g.indexes):
                self.checks.verify_reused += len(g.indexes)
            else:
                self.checks.verified += len(g.indexes)
                mine = [findings[n] for n in g.indexes]
                known = _verdicts(mine, verifier)
                if g.deps is not None:
                    rows.append((g.key, g.deps, known))
                    if g.after_identity:  # and for a run that verifies them unidentified
                        kind = f"verify\x1f{verifier.window}"
                        rows.append((_group_key(kind, mine), g.deps, known))
            for n, verdict in zip(g.indexes, known, strict=True):
                verdicts[n] = verdict
        kept: list[Finding] = []
        dropped: list[tuple[Finding, str]] = []
        reanchored = 0
        for f, v in zip(findings, verdicts, strict=True):
            assert v is not None
            if "drop" in v:
                dropped.append((f, str(v["drop"])))
                continue
            kept.append(_apply(f, v))
            reanchored += bool(v.get("moved"))
        return VerifyOutcome(kept=kept, dropped=dropped, reanchored=reanchored), rows


def _identified(
    ws: Workspace, findings: list[Finding], group: _Group, drawn: dict[str, str]
) -> list[Finding]:
    """`identify(ws, findings)`, taking as they are the fingerprints the analyzer drew on
    the group's files while these still hash as the bytes it drew them from (the hashes
    `_hash_first` took before anything here reads them): a map's thousands of summaries and
    lenses are identified in the parse workers, which read every file anyway, instead of
    reading and indexing every file of the map again here. Identity of a finding reads its
    own file's lines alone, so identifying the rest of a group without them is the same."""
    deps = group.deps
    if not drawn or deps is None or any(drawn.get(p) != deps.get(p) for p in group.paths):
        return identify(ws, findings)
    pending = [n for n, f in enumerate(findings) if f.fingerprint == fingerprint_of(f)]
    if not pending:
        return findings
    done = list(findings)
    for n, f in zip(pending, identify(ws, [findings[n] for n in pending]), strict=True):
        done[n] = f
    return done


def _paused(fn: Callable[..., _T], *args: Any) -> _T:
    """`fn(*args)` with the cyclic collector held off (swath.gcpause): checking a large
    map's findings copies thousands of them while the run's records are alive, and each
    collection walked all of those again (a third of identifying sympy's map)."""
    with gc_paused():
        return fn(*args)


class Verdict(TypedDict, total=False):
    """What verification concluded about one finding, as the memo stores it (JSON): `drop`
    (why) alone, or `verified` and `fingerprint` with what moved (`lines` of its evidence,
    `moved`, its `range` as JSON)."""

    drop: str
    verified: bool
    fingerprint: str
    lines: list[int]
    moved: bool
    range: dict[str, Any]


def _verdicts(findings: list[Finding], verifier: EvidenceVerifier) -> list[Verdict]:
    """What `verifier` concludes about each finding, as JSON: dropped (why), or kept with
    what changed (verified flag, fingerprint, evidence lines, range, whether it moved)."""
    outcome = verifier.verify(findings)
    dropped, kept = iter(outcome.dropped), iter(outcome.kept)  # both in input order
    next_drop = next(dropped, None)
    out: list[Verdict] = []
    for f in findings:
        if next_drop is not None and next_drop[0] is f:
            out.append({"drop": next_drop[1]})
            next_drop = next(dropped, None)
            continue
        k = next(kept)
        lines = [ev.line for ev in k.evidence]
        verdict: Verdict = {"verified": k.verified, "fingerprint": k.fingerprint}
        if lines != [ev.line for ev in f.evidence]:
            verdict["lines"] = lines
            verdict["moved"] = True
        if k.range != f.range:
            verdict["range"] = k.range.model_dump(mode="json")
        out.append(verdict)
    return out


def _apply(f: Finding, v: Verdict) -> Finding:
    """The kept copy of `f` the verdict describes (a copy: the input stays as it was), or
    `f` itself when the verdict changes nothing of it (findings are not changed in place)."""
    verified, fp = bool(v["verified"]), str(v["fingerprint"])
    lines = v.get("lines")
    if lines is None and "range" not in v and f.verified == verified and f.fingerprint == fp:
        return f
    update: dict[str, Any] = {"verified": verified, "fingerprint": fp}
    if lines is not None:
        update["evidence"] = [
            Evidence(path=ev.path, line=int(line), quote=ev.quote)
            for ev, line in zip(f.evidence, lines, strict=True)
        ]
    if "range" in v:
        update["range"] = Range.model_validate(v["range"])
    return f.model_copy(update=update)
