"""What the review's analyzers hand each other, as JSON: the shapes of their outputs.

`diff-review` (review.py) writes a `PassOutput` per task, one `ReviewedFile` per changed
file; `review-merge` reads them back (from the record, or the cache) and writes one
`MergedReview`; `review-summary` (review_report.py) adds the counts and the verdict; the
pass prompts (review_prompt.py) read the files. They stay plain dicts (hashed, stored,
read by templates); these types say which keys they hold.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class HitEntry(TypedDict):
    rule: str
    line: int  # zero-based
    severity: str
    message: str


class ReviewedFile(TypedDict):
    path: str
    status: str | None
    language: str | None
    role: str  # workspace.roles.Role
    added_lines: int
    checks: list[str]  # the checks that ran on it
    skipped: str | None  # why it was not checked (deleted, binary, …)
    hits: list[HitEntry]
    notes: NotRequired[list[str]]  # checks that could not run in part
    ruff: NotRequired[str]  # why ruff did not check it
    findings: NotRequired[int]  # review-summary: its findings after merging


PassOutput = TypedDict(
    "PassOutput",
    {
        "pass": str,
        "ran": bool,
        "files": list[ReviewedFile],
        "switched_off": NotRequired[dict[str, str]],  # pass -> the setting that did it
        "prompt": NotRequired[str],  # the pass's instructions for its model agent
    },
)


class MergedReview(TypedDict):
    base: str
    passes: list[str]  # the passes that ran
    switched_off: dict[str, str]
    files: list[ReviewedFile]


class ReviewCounts(TypedDict):
    findings: int
    by_severity: dict[str, int]
    by_pass: dict[str, int]
    by_rule: dict[str, int]
    by_file: dict[str, int]
    files_changed: int
    files_reviewed: int
    files_skipped: int
    added_lines: int


class ReviewSummaryOutput(MergedReview):
    verdict: str
    caveats: list[str]
    counts: ReviewCounts
    markdown: NotRequired[str]
