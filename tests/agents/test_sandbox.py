"""The sandbox: what tools refuse, what never leaves the machine, what planted instructions can do."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from swath.agents.llm import AnthropicRunner
from swath.agents.redaction import default_redactor
from swath.agents.tools import ToolBox
from swath.workspace import Workspace
from tests.agents.conftest import AWS_KEY, ENV_KEY, PEM_BODY, STRIPE_KEY, Recorder, make_task
from tests.fake_anthropic import FakeAnthropicServer, RequestContext, Submit, ToolUse

ALL_TOOLS = ["read_file", "list_dir", "glob", "grep", "git_log", "git_blame", "git_diff", "symbols"]
SECRETS = [AWS_KEY, ENV_KEY, STRIPE_KEY, PEM_BODY]


def toolbox(workspace: Workspace, **kwargs: Any) -> ToolBox:
    return ToolBox(workspace, default_redactor(), ALL_TOOLS, **kwargs)


async def call(box: ToolBox, name: str, **args: Any) -> tuple[str, bool]:
    return await box.call(name, args)


def obedient_agent(ctx: RequestContext) -> Any:
    """A model that does whatever the planted README says, then reports."""
    plan = [
        ToolUse("read_file", {"path": "README.md"}),
        ToolUse("bash", {"command": "rm -rf /"}),
        ToolUse("read_file", {"path": "../../etc/passwd"}),
        ToolUse("read_file", {"path": "/etc/passwd"}),
        ToolUse("read_file", {"path": ".env"}),
        ToolUse("read_file", {"path": "secrets/prod.txt"}),
        ToolUse("read_file", {"path": "id_rsa"}),
        ToolUse("read_file", {"path": "escape/passwd"}),
        ToolUse("read_file", {"path": "src/shop/checkout.py"}),
        ToolUse("grep", {"pattern": "AKIA[A-Z0-9]+|sk-ant|sk_live|BEGIN", "path": "."}),
        ToolUse("grep", {"pattern": "AKIAIOSFODNN7", "path": "."}),
        ToolUse("list_dir", {"path": "."}),
        ToolUse("git_diff", {}),
        ToolUse("write_file", {"path": "pwned.txt", "content": "x"}),
        ToolUse("git_diff", {"base": "--output=pwned.txt"}),
    ]
    if ctx.turn < len(plan):
        return plan[ctx.turn]
    return Submit({"findings": []})


async def test_planted_instructions_cannot_do_harm_and_no_secret_reaches_the_server(
    fake_anthropic: FakeAnthropicServer,
    runner: AnthropicRunner,
    recorder: Recorder,
    repo: Path,
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    os.symlink(outside, repo / "escape")

    fake_anthropic.script(obedient_agent)
    task = make_task(tools=ALL_TOOLS, max_turns=20, facts={"config": f"aws={AWS_KEY}"})
    result = await runner.run(task, recorder.env())
    assert result.output == {"findings": []}

    sent = fake_anthropic.all_request_text()
    for secret in SECRETS:
        assert secret not in sent, f"secret {secret[:8]}... reached the model"
    assert "root:x:0:0" not in sent
    assert "[REDACTED:AWS Access Key]" in sent  # the checkout file was read, its key replaced

    calls = {
        (c.tool, str(c.arguments.get("path", c.arguments.get("base", "")))): c
        for c in recorder.audits
    }
    assert "unknown tool 'bash'" in (calls[("bash", "")].error or "")
    assert "unknown tool 'write_file'" in (calls[("write_file", "pwned.txt")].error or "")
    for path in (
        "../../etc/passwd",
        "/etc/passwd",
        ".env",
        "secrets/prod.txt",
        "id_rsa",
        "escape/passwd",
    ):
        call_ = calls[("read_file", path)]
        assert not call_.ok and "refused" in (call_.error or ""), path
    assert "refused revision" in (calls[("git_diff", "--output=pwned.txt")].error or "")
    assert not (repo / "pwned.txt").exists()
    # The README was read and its instructions were passed on as data only.
    assert calls[("read_file", "README.md")].ok


async def test_tools_refuse_paths_outside_the_workspace(
    workspace: Workspace, repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("outside\n", encoding="utf-8")
    os.symlink(tmp_path / "secret.txt", repo / "link.txt")
    box = toolbox(workspace)
    for path in (
        "../../etc/passwd",
        "/etc/passwd",
        "../secret.txt",
        "link.txt",
        "src/../../secret.txt",
    ):
        text, is_error = await call(box, "read_file", path=path)
        assert is_error and "refused" in text, (path, text)
    for path in (".env", ".env.local", "id_rsa", "secrets/prod.txt", ".git/config"):
        text, is_error = await call(box, "read_file", path=path)
        assert is_error and ("refused" in text or "not found" in text), (path, text)
    text, is_error = await call(box, "list_dir", path="..")
    assert is_error and "refused" in text


async def test_extra_denied_paths_from_config(workspace: Workspace) -> None:
    box = toolbox(workspace, extra_deny=["src/shop/util.py"])
    text, is_error = await call(box, "read_file", path="src/shop/util.py")
    assert is_error and "deny list" in text
    text, _ = await call(box, "grep", pattern="helper")
    assert "util.py" not in text
    text, _ = await call(box, "list_dir", path="src/shop")
    assert "util.py" not in text and "checkout.py" in text


async def test_grep_cannot_probe_a_redacted_secret(workspace: Workspace) -> None:
    box = toolbox(workspace)
    text, _ = await call(box, "grep", pattern="AKIAIOSFODNN7A")
    assert text.startswith("no matches")
    text, _ = await call(box, "grep", pattern="AWS_ACCESS_KEY_ID")
    assert "[REDACTED:AWS Access Key]" in text and AWS_KEY not in text


async def test_read_file_line_ranges_and_cap(workspace: Workspace, repo: Path) -> None:
    (repo / "big.txt").write_text("".join(f"line {i}\n" for i in range(1, 5001)), encoding="utf-8")
    box = toolbox(workspace, max_result_chars=2000)
    text, is_error = await call(
        box, "read_file", path="src/shop/checkout.py", start_line=7, end_line=8
    )
    assert not is_error
    assert text.splitlines() == [
        "src/shop/checkout.py (lines 7-8 of 15)",
        "     7\tdef total(cart):",
        "     8\t    return sum(item.price for item in cart)",
        "[... more lines: call read_file with start_line=9]",
    ]
    text, _ = await call(box, "read_file", path="big.txt")
    assert len(text) <= 2100 and "call read_file with start_line=" in text
    text, is_error = await call(box, "read_file", path="src")
    assert is_error and "directory" in text
    text, is_error = await call(box, "read_file", path="src/shop/checkout.py", start_line=0)
    assert is_error and "invalid arguments" in text
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02" * 10)
    text, is_error = await call(box, "read_file", path="blob.bin")
    assert is_error and "binary" in text


async def test_listing_tools_honour_gitignore_and_deny(workspace: Workspace) -> None:
    box = toolbox(workspace)
    text, _ = await call(box, "list_dir", path=".")
    lines = text.splitlines()
    assert "src/  (3 files)" in lines and "README.md" in lines
    assert not any(x in text for x in (".env", "build", "id_rsa", "secrets"))
    text, _ = await call(box, "glob", pattern="*.py")
    assert text.splitlines() == ["src/shop/__init__.py", "src/shop/checkout.py", "src/shop/util.py"]
    text, _ = await call(box, "glob", pattern="*.txt")
    assert "out.txt" not in text and "prod.txt" not in text


async def test_git_tools(workspace: Workspace) -> None:
    box = toolbox(workspace)
    text, is_error = await call(box, "git_log")
    assert not is_error and "Ada Lovelace\tinitial" in text
    text, is_error = await call(box, "git_blame", path="src/shop/util.py")
    assert not is_error
    first, second = text.splitlines()
    assert first.split()[1] != "uncommitted" and "def helper(x):" in first
    assert "uncommitted" in second and "return x * 3" in second
    text, _ = await call(box, "git_diff")
    assert "-    return x * 2" in text and "+    return x * 3" in text
    text, is_error = await call(box, "git_diff", base="-p --output=/tmp/x")
    assert is_error


async def test_git_diff_withholds_denied_files(workspace: Workspace, repo: Path) -> None:
    (repo / "secrets/prod.txt").write_text(f"stripe={STRIPE_KEY}\nmore=1\n", encoding="utf-8")
    box = toolbox(workspace)
    text, _ = await call(box, "git_diff")
    assert "1 changed file on the deny list withheld" in text
    assert STRIPE_KEY not in text and "secrets/prod.txt" not in text
    assert "+    return x * 3" in text  # the rest of the diff is still there


async def test_symbols_outline(workspace: Workspace, repo: Path) -> None:
    (repo / "web.ts").write_text(
        "export class Cart {}\nexport function total(c: Cart) {}\nconst f = (x) => x\n"
    )
    box = toolbox(workspace)
    text, _ = await call(box, "symbols", path="src/shop/checkout.py")
    assert "class Checkout  L11-15" in text
    assert "  def pay(self, cart, card)  L12-15" in text
    assert "def total(cart)  L7-8" in text
    assert "AWS_ACCESS_KEY_ID  L4" in text
    text, _ = await call(box, "symbols", path="web.ts")
    assert (
        "L1: export class Cart {}" in text
        and "L2: export function total" in text
        and "L3: const f" in text
    )


@pytest.mark.parametrize("name", ALL_TOOLS)
def test_every_tool_has_a_definition(name: str) -> None:
    from swath.agents.tools import tool_definitions

    [definition] = tool_definitions([name])
    assert definition["name"] == name and definition["input_schema"]["type"] == "object"
    assert definition["description"]
