"""The fake API itself: usable from threads, by hand, and by the synchronous SDK."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import anthropic

from tests.fake_anthropic import FakeAnthropicServer, Text

ROOT = Path(__file__).resolve().parents[2]


def test_thread_server_with_the_sync_sdk(fake_anthropic_thread: FakeAnthropicServer) -> None:
    fake_anthropic_thread.script([Text("hello")])
    client = anthropic.Anthropic(base_url=fake_anthropic_thread.url, api_key="k", max_retries=0)
    message = client.messages.create(
        model="claude-haiku-5-5", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert message.content[0].text == "hello"  # type: ignore[union-attr]
    assert message.usage.input_tokens > 0
    [request] = fake_anthropic_thread.requests
    assert (
        request.headers["authorization"] == "Bearer k"
        and request.body["messages"][0]["content"] == "hi"
    )
    counted = client.messages.count_tokens(
        model="claude-haiku-5-5", messages=[{"role": "user", "content": "hi"}]
    )
    assert counted.input_tokens == message.usage.input_tokens


def test_missing_api_key_is_refused(fake_anthropic_thread: FakeAnthropicServer) -> None:
    body = json.dumps(
        {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]}
    ).encode()
    request = urllib.request.Request(
        fake_anthropic_thread.url + "/v1/messages",
        data=body,
        headers={"content-type": "application/json"},
    )
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 401
        assert json.loads(exc.read())["error"]["type"] == "authentication_error"
    else:  # pragma: no cover
        raise AssertionError("expected a 401")


def test_started_by_hand() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_anthropic", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"fake Anthropic API on http://127.0.0.1:{port}"
        client = anthropic.Anthropic(
            base_url=f"http://127.0.0.1:{port}", api_key="k", max_retries=0
        )
        message = client.messages.create(
            model="claude-haiku-5-5", max_tokens=10, messages=[{"role": "user", "content": "ping"}]
        )
        assert message.content[0].text == "echo: ping"  # type: ignore[union-attr]
    finally:
        proc.terminate()
        proc.wait(10)
