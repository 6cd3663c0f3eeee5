"""Findings from a flag's facts: what the editor shows at references and definitions.

Every finding quotes the line it points at (the engine's verify step checks the quote
against the file), carries `data.lens` for the code lens and, where the check can be
removed automatically, `data.edit` for the code action. The branch that dies gets its
own `hint` finding tagged `unnecessary`, which editors draw faded.
"""

from __future__ import annotations

from typing import Any

from swath.analyzers.flags.classify import state_words
from swath.analyzers.flags.examine import definition_lens
from swath.analyzers.flags.facts import FlagFacts, ReferenceFact, definition_advice
from swath.findings.model import Evidence, Finding, FindingData, Position, Range, Severity
from swath.findings.report import RuleInfo
from swath.items.flags import FlagErrorData

RULES = [
    RuleInfo(
        id="flag/fully-on",
        description="A feature flag is on for everybody: its check and the dead branch can go.",
    ),
    RuleInfo(
        id="flag/fully-off",
        description="A feature flag is off for everybody: the code it guards is dead.",
    ),
    RuleInfo(id="flag/unreferenced", description="A flag is defined but no code reads it."),
    RuleInfo(id="flag/undefined", description="Code reads a flag that no flag source defines."),
    RuleInfo(
        id="flag/malformed", description="A flag definition file that cannot be read as its format."
    ),
    RuleInfo(
        id="flag/state",
        description="The state of a flag at a reference (only with annotate_all).",
        alert=False,
    ),
]


def _since(facts: FlagFacts) -> str:
    h = facts.history
    if h.since:
        return f" since {h.since}"
    if h.uncommitted:
        return " (uncommitted change)"
    return ""


def _where(facts: FlagFacts) -> str:
    if not facts.definitions:
        return "defined nowhere"
    d = facts.definitions[0]
    more = f" (+{len(facts.definitions) - 1} more)" if len(facts.definitions) > 1 else ""
    label = d.system or d.format
    return f"defined in {label} at {d.path}:{d.line + 1}{more}"


def _env(facts: FlagFacts) -> str:
    return (
        f" in {facts.environment}" if facts.environment and facts.environment != "default" else ""
    )


def reference_message(facts: FlagFacts, ref: ReferenceFact) -> str:
    if facts.category == "undefined":
        call = f" through `{ref.call}(…)`" if ref.call else ""
        return (
            f"Flag `{facts.key}` is read{call} but no flag source defines it; every evaluation returns the "
            f"call's default value. Define it, or remove the check keeping {facts.keep or 'the default branch'}."
        )
    state = state_words(facts.state, facts.percent)
    head = f"Flag `{facts.key}` is {state}{_env(facts)}{_since(facts)} ({_where(facts)})"
    if not ref.check:
        what = {
            "constant-def": "holds the key in a constant",
            "test": "is a test that uses it",
        }.get("test" if ref.test else ref.kind, "mentions it outside a check")
        return f"{head}; this line {what}: update or delete it when the flag goes."
    keep = facts.keep or "the surviving branch"
    if ref.edit is not None:
        how = " The code action rewrites it."
    else:
        # Said here, at the reference: `--fix` skips it, and silence would read as "done".
        why = ref.rewrite_note or "no automatic edit for this check"
        how = f" Swath cannot rewrite it ({why}): edit it by hand."
    return f"{head}: remove the check and keep {keep}.{how}"


def _data(facts: FlagFacts, **extra: Any) -> dict[str, Any]:
    return {
        "key": facts.key,
        "state": facts.state,
        "environment": facts.environment,
        "percent": facts.percent,
        "category": facts.category,
        "since": facts.history.since,
        **extra,
    }


def _rule(facts: FlagFacts) -> str:
    return {
        "fully-on": "flag/fully-on",
        "fully-off": "flag/fully-off",
        "undefined": "flag/undefined",
        "unreferenced": "flag/unreferenced",
    }.get(facts.category or "", "flag/state")


def _ref_range(ref: ReferenceFact) -> Range:
    cr = ref.check_range
    if cr and cr.start.line == cr.end.line == ref.line:
        return cr
    return Range(
        start=Position(line=ref.line, character=ref.col),
        end=Position(line=ref.line, character=ref.end_col),
    )


def for_flag(facts: FlagFacts, *, annotate_all: bool = False) -> list[Finding]:
    out: list[Finding] = []
    if facts.category in ("fully-on", "fully-off", "undefined"):
        out += _at_references(facts, _rule(facts), Severity.information)
    elif annotate_all and facts.references:
        out += _at_references(facts, "flag/state", Severity.hint)
    if facts.category in ("fully-on", "fully-off", "unreferenced") or (
        annotate_all and facts.definitions
    ):
        out += _at_definitions(facts)
    return out


