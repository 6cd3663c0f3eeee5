"""The sandboxed Jinja2 used for prompts and filter expressions."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest

from swath.findings.model import Finding, Range
from swath.spec.records import Item
from swath.spec.templates import (
    PromptError,
    check_expression,
    check_template,
    compile_expression,
    compile_template,
    render_prompt,
)


def test_render_prompt_with_models_and_json() -> None:
    item = Item(id="a.py", kind="file", path="a.py")
    out = render_prompt("Look at {{ item.path }}: {{ item | tojson }}", {"item": item})
    assert out.startswith("Look at a.py: {")
    assert '"path": "a.py"' in out


def test_undefined_names_fail_loudly_and_list_what_exists() -> None:
    with pytest.raises(PromptError) as info:
        render_prompt("{{ itme.path }}", {"item": {"path": "a"}, "inputs": {}})
    assert "itme" in str(info.value) and "available names: inputs, item" in str(info.value)


def test_sandbox_blocks_internals() -> None:
    with pytest.raises(PromptError):
        render_prompt("{{ item.__class__.__mro__ }}", {"item": "x"})


def test_expression_filters_records() -> None:
    keep = compile_expression("findings | length > 0 and output.score >= 3")
    assert keep({"findings": [1], "output": {"score": 3}}) is True
    assert keep({"findings": [], "output": {"score": 5}}) is False


def test_expression_over_pydantic_findings() -> None:
    f = Finding(rule="r", path="a.py", range=Range.of_line(0), message="m")
    pick = compile_expression(
        "findings | selectattr('severity', 'equalto', 'warning') | list | length"
    )
    assert pick({"findings": [f]}) == 1


def test_expression_undefined_result_raises() -> None:
    expr = compile_expression("nothing_here")
    with pytest.raises(PromptError) as info:
        expr({"item": {}})
    assert "nothing_here" in str(info.value)


def test_expression_syntax_error_at_compile_time() -> None:
    with pytest.raises(PromptError):
        compile_expression("a >")


def test_check_template_gives_the_template_line() -> None:
    assert check_template("ok {{ a }}") is None
    found = check_template("line one\nline two {{ a\n")
    assert found == (2, "unexpected end of template, expected 'end of print statement'.")
    found = check_template("a\nb\n{% if x %}\n")
    assert found is not None and "endif" in found[1]


def test_check_expression() -> None:
    assert check_expression("item.path.endswith('.py')") is None
    assert check_expression("item.path ==") is not None


def test_one_policy_missing_fields_read_empty_but_unknown_names_fail() -> None:
    ctx = {"item": {"path": "a.py", "history": {}}}
    out = render_prompt("[{{ item.history.since }}]{% if item.nope %}x{% endif %}", ctx)
    assert out == "[]"
    with pytest.raises(PromptError):
        render_prompt("{{ item.history.since > 3 }}", ctx)
    with pytest.raises(PromptError) as info:
        render_prompt("{% if itme.history %}x{% endif %}", ctx)
    assert "'itme' is undefined" in str(info.value)


def test_unknown_names_are_found_with_their_template_line() -> None:
    from swath.spec.templates import AGENT_NAMES, unknown_names

    text = "ok {{ item.path }}\n{% for f in facts.flags %}{{ f.key }}{% endfor %}\n{{ itme }}"
    assert unknown_names(text, AGENT_NAMES) == [(3, "itme", "name")]
    assert unknown_names("{{ inputs.bsae }}", AGENT_NAMES, {"base"}) == [(1, "bsae", "input")]
    assert unknown_names("{{ inputs.base }} {{ range(3) | list }}", AGENT_NAMES, {"base"}) == []
    assert unknown_names("ouput.score > 3", AGENT_NAMES, expression=True) == [(1, "ouput", "name")]


def test_production_rendering_uses_the_same_strict_environment() -> None:
    from swath.agents.base import ModelTask
    from swath.agents.prompts import InstructionsError, render_instructions
    from swath.spec.models import AgentSpec

    task = ModelTask(
        run_id="r",
        step_id="s",
        task_key="k",
        tier="map",
        agent=AgentSpec(instructions="Look at {{ itme.path }}"),
        items=[Item(id="a.py", kind="file", path="a.py")],
    )
    with pytest.raises(InstructionsError) as info:
        render_instructions(task)
    assert "itme" in str(info.value)
    good = task.model_copy(update={"agent": AgentSpec(instructions="Look at {{ item.path }}")})
    assert render_instructions(good) == "Look at a.py"


def test_a_template_first_asked_by_many_threads_at_once_is_compiled_once() -> None:
    # The tasks of a step render the same pass template side by side: each thread must get
    # the one compiled template, not compile its own (a fresh text, so nothing is cached yet).
    body = "".join(f"{{% if x{i} %}}{{{{ x{i} | tojson }}}}{{% endif %}}\n" for i in range(300))
    template = f"{{# {uuid.uuid4()} #}}\n{body}"
    start = threading.Barrier(8)
    got: list[object] = []

    def first_use() -> None:
        start.wait()
        got.append(compile_template(template))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and len({id(t) for t in got}) == 1


@pytest.fixture
def bytecode_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The persisted templates' cache in a folder of this test's own."""
    from jinja2.bccache import FileSystemBytecodeCache

    from swath.spec import templates

    folder = tmp_path / "bytecode"
    folder.mkdir()
    monkeypatch.setattr(templates, "_bytecode_cache", lambda: FileSystemBytecodeCache(str(folder)))
    return folder


