"""`swath new "PROMPT"`: a model drafts a workflow; Swath validates it, asks for one repair,
and saves only a valid file. The model is the fake API over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fake_anthropic.replies import JsonText, RequestContext
from tests.fake_anthropic.server import FakeAnthropicServer

BROKEN = """name: py-todos
steps:
  - id: files
    kind: discover
    source: files
    with: {include: ['*.py']}
  - id: scan
    kind: map
    from: files
    agent: {analyzer: todo-coments}
"""
FIXED = BROKEN.replace("todo-coments", "todo-comments")


def drafts(ctx: RequestContext) -> JsonText:
    repaired = "previous draft had these problems" in ctx.conversation
    return JsonText({"name": "py-todos", "yaml": FIXED if repaired else BROKEN})


def test_new_generates_validates_repairs_and_saves(tmp_path: Path) -> None:
    server = FakeAnthropicServer().start()
    server.script(drafts)
    try:
        env = {**os.environ, "ANTHROPIC_API_KEY": "sk-test-key", "ANTHROPIC_BASE_URL": server.url}
        (tmp_path / ".swath").mkdir()
        proc = subprocess.run(
            [sys.executable, "-m", "swath", "new", "catalogue TODO comments in Python files"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        saved = tmp_path / ".swath" / "workflows" / "py-todos.yaml"
        assert saved.read_text() == FIXED
        prompts = [r.raw for r in server.message_requests()]
        assert len(prompts) == 2
        # The repair request quotes the exact problem, with its line and column and a suggestion.
        assert "py-todos.yaml:10:" in prompts[1] and "todo-comments" in prompts[1]
        listed = subprocess.run(
            [sys.executable, "-m", "swath", "workflows", "list"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "py-todos" in listed.stdout
    finally:
        server.stop()


def test_new_without_a_model_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "swath", "new", "anything"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "ANTHROPIC_API_KEY": ""},
    )
    assert proc.returncode == 2 and "needs a model" in proc.stderr
    assert not (tmp_path / ".swath" / "workflows").exists()
