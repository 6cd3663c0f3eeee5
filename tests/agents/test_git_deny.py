"""Denied files never leave through git: paths with spaces, paths git quotes, credential files.

The deny list reaches git as exclude pathspecs; what git prints is not parsed for file names.
Every body the fake Messages API server received is searched for the planted passwords.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from swath.agents.llm import AnthropicRunner
from swath.agents.redaction import default_redactor
from swath.agents.tools import ToolBox
from swath.workspace import Workspace
from swath.workspace.workspace import exclude_pathspecs
from tests.agents.conftest import Recorder, make_task
from tests.fake_anthropic import FakeAnthropicServer, RequestContext, Submit, ToolUse
from tests.gitrepo import commit_files, init_repo

# Plain words, not secret-shaped: redaction must not be what keeps them out.
PASSWORDS = {
    "conf dir/.env": "DB_PASSWORD=correcthorsepassword",
    'we"ird/.env': "DB_PASSWORD=quotedpathpassword",
    "tab\there/.env.production": "DB_PASSWORD=tabbedpathpassword",
    "ünïcode/.env": "DB_PASSWORD=unicodepathpassword",
    "home/.netrc": "machine example.com login me password netrcpassword",
    "web/.npmrc": "//registry.npmjs.org/:_authToken=npmrcpassword",
    ".envrc": "export DB_PASSWORD=envrcpassword",
    "keys/id_ed25519": "ed25519privatepassword",
    ".aws/credentials": "aws_secret_access_key = awscredentialspassword",
    ".git-credentials": "https://me:gitcredentialspassword@example.com",
}


def _token(content: str) -> str:
    """The planted password word of a file's content."""
    found = re.search(r"[a-z0-9]+password", content)
    assert found is not None
    return found.group(0)


TOKENS = [_token(c) for c in PASSWORDS.values()]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    files = {path: "old\n" for path in PASSWORDS}
    files["src/app.py"] = "x = 1\n"
    commit_files(root, files, message="initial")
    for path, secret in PASSWORDS.items():
        (root / path).write_text(f"{secret}\n", encoding="utf-8")
    (root / "src/app.py").write_text("x = 2\n", encoding="utf-8")
    return root


def _box(root: Path) -> ToolBox:
    return ToolBox(Workspace(root), default_redactor(), ["git_diff"])


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


async def test_git_diff_never_shows_denied_files(repo: Path) -> None:
    box = _box(repo)
    # git really does quote these paths in its own output: the old regex filter missed them.
    raw = subprocess.run(["git", "diff"], cwd=repo, capture_output=True, text=True).stdout
    assert '"a/we\\"ird/.env"' in raw and "a/conf dir/.env" in raw
    text, is_error = await box.call("git_diff", {})
    assert not is_error and "+x = 2" in text
    for token in TOKENS:
        assert token not in text, token
    assert f"{len(PASSWORDS)} changed files on the deny list withheld" in text
    _git(repo, "add", "-A")
    staged, _ = await box.call("git_diff", {"staged": True})
    _git(repo, "commit", "-qm", "second")
    against_base, _ = await box.call("git_diff", {"base": "HEAD~1"})
    for out in (staged, against_base):
        assert "+x = 2" in out
        assert not any(token in out for token in TOKENS)


async def test_git_diff_of_a_denied_path_is_refused(repo: Path) -> None:
    text, is_error = await _box(repo).call("git_diff", {"path": "conf dir/.env"})
    assert is_error and "deny list" in text


async def test_git_diff_stays_inside_a_subfolder_workspace(repo: Path) -> None:
    """A workspace in a subfolder of a repository sees only its own files' changes."""
    box = _box(repo / "src")
    text, _ = await box.call("git_diff", {})
    assert "+x = 2" in text and "a/app.py" in text
    assert "netrc" not in text and "withheld" not in text


def test_exclude_pathspecs_follow_gitignore_anchoring() -> None:
    assert exclude_pathspecs([".env", "secrets/**", "/top.key", "build/", "!keep.pem", "# c"]) == [
        ":(exclude,glob)**/.env",
        ":(exclude,glob)**/.env/**",
        ":(exclude,glob)secrets/**",
        ":(exclude,glob)secrets/**/**",
        ":(exclude,glob)top.key",
        ":(exclude,glob)top.key/**",
        ":(exclude,glob)**/build/**",
    ]


def test_usual_credential_files_are_denied(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    for path in PASSWORDS:
        assert ws.is_denied(path), path
    assert not ws.is_denied("src/app.py") and not ws.is_denied("docs/netrc.md")


def _diff_everything(ctx: RequestContext) -> Any:
    plan = [ToolUse("git_diff", {}), ToolUse("git_diff", {"staged": True})]
    return plan[ctx.turn] if ctx.turn < len(plan) else Submit({"findings": []})


async def test_no_denied_file_reaches_the_api(
    repo: Path, fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner
) -> None:
    fake_anthropic.script(_diff_everything)
    recorder = Recorder(Workspace(repo))
    result = await runner.run(make_task(tools=["git_diff"], max_turns=5), recorder.env())
    assert result.output == {"findings": []}
    bodies = [r.raw for r in fake_anthropic.requests]
    assert len(fake_anthropic.message_requests()) == 3
    assert any("+x = 2" in b for b in bodies)  # the tool did answer
    for body in bodies:
        for token in TOKENS:
            assert token not in body


# -- the last gate: every tool result, whatever the tool -----------------------------------
LEAKED = "plainwordsleakedvalue"


@pytest.fixture
def leaky(tmp_path: Path) -> Path:
    """A denied .env whose value also turns up elsewhere: a note, a commit message."""
    root = init_repo(tmp_path / "leaky")
    (root / ".gitignore").write_text(".env\n")
    commit_files(
        root,
        {".gitignore": ".env\n", "notes.txt": f"the token is {LEAKED} (copied by hand)\n"},
        message=f"rotate {LEAKED}",
    )
    (root / "conf dir").mkdir()
    (root / "conf dir" / ".env").write_text(f"API_TOKEN={LEAKED}\nDEBUG=verbose-logging\n")
    return root


@pytest.mark.parametrize(
    "tool,args",
    [
        ("read_file", {"path": "notes.txt"}),
        ("grep", {"pattern": "token"}),
        ("git_log", {}),
        ("read_file", {"path": f"{LEAKED}.txt"}),  # an error message echoing its argument
    ],
)
async def test_no_tool_result_carries_a_denied_files_content(
    leaky: Path, tool: str, args: dict[str, Any]
) -> None:
    box = ToolBox(Workspace(leaky), default_redactor(), [tool])
    text, _ = await box.call(tool, args)
    assert LEAKED not in text
    assert "[REDACTED:denied-file]" in text and box.withheld >= 1
    assert box.gate.files == ["conf dir/.env"]


async def test_the_gate_holds_for_every_request_body(
    leaky: Path, fake_anthropic: FakeAnthropicServer, runner: AnthropicRunner
) -> None:
    plan = [ToolUse("read_file", {"path": "notes.txt"}), ToolUse("git_log", {})]
    fake_anthropic.script(
        lambda ctx: plan[ctx.turn] if ctx.turn < len(plan) else Submit({"findings": []})
    )
    recorder = Recorder(Workspace(leaky))
    task = make_task("notes.txt", tools=["read_file", "git_log"], max_turns=5)
    result = await runner.run(task, recorder.env())
    assert result.output == {"findings": []}
    assert len(fake_anthropic.message_requests()) == 3
    for request in fake_anthropic.requests:
        assert LEAKED not in request.raw
