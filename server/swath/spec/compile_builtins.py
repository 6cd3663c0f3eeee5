"""Writes spec/builtin_workflows.json, the built-ins' validated form (see spec.compiled).

python -m swath.spec.compile_builtins
"""

from __future__ import annotations

from swath.spec import datafile
from swath.spec.checks import KnownNames
from swath.spec.compiled import DATA, FORMAT, entry_of
from swath.spec.discovery import BUILTIN_FILES, builtin_workflows_dir
from swath.spec.loader import load_workflow_text


def data_text(known: KnownNames | None = None) -> str:
    """builtin_workflows.json for the built-in files as they are."""
    workflows = {}
    for name in sorted(BUILTIN_FILES.values()):
        path = builtin_workflows_dir() / name
        text = path.read_text(encoding="utf-8")
        wf = load_workflow_text(text, str(path), known)
        workflows[name] = entry_of(path, wf, text)
    # Not sorted: a mapping field (`inputs`) keeps the order the file gives it.
    return datafile.section_text(FORMAT, "workflows", workflows)


def main(argv: list[str] | None = None) -> int:
    """Write builtin_workflows.json (the loader's checks of names and options are the
    test's: tests/spec/test_compiled.py loads each built-in with every known name)."""
    del argv
    return datafile.write(DATA, data_text())


if __name__ == "__main__":
    raise SystemExit(main())
