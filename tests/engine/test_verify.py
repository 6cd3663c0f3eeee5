from __future__ import annotations

from pathlib import Path

import pytest

from swath.engine.verify import EvidenceVerifier, VerifyOutcome, dedupe, identify
from swath.findings.model import Evidence, Finding, Position, Range
from swath.workspace import Workspace

APP = """\
import os

def handler(request):
    user = request.user
    query = "SELECT * FROM t WHERE id = " + user.id
    return db.execute(query)

def other():
    return 1

def again():
    return 1
"""
# zero-based lines of APP, for readability below
HANDLER, USER, QUERY, EXECUTE, RETURN_1_A, RETURN_1_B = 2, 3, 4, 5, 8, 11


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(APP, encoding="utf-8")
    (root / "src" / "dup.py").write_text("x\ndup\ny\ndup\n", encoding="utf-8")
    (root / "src" / "crlf.py").write_bytes(b"a = 1\r\nb = 2\r\nc = 3\r\n")
    (root / ".env").write_text("SECRET=1\n", encoding="utf-8")
    (tmp_path / "outside.py").write_text(APP, encoding="utf-8")
    return Workspace(root)


def make(
    line: int,
    quote: str | None,
    *,
    path: str = "src/app.py",
    evidence_path: str | None = None,
    rule: str = "r/test",
    span: int = 0,
) -> Finding:
    """A finding whose range and evidence both sit at `line` (range `span` lines long)."""
    evidence = (
        [Evidence(path=evidence_path or path, line=line, quote=quote)] if quote is not None else []
    )
    return Finding(
        rule=rule,
        path=path,
        range=Range(
            start=Position(line=line, character=4), end=Position(line=line + span, character=9)
        ),
        message="m",
        evidence=evidence,
    )


def verify(ws: Workspace, *findings: Finding, window: int = 3) -> VerifyOutcome:
    return EvidenceVerifier(ws, window=window).verify(list(findings))


def only_kept(outcome: VerifyOutcome) -> Finding:
    assert outcome.dropped == [], outcome.dropped
    assert len(outcome.kept) == 1
    return outcome.kept[0]


def only_dropped(outcome: VerifyOutcome) -> str:
    assert outcome.kept == []
    assert len(outcome.dropped) == 1
    return outcome.dropped[0][1]


# -- hits and re-anchoring ---------------------------------------------------------------
def test_exact_hit_is_kept_verified_and_unmoved(ws: Workspace) -> None:
    f = make(QUERY, 'query = "SELECT * FROM t WHERE id = "')
    out = verify(ws, f)
    kept = only_kept(out)
    assert kept.verified is True
    assert kept.range == f.range and kept.evidence[0].line == QUERY
    assert out.reanchored == 0


@pytest.mark.parametrize(
    "cited,actual", [(QUERY - 2, QUERY), (EXECUTE + 3, EXECUTE), (USER + 1, USER)]
)
def test_reanchor_moves_evidence_and_range(ws: Workspace, cited: int, actual: int) -> None:
    quote = APP.splitlines()[actual].strip()
    f = make(cited, quote, span=1)
    out = verify(ws, f)
    kept = only_kept(out)
    assert kept.evidence[0].line == actual
    delta = actual - cited
    assert kept.range.start == Position(line=cited + delta, character=4)
    assert kept.range.end == Position(line=cited + 1 + delta, character=9)
    assert kept.verified is True and out.reanchored == 1
    # The identity follows the line the quote really stands on: the same as a finding
    # cited right in the first place (GitHub and the LSP keep tracking one alert).
    cited_right = only_kept(verify(ws, make(actual, quote, span=1)))
    assert kept.fingerprint == cited_right.fingerprint


def test_nearest_occurrence_wins(ws: Workspace) -> None:
    # "return 1" stands at lines 8 and 11; cited at 10 the nearer one is 11, at 9 it's 8.
    near_b = only_kept(verify(ws, make(10, "return 1")))
    near_a = only_kept(verify(ws, make(9, "return 1")))
    assert near_b.evidence[0].line == RETURN_1_B and near_b.range.start.line == RETURN_1_B
    assert near_a.evidence[0].line == RETURN_1_A and near_a.range.start.line == RETURN_1_A


