"""`extends:`: a workflow written as changes to a built-in or saved one, merged and then
validated like any workflow, with every problem in the file (and at the place) that wrote it."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from swath.engine.catalog import known_names
from swath.spec.discovery import builtin_workflows_dir
from swath.spec.loader import (
    SpecIssue,
    WorkflowError,
    load_workflow,
    shown_in,
    validate_text,
)
from swath.spec.models import MapStep

REVIEW = builtin_workflows_dir() / "review-diff.yaml"


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    folder = tmp_path / "repo" / ".swath" / "workflows"
    folder.mkdir(parents=True)
    return folder


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def issues_of(path: Path) -> list[SpecIssue]:
    with pytest.raises(WorkflowError) as exc:
        load_workflow(path, known_names())
    return exc.value.issues


def where(issue: SpecIssue) -> tuple[str, int, int, str]:
    return (Path(issue.file).name, issue.line, issue.column, issue.code)


def line_col(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first `needle` in `text`."""
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return n, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in text")


def test_a_step_change_is_merged_into_the_base_step(saved: Path) -> None:
    path = write(
        saved,
        "lean-review",
        """\
        extends: review-diff
        name: lean-review
        description: Review without ruff.
        inputs:
          passes:
            default: security
          strict:
            type: boolean
        limits:
          max_agents: 5
        steps:
          - id: security
            batch: 5
            agent:
              params:
                ruff: "off"
              tools: [read_file]
        """,
    )
    wf = load_workflow(path, known_names())
    base = load_workflow(REVIEW, known_names())
    assert wf.name == "lean-review" and wf.description == "Review without ruff."
    security = wf.step("security")
    assert isinstance(security, MapStep)
    # Mappings merge key by key; a list is replaced, not appended to.
    assert security.agent.params == {"pass": "security", "ruff": "off"}
    assert security.agent.tools == ["read_file"]
    assert security.batch == 5
    assert security.agent.output == "findings" and security.title == base.step("security").title
    assert wf.step("correctness").model_dump() == base.step("correctness").model_dump()
    assert [s.id for s in wf.steps] == [s.id for s in base.steps]
    assert wf.limits.max_agents == 5 and wf.limits.concurrency == base.limits.concurrency
    assert wf.inputs["passes"].default == "security"
    assert wf.inputs["passes"].description == base.inputs["passes"].description
    assert set(wf.inputs) == {"base", "untracked", "passes", "strict"}


def test_steps_are_removed_added_and_placed(saved: Path) -> None:
    path = write(
        saved,
        "short",
        """\
        extends: review-diff
        name: short
        steps:
          - id: performance
            remove: true
          - id: accessibility
            remove: true
          - id: serious
            kind: filter
            from: verified
            where: "item.severity == 'error'"
            after: verified
          - id: verified
            from: [security, correctness, tests]
          - id: merged
            from: serious
          - id: tests
            after: changes
        """,
    )
    wf = load_workflow(path, known_names())
    assert [s.id for s in wf.steps] == [
        "changes",
        "tests",
        "security",
        "correctness",
        "verified",
        "serious",
        "merged",
        "summary",
        "report",
    ]
    assert wf.step("merged").from_ == "serious"


def test_a_saved_workflow_extends_a_saved_one_and_a_namesake_extends_the_builtin(
    saved: Path,
) -> None:
    # Named like the built-in: it replaces it in this repository and extends the built-in.
    write(
        saved, "review-diff", "extends: review-diff\nname: review-diff\nlimits:\n  concurrency: 3\n"
    )
    path = write(
        saved, "tiny-review", "extends: review-diff\nname: tiny-review\nlimits:\n  max_agents: 7\n"
    )
    wf = load_workflow(path, known_names())
    assert (wf.limits.concurrency, wf.limits.max_agents) == (3, 7)


def test_an_inherited_template_is_located_in_the_base_file(saved: Path) -> None:
    path = write(saved, "r", "extends: review-diff\nname: r\n")
    summary = load_workflow(path, known_names()).step("summary")
    at = summary.agent._instructions_at
    assert at is not None and Path(at[0]).resolve() == REVIEW.resolve()
    assert at[1] == line_col(REVIEW.read_text(encoding="utf-8"), "Write the review of")[0]


def test_problems_point_into_the_file_that_wrote_them(saved: Path) -> None:
    text = textwrap.dedent(
        """\
        extends: review-diff
        name: broken
        limits:
          concurrency: lots
        steps:
          - id: securty
            agent:
              params: {ruff: "off"}
          - id: nothing
            remove: true
          - id: correctness
            remove: true
          - id: extra
            kind: filter
            from: security
            where: "true"
            after: nowhere
          - id: tests
            remove: maybe
          - kind: map
        """
    )
    path = saved / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    issues = issues_of(path)
    got = {where(i) for i in issues}
    assert ("broken.yaml", *line_col(text, "lots"), "type") in got
    assert ("broken.yaml", *line_col(text, "securty"), "unknown-step") in got
    assert ("broken.yaml", *line_col(text, "nothing"), "unknown-step") in got
    assert ("broken.yaml", *line_col(text, "nowhere"), "unknown-step") in got
    assert ("broken.yaml", *line_col(text, "maybe"), "type") in got
    assert ("broken.yaml", *line_col(text, "kind: map"), "missing") in got
    securty = next(i for i in issues if "securty" in i.message)
    assert "did you mean `security`?" in securty.message and "needs a `kind:`" in securty.message
    # Removing `correctness` breaks the base's `verified` step: said in the base's file.
    review = REVIEW.read_text(encoding="utf-8")
    line, _ = line_col(review, "from: [security, correctness")
    inherited = next(i for i in issues if i.file.endswith("review-diff.yaml"))
    assert (inherited.line, inherited.code) == (line, "unknown-step")
    assert "correctness" in inherited.message and "broken.yaml extends" in inherited.message
    # The file's own problems come first.
    assert issues[0].file == str(path)


