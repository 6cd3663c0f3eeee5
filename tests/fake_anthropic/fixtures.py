"""Pytest fixtures for the fake API. Use them from any test package's conftest.py:

from tests.fake_anthropic.fixtures import fake_anthropic, fake_anthropic_thread, model_config  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from swath.agents.config import ModelConfig
from tests.fake_anthropic.server import FakeAnthropicServer


@pytest_asyncio.fixture
async def fake_anthropic() -> AsyncIterator[FakeAnthropicServer]:
    """A fake API served from the test's own event loop."""
    server = FakeAnthropicServer()
    await server.start_async()
    try:
        yield server
    finally:
        await server.stop_async()


@pytest.fixture
def fake_anthropic_thread() -> Iterator[FakeAnthropicServer]:
    """A fake API served from a thread (for sync tests and subprocesses)."""
    server = FakeAnthropicServer().start()
    try:
        yield server
    finally:
        server.stop()


def config_for(server: FakeAnthropicServer, **overrides: object) -> ModelConfig:
    """A model config pointed at `server`, with retries fast enough for tests."""
    values: dict[str, object] = {"base_url": server.url, "max_retries": 3, "timeout_s": 20.0}
    values.update(overrides)
    return ModelConfig.model_validate(values)


@pytest.fixture
def model_config(fake_anthropic: FakeAnthropicServer) -> ModelConfig:
    return config_for(fake_anthropic)