def test_exact_line_beats_nearby_duplicate(ws: Workspace) -> None:
    kept = only_kept(verify(ws, make(RETURN_1_A, "return 1")))
    assert kept.evidence[0].line == RETURN_1_A


def test_tie_goes_to_the_earlier_line(ws: Workspace) -> None:
    # src/dup.py: "dup" at lines 1 and 3, cited at 2.
    kept = only_kept(verify(ws, make(2, "dup", path="src/dup.py")))
    assert kept.evidence[0].line == 1


def test_window_edge_is_inclusive(ws: Workspace) -> None:
    quote = "import os"
    assert only_kept(verify(ws, make(3, quote), window=3)).evidence[0].line == 0
    assert "not found within ±2 lines" in only_dropped(verify(ws, make(3, quote), window=2))


def test_outside_window_is_dropped_with_reason(ws: Workspace) -> None:
    f = make(RETURN_1_B, "import os")
    reason = only_dropped(verify(ws, f))
    assert reason.startswith("src/app.py:12: quote not found within ±3 lines")
    assert "'import os'" in reason


def test_window_zero_means_exact_only(ws: Workspace) -> None:
    only_dropped(verify(ws, make(QUERY + 1, "query ="), window=0))
    only_kept(verify(ws, make(QUERY, "query ="), window=0))


def test_quote_not_in_file_at_all_is_dropped(ws: Workspace) -> None:
    only_dropped(verify(ws, make(QUERY, "eval(request.body)")))


def test_quote_beyond_end_of_file_is_dropped(ws: Workspace) -> None:
    only_dropped(verify(ws, make(500, "return 1")))


def test_empty_quote_is_dropped(ws: Workspace) -> None:
    assert "empty evidence quote" in only_dropped(verify(ws, make(QUERY, "  \n ")))


# -- files the verifier may not or cannot read ------------------------------------------------
def test_missing_file_is_dropped(ws: Workspace) -> None:
    assert "no such file" in only_dropped(verify(ws, make(0, "import os", path="src/gone.py")))


@pytest.mark.parametrize("path", ["../outside.py", "src/../../outside.py", "/etc/passwd"])
def test_path_escaping_the_workspace_is_dropped(ws: Workspace, path: str) -> None:
    # ../outside.py exists and holds the same text: only the sandbox can refuse it.
    assert "refused" in only_dropped(verify(ws, make(0, "import os", path=path)))


def test_evidence_escaping_the_workspace_is_dropped(ws: Workspace) -> None:
    f = make(0, "import os", evidence_path="../outside.py")
    assert "refused" in only_dropped(verify(ws, f))


def test_denied_file_is_dropped(ws: Workspace) -> None:
    assert "refused" in only_dropped(verify(ws, make(0, "SECRET=1", path=".env")))


def test_directory_is_dropped(ws: Workspace) -> None:
    only_dropped(verify(ws, make(0, "x", path="src")))


def test_binary_file_is_dropped(ws: Workspace) -> None:
    (ws.root / "src" / "blob.bin").write_bytes(b"abc\0def\n")
    assert "binary" in only_dropped(verify(ws, make(0, "abc", path="src/blob.bin")))


# -- multi-line and whitespace ----------------------------------------------------------------
def test_multi_line_quote_exact(ws: Workspace) -> None:
    quote = "def handler(request):\n    user = request.user"
    kept = only_kept(verify(ws, make(HANDLER, quote)))
    assert kept.evidence[0].line == HANDLER and kept.verified


def test_multi_line_quote_reanchored_shifts_whole_range(ws: Workspace) -> None:
    quote = 'user = request.user\n    query = "SELECT * FROM t WHERE id = " + user.id\n    return db.execute(query)'
    f = make(USER + 2, quote, span=2)
    out = verify(ws, f)
    kept = only_kept(out)
    assert kept.evidence[0].line == USER
    assert (kept.range.start.line, kept.range.end.line) == (USER, USER + 2)
    assert out.reanchored == 1


def test_multi_line_quote_must_match_every_line(ws: Workspace) -> None:
    quote = "def handler(request):\n    user = request.admin"
    only_dropped(verify(ws, make(HANDLER, quote)))


