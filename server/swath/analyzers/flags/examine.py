"""One flag, examined: state, history, references with their checks and removal edits.

This is the work of the `flag-classify` map analyzer for each item; findings are made
from its result in `findings.py`.
"""

from __future__ import annotations

import bisect
import re

from swath.analyzers.flags import classify, history
from swath.analyzers.flags.facts import (
    DefinitionFact,
    FlagFacts,
    ReferenceFact,
    DeadRange,
    EnvSummary,
    Mention,
    RemovalSpec,
    ordinary_words,
)
from swath.analyzers.flags.references import (
    PatternMatch,
    ParsedFile,
    as_range,
    find_check,
    parsed,
    pattern_matches,
)
from swath.analyzers.flags.removal_patch import mark_units
from swath.analyzers.flags.rewrite import language_for, minimal_edit, rewrite_file
from swath.findings.model import TextEdit
from swath.items.flags import DOC_EXTENSIONS, FlagItemData, ReferenceHit
from swath.workspace import Workspace
from swath.workspace.languages import language_of

RECENT_DAYS = 14
CODE_KINDS = {"call", "literal", "constant-use", "identifier", "pattern"}


def examine(
    ws: Workspace,
    flag: FlagItemData,
    configured_env: str | None,
    *,
    rewrite: bool = True,
    today: str | None = None,
) -> FlagFacts:
    decision = classify.decide(flag.definitions, configured_env or flag.environment)
    # Prose that names a flag is not a use of it: docs neither keep a flag alive nor get findings.
    docs = [r for r in flag.references if r.path.lower().endswith(DOC_EXTENSIONS)]
    code_refs = [
        r
        for r in flag.references
        if not r.path.lower().endswith(DOC_EXTENSIONS) and not _own_entry_key(flag, r)
    ]
    refs = [r for r in code_refs if r.kind != "constant-def"]
    files = {r.path for r in refs}
    total_refs = len(refs) + flag.unlisted_references
    cat, why_not = classify.category(flag, decision.state, total_refs)
    facts = FlagFacts(
        key=flag.key,
        defined=flag.defined,
        state=decision.state if flag.defined else "unknown",
        environment=decision.environment,
        percent=decision.percent,
        value=decision.value,
        code_default=decision.code_default,
        reason=decision.reason if flag.defined else "defined in no flag source",
        env_states={
            name: EnvSummary(state=st.state, percent=st.percent, reason=st.reason)
            for d in flag.definitions
            for name, st in d.environments.items()
        },
        kill_switch=any(d.kill_switch for d in flag.definitions),
        permanent=any(d.permanent for d in flag.definitions),
        kind=next((d.kind for d in flag.definitions if d.kind), ""),
        value_type=next((d.value_type for d in flag.definitions), "unknown"),
        candidate=cat is not None,
        category=cat,
        not_candidate_because=why_not,
        keep=classify.keep_words(cat, decision.value, decision.code_default),
        definitions=[
            DefinitionFact(
                format=d.format,
                system=d.system,
                path=d.path,
                line=d.line,
                end_line=d.end_line,
                quote=d.quote,
                kind=d.kind,
                entries=d.entries or [(d.line, d.end_line)],
                environments={
                    n: EnvSummary(state=s.state, percent=s.percent, reason=s.reason)
                    for n, s in d.environments.items()
                },
            )
            for d in flag.definitions
        ],
        ref_count=total_refs,
        file_count=len(files),
        tests=sorted({r.path for r in refs if r.test}),
        constants=list(flag.constants),
        mentions=[Mention(path=m.path, line=m.line, quote=m.text.strip()) for m in flag.mentions],
        ordinary_uses=flag.ordinary_uses,
        ordinary_example=(
            Mention(
                path=flag.ordinary_example.path,
                line=flag.ordinary_example.line,
                quote=flag.ordinary_example.text.strip(),
            )
            if flag.ordinary_example is not None
            else None
        ),
        docs=[Mention(path=d.path, line=d.line, quote=d.text.strip()) for d in docs],
        dynamic_reads=flag.dynamic_reads,
        dynamic_read=flag.dynamic_read,
    )
    for d in facts.definitions:
        pf = parsed(ws, d.path)
        if pf is not None and d.line < len(pf.lines):
            d.col = len(pf.lines[d.line]) - len(pf.lines[d.line].lstrip())
    if flag.defined and decision.lines:
        facts.history = history.since(ws, decision.lines, today)
    min_age = min_age_days(flag)
    age = facts.history.age_days
    if cat in ("fully-on", "fully-off") and age is not None and age < min_age:
        cat, why_not = None, f"in this state for {age} days, fewer than {min_age}"
        facts.category, facts.candidate, facts.not_candidate_because = cat, False, why_not
        facts.keep = None
    # Constant definitions are listed (the plan deletes them) but do not count as uses.
    listed = [r for r in code_refs if r.kind != "constant-def" or cat is not None]
    facts.references = _references(
        ws, flag, facts, listed, rewrite=rewrite and cat in ("fully-on", "fully-off", "undefined")
    )
    if cat is not None:
        # The whole entries a removal deletes: what the finding at each definition says.
        mark_units(ws, facts)
    facts.risks = _risks(flag, facts, decision.notes)
    facts.lens = _lens(facts)
    return facts


