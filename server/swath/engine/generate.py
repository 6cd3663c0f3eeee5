"""`swath new "PROMPT"`: a model writes a workflow file; Swath validates it before saving.

The model sees the JSON Schema of the workflow language and the names it may use. A
draft that does not validate goes back once with the exact `file:line:col` problems; a
second failure is reported, and nothing is saved.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from swath.agents.base import AgentEnv, ModelTask
from swath.engine.catalog import known_names
from swath.engine.options import EngineError
from swath.spec.json_schema import workflow_json_schema
from swath.spec.loader import WorkflowError, load_workflow_text
from swath.spec.models import AgentSpec

if TYPE_CHECKING:
    from swath.engine.session import Session

OUTPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
        "yaml": {"type": "string", "description": "the complete workflow file"},
    },
    "required": ["name", "yaml"],
}

INSTRUCTIONS = """Write a Swath workflow file (YAML) for this job:

{{ inputs.prompt }}

The file must validate against this JSON Schema:
{{ inputs.schema }}

Names you may use — sources: {{ inputs.sources }}; analyzers: {{ inputs.analyzers }};
tools: {{ inputs.tools }}; output schemas: {{ inputs.schemas }}.
Prefer an offline analyzer for every map step, add model instructions where judgement is
needed, verify findings before emitting them, and keep limits modest.
{% if inputs.problems %}
Your previous draft had these problems; fix every one:
{{ inputs.problems }}
{% endif %}"""


def slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:5]
    return "-".join(words) or "workflow"


async def generate_workflow(session: "Session", prompt: str, name: str | None) -> Path:
    runner = session.engine.model_runner
    if runner is None:
        raise EngineError("`swath new` needs a model: set ANTHROPIC_API_KEY (see docs/models.md)")
    known = known_names()
    inputs = {
        "prompt": prompt,
        "schema": json.dumps(workflow_json_schema()),
        "sources": ", ".join(sorted(known.sources or ())),
        "analyzers": ", ".join(sorted(known.analyzers or ())),
        "tools": ", ".join(sorted(known.tools or ())),
        "schemas": ", ".join(sorted(known.schemas or ())),
        "problems": "",
    }
    agent = AgentSpec(instructions=INSTRUCTIONS, output=OUTPUT_SCHEMA, tools=[], max_turns=2)
    env = AgentEnv(workspace=session.workspace)
    target_name = name or slug(prompt)
    filename = f".swath/workflows/{target_name}.yaml"
    for attempt in range(2):
        task = ModelTask(
            run_id="new",
            step_id="generate",
            task_key=f"attempt-{attempt}",
            tier="reduce",
            agent=agent,
            inputs=inputs,
        )
        result = await runner.run(task, env)
        text = str((result.output or {}).get("yaml", ""))
        if name:  # the user's name wins over the model's
            text = re.sub(r"(?m)^name:.*$", f"name: {name}", text, count=1)
        else:
            target_name = str((result.output or {}).get("name") or target_name)
            filename = f".swath/workflows/{target_name}.yaml"
        try:
            load_workflow_text(text, filename, known)
        except WorkflowError as exc:
            inputs["problems"] = str(exc)
            continue
        path = session.workspace.root / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        return path
    raise EngineError(
        f"the model's workflow did not validate after a repair round:\n{inputs['problems']}"
    )