def test_multi_line_quote_running_past_end_of_file_is_dropped(ws: Workspace) -> None:
    only_dropped(verify(ws, make(RETURN_1_B, "return 1\nmore")))


@pytest.mark.parametrize(
    "quote",
    [
        "   return db.execute(query)   \n",  # surrounding whitespace
        "return  db.execute( query)".replace("( ", "("),  # doubled inner space
        "return\tdb.execute(query)",  # tab for a space
    ],
)
def test_whitespace_differences_are_tolerated(ws: Workspace, quote: str) -> None:
    kept = only_kept(verify(ws, make(EXECUTE, quote)))
    assert kept.evidence[0].line == EXECUTE


def test_rewrapped_multi_line_quote_with_other_indentation(ws: Workspace) -> None:
    quote = "def handler(request):\n  user =\n request.user"
    # Three quote lines but only two file lines: the file's lines 2-4 hold the text too.
    kept = only_kept(verify(ws, make(HANDLER + 1, quote)))
    assert kept.evidence[0].line == HANDLER


def test_whitespace_inside_a_token_is_not_tolerated(ws: Workspace) -> None:
    only_dropped(verify(ws, make(EXECUTE, "return db.exe cute(query)")))


def test_crlf_lines_count_like_the_editor(ws: Workspace) -> None:
    kept = only_kept(verify(ws, make(1, "b = 2", path="src/crlf.py")))
    assert kept.evidence[0].line == 1
    assert only_kept(verify(ws, make(1, "c = 3", path="src/crlf.py"))).evidence[0].line == 2


# -- evidence in other files, several quotes --------------------------------------------------
def test_evidence_in_another_file_moves_only_itself(ws: Workspace) -> None:
    f = make(QUERY, 'query = "SELECT', path="src/app.py")
    f.evidence.append(Evidence(path="src/dup.py", line=0, quote="y"))
    kept = only_kept(verify(ws, f))
    assert kept.range == f.range
    assert [e.line for e in kept.evidence] == [QUERY, 2]


def test_one_bad_quote_drops_the_finding(ws: Workspace) -> None:
    f = make(QUERY, 'query = "SELECT')
    f.evidence.append(Evidence(path="src/app.py", line=0, quote="not there"))
    only_dropped(verify(ws, f))


# -- findings without evidence ----------------------------------------------------------------
def test_no_evidence_kept_unverified_when_line_exists(ws: Workspace) -> None:
    f = make(QUERY, None)
    f.verified = True  # a producer's claim is not proof
    kept = only_kept(verify(ws, f))
    assert kept.verified is False and kept.range == f.range


def test_no_evidence_beyond_end_of_file_is_dropped(ws: Workspace) -> None:
    assert "beyond the end of the file" in only_dropped(verify(ws, make(200, None)))


def test_no_evidence_missing_file_is_dropped(ws: Workspace) -> None:
    only_dropped(verify(ws, make(0, None, path="nope.py")))


# -- purity, caching, order -------------------------------------------------------------------
def test_inputs_are_not_mutated(ws: Workspace) -> None:
    f = make(QUERY - 2, 'query = "SELECT')
    before = f.model_dump()
    kept = only_kept(verify(ws, f))
    assert f.model_dump() == before
    assert kept is not f and kept.evidence[0] is not f.evidence[0]
    unmoved = make(QUERY, 'query = "SELECT')
    assert only_kept(verify(ws, unmoved)).evidence[0] is not unmoved.evidence[0]


def test_order_and_counts(ws: Workspace) -> None:
    findings = [
        make(QUERY, 'query = "SELECT', rule="a"),
        make(0, "import os", path="missing.py", rule="b"),
        make(USER + 1, "user = request.user", rule="c"),
        make(EXECUTE + 1, "return db.execute", rule="d"),
    ]
    out = verify(ws, *findings)
    assert [f.rule for f in out.kept] == ["a", "c", "d"]
    assert [f.rule for f, _ in out.dropped] == ["b"]
    assert out.dropped[0][0] is findings[1]
    assert out.reanchored == 2


class CountingWorkspace(Workspace):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.resolved: list[str] = []

    def resolve(self, rel: str, *, must_exist: bool = True) -> Path:
        self.resolved.append(rel)
        return super().resolve(rel, must_exist=must_exist)


