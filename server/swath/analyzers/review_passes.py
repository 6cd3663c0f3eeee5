"""The passes of a review and which checks belong to which.

A pass is one concern (security, correctness, performance, tests, accessibility) with its
own offline checks and its own model instructions. Rule ids say their pass:
`review/<pass>/<name>` for Swath's own rules, `ruff/<CODE>` for ruff's (the pass follows
from the code's family, see `RUFF`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache

PASSES: tuple[str, ...] = ("security", "correctness", "performance", "tests", "accessibility")

# The ruff rules each pass asks for. Chosen on real release diffs (bench/review_noise.py):
# a family is taken whole where its rules point at problems, and the rules that mostly
# flag style or deliberate idioms in mature code are left out (see docs/review.md).
RUFF: dict[str, tuple[str, ...]] = {
    "security": (
        "S102",  # exec
        "S103",  # permissive chmod
        "S104",  # bind to all interfaces
        "S113",  # request without timeout
        "S201",  # flask debug=True
        "S202",  # tarfile extractall
        "S301",  # pickle
        "S302",  # marshal
        "S306",  # mktemp
        "S307",  # eval
        "S308",  # mark_safe
        "S312",  # telnet
        "S321",  # ftp
        "S323",  # unverified SSL context
        "S324",  # weak hash
        "S501",  # verify=False
        "S502",  # old SSL protocol
        "S503",
        "S504",
        "S506",  # yaml.load
        "S507",  # paramiko AutoAddPolicy
        "S508",
        "S509",
        "S601",  # paramiko exec_command
        "S602",  # shell=True
        "S604",
        "S605",  # os.system with a string
        "S608",  # SQL built from strings
        "S609",  # wildcard injection
        "S610",
        "S611",
        "S612",
        "S701",  # jinja2 autoescape off
        "S702",
    ),
    "correctness": (
        "E722",  # bare except
        "F631",  # assert on a tuple
        "F632",  # `is` with a literal
        "F701",
        "F702",
        "F704",
        "F706",
        "F707",
        "F811",  # redefined while unused
        "F821",  # undefined name
        "F822",
        "F823",
        "PLE",  # pylint's errors
        "T100",  # debugger
        "B002",
        "B003",
        "B004",
        "B006",  # mutable default
        "B012",  # return in finally
        "B014",
        "B015",  # pointless comparison
        "B016",
        "B018",  # useless expression
        "B019",  # lru_cache on a method
        "B020",
        "B021",
        "B022",
        "B023",  # closure over a loop variable
        "B025",
        # B026 (star-arg after a keyword argument) is left out: it flags calls that work as
        # written (docutils' node constructors in sphinx), a style question.
        "B029",
        "B030",
        "B031",
        "B032",
        "B033",
        "B035",
        # BLE001 (blind except) is left out: on release diffs 4 of 5 were deliberate catch-alls
        # (a probe whose any failure means "invalid", repr() of arbitrary objects, a logged
        # retry per broker, an error turned into a usage message).
        "TRY203",  # try/except that only re-raises
    ),
    # PERF102 (`.items()` with one half unused) is left out: it cannot tell a dict from a
    # class's own `items()` (werkzeug's CombinedMultiDict.values, where `values()` would
    # recurse), and a saved tuple is no work that grows.
    "performance": (
        "PERF101",
        "PERF403",
        "ASYNC",
    ),
    # PT011 (pytest.raises too broad) and PT031 (several statements in a pytest.raises block)
    # are left out: on real release diffs they flagged deliberate tests nobody changes.
    "tests": (
        "PT008",
        "PT010",
        # PT015 (`assert False`) is left out: it only matters under `python -O`, which no test
        # runner uses; on release diffs both were deliberate (a retry's failure, an if/else).
        "PT017",
    ),
}


class PassError(ValueError):
    """An unknown pass name in `passes` or in the repository setting."""


def parse_passes(value: str | Iterable[str] | None, where: str = "input `passes`") -> list[str]:
    """The passes named (comma-separated or a list), in the canonical order; none means all."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return list(PASSES)
    names = value.split(",") if isinstance(value, str) else list(value)
    wanted = {n.strip().lower() for n in names if n and n.strip()}
    if "all" in wanted:
        return list(PASSES)
    unknown = sorted(wanted - set(PASSES))
    if unknown:
        hints = []
        for n in unknown:
            close = difflib.get_close_matches(n, PASSES, n=1)
            hints.append(f"{n!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise PassError(f"{where}: no pass {', '.join(hints)}; the passes: {', '.join(PASSES)}")
    return [p for p in PASSES if p in wanted]


def _letters(code: str) -> str:
    return code.rstrip("0123456789")


def selector_matches(selector: str, code: str) -> bool:
    """ruff's selector semantics: `B` is flake8-bugbear (not BLE), `S1` is S1xx, `ALL` is all."""
    if selector == "ALL":
        return True
    sel_letters, code_letters = _letters(selector), _letters(code)
    if sel_letters == code_letters or (sel_letters == "PL" and code_letters.startswith("PL")):
        return code[len(code_letters) :].startswith(selector[len(sel_letters) :]) or (
            sel_letters == "PL" and code.startswith(selector)
        )
    return False


@lru_cache(maxsize=2048)  # asked for every ruff hit of every pass; RUFF never changes
def ruff_pass(code: str) -> str | None:
    """The pass a ruff code belongs to, by its family (None: no pass asks for it)."""
    for name, selectors in RUFF.items():
        if any(selector_matches(s, code) for s in selectors):
            return name
    family = _letters(code)
    for name, selectors in RUFF.items():
        if any(_letters(s) == family for s in selectors):
            return name
    return None


def pass_of_rule(rule: str) -> str | None:
    """`review/<pass>/…` → pass; `ruff/<CODE>` → the code's pass."""
    parts = rule.split("/")
    if len(parts) >= 3 and parts[0] == "review" and parts[1] in PASSES:
        return parts[1]
    if len(parts) == 2 and parts[0] == "ruff":
        return ruff_pass(parts[1])
    return None
