"""What a model is shown to write a workflow: the language, the catalogue, and examples.

Names alone made the model guess what an analyzer does and which options it takes; the
grounding is the published JSON Schema (with every source's `with:` options and every
analyzer's `params:`), one line per source, analyzer, tool and output schema saying what
it is for, and complete example workflows that use the generic building blocks.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from swath.analyzers import registry as analyzers
from swath.engine.catalog import tool_names, workflow_schema_text
from swath.sources import registry as sources
from swath.spec.discovery import builtin_workflows_dir, example_workflows_dir
from swath.spec.schema_registry import schema_names

# Examples shown in full: the generic building blocks (ast-grep, regex, catalogue, emit
# rules) in the shapes a new job most often takes. The built-ins are long and specific.
GROUNDING_EXAMPLES = ("env-catalogue", "deprecated-api")


class Grounding(BaseModel):
    schema_text: str
    catalogue: str
    examples: str

    def size(self) -> int:
        return len(self.schema_text) + len(self.catalogue) + len(self.examples)


def _first_line(text: str) -> str:
    return " ".join(text.split())[:240]


def _catalogue() -> str:
    lines = ["Sources (a discover step's `source:`):"]
    for name in sorted(sources.names()):
        lines.append(f"- {name}: {_first_line(getattr(sources.get(name), 'description', ''))}")
    lines.append("Analyzers (a map or reduce step's `agent: {analyzer: ...}`):")
    for name in sorted(analyzers.names()):
        lines.append(f"- {name}: {_first_line(getattr(analyzers.get(name), 'description', ''))}")
    lines.append(
        "Tools a model agent may be given (`agent: {tools: [...]}`): "
        + ", ".join(sorted(tool_names()))
    )
    lines.append("Output schemas (`agent: {output: NAME}`): " + ", ".join(sorted(schema_names())))
    return "\n".join(lines)


def example_files() -> list[Path]:
    """The shipped example workflows, then the built-ins: what an offline choice picks from."""
    return sorted(example_workflows_dir().glob("*.yaml")) + sorted(
        builtin_workflows_dir().glob("*.yaml")
    )


def grounding() -> Grounding:
    shown = []
    for name in GROUNDING_EXAMPLES:
        path = example_workflows_dir() / f"{name}.yaml"
        shown.append(f"--- example: {name}.yaml\n{path.read_text(encoding='utf-8')}")
    return Grounding(
        schema_text=workflow_schema_text(),
        catalogue=_catalogue(),
        examples="\n".join(shown),
    )
