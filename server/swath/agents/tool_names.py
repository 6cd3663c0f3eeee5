"""The names of the workspace tools an agent may be given.

Apart from `swath.agents.tools` (which implements them and imports detect-secrets, git
helpers and more) so that validating a workflow's `tools:` imports none of that.
"""

from __future__ import annotations

TOOL_NAMES: tuple[str, ...] = (
    "read_file",
    "list_dir",
    "glob",
    "grep",
    "git_log",
    "git_blame",
    "git_diff",
    "symbols",
)