# Unleash's "potentially stale" rule: expected lifetimes per flag type (kill-switch and
# permission flags never go stale; they are permanent here already).
UNLEASH_LIFETIME_DAYS = {"release": 40, "experiment": 40, "operational": 7}


def min_age_days(flag: FlagItemData) -> int:
    """How long the state must have held: the flag type's lifetime where the source has types."""
    for d in flag.definitions:
        if d.format == "unleash" and d.kind.lower() in UNLEASH_LIFETIME_DAYS:
            return UNLEASH_LIFETIME_DAYS[d.kind.lower()]
    return flag.min_age_days


def _bool_value(facts: FlagFacts) -> bool | None:
    if facts.category == "fully-on" and facts.value is None and not facts.code_default:
        return True
    if isinstance(facts.value, bool) and facts.category in ("fully-on", "fully-off"):
        return facts.value
    if facts.category == "fully-off" and facts.value is None and not facts.code_default:
        return False
    return None


def _own_entry_key(flag: FlagItemData, hit: ReferenceHit) -> bool:
    """The hit is the key line of the flag's own definition entry, just above the lines that
    hold its state: a k8s gate's `AnyVolumeDataSource: {` over its versioned specs. That is
    the definition, not a use (it made every gate 'referenced', with a risk 'outside a
    check', by itself)."""
    text = hit.text.strip()
    if not re.match(rf"[\"'`]?{re.escape(flag.key)}[\"'`]?\s*:", text):
        return False
    for d in flag.definitions:
        entries = d.entries or [(d.line, d.end_line)]
        lo = min(a for a, _ in entries)
        if d.path == hit.path and lo - 3 <= hit.line < lo:
            return True
    return False


def _pattern_at(matches: list[PatternMatch], hit: ReferenceHit) -> PatternMatch | None:
    """The pattern match this hit is part of: the one around its position, else one on its
    lines. A match where the flag is written (Go: `envconfig.Retry = true`) is no check."""
    at = (hit.line, hit.col)
    around = next((m for m in matches if (m.line, m.col) <= at <= (m.end_line, m.end_col)), None)
    if around is not None:
        return None if around.written else around
    return next((m for m in matches if m.line <= hit.line <= m.end_line and not m.written), None)


