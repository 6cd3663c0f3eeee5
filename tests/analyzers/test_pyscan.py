"""The lexer pass (pyscan) gives the facts the tree-sitter reading gives, on real packages too.

The oracle is `python_facts(..., tree=True)`: the tree-sitter reading the map used
before. Where the pass is unsure it hands the file to that reading, so a file with a
syntax error is still reported, and a valid one never is.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from swath.analyzers.pyfacts import python_facts
from swath.analyzers.pyscan import scan
from swath.analyzers.sourcetext import split_lines

from tests.analyzers.test_pynodes import SOURCE

CASES = '''\
"""Tricky bits: first sentence of
a docstring over lines. More."""
import os  # c
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from collections import abc
try: import json
except ImportError: json = None
try:
    import yaml
except (AttributeError, ModuleNotFoundError) as exc:
    yaml = None
else:
    import toml
__all__ = ["f", 'Klass', "g" "h", r"raw"]
__all__ += ("more",)
a, (b, c) = d.e = f[g] = 1, (2, 3)


@decorator  # with a comment
@other.one(x="(")
def f(
    a,  # the a
    b: "int" = 1,
) -> \\
        dict[str, int]:
    # a comment before the docstring
    """Docs of f."""
    x = [
        y
        for y in a
        if y
    ]
    z = (
        1
        if a
        else 2
    )
    w = f"{[q for q in a if q and b]}" if x else None
    if a or b and not a:
        pass
    else :
        pass
    match a:
        case [1, 2] if b:
            import pickle
        case _:
            pass
    match = case = 1
    return x
    # trailing, still in the body
  # not any more


class Klass(Base,  # a comment
            metaclass=Meta):
    """Klass."""

    def method(self):
        from . import sibling
        s = """
text at column 0 in a string
"""
        return s

    @property
    def prop(self): return 1
x = 1
if __name__ == '__main__':
    f(1)
'''


def _both(text: str, path: str = "pkg/m.py", module: str = "pkg.m") -> tuple[dict, dict]:
    assert scan(text, split_lines(text), module, path.endswith("__init__.py")) is not None
    return python_facts(path, text, module, tree=True), python_facts(path, text, module)


@pytest.mark.parametrize("source", [SOURCE, CASES], ids=["pynodes", "cases"])
def test_the_pass_gives_what_tree_sitter_gives(source: str) -> None:
    want, got = _both(source)
    if source is SOURCE:  # its `0or 1`: a keyword glued to a number, which the pass misses
        assert got["branches"] == want["branches"] - 1
        got["branches"] = want["branches"]
    assert got == want


def test_the_cases_are_read_right() -> None:
    _, facts = _both(CASES)
    assert facts["docstring"] == "Tricky bits: first sentence of a docstring over lines."
    by_name = {s["qualname"]: s for s in facts["symbols"]}
    f = by_name["f"]
    assert f["decorators"] == ["decorator  # with a comment", "other.one"]
    assert f["signature"].endswith("-> dict[str, int]")
    assert f["doc"] == "Docs of f."
    assert f["end"] == CASES.split("\n").index("    # trailing, still in the body")
    assert by_name["Klass"]["bases"] == ["Base", "# a comment", "metaclass=Meta"]
    assert by_name["Klass.prop"]["lines"] == 2
    imports = {i["module"]: i for i in facts["imports"]}
    assert imports["collections"]["type_checking"]
    assert imports["json"]["optional"] and imports["yaml"]["optional"]
    assert not imports["toml"]["optional"]
    assert imports["pickle"]["deferred"] and imports["pkg"]["deferred"]
    assert facts["exports"] == ["f", "Klass", "raw", "more"]
    assert facts["entry"]


def test_what_the_pass_is_unsure_of_goes_to_tree_sitter() -> None:
    for text in (
        'x = "unterminated\n',  # a string that does not end
        "x = (1,\n",  # a bracket that does not close
        "def f():\n\tif x:\n\t\treturn 1\n",  # tabs
        "print 'python 2'\n",
        "x = " + "[" * 40 + "]" * 40 + "\n",  # deeper than the regexes follow
    ):
        assert scan(text, split_lines(text), "m", False) is None, text
    assert python_facts("m.py", "def broken(:\n    pass\n", "m")["error"]
    deep = "x = " + "(" * 150 + "1" + ")" * 150 + "\n"
    facts = python_facts("m.py", deep, "m")  # CPython parses it; so does the map
    assert facts["error"] is None and facts["lines"] == 1


def test_a_real_package_gets_the_same_facts_both_ways() -> None:
    spec = importlib.util.find_spec("hypothesis")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(root.rglob("*.py"))
    assert len(files) > 80
    unsure = []
    for path in files:
        rel = path.relative_to(root.parent).as_posix()
        module = rel[: -len(".py")].replace("/", ".").removesuffix(".__init__")
        text = path.read_text(encoding="utf-8")
        if scan(text, split_lines(text), module, path.name == "__init__.py") is None:
            unsure.append(rel)
        assert python_facts(rel, text, module) == python_facts(rel, text, module, tree=True), rel
    assert len(unsure) <= len(files) // 20, unsure


@pytest.mark.parametrize(
    "text",
    [
        "x = 1\n\n# c\n   # d\n\t\ny = '''\n\n# in a string\n'''\n",
        "x = 1\r\n\r\n# c\r\ny = 2",
        "x = 'é'\n\u3000\n# c\n",
        "\n\n",
        "",
    ],
)
def test_code_lines_are_the_lines_neither_blank_nor_comments(text: str) -> None:
    want = sum(1 for ln in split_lines(text) if ln.strip() and not ln.lstrip().startswith("#"))
    assert python_facts("m.py", text, "m")["code_lines"] == want


def test_module_names_in_strings_are_found_with_either_quote() -> None:
    text = (
        "REG = {'a': \"pkg.mod:attr\", 'b': 'pkg.other'}\n# 'pkg.in_comment'\nx = 'not a module'\n"
    )
    assert python_facts("m.py", text, "m")["string_refs"] == [
        "pkg.in_comment",
        "pkg.mod",
        "pkg.other",
    ]


def test_a_licence_header_does_not_hide_the_module_docstring() -> None:
    text = '#!/usr/bin/env python\n# Copyright 2026 Someone.\n# Licensed under X.\n"""Parse the widget files."""\nimport os\n'
    want, got = _both(text)
    assert got == want
    assert got["docstring"] == "Parse the widget files."
