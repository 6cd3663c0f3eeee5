"""The JSON-RPC protocol with one promise pygls does not keep: every request gets a reply.

pygls structures a message through lsprotocol before it dispatches it; when that fails
(`executeCommand` whose `arguments` is a number, a `codeLens` with no `textDocument`) it
logs the error and drops the message, so the client waits forever. Here such a request is
answered with InvalidParams, naming the method, and nothing else happens.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol.types import ResponseError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)


class _Answered:
    """Stands for a message that was already answered with an error: dispatch skips it."""


ANSWERED = _Answered()


class ReplyingProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException:
            if "method" not in data or "id" not in data:
                return ANSWERED  # a notification or a reply: there is no one to answer
            rid = data["id"]
            if isinstance(rid, bool) or not isinstance(rid, (int, str)):
                rid = None  # JSON-RPC: the id could not be read
            method = data.get("method")
            log.warning("invalid params for %r: answered with an error", method)
            self._send_response(
                rid,
                error=ResponseError(
                    code=JsonRpcInvalidParams.CODE,
                    message=f"invalid params for {method!r}: they do not match the LSP "
                    "specification's shape for this method",
                ),
            )
            return ANSWERED

    def handle_message(self, message: Any) -> None:
        if message is ANSWERED:
            return
        if not hasattr(message, "jsonrpc"):  # a bare number or list: not a JSON-RPC message
            log.warning("ignoring a message that is not a JSON-RPC object")
            return
        super().handle_message(message)
