"""What the command line's parser needs before any command runs: the usage error and the
`--fail-on` levels. Kept apart from `commands` (the engine, the store, the loader) so that
`swath --help` and a mistyped option import none of them."""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage: exit code 2 with this message."""


# `--fail-on LEVEL`: the SARIF levels, most severe first; a finding at LEVEL or above
# makes a finished run exit EXIT_FINDINGS (a failed run still exits EXIT_FAILED).
FAIL_ON = ("error", "warning", "note", "never")
