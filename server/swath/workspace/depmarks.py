"""How a task names what its result depends on besides a file's content.

A task's cache entry lists what it read; each entry is a workspace path (its content
hash is compared on lookup) or one of these marked forms. Analyzers write them, the
engine's cache resolves them, and both import them from here.
"""

from __future__ import annotations

# `exists:PATH`: only whether PATH is a file matters (a package's __init__.py).
EXISTS = "exists:"
# The commit checked out: for an output drawn from the git history (a commit count).
GIT_HEAD = "git:HEAD"
