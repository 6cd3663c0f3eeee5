"""A bounded, seeded fuzz of the language server over its real stdio.

Three thousand messages drawn from a fixed seed: the methods the server answers and some
it does not, with params that are sometimes well-formed, sometimes the right shape with
wrong values, and sometimes any JSON at all. Every request must get a reply (a result or
an error), and afterwards the server must still answer real requests.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

from tests.lsp.conftest import make_repo, uri
from tests.lsp.rawrpc import RawClient

SEED = 20261202
MESSAGES = 3000
BATCH = 100

REQUESTS = [
    "textDocument/codeLens",
    "textDocument/codeAction",
    "textDocument/hover",
    "textDocument/completion",
    "workspace/executeCommand",
    "codeLens/resolve",
    "textDocument/definition",
    "swath/nothing",
    "",
]
NOTIFICATIONS = [
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didSave",
    "textDocument/didClose",
    "workspace/didChangeConfiguration",
    "workspace/didChangeWorkspaceFolders",
    "$/cancelRequest",
    "$/setTrace",
]
COMMANDS = [
    "swath.mapModule",
    "swath.auditFlags",
    "swath.reviewDiff",
    "swath.runWorkflow",
    "swath.plan",
    "swath.rerun",
    "swath.cancel",
    "swath.listRuns",
    "swath.showRun",
    "swath.clearFindings",
    "swath.newWorkflow",
    "swath.bogus",
]
# Values a command might choke on; no workflow name or workspace path, so only commands
# whose arguments are all optional (auditFlags, reviewDiff) can start a run.
WORDS = ["", "x", "file:///", "file:///etc", "file://host/share", "../..", "\x00", "é" * 3, "*"]
KEYS = ["uri", "workflow", "folder", "runId", "paths", "inputs", "limit", "engine", "base"]


class Fuzzer:
    def __init__(self, rnd: random.Random, doc_uris: list[str]) -> None:
        self.rnd = rnd
        self.doc_uris = doc_uris

    def junk(self, depth: int = 0) -> Any:
        r = self.rnd.random()
        if depth > 3 or r < 0.35:
            return self.rnd.choice(
                [
                    None,
                    True,
                    False,
                    0,
                    -1,
                    2**63,
                    3.5,
                    float("1e308"),
                    *WORDS,
                    self.rnd.choice(self.doc_uris),
                ]
            )
        if r < 0.65:
            return [self.junk(depth + 1) for _ in range(self.rnd.randint(0, 4))]
        return {
            self.rnd.choice([*KEYS, "textDocument", "position", "range", "x"]): self.junk(depth + 1)
            for _ in range(self.rnd.randint(0, 4))
        }

    def position(self) -> Any:
        if self.rnd.random() < 0.8:
            return {
                "line": self.rnd.choice([0, 1, 3, 10**6]),
                "character": self.rnd.choice([0, 4, 10**6]),
            }
        return self.junk()

    def document(self) -> dict[str, Any]:
        return {"uri": self.rnd.choice([*self.doc_uris, *WORDS])}

    def params(self, method: str) -> Any:
        roll = self.rnd.random()
        if roll < 0.2:
            return self.junk()
        if method == "workspace/executeCommand":
            args = self.junk() if roll < 0.3 else [self.command_argument()]
            return {"command": self.rnd.choice(COMMANDS), "arguments": args}
        if method in ("textDocument/hover", "textDocument/completion", "textDocument/definition"):
            return {"textDocument": self.document(), "position": self.position()}
        if method == "textDocument/codeAction":
            rng = {"start": self.position(), "end": self.position()}
            return {"textDocument": self.document(), "range": rng, "context": {"diagnostics": []}}
        if method == "textDocument/didOpen":
            text = self.rnd.choice(["", "x = 1\n", "name: [\n", "\ud7ff" * 10, "a\r\nb"])
            item = {**self.document(), "languageId": "python", "version": 1, "text": text}
            return {"textDocument": item}
        if method == "textDocument/didChange":
            change = {"range": {"start": self.position(), "end": self.position()}, "text": "y"}
            return {"textDocument": {**self.document(), "version": 2}, "contentChanges": [change]}
        return {"textDocument": self.document()}

    def command_argument(self) -> Any:
        if self.rnd.random() < 0.5:
            return self.junk()
        return {self.rnd.choice(KEYS): self.junk(2) for _ in range(self.rnd.randint(1, 3))}


async def test_every_fuzzed_request_gets_a_reply_and_the_server_survives(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", modules=2)
    docs = [uri(root / "pkg" / "m000.py"), uri(root / ".swath/workflows/slow-todos.yaml")]
    fuzz = Fuzzer(random.Random(SEED), docs)
    client = await RawClient.start(root)
    sent: list[tuple[int, str, Any]] = []
    try:
        for _start in range(0, MESSAGES, BATCH):
            batch: list[int] = []
            for _ in range(BATCH):
                if fuzz.rnd.random() < 0.6:
                    method = fuzz.rnd.choice(REQUESTS)
                    params = fuzz.params(method)
                    rid = client.new_id()
                    client.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
                    batch.append(rid)
                    sent.append((rid, method, params))
                else:
                    method = fuzz.rnd.choice(NOTIFICATIONS)
                    client.notify(method, fuzz.params(method))
            for rid in batch:
                try:
                    await client.reply(rid, timeout=60)
                except TimeoutError:
                    what = next((m, p) for r, m, p in sent if r == rid)
                    raise AssertionError(f"no reply to request {rid}: {what!r}") from None
        assert len(client.replies) >= len(sent)
        errors = sum("error" in client.replies[rid] for rid, _, _ in sent)
        assert 0 < errors < len(sent)  # some were fine, some refused: the generator varied

        # still answering, correctly
        lenses = await client.request("textDocument/codeLens", {"textDocument": {"uri": docs[0]}})
        assert isinstance(lenses.get("result"), list), lenses
        runs = await client.command("swath.listRuns", [])
        assert isinstance(runs["result"]["runs"], list)  # `auditFlags {}` is a valid run
        assert client.proc.returncode is None
    finally:
        code = await asyncio.wait_for(client.close(), 90)
    assert code == 0