def _at_references(facts: FlagFacts, rule: str, severity: Severity) -> list[Finding]:
    out = []
    for ref in facts.references:
        if not ref.quote:
            continue
        data = _data(
            facts, lens=facts.lens, keep=facts.keep, reference_kind=ref.kind, call=ref.call
        )
        if ref.edit is not None:
            data["edit"] = ref.edit
            data["dead_ranges"] = [d.model_dump() for d in ref.dead_ranges]
        message = (
            reference_message(facts, ref)
            if rule != "flag/state"
            else f"Flag `{facts.key}`: {state_words(facts.state, facts.percent)}{_env(facts)} ({_where(facts)})."
        )
        evidence = [Evidence(path=ref.path, line=ref.line, quote=ref.quote)]
        if ref.context is not None:
            evidence.append(Evidence(path=ref.path, line=ref.context[0], quote=ref.context[1]))
        main = Finding(
            rule=rule,
            severity=severity,
            path=ref.path,
            range=_ref_range(ref),
            message=message,
            evidence=evidence,
            data=FindingData.model_validate(data),
        )
        out.append(main)
        out += _dead(facts, ref, rule, main.id)
    return out


def _dead(facts: FlagFacts, ref: ReferenceFact, rule: str, main_id: str) -> list[Finding]:
    """Faded code: the branch a removal deletes."""
    if ref.edit is None:
        return []
    out = []
    for dr in ref.dead_ranges:
        rng = dr.range
        first = rng.start.line
        quote = dr.quote
        if not quote:
            continue
        # The check's line joins the evidence: `else:` alone would fingerprint every dead
        # else-branch of the file alike.
        out.append(
            Finding(
                rule=rule,
                severity=Severity.hint,
                path=ref.path,
                range=rng,
                tags=["unnecessary"],
                message=f"Dead once flag `{facts.key}` is removed ({state_words(facts.state, facts.percent)}).",
                evidence=[
                    Evidence(path=ref.path, line=first, quote=quote),
                    Evidence(path=ref.path, line=ref.line, quote=ref.quote),
                    *(
                        [Evidence(path=ref.path, line=ref.context[0], quote=ref.context[1])]
                        if ref.context is not None
                        else []
                    ),
                ],
                data=FindingData.model_validate({"key": facts.key, "dead_of": main_id}),
            )
        )
    return out


def _at_definitions(facts: FlagFacts) -> list[Finding]:
    out = []
    lens = definition_lens(facts)
    for d in facts.definitions:
        if not d.quote:
            continue
        # The same advice as the plan's (`definition_advice`): the whole entry's lines, or
        # why it stays (reads Swath cannot see, a one-word key's words set aside, no whole
        # entry around it).
        delete, words = definition_advice(facts, d)
        state = f"{state_words(facts.state, facts.percent)}{_env(facts)}"
        if facts.category == "unreferenced":
            rule = "flag/unreferenced"
            if delete:
                what = words if d.whole_file else f"the definition ({words})"
                message = (
                    f"Flag `{facts.key}` ({state}) is referenced nowhere in this workspace: "
                    f"delete {what} unless another service reads it."
                )
            else:
                message = (
                    f"Flag `{facts.key}` ({state}) is referenced nowhere in this workspace by "
                    f"its key, but {words}, so it cannot advise deleting the definition."
                )
        elif facts.category in ("fully-on", "fully-off"):
            rule = _rule(facts)
            if delete:
                what = words if d.whole_file else f"this definition ({words})"
                then = f", then delete {what}"
            else:
                then = f"; keep this definition: {words}"
            message = (
                f"Flag `{facts.key}` is {state}{_since(facts)}"
                f" with {facts.ref_count} reference(s) in {facts.file_count} file(s): remove them, keeping "
                f"{facts.keep}{then}."
            )
        else:
            rule = "flag/state"
            why = (
                f"; not a removal candidate: {facts.not_candidate_because}"
                if facts.not_candidate_because
                else ""
            )
            message = (
                f"Flag `{facts.key}`: {state_words(facts.state, facts.percent)}{_env(facts)}{why}."
            )
        severity = Severity.hint if rule == "flag/state" else Severity.information
        end = len(d.quote) + d.col
        out.append(
            Finding(
                rule=rule,
                severity=severity,
                path=d.path,
                range=Range(
                    start=Position(line=d.line, character=d.col),
                    end=Position(line=d.line, character=end),
                ),
                message=message,
                evidence=[Evidence(path=d.path, line=d.line, quote=d.quote)],
                data=FindingData.model_validate(
                    _data(
                        facts,
                        lens=lens,
                        definition={
                            "path": d.path,
                            "line": d.line,
                            "end_line": d.end_line,
                            "format": d.format,
                        },
                    )
                ),
            )
        )
    return out


def for_error(err: FlagErrorData, line_text: str | None) -> Finding:
    quote = (line_text or "").strip()
    return Finding(
        rule="flag/malformed",
        severity=Severity.warning,
        path=err.path,
        range=Range(
            start=Position(line=err.line, character=0),
            end=Position(line=err.line, character=len(line_text or "")),
        ),
        message=f"{err.path}:{err.line + 1}: {err.message}",
        evidence=[Evidence(path=err.path, line=err.line, quote=quote)] if quote else [],
        data=FindingData.model_validate({"format": err.format}),
    )
