"""No module of the package uses another module's private names.

A leading underscore says "only this module relies on it"; a second module that imports
such a name, or reads it off an imported module, makes two modules that can only change
together, as an import circle does (tests/test_import_cycles.py). Attributes of objects
are not checked here (that needs types): the TaskRunner, the ledger and the LSP features
expose what others use as public methods and properties. Tests may reach into anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import swath

PACKAGE = Path(swath.__file__).parent


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    """Whether `swath.a.b` is a module or package of the package (found on disk, not imported)."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def uses_of_private_names(source: str, module: str) -> list[str]:
    """Where `source` (the module `module`) imports another swath module's private name or
    reads one off an imported swath module."""
    tree = ast.parse(source)
    found: list[str] = []
    modules: dict[str, str] = {}  # local name -> the swath module it is
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("swath.") and alias.asname:
                    modules[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("swath"):
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _private(alias.name) and node.module != module:
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
                elif _is_module(full):
                    modules[alias.asname or alias.name] = full
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and _private(node.attr)
            and modules[node.value.id] != module
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for use in uses_of_private_names(path.read_text(encoding="utf-8"), module):
            problems.append(f"{module}: {use}")
    assert not problems, "private names used across modules:\n" + "\n".join(problems)


def test_the_check_sees_a_private_use() -> None:
    """The check finds both kinds of use when there is one (not a test that cannot fail)."""
    source = (
        "from swath.cli import commands\n"
        "from swath.engine.runner import _root_cause\n"
        "commands._say_draft(None, None, None)\n"
    )
    assert uses_of_private_names(source, "swath.other") == [
        "line 2: from swath.engine.runner import _root_cause",
        "line 3: commands._say_draft",
    ]