def _references(
    ws: Workspace, flag: FlagItemData, facts: FlagFacts, refs: list[ReferenceHit], *, rewrite: bool
) -> list[ReferenceFact]:
    bool_calls = {c.name for c in flag.call_names if c.returns == "bool"}
    all_calls = {c.name for c in flag.call_names}
    negated = {c.name for c in flag.call_names if c.negated}
    aliases = {c.name for c in flag.constants}
    out: list[ReferenceFact] = []
    all_aliases: set[str] = set(aliases)
    all_checks: set[str] = set()
    values_used: set[bool] = set()
    by_file: dict[str, list[ReferenceHit]] = {}
    for r in refs:
        by_file.setdefault(r.path, []).append(r)
    for path, hits in by_file.items():
        pf = parsed(ws, path)
        checks_texts: set[str] = set()
        key_aliases = set(aliases)
        pattern_refs = []
        # A pattern may name its own language (Ruby, which the analyzer does not parse itself).
        if pf is not None and flag.reference_patterns:
            for m in pattern_matches(pf, flag.key, flag.reference_patterns):
                (checks_texts if m.is_check else key_aliases).add(" ".join(m.text.split()))
                pattern_refs.append(m)
        all_aliases |= key_aliases
        all_checks |= checks_texts
        for hit in hits:
            fact = ReferenceFact(
                path=path,
                line=hit.line,
                col=hit.col,
                end_col=hit.end_col,
                quote=hit.text.strip(),
                kind=hit.kind,
                call=hit.call,
                via=hit.via,
                test=hit.test,
            )
            check = find_check(pf, hit, all_calls) if pf is not None else None
            pattern = _pattern_at(pattern_refs, hit)
            if pattern is not None:
                fact.kind = "pattern"
                fact.check = True
                fact.check_range = as_range(
                    (pattern.line, pattern.col), (pattern.end_line, pattern.end_col)
                )
            elif check is not None:
                fact.call = check.call or fact.call
                fact.kind = "call" if check.call and not check.membership else fact.kind
                fact.check = check.membership or (check.call in bool_calls)
                fact.check_range = as_range(check.start, check.end)
            if rewrite and fact.check and pf is not None:
                value = _bool_value(facts)
                if value is None and check is not None:
                    value = check.default  # code default: disabled or undefined flags
                if value is not None:
                    _attach_edit(
                        pf, flag.key, value, fact, bool_calls, negated, key_aliases, checks_texts
                    )
                    if fact.edit is not None:
                        values_used.add(value)
            out.append(fact)
    out.sort(key=lambda f: (f.path, f.line, f.col))
    _disambiguate(ws, out)
    value = _bool_value(facts)
    if value is None and len(values_used) == 1:
        (value,) = values_used  # served nothing: every call's default agrees, so that is the value
    edited = sorted({f.path for f in out if f.edit is not None})
    if value is not None and edited:
        facts.removal = RemovalSpec(
            value=value,
            call_names=sorted(bool_calls),
            negated_calls=sorted(negated),
            key_aliases=sorted(all_aliases),
            check_texts=sorted(all_checks),
            files=edited,
        )
    return out


# `\s*+` (possessive), once before the alternatives: what follows it is never a space, so
# giving spaces back cannot help, and trying that at every indented line of a big file (a
# generated schema's, 100 columns deep) made this search 7x slower.
HEADER_LINE = re.compile(
    r"^\s*+(?:(?:export\s+)?(?:async\s+)?(?:def|class|function|func|public|private|protected)\b"
    r"|(?:export\s+)?(?:const|let|var)\s+\w+\s*=\s*(?:async\s*)?(?:\(|function))"
)


def _disambiguate(ws: Workspace, refs: list[ReferenceFact]) -> None:
    """Findings are fingerprinted by their quotes, not their line numbers (so that they
    survive edits above them). Two references on identical lines of one file would share a
    fingerprint and be merged; the enclosing definition's header tells them apart."""
    seen: dict[tuple[str, str], int] = {}
    for r in refs:
        seen[(r.path, r.quote)] = seen.get((r.path, r.quote), 0) + 1
    for r in refs:
        if seen[(r.path, r.quote)] < 2:
            continue
        pf = parsed(ws, r.path)
        if pf is None:
            continue
        found = pf.lines_matching(HEADER_LINE)  # the lines that open a definition, in order
        at = bisect.bisect_left(found, r.line) - 1  # the nearest header above the line
        if at >= 0:
            r.context = (found[at], pf.lines[found[at]].strip())


def _attach_edit(
    pf: ParsedFile,
    key: str,
    value: bool,
    fact: ReferenceFact,
    calls: set[str],
    negated: set[str],
    aliases: set[str],
    check_texts: set[str],
) -> None:
    lang = language_for(pf.path)
    if lang is None:
        found = language_of(pf.path)
        fact.rewrite_note = f"no automatic removal for {found or 'this file type'}"
        return
    at = (fact.line, fact.col)
    result = rewrite_file(
        pf.text,
        lang,
        key,
        value,
        calls,
        negated_calls=negated,
        key_aliases=aliases,
        check_texts=check_texts,
        at=at,
    )
    if result.error:
        fact.rewrite_note = result.error
        return
    edit = minimal_edit(pf.text, result.new_text)
    if edit is None:
        fact.rewrite_note = "nothing to rewrite at this reference"
        return
    rng, new_text = edit
    fact.edit = TextEdit(path=pf.path, range=rng, new_text=new_text)
    fact.dead_ranges = [
        DeadRange(range=r, quote=pf.lines[r.start.line].strip())
        for r in result.dead_ranges
        if r.start.line < len(pf.lines)
    ]