def test_each_file_is_read_once_per_call(ws: Workspace) -> None:
    counting = CountingWorkspace(ws.root)
    findings = [make(line, APP.splitlines()[line].strip() or None) for line in range(8)]
    findings += [make(0, "x", path="missing.py"), make(1, "y", path="missing.py")]
    verifier = EvidenceVerifier(counting)
    out = verifier.verify(findings)
    assert len(out.dropped) == 2
    assert sorted(counting.resolved) == ["missing.py", "src/app.py"]
    verifier.verify(findings[:1])
    # A new call reads again: the file may have changed in between.
    assert counting.resolved.count("src/app.py") == 2


def test_negative_window_is_refused(ws: Workspace) -> None:
    with pytest.raises(ValueError):
        EvidenceVerifier(ws, window=-1)


# -- dedupe -----------------------------------------------------------------------------------
def test_dedupe_keeps_the_first_of_each_fingerprint(ws: Workspace) -> None:
    first = make(QUERY, 'query = "SELECT')
    same_place = make(QUERY, 'query = "SELECT * FROM t')  # same rule and line, longer quote
    other_rule = make(QUERY, 'query = "SELECT', rule="r/other")
    other_quote = make(USER, "user = request.user")
    first, same_place, other_rule, other_quote = verify(
        ws, first, same_place, other_rule, other_quote
    ).kept
    assert same_place.fingerprint == first.fingerprint
    findings = [first, other_rule, same_place, other_quote, first]
    assert dedupe(findings) == [first, other_rule, other_quote]
    assert dedupe(findings)[0] is first
    assert EvidenceVerifier(ws).dedupe(findings) == [first, other_rule, other_quote]
    assert dedupe([]) == []


def test_identical_lines_stay_apart_and_survive_an_insertion_above(ws: Workspace) -> None:
    # src/dup.py is "x\ndup\ny\ndup\n": one rule on both `dup` lines is two findings.
    first, second = verify(
        ws, make(1, "dup", path="src/dup.py"), make(3, "dup", path="src/dup.py")
    ).kept
    assert first.fingerprint != second.fingerprint
    assert dedupe([first, second]) == [first, second]
    # An unrelated line above both moves them down; their identities stay.
    (ws.root / "src" / "dup.py").write_text("new\nx\ndup\ny\ndup\n", encoding="utf-8")
    moved = verify(ws, make(2, "dup", path="src/dup.py"), make(4, "dup", path="src/dup.py")).kept
    assert [f.fingerprint for f in moved] == [first.fingerprint, second.fingerprint]


def test_identity_drawn_for_provisional_and_moved_findings_only(ws: Workspace) -> None:
    """A finding the engine identified and verification leaves where it is keeps that
    identity (no second pass over its file); a provisional one, or one that moved, gets
    the identity of the line it stands on."""
    dup = Path(ws.root / "src" / "dup.py")
    provisional = make(3, None, path="src/dup.py")  # the second `dup`
    (stable,) = identify(ws, [provisional])
    assert stable.fingerprint != provisional.fingerprint
    assert only_kept(verify(ws, provisional)).fingerprint == stable.fingerprint
    # Kept as it came (unverified already, no quote to check): the very same finding.
    assert only_kept(verify(ws, stable)) is stable
    # A line inserted above makes this `dup` the third: a fresh identity would say so, the
    # unmoved finding keeps what its record was given.
    dup.write_text("dup\nx\ndup\ny\ndup\n", encoding="utf-8")
    (fresh,) = identify(ws, [make(4, None, path="src/dup.py")])
    assert fresh.fingerprint != stable.fingerprint
    assert only_kept(verify(ws, stable)).fingerprint == stable.fingerprint
    # Re-anchored by its quote, it is placed again, on the line it moved to.
    cited = make(5, "dup", path="src/dup.py").model_copy(update={"fingerprint": stable.fingerprint})
    moved = only_kept(verify(ws, cited))
    assert moved.evidence[0].line == 4 and moved.fingerprint != stable.fingerprint
    assert moved.fingerprint == only_kept(verify(ws, make(4, "dup", path="src/dup.py"))).fingerprint
