"""The built-ins' stored validated form (spec.compiled) is what the loader makes of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from swath.engine.catalog import known_names
from swath.spec import compile_builtins, compiled
from swath.spec.checks import KnownNames
from swath.spec.discovery import BUILTIN_FILES, builtin_workflows_dir
from swath.spec.loader import load_workflow, load_workflow_text


def test_the_stored_form_is_up_to_date() -> None:
    # Regenerate with `python -m swath.spec.compile_builtins` after changing a built-in or the models.
    assert compiled.DATA.read_text(encoding="utf-8") == compile_builtins.data_text(known_names())


@pytest.mark.parametrize("name", sorted(BUILTIN_FILES))
def test_a_builtin_loads_as_the_parser_makes_it(name: str) -> None:
    path = builtin_workflows_dir() / BUILTIN_FILES[name]
    text = path.read_text(encoding="utf-8")
    known = known_names()
    stored = compiled.compiled_workflow(path, text, known)
    assert stored is not None, "the stored form was not used"
    parsed = load_workflow_text(text, str(path), known)
    assert stored == parsed
    for mode in ("json", "python"):
        assert stored.model_dump(mode=mode, by_alias=True) == parsed.model_dump(
            mode=mode, by_alias=True
        )
        assert stored.model_dump(mode=mode, exclude_unset=True) == parsed.model_dump(
            mode=mode, exclude_unset=True
        )
    assert stored.model_dump_json() == parsed.model_dump_json()
    for a, b in zip(stored.steps, parsed.steps, strict=True):
        assert a.model_fields_set == b.model_fields_set
        agent_a, agent_b = getattr(a, "agent", None), getattr(b, "agent", None)
        assert (agent_a and agent_a.instructions_at) == (agent_b and agent_b.instructions_at)
    assert load_workflow(path, known) == parsed


def test_what_is_not_the_shipped_builtin_is_parsed(tmp_path: Path) -> None:
    name = BUILTIN_FILES["review-diff"]
    path = builtin_workflows_dir() / name
    text = path.read_text(encoding="utf-8")
    known = known_names()
    # A copy elsewhere, an edited text, a name nobody registered, a replaced params model.
    copy = tmp_path / name
    shutil.copy(path, copy)
    assert compiled.compiled_workflow(copy, text, known) is None
    assert compiled.compiled_workflow(path, text + "\n# edited\n", known) is None
    assert known.analyzers is not None
    fewer = KnownNames(
        analyzers=known.analyzers - {"diff-review"},
        tools=known.tools,
        schemas=known.schemas,
        sources=known.sources,
    )
    assert compiled.compiled_workflow(path, text, fewer) is None

    class Params:  # a plug-in's model under the built-in's name
        pass

    replaced = KnownNames(
        analyzers=known.analyzers,
        tools=known.tools,
        schemas=known.schemas,
        sources=known.sources,
        analyzer_params={"diff-review": Params},  # type: ignore[dict-item]
    )
    Params.__module__ = "plugin.review"
    assert compiled.compiled_workflow(path, text, replaced) is None
    assert compiled.compiled_workflow(path, text, known) is not None
