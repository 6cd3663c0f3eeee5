"""Workflow inputs with declared choices: a wrong value is refused before anything runs."""

from __future__ import annotations

import pytest

from swath.analyzers.review_passes import PASSES
from swath.engine.catalog import known_names
from swath.engine.inputs import InputError, resolve_inputs
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import WorkflowError, load_workflow, load_workflow_text
from swath.spec.models import Workflow
from tests.spec.helpers import GOOD, KNOWN


def _review_diff() -> Workflow:
    return load_workflow(builtin_workflows_dir() / "review-diff.yaml", known_names())


def test_review_diff_declares_every_pass_as_a_choice() -> None:
    assert _review_diff().inputs["passes"].choices == ["all", *PASSES]


@pytest.mark.parametrize(
    "value", ["security", "all", "Security, correctness", ["tests", "accessibility"], ""]
)
def test_passes_in_the_choices_are_kept_as_given(value: object) -> None:
    assert resolve_inputs(_review_diff(), {"passes": value})["passes"] == value


@pytest.mark.parametrize(
    ("value", "named"),
    [("security,nope", "'nope'"), (["tests", "securty"], "'securty' (did you mean 'security'?)")],
)
def test_a_pass_outside_the_choices_is_refused_naming_them(value: object, named: str) -> None:
    with pytest.raises(InputError) as err:
        resolve_inputs(_review_diff(), {"passes": value})
    assert named in str(err.value)
    assert "all, security, correctness, performance, tests, accessibility" in str(err.value)


def test_a_single_choice_input_takes_no_list() -> None:
    text = GOOD.replace(
        "    type: path\n    default: flags.yaml\n",
        "    type: string\n    default: yaml\n    choices: [yaml, json]\n",
    )
    wf = load_workflow_text(text, "wf.yaml", KNOWN)
    assert resolve_inputs(wf, {"catalogue": "JSON"})["catalogue"] == "JSON"
    with pytest.raises(InputError, match="one of: yaml, json"):
        resolve_inputs(wf, {"catalogue": "yaml,json"})


def test_a_default_outside_the_choices_is_the_workflow_files_error() -> None:
    text = GOOD.replace(
        "    type: path\n    default: flags.yaml\n",
        "    type: string\n    default: toml\n    choices: [yaml, json]\n",
    )
    with pytest.raises(WorkflowError, match="toml"):
        load_workflow_text(text, "wf.yaml", KNOWN)