def _risks(flag: FlagItemData, facts: FlagFacts, notes: list[str]) -> list[str]:  # noqa: C901 - one branch per kind of risk, each with its own note
    risks = list(notes)
    if facts.category in ("fully-on", "fully-off"):
        for env, st in facts.env_states.items():
            if facts.environment and env != facts.environment and st.state != facts.state:
                risks.append(f"{env} differs: {classify.state_words(st.state, st.percent)}")
        if facts.history.age_days is not None and facts.history.age_days < RECENT_DAYS:
            risks.append(
                f"the state changed {facts.history.age_days} days ago: give it time before removing"
            )
        if facts.history.uncommitted:
            risks.append("the definition has uncommitted changes")
        if facts.code_default:
            risks.append(
                "nothing is served: every call returns its own default, so check the defaults agree"
            )
        if facts.value is not None and not isinstance(facts.value, bool):
            risks.append(
                f"not a boolean flag: reads return {facts.value!r}; replace them with that value by hand"
            )
    loose = [
        r
        for r in facts.references
        if r.kind in ("literal", "identifier", "constant-use") and not r.check and not r.test
    ]
    if loose and facts.category is not None:
        first = loose[0]
        risks.append(
            f"{len(loose)} reference(s) {_outside_words(flag)}, e.g. {first.path}:{first.line + 1} "
            "(a helper, a config, a log line, a comment): review by hand"
        )
    if flag.unlisted_references:
        risks.append(
            f"{flag.unlisted_references} more reference(s) than the {len(flag.references)} listed "
            "(`max_references_per_flag`): a key this common may be a word the code uses otherwise"
        )
    for c in flag.constants:
        risks.append(
            f"the key is held in constant {c.name} ({c.path}:{c.line + 1}): delete it when its uses are gone"
        )
    ordinary = ordinary_words(facts)
    if ordinary is not None:
        risks.append(ordinary)
    if flag.mentions:
        m = flag.mentions[0]
        risks.append(
            f"mentioned by other flag definitions, e.g. {m.path}:{m.line + 1} (a prerequisite?)"
        )
    for d in flag.definitions:
        if d.depends_on:
            risks.append(
                f"depends on {', '.join(d.depends_on)}: its state is only served when those are on"
            )
        risks += d.notes
    if facts.category == "unreferenced":
        risks.append(
            "other services, mobile apps or config outside this repository may still read it"
        )
    if facts.category == "undefined":
        risks.append(
            "every evaluation returns the call's default; the flag may be defined in another project"
        )
    return list(dict.fromkeys(risks))


def _outside_words(flag: FlagItemData) -> str:
    """Outside which checks the loose references are, in the flag's own system's terms: an
    SDK's calls, a homegrown system's `calls:` or its `reference` pattern (a homegrown
    system has no SDK; saying "SDK" sent its users looking for one)."""
    sdks = sorted({c.family for c in flag.call_names if c.family != "custom"})
    calls = sorted({c.name for c in flag.call_names if c.family == "custom"})
    systems = sorted({d.system for d in flag.definitions if d.system and d.format == "homegrown"})
    alone, kinds = [], []
    if sdks:
        alone.append(f"outside an SDK check ({', '.join(sdks)})")
        kinds.append(f"an SDK call ({', '.join(sdks)})")
    if calls:
        names = ", ".join(f"`{n}(…)`" for n in calls[:3])
        alone.append(f"outside a call of {names}")
        kinds.append(f"a call of {names}")
    if flag.reference_patterns:
        whose = " or ".join(systems) if systems else "its system"
        alone.append(f"not matched as a check by the reference pattern of {whose}")
        kinds.append(f"a check the reference pattern of {whose} matches")
    if len(kinds) == 1:
        return alone[0]
    return f"outside a check ({' or '.join(kinds)})" if kinds else "outside a check"


def _lens(facts: FlagFacts) -> str:
    refs = f"{facts.ref_count} ref{'s' if facts.ref_count != 1 else ''}"
    if not facts.defined:
        return f"⚑ {facts.key} · undefined · {refs}"
    return f"⚑ {facts.key} · {classify.state_words(facts.state, facts.percent)} · {refs}"


def definition_lens(facts: FlagFacts) -> str:
    n, f = facts.ref_count, facts.file_count
    if n == 0:
        return "⚑ 0 references"
    return f"⚑ {n} reference{'s' if n != 1 else ''} in {f} file{'s' if f != 1 else ''}"


def is_code_reference(fact: ReferenceFact) -> bool:
    return fact.kind in CODE_KINDS