def test_an_unknown_base_is_a_problem_at_extends(saved: Path) -> None:
    path = write(saved, "x", "name: x\nextends: review-dif\n")
    (issue,) = issues_of(path)
    assert where(issue) == ("x.yaml", 2, 10, "unknown-workflow")
    assert "did you mean `review-diff`?" in issue.message


def test_a_missing_name_and_a_bad_extends_are_reported(saved: Path) -> None:
    path = write(saved, "noname", "extends: review-diff\nlimits: {concurrency: 2}\n")
    assert [where(i)[3] for i in issues_of(path)] == ["missing"]
    path = write(saved, "badext", "extends: [review-diff]\nname: badext\n")
    (issue,) = issues_of(path)
    assert where(issue)[:3] == ("badext.yaml", 1, 10)


def test_extends_cycles_are_detected(saved: Path) -> None:
    a = write(saved, "a", "name: a\nextends: b\n")
    write(saved, "b", "name: b\nextends: c\n")
    write(saved, "c", "name: c\n\nextends: a\n")
    issues = issues_of(a)
    assert [where(i) for i in issues] == [
        ("a.yaml", 2, 10, "extends-cycle"),
        ("b.yaml", 2, 10, "extends-cycle"),
        ("c.yaml", 3, 10, "extends-cycle"),
    ]
    assert "a.yaml -> b.yaml -> c.yaml -> a.yaml" in issues[0].message


def test_a_workflow_that_names_itself_is_not_a_cycle_but_unknown(saved: Path) -> None:
    path = write(saved, "me", "name: me\nextends: me\n")
    assert [where(i)[3] for i in issues_of(path)] == ["unknown-workflow"]


def test_placement_keys_only_exist_in_an_extending_workflow() -> None:
    text = REVIEW.read_text(encoding="utf-8").replace(
        "    kind: discover\n", "    kind: discover\n    after: security\n", 1
    )
    _, issues = validate_text(text, "plain.yaml", known_names())
    assert [i.code for i in issues] == ["unknown-key"]


def test_an_editor_shows_a_base_problem_on_the_extends_line(saved: Path) -> None:
    text = "name: cut\nextends: review-diff\nsteps:\n  - id: correctness\n    remove: true\n"
    path = write(saved, "cut", text)
    _, issues = validate_text(text, str(path), known_names())
    shown = shown_in(str(path), text, issues)
    assert {i.file for i in shown} == {str(path)}
    moved = [i for i in shown if "review-diff.yaml:" in i.message]
    assert moved and all((i.line, i.column, i.end_column) == (2, 1, 21) for i in moved)


def test_the_documented_extension_is_valid_and_its_error_is_real(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "workflows.md").read_text("utf-8")
    block = next(
        b for b in re.findall(r"```yaml\n(.*?)```", doc, flags=re.DOTALL) if "extends:" in b
    )
    shown = next(line for line in doc.splitlines() if line.startswith(".swath/workflows/review-s"))
    monkeypatch.chdir(saved.parent.parent)
    path = Path(".swath/workflows/review-security.yaml")
    path.write_text(block, encoding="utf-8")
    wf = load_workflow(path, known_names())
    assert [s.id for s in wf.steps][:2] == ["changes", "security"]
    path.write_text(block.replace("- id: security ", "- id: securty "), encoding="utf-8")
    first = str(issues_of(path)[0])
    assert first.startswith(shown.removesuffix("..."))


def test_the_editor_describes_and_completes_the_extends_keys() -> None:
    from swath.spec.keypath import allowed_keys_at, hover_at

    text = "extends: review-diff\nname: x\nsteps:\n  - id: tests\n    remove: true\n    after: changes\n"
    assert "saved workflow" in (hover_at(text, 0, 2) or "")
    assert "Drop the base step" in (hover_at(text, 4, 6) or "")
    assert "right after" in (hover_at(text, 5, 6) or "")
    assert "extends" in allowed_keys_at([])


def _chain(saved: Path, n: int) -> None:
    for i in range(1, n + 1):
        base = "review-diff" if i == 1 else f"w{i - 1}"
        write(saved, f"w{i}", f"extends: {base}\nname: w{i}\nlimits:\n  concurrency: {i}\n")


def test_a_chain_of_bases_is_read_once_and_bounded(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import swath.spec.extends as extends

    _chain(saved, 17)
    scans: list[Path | None] = []
    real = extends.extendable_workflows

    def counted(root: Path | None, **kw: object) -> object:
        scans.append(root)
        return real(root, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(extends, "extendable_workflows", counted)
    wf = load_workflow(saved / "w16.yaml", known_names())
    assert wf.limits.concurrency == 16 and wf.limits.max_agents == 1000
    # The saved workflows are listed once for the whole chain, not once per base.
    assert len(scans) == 1
    issues = issues_of(saved / "w17.yaml")
    assert where(issues[0]) == ("w17.yaml", 1, 10, "unusable-base")
    assert issues[0].message.endswith(
        "is not usable: `extends` goes more than 16 workflows deep; extend a workflow nearer the end"
    )
