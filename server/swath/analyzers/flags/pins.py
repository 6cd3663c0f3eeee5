"""The tests that pin a flag: each test reference, named by the test case around it, so the
plan can say which tests to update or delete once the flag goes (a test that patches the
SDK to answer "on" for the key tests a branch the removal keeps or deletes)."""

from __future__ import annotations

import bisect
import re

from pydantic import BaseModel

from swath.analyzers.flags.facts import FlagFacts
from swath.analyzers.flags.references import parsed
from swath.workspace import Workspace

# A test case's first line: pytest/unittest `def test_…`, Go `func TestX(`, Jest/Mocha/
# Vitest `it("…"` / `test("…"`, RSpec `it "…" do`. Whatever encloses the reference nearest.
# `\s*+` once, possessive (as examine.HEADER_LINE): no alternative starts with a space.
CASE_LINE = re.compile(
    r"^\s*+(?:(?:async\s+)?def\s+(?P<py>test\w*)"
    r"|func\s+(?P<go>(?:Test|Benchmark|Example)\w*)\s*\("
    r"|(?:it|test)(?:\.\w+)?\s*\(\s*(?P<q>[\"'`])(?P<js>.*?)(?P=q)"
    r"|it\s+(?P<rq>[\"'])(?P<rb>.*?)(?P=rq))"
)


class PinningTest(BaseModel):
    path: str
    line: int  # zero-based, of the reference
    name: str | None = None  # the enclosing test case, when one is found


def pinning_tests(ws: Workspace, f: FlagFacts) -> list[PinningTest]:
    out: list[PinningTest] = []
    seen: set[tuple[str, str | None]] = set()
    for r in f.references:
        if not r.test:
            continue
        pf = parsed(ws, r.path)
        name = None
        if pf is not None:
            cases = pf.lines_matching(CASE_LINE)
            at = bisect.bisect_right(cases, min(r.line, len(pf.lines) - 1)) - 1
            m = CASE_LINE.match(pf.lines[cases[at]]) if at >= 0 else None
            if m is not None:
                name = next(g for g in (m["py"], m["go"], m["js"], m["rb"]) if g is not None)
        if (r.path, name) in seen:
            continue
        seen.add((r.path, name))
        out.append(PinningTest(path=r.path, line=r.line, name=name))
    return out
