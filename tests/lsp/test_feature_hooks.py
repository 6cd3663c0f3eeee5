"""The features' hooks (lsp/feature.py): every feature gets each shared event in order, and
one that fails is reported without keeping the event from the others."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from swath.lsp.feature import LanguageFeature
from swath.lsp.server import SwathServer
from swath.lsp.setup import make_server


class Recorder(LanguageFeature):
    def __init__(self, name: str, seen: list[str], fail: bool = False) -> None:
        self.name = name
        self.seen = seen
        self.fail = fail

    def document_opened(self, uri: str, text: str) -> None:
        self.seen.append(f"{self.name}: {uri}")
        if self.fail:
            raise RuntimeError("broken feature")


def test_a_failing_feature_is_reported_and_the_others_still_get_the_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = SwathServer()
    told: list[tuple[str, lsp.MessageType]] = []
    monkeypatch.setattr(server, "tell", lambda message, kind: told.append((message, kind)))
    seen: list[str] = []
    for feature in (Recorder("a", seen), Recorder("b", seen, fail=True), Recorder("c", seen)):
        server.add_feature(feature)
    server.each_feature(lambda f: f.document_opened("file:///x.py", ""))
    assert seen == ["a: file:///x.py", "b: file:///x.py", "c: file:///x.py"]
    assert told == [("Swath: internal error in b: broken feature", lsp.MessageType.Error)]


def test_every_method_has_one_owner() -> None:
    """Each LSP method and command is registered once, by the feature that answers it (pygls
    refuses a second registration, so building the server is the check)."""
    server = make_server()
    features = server.protocol.fm.features
    assert lsp.TEXT_DOCUMENT_DID_OPEN in features and lsp.TEXT_DOCUMENT_HOVER in features
    assert "swath.runWorkflow" in server.protocol.fm.commands