def _fresh_process_view() -> None:
    """What a new process sees: nothing compiled in memory, only what is on disk."""
    from swath.spec import templates

    templates._persisted.cache_clear()
    templates._compile_template.cache_clear()


def test_a_persisted_template_is_compiled_once_and_renders_as_a_plain_one(
    bytecode_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from swath.spec import templates

    template = f"{{# {uuid.uuid4()} #}}{{% for f in files %}}{{{{ f.path }}}}: {{{{ f | tojson }}}}\n{{% endfor %}}"
    context = {"files": [{"path": "a.py", "hits": [1, 2]}, {"path": "b.py"}]}
    plain = render_prompt(template, context)
    assert render_prompt(template, context, persist=True) == plain
    assert len(list(bytecode_dir.iterdir())) == 1  # one file for this template
    _fresh_process_view()
    compiled: list[str] = []
    real = templates._code_of
    monkeypatch.setattr(templates, "_code_of", lambda t: compiled.append(t) or real(t))
    assert render_prompt(template, context, persist=True) == plain
    assert compiled == []  # the code came from the disk
    other = template + "!"
    assert render_prompt(other, context, persist=True) == plain + "!"
    assert compiled == [other] and len(list(bytecode_dir.iterdir())) == 2


def test_a_persisted_template_still_names_its_failing_line(bytecode_dir: Path) -> None:
    template = f"{{# {uuid.uuid4()} #}}\nfine\n{{{{ 1 // n }}}}\n"
    for _ in range(2):  # compiled, then loaded from the disk
        with pytest.raises(PromptError, match="on its line 3"):
            render_prompt(template, {"n": 0}, persist=True)
        _fresh_process_view()
    with pytest.raises(PromptError, match="syntax error on its line 1"):
        compile_template("{% if %}", persist=True)


def test_a_damaged_cache_file_is_compiled_again(bytecode_dir: Path) -> None:
    template = f"{{# {uuid.uuid4()} #}}{{{{ x }}}}"
    assert render_prompt(template, {"x": 1}, persist=True) == "1"
    (cached,) = bytecode_dir.iterdir()
    data = cached.read_bytes()
    for damaged in (data[: len(data) // 2], data[:-40] + b"\x00" * 40, b""):
        cached.write_bytes(damaged)
        _fresh_process_view()
        assert render_prompt(template, {"x": 2}, persist=True) == "2"


def test_the_persisted_code_is_keyed_on_what_shapes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Another Swath with the same version but another environment (a checkout being worked
    # on) shares the user's cache folder: it must not be served this one's code.
    from swath.spec import templates

    base = templates._cache_key()
    for setting, value in (
        ("trim_blocks", True),
        ("newline_sequence", "\r\n"),
        ("optimized", False),
    ):
        with monkeypatch.context() as m:
            m.setattr(templates.ENV, setting, value)
            assert templates._cache_key() != base, setting
    assert templates._cache_key() == base
