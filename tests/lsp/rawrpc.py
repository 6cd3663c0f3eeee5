"""A JSON-RPC client over the server's real stdio that sends bytes no typed client would.

pytest-lsp's client structures every message through lsprotocol, so it cannot send an
`executeCommand` whose `arguments` is a number, or a request of garbage; this one can.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tests.lsp.conftest import server_env, uri

SERVER = [sys.executable, "-m", "swath", "lsp"]


class RawClient:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.replies: dict[Any, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self._waiters: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def start(cls, root: Path, folders: list[str] | None = None) -> RawClient:
        proc = await asyncio.create_subprocess_exec(
            *SERVER,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=server_env(),
            cwd=root,
        )
        client = cls(proc)
        folder_uris = folders if folders is not None else [uri(root)]
        await client.request(
            "initialize",
            {
                "processId": None,
                "rootUri": folder_uris[0] if folder_uris else None,
                "capabilities": {},
                "workspaceFolders": [
                    {"uri": f, "name": f"f{i}"} for i, f in enumerate(folder_uris)
                ],
            },
        )
        client.notify("initialized", {})
        return client

    def send_bytes(self, body: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(json.dumps(message).encode())

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def request(self, method: str, params: Any, timeout: float = 60) -> dict[str, Any]:
        """The whole reply (`result` or `error`) to one request."""
        rid = self.new_id()
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return await self.reply(rid, timeout)

    async def reply(self, rid: Any, timeout: float = 60) -> dict[str, Any]:
        if rid not in self.replies:
            fut = self._waiters.setdefault(rid, asyncio.get_running_loop().create_future())
            await asyncio.wait_for(asyncio.shield(fut), timeout)
        return self.replies[rid]

    async def command(self, command: str, arguments: Any) -> dict[str, Any]:
        return await self.request(
            "workspace/executeCommand", {"command": command, "arguments": arguments}
        )

    async def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = await out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if length is None:
                continue
            msg = json.loads(await out.readexactly(length))
            if "method" in msg:
                self.notifications.append(msg)
                if "id" in msg:  # a request from the server: answer it so it never waits
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                continue
            self.replies[msg.get("id")] = msg
            fut = self._waiters.pop(msg.get("id"), None)
            if fut is not None and not fut.done():
                fut.set_result(msg)

    async def close(self) -> int:
        try:
            await self.request("shutdown", None, timeout=60)
            self.notify("exit", None)
            return await asyncio.wait_for(self.proc.wait(), 60)
        finally:
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
            self._reader.cancel()
