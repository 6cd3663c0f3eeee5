"""todo-audit's analyzers: find TODO/FIXME/HACK/XXX comments, date them with git blame,
and catalogue them by owner and age."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

from swath.analyzers.base import AnalyzerContext, AnalyzerOutput, NoParams
from swath.analyzers.sourcetext import split_lines
from swath.findings.model import Evidence, Finding, FindingData, Range, Severity
from swath.findings.report import RuleInfo
from swath.spec.records import Item, Record

TAGS = ("TODO", "FIXME", "HACK", "XXX")
# A tag counts only inside a comment: after a comment opener of the common languages.
COMMENT_TAG = re.compile(
    r"(?P<opener>#|//|/\*|<!--|--|;|^\s*\*)\s*(?P<tag>TODO|FIXME|HACK|XXX)\b(?:\((?P<owner>[^)]*)\))?[:\s-]*(?P<text>.*)"
)
NOT_COMMITTED = "0" * 40
AGE_BUCKETS = (
    (30, "< 30 days"),
    (180, "30–180 days"),
    (365, "180 days – 1 year"),
    (10**9, "> 1 year"),
)


class TodoEntry(BaseModel):
    path: str
    line: int  # zero-based
    column: int
    tag: str
    text: str
    quote: str
    owner: str
    author: str
    email: str
    commit: str
    date: str | None
    age_days: int | None


def _as_of(inputs: dict[str, Any], today: str | None) -> date:
    """The day ages are counted to: the workflow's `as_of`, else the run's day (the one its
    cached result is keyed on: counted to the clock's second, a result cached this morning
    would disagree with one drawn tonight on the same day's key)."""
    value = inputs.get("as_of") or today
    if value:
        return datetime.fromisoformat(str(value)).date()
    return datetime.now(timezone.utc).date()


def scan_text(path: str, text: str) -> list[tuple[int, re.Match[str]]]:
    hits = []
    # The editor's lines: str.splitlines() also breaks at \f and \v, and every line after
    # one would be off by one (and blamed on the wrong commit).
    for n, line in enumerate(split_lines(text)):
        if not any(t in line for t in TAGS):
            continue
        m = COMMENT_TAG.search(line)
        if m:
            hits.append((n, m))
    return hits


class TodoComments:
    name: ClassVar[str] = "todo-comments"
    kind: ClassVar[Literal["map"]] = "map"
    description: ClassVar[str] = "TODO/FIXME/HACK/XXX comments with their git blame author and age."
    params_model: ClassVar[type[BaseModel]] = NoParams
    version: ClassVar[str] = "3"  # 3: ages in whole days to the run's day; 2: form feeds
    dated: ClassVar[bool] = True  # ages from git blame, counted to today
    rules: ClassVar[list[RuleInfo]] = [
        RuleInfo(
            id="todo/stale",
            description="A TODO-style comment older than the workflow's max_age_days.",
        ),
    ]

    def analyze(self, items: list[Item], ctx: AnalyzerContext) -> AnalyzerOutput:
        now = _as_of(ctx.inputs, ctx.today)
        max_age = int(ctx.inputs.get("max_age_days") or 180)
        entries: list[TodoEntry] = []
        findings: list[Finding] = []
        for item in items:
            if not item.path:
                continue
            text = ctx.workspace.read_text(item.path)
            hits = scan_text(item.path, text)
            if not hits:
                continue
            blame = {b.line: b for b in ctx.workspace.blame(item.path)}
            for n, m in hits:
                entry = self._entry(item.path, n, m, blame.get(n), now)
                entries.append(entry)
                if entry.age_days is not None and entry.age_days > max_age:
                    findings.append(self._finding(entry, max_age))
        return AnalyzerOutput(
            output={"todos": [e.model_dump() for e in entries]}, findings=findings
        )

    def _entry(self, path: str, n: int, m: re.Match[str], blame: Any, now: date) -> TodoEntry:
        committed = blame is not None and blame.commit != NOT_COMMITTED
        author = blame.author if committed else "(not committed)"
        when = blame.author_time if committed else None
        day = datetime.fromtimestamp(when, timezone.utc).date() if when else None
        return TodoEntry(
            path=path,
            line=n,
            column=m.start("tag"),
            tag=m.group("tag"),
            text=m.group("text").strip().removesuffix("*/").removesuffix("-->").strip(),
            quote=m.string.strip(),
            owner=(m.group("owner") or "").strip() or author,
            author=author,
            email=blame.author_mail if committed else "",
            commit=blame.commit if committed else "",
            date=day.isoformat() if day else None,
            age_days=max(0, (now - day).days) if day else None,
        )

    def _finding(self, e: TodoEntry, max_age: int) -> Finding:
        severity = Severity.warning if e.tag in ("FIXME", "HACK") else Severity.information
        return Finding(
            rule="todo/stale",
            severity=severity,
            path=e.path,
            range=Range.of_line(e.line, e.column, e.column + len(e.tag)),
            message=f"{e.tag} by {e.owner}, {e.age_days} days old (since {e.date}; limit {max_age}): {e.text}",
            evidence=[Evidence(path=e.path, line=e.line, quote=e.quote)],
            data=FindingData.model_validate(
                {
                    "tag": e.tag,
                    "owner": e.owner,
                    "age_days": e.age_days,
                    "date": e.date,
                    "commit": e.commit,
                    "lens": f"{e.tag} · {e.age_days} days · {e.owner}",
                }
            ),
        )


class TodoReport:
    name: ClassVar[str] = "todo-report"
    kind: ClassVar[Literal["reduce"]] = "reduce"
    description: ClassVar[str] = (
        "Catalogue of TODO comments grouped by owner and age, with a Markdown report."
    )
    params_model: ClassVar[type[BaseModel]] = NoParams
    version: ClassVar[str] = "1"
    rules: ClassVar[list[RuleInfo]] = []

    def reduce(self, records: list[Record], ctx: AnalyzerContext) -> AnalyzerOutput:
        entries = [
            TodoEntry.model_validate(t) for r in records for t in (r.output or {}).get("todos", [])
        ]
        entries.sort(key=lambda e: (-(e.age_days or -1), e.path, e.line))
        max_age = int(ctx.inputs.get("max_age_days") or 180)
        by_owner: dict[str, dict[str, Any]] = {}
        for e in entries:
            o = by_owner.setdefault(e.owner, {"count": 0, "stale": 0, "oldest_days": 0})
            o["count"] += 1
            o["stale"] += int((e.age_days or 0) > max_age)
            o["oldest_days"] = max(o["oldest_days"], e.age_days or 0)
        by_age: dict[str, int] = {label: 0 for _, label in AGE_BUCKETS}
        by_age["not committed"] = 0
        for e in entries:
            if e.age_days is None:
                by_age["not committed"] += 1
                continue
            label = next(lbl for limit, lbl in AGE_BUCKETS if e.age_days < limit)
            by_age[label] += 1
        by_tag = {t: sum(1 for e in entries if e.tag == t) for t in TAGS}
        output = {
            "total": len(entries),
            "stale": sum(1 for e in entries if (e.age_days or 0) > max_age),
            "max_age_days": max_age,
            "by_owner": dict(sorted(by_owner.items(), key=lambda kv: (-kv[1]["count"], kv[0]))),
            "by_age": by_age,
            "by_tag": by_tag,
            "todos": [e.model_dump() for e in entries],
        }
        output["markdown"] = _markdown(output, entries)
        return AnalyzerOutput(output=output)


def _markdown(out: dict[str, Any], entries: list[TodoEntry]) -> str:
    lines = [
        f"## TODO audit: {out['total']} comments, {out['stale']} older than {out['max_age_days']} days",
        "",
        "| owner | comments | stale | oldest (days) |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {o} | {v['count']} | {v['stale']} | {v['oldest_days']} |"
        for o, v in out["by_owner"].items()
    ]
    lines += ["", "| age | comments |", "| --- | ---: |"]
    lines += [f"| {k} | {v} |" for k, v in out["by_age"].items()]
    lines += ["", "### Oldest first", ""]
    for e in entries[:50]:
        age = f"{e.age_days} days" if e.age_days is not None else "not committed"
        lines.append(f"- `{e.path}:{e.line + 1}` **{e.tag}** ({e.owner}, {age}): {e.text}")
    if len(entries) > 50:
        lines.append(f"- … and {len(entries) - 50} more")
    return "\n".join(lines) + "\n"
