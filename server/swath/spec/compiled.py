"""The built-in workflows in their validated form, so that running one does not parse it.

`swath run review-diff` composed review-diff.yaml with ruamel's pure-Python round-trip
parser and ran every check of the loader (references, cycles, templates, names, options):
~100 ms CPU of a one-shot run, for a file that ships with the package and changes only
with it. `builtin_workflows.json` holds each built-in as the loader made it (the model's
fields as set, where each instructions template stands), the sha256 of the YAML it was
made from, and the names it uses. Loading a built-in takes that form when:

- the file is the package's own (`builtin_workflows_dir()`) and its text has that sha256
  (an edited built-in is parsed, as any file);
- every analyzer, source, tool and schema it names is among the caller's known names, and
  each analyzer's params and source's options model it names is Swath's own (a plug-in
  that replaced one validates them itself, through the parser).

Anything else, or a stored form that does not validate, goes through the parser.
tests/spec/test_compiled.py checks that the stored form is the loader's, for every
built-in; regenerate it with `python -m swath.spec.compile_builtins` after changing one (or
the models).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from swath.spec.checks import KnownNames, agent_paths, raw_steps
from swath.spec.datafile import read_section, text_sha256
from swath.spec.discovery import BUILTIN_FILES, builtin_workflows_dir
from swath.spec.models import Workflow
from swath.spec.positions import parse_yaml

DATA = Path(__file__).with_name("builtin_workflows.json")
FORMAT = 1


@lru_cache(maxsize=1)
def _stored() -> dict[str, Any]:
    return read_section(DATA, FORMAT, "workflows")


def _is_builtin(path: Path) -> bool:
    if path.name not in BUILTIN_FILES.values():
        return False
    try:
        return path.resolve().parent == builtin_workflows_dir().resolve()
    except OSError:
        return False


def _own_model(model: Any) -> bool:
    """No declared model (any options pass), or one of Swath's own."""
    return model is None or str(getattr(model, "__module__", "")).startswith("swath.")


def _names_known(uses: dict[str, list[str]], known: KnownNames | None) -> bool:
    if known is None:
        return True
    for kind, names in (
        ("analyzers", known.analyzers),
        ("sources", known.sources),
        ("tools", known.tools),
        ("schemas", known.schemas),
    ):
        if names is not None and not set(uses.get(kind, [])) <= names:
            return False
    return all(_own_model(known.analyzer_params.get(a)) for a in uses.get("analyzers", [])) and all(
        _own_model(known.source_options.get(s)) for s in uses.get("sources", [])
    )


def compiled_workflow(path: Path, text: str, known: KnownNames | None) -> Workflow | None:
    """The stored form of the built-in at `path` (with `text`), or None: parse it then."""
    if not _is_builtin(path):
        return None
    entry = _stored().get(path.name)
    if not isinstance(entry, dict) or entry.get("sha256") != text_sha256(text):
        return None
    if not _names_known(entry.get("uses") or {}, known):
        return None
    try:
        wf = Workflow.model_validate(entry["workflow"])
        for index, line in entry.get("instructions") or []:
            agent = getattr(wf.steps[index], "agent", None)
            if agent is None:
                return None
            agent.locate_instructions(str(path), int(line))
    except (KeyError, IndexError, TypeError, ValueError, ValidationError):
        return None
    return wf


# -- making the stored form ------------------------------------------------------------------


def _uses(text: str) -> dict[str, list[str]]:
    """The names the loader's checks look up, as `registered_names` finds them."""
    doc, _ = parse_yaml(text)
    found: dict[str, set[str]] = {
        "analyzers": set(),
        "sources": set(),
        "tools": set(),
        "schemas": set(),
    }
    if doc is None:
        return {}
    for step in raw_steps(doc):
        if step.kind == "discover" and isinstance(step.data.get("source"), str):
            found["sources"].add(step.data["source"])
        for path in agent_paths(step):
            agent = step.data.get(str(path[-1])) or {}
            if isinstance(agent.get("analyzer"), str):
                found["analyzers"].add(agent["analyzer"])
            if isinstance(agent.get("output"), str):
                found["schemas"].add(agent["output"])
            tools = agent.get("tools")
            if isinstance(tools, list):
                found["tools"].update(t for t in tools if isinstance(t, str))
    return {k: sorted(v) for k, v in found.items()}


def entry_of(path: Path, wf: Workflow, text: str) -> dict[str, Any]:
    """The stored form of `wf`, loaded from the built-in `path` with `text`."""
    instructions = []
    for index, step in enumerate(wf.steps):
        agent = getattr(step, "agent", None)
        where = agent.instructions_at if agent is not None else None
        if where is not None:
            instructions.append([index, where[1]])
    return {
        "sha256": text_sha256(text),
        "uses": _uses(text),
        "workflow": wf.model_dump(mode="json", by_alias=True, exclude_unset=True),
        "instructions": instructions,
    }
