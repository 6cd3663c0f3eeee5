"""review-diff's map analyzer: one pass's offline checks on a batch of changed files.

`diff-review` with `params.pass` (security, correctness, performance, tests,
accessibility) keeps the hits of that pass on the *added* lines of each file of the
`diff` source: ruff once over all the step's Python files (shared by every batch and pass),
Swath's own rules where ruff has none, detect-secrets, ast-grep for TS/JS/Go and the
markup checks. A rule fires only when the token it is about stands on an added line, so
old code around a change is never blamed on it; suppression comments and the
repository's review setting are honoured. Every finding quotes its added line verbatim
(a secret only up to its first characters) and says its pass in `data.pass`.

The analyzer's output is the grounding for the pass's model agent: the compact diff with
numbered new-side lines, the facts per file, and the pass's instructions rendered from
its template file (`review_prompts/<pass>.md`); the instructions only when a model reads
them (`AnalyzerContext.for_model`), not in an offline run.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from swath.analyzers.base import AnalyzerContext, AnalyzerOutput
from swath.analyzers.review_facts import (
    FileChecks,
    FileToCheck,
    file_checks,
    hit_pass,
    is_markup,
)
from swath.analyzers.review_output import PassOutput, ReviewedFile
from swath.analyzers.review_passes import PASSES, PassError, parse_passes
from swath.analyzers.review_prompt import render_pass_prompt
from swath.analyzers.review_ruff import Added, RuffJob, ruff_command, ruff_start
from swath.analyzers.review_rules import RULES, Hit, rule_infos
from swath.analyzers.review_settings import ReviewSettings, load_settings
from swath.analyzers.review_suppress import suppressed
from swath.analyzers.review_read import read_lines
from swath.analyzers.sourcetext import language_of
from swath.findings.model import Evidence, Finding, FindingData, Range, Severity
from swath.findings.report import RuleInfo
from swath.gcpause import gc_paused
from swath.items.diff import DiffItemData
from swath.spec.records import Item
from swath.workspace.roles import Role, generated_text, path_role


def _role(path: str, change: DiffItemData, settings: ReviewSettings) -> Role:
    """The path's role, where the repository's .gitattributes have the last word on whether
    it is generated (`linguist-generated`, `linguist-vendored`, set or unset)."""
    if change.generated is False:
        return path_role(path, settings.tests, settings.test_data, None)
    role = path_role(path, settings.tests, settings.test_data, settings.generated)
    return "generated" if change.generated and role != "test-data" else role


def _skip_reason(d: DiffItemData, role: str) -> str | None:
    if d.status == "deleted":
        return "deleted"
    if d.binary:
        return "binary"
    if d.symlink:
        return "symlink"
    if not d.hunks:
        return "no added lines"
    if role == "test-data":
        return "test data"
    return None


_step_memo: tuple[list[Item], tuple[Any, ...], Added | None] | None = None
_step_lock = threading.Lock()


def _step_python(items: list[Item], settings: ReviewSettings, root: Path) -> Added | None:
    """The added lines of every Python file of the step that a task would give ruff (not
    deleted, binary, a symlink, test data or generated, without added lines), or None when the step's
    items are unknown. Worked out once per list of items (every task of every pass gets the
    same list from the engine) and setting."""
    global _step_memo
    if not items:
        return None
    key = (str(root), settings.tests, settings.test_data, settings.generated)
    # Held while working it out: the tasks of every pass start side by side, and without
    # the lock each of them read every item of the step (16 times on the bench's review).
    with _step_lock:
        memo = _step_memo
        if memo is not None and memo[0] is items and memo[1] == key:
            return memo[2]
        whole = _python_added(items, settings, root)
        _step_memo = (items, key, whole)
        return whole


def _python_added(items: list[Item], settings: ReviewSettings, root: Path) -> Added | None:
    added: dict[str, set[int]] = {}
    for item in items:
        if not item.path or language_of(item.path) != "python":
            continue
        change = DiffItemData.read(item.data)
        role = _role(item.path, change, settings)
        if _skip_reason(change, role) or role == "generated":
            continue
        if not (root / item.path).is_file():  # gone since discovery: its task skips it too
            continue
        added.setdefault(item.path, set()).update(change.added_lines())
    return {p: frozenset(added[p]) for p in sorted(added)} if added else None


class DiffReviewParams(BaseModel):
    """Params of `diff-review`."""

    model_config = ConfigDict(extra="forbid")
    pass_: Literal["all", "security", "correctness", "performance", "tests", "accessibility"] = (
        Field(
            "all", alias="pass", description="The review pass whose checks run (`all`: every pass)."
        )
    )
    ruff: str | bool = Field(
        "auto",
        description="`auto`: the ruff that comes with Swath; `off`: none; anything else: the ruff executable.",
    )
    disable: list[str] = Field(
        default_factory=list,
        description="Rules to leave out: ids (`ruff/S608`, `review/tests/untested-change`), "
        "prefixes ending in `*`, or bare ruff codes.",
    )


class _FileState:
    def __init__(
        self,
        item: Item,
        entry: ReviewedFile,
        lines: list[str],
        added: set[int],
        text: str,
        role: Role,
        change: DiffItemData,
    ):
        self.item, self.entry, self.lines, self.added = item, entry, lines, added
        self.change = change
        self.text, self.role = text, role
        self.checks = FileChecks()


class DiffReview:
    name: ClassVar[str] = "diff-review"
    kind: ClassVar[Literal["map"]] = "map"
    description: ClassVar[str] = (
        "One review pass (params.pass) on the added lines of a diff: ruff for Python (one run shared "
        "by the passes), ast-grep for TS/JS/Go, detect-secrets, markup accessibility checks."
    )
    params_model: ClassVar[type[BaseModel]] = DiffReviewParams
    version: ClassVar[str] = "2"
    # Every registration of `review_rules.rule`: the check modules are all imported above
    # (through review_facts and review_ruff).
    rules: ClassVar[list[RuleInfo]] = rule_infos()

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        # Parsing the regions and checking them makes plain data (syntax trees, hits, the
        # entries) by the hundred thousand and no cycles: without the collector walking it
        # meanwhile, a 50-file review collects ~17 -> ~8 times (see swath.gcpause).
        with gc_paused():
            return self._analyze(items, ctx)

    def _analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        ws = ctx.workspace
        pass_ = str(ctx.params.get("pass") or "all")
        if pass_ != "all" and pass_ not in PASSES:
            raise PassError(f"diff-review: params.pass {pass_!r} is not one of {', '.join(PASSES)}")
        wanted = (set(PASSES) if pass_ == "all" else {pass_}) & set(
            parse_passes(ctx.inputs.get("passes"))
        )
        settings = load_settings(ws.root)
        switched_off = sorted(wanted - set(settings.passes))
        wanted -= set(switched_off)
        states: list[_FileState] = []
        files: list[ReviewedFile] = []
        for item in items:
            if not item.path:
                continue
            change = DiffItemData.read(item.data)
            role = _role(item.path, change, settings)
            entry: ReviewedFile = {
                "path": item.path,
                "status": change.status,
                "language": language_of(item.path),
                "role": role,
                "added_lines": change.added,
                "checks": [],
                "skipped": _skip_reason(change, role),
                "hits": [],
            }
            files.append(entry)
            if entry["skipped"] or not wanted:
                continue
            try:
                text, lines = read_lines(ws, item.path)
            except (OSError, ValueError) as exc:  # gone since discovery, or refused
                entry["skipped"] = f"unreadable: {exc}"
                continue
            if role == "source" and change.generated is None and generated_text(item.path, lines):
                role = entry["role"] = "generated"
            states.append(_FileState(item, entry, lines, change.added_lines(), text, role, change))
        # ruff works on the other core while this thread runs the other checks.
        ruff = self._start_ruff(states, ctx, settings, wanted)
        for state in states:
            state.checks = file_checks(
                FileToCheck(
                    path=state.entry["path"],
                    text=state.text,
                    lines=state.lines,
                    language=state.entry["language"],
                    role=state.role,
                    added=frozenset(state.added),
                    tests_changed=bool(state.change.tests_changed),
                    # Unknown (an item from before the fact existed): as if it had tests.
                    # Test globs in the repository's setting say it has tests of its own.
                    tree_has_tests=state.change.tree_has_tests or bool(settings.tests),
                    committed=state.change.committed(),
                )
            )
            state.entry["checks"] = list(state.checks.checks)
            if state.checks.notes:
                state.entry["notes"] = list(state.checks.notes)
        self._add_ruff(states, ruff)
        findings: list[Finding] = []
        disabled = list(ctx.params.get("disable") or [])
        for s in states:
            kept = self._keep(s, wanted, settings, disabled)
            findings += [self._finding(s.entry["path"], h, s.lines) for h in kept]
            s.entry["hits"] = [
                {
                    "rule": h.rule,
                    "line": h.line,
                    "severity": self._severity(h).value,
                    "message": h.message,
                }
                for h in kept
            ]
        output: PassOutput = {"pass": pass_, "ran": bool(wanted), "files": files}
        if switched_off:
            output["switched_off"] = {p: settings.source or "setting" for p in switched_off}
        if pass_ != "all" and ctx.for_model:  # only a model reads it (~1.3 MB a review)
            output["prompt"] = render_pass_prompt(pass_, items, files)
        return AnalyzerOutput(
            output=output, findings=findings, skip_model=self._nothing_to_judge(pass_, states)
        )

    @staticmethod
    def _nothing_to_judge(pass_: str, states: list[_FileState]) -> bool:
        """No model agent when the pass has nothing of its kind in the batch."""
        if not states:
            return True
        if pass_ == "accessibility":
            return not any(
                s.entry["language"] == "tsx" or is_markup(s.entry["path"]) for s in states
            )
        if pass_ != "tests":
            return all(s.entry["role"] != "source" for s in states)
        return False

    @staticmethod
    def _start_ruff(
        states: list[_FileState],
        ctx: AnalyzerContext,
        settings: ReviewSettings,
        wanted: set[str],
    ) -> tuple[list[_FileState], RuffJob | None]:
        if not wanted & {"security", "correctness", "performance", "tests"}:
            return [], None
        command = ruff_command(ctx.params.get("ruff", "auto"))
        # The same file list for every pass (whatever it wants), so they share one ruff run:
        # every Python file of the step when its items are known (one run for all batches),
        # else the batch's.
        # Generated code is changed by changing its generator's input: no lint of its own
        # (a header says so only once read: such a file may be in the step's run, unread).
        py = [s for s in states if s.entry["language"] == "python" and s.role != "generated"]
        if not command or not py:
            return [], None
        root = ctx.workspace.root
        whole = _step_python(ctx.step_items, settings, root)
        if whole is not None and all(s.entry["path"] in whole for s in py):
            return py, ruff_start(command, root, list(whole), whole)
        added = {s.entry["path"]: frozenset(s.added) for s in py}
        return py, ruff_start(command, root, [s.entry["path"] for s in py], added)

    @staticmethod
    def _add_ruff(
        states: list[_FileState], started: tuple[list[_FileState], RuffJob | None]
    ) -> None:
        py, job = started
        if job is None:
            return
        result = job.result()
        for s in py:
            if result.problem:
                s.entry["ruff"] = result.problem
                continue
            s.entry["checks"].append("ruff")
            hits = result.hits.get(s.entry["path"], [])
            if s.entry["role"] == "test":  # in a test, only the tests pass's rules
                hits = [h for h in hits if hit_pass(h) == "tests"]
            s.checks = FileChecks(
                hits=s.checks.hits + hits, checks=s.checks.checks, notes=s.checks.notes
            )

    @staticmethod
    def _keep(
        s: _FileState, wanted: set[str], settings: ReviewSettings, disabled: list[str]
    ) -> list[Hit]:
        seen: set[tuple[str, int]] = set()
        kept = []
        for h in sorted(s.checks.hits, key=lambda h: (h.line, h.start, h.rule)):
            p = hit_pass(h)
            if p not in wanted or settings.rule_disabled(h.rule, disabled):
                continue
            # A syntax error is the file's, wherever the parser noticed it; all else only on added lines.
            if h.line not in s.added and not h.anywhere:
                continue
            if (h.rule, h.line) in seen or suppressed(h.rule, p, h.line, s.lines):
                continue
            seen.add((h.rule, h.line))
            kept.append(h)
        return kept

    @staticmethod
    def _severity(h: Hit) -> Severity:
        if h.severity is not None:
            return h.severity
        rule = RULES.get(h.rule)
        return rule.severity if rule else Severity.warning

    def _finding(self, path: str, h: Hit, lines: list[str]) -> Finding:
        text = lines[h.line] if h.line < len(lines) else ""
        quote = h.quote if h.quote is not None else text.strip()
        p = hit_pass(h) or "correctness"
        return Finding(
            rule=h.rule,
            severity=self._severity(h),
            path=path,
            range=Range.of_line(h.line, h.start, max(h.end, h.start)),
            message=h.message,
            evidence=[Evidence(path=path, line=h.line, quote=quote)] if quote else [],
            data=FindingData.model_validate(
                {"pass": p, "passes": [p], "source": f"swath/{p}", **h.data}
            ),
        )
