"""A fake Anthropic Messages API for tests, demos and benchmarks (see `server.py`)."""

from tests.fake_anthropic.replies import (
    Echo,
    Fault,
    JsonText,
    Malformed,
    Reply,
    RequestContext,
    Slow,
    Submit,
    Text,
    ToolUse,
    example_for,
    overloaded,
    rate_limited,
    server_error,
    tools_forever,
)
from tests.fake_anthropic.server import FakeAnthropicServer, RecordedRequest, RecordedResponse

__all__ = [
    "Echo",
    "FakeAnthropicServer",
    "Fault",
    "JsonText",
    "Malformed",
    "RecordedRequest",
    "RecordedResponse",
    "Reply",
    "RequestContext",
    "Slow",
    "Submit",
    "Text",
    "ToolUse",
    "example_for",
    "overloaded",
    "rate_limited",
    "server_error",
    "tools_forever",
]
