"""swath.mapModule end to end over stdio: command → progress → lenses → the report opened."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from tests.gitrepo import commit_files, init_repo
from tests.lsp.conftest import OLD, capabilities, lsp_session

SHOP = {
    "shop/__init__.py": '"""A tiny shop."""\nfrom .core import Engine\n',
    "shop/core.py": (
        '"""Core engine: runs the shop."""\n\n\nclass Engine:\n'
        "    def run(self, x):\n        if x:\n            return 1\n        return 0\n\n\n"
        "def helper():\n    pass\n"
    ),
    "shop/cart.py": '"""The cart."""\nfrom shop import Engine\n\nE = Engine()\n',
    "shop/pay.py": '"""Payments."""\nfrom shop.core import Engine, helper\n\nhelper()\n',
}


async def test_map_module_command_progress_lenses_and_report(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit_files(root, SHOP, date=OLD, message="shop")
    async with lsp_session(root, capabilities("visual-studio-code")) as s:
        result = await s.command("swath.mapModule", {"uri": s.uri("shop")})
        run_id = result["runId"]
        await s.wait_run(run_id)
        kinds = [v.get("kind") for v in s.client.progress_reports[f"swath-run-{run_id}"]]
        assert kinds[0] == "begin" and kinds[-1] == "end"
        core = s.uri("shop/core.py")
        lenses: list[lsp.CodeLens] = []
        for _ in range(200):  # the findings reach the index just after the run's end
            lenses = await s.lenses(core)
            if len(lenses) >= 3:
                break
            await asyncio.sleep(0.05)
        titles = {(lens.range.start.line, lens.command.title) for lens in lenses if lens.command}
        # the file's lens on its first line: what it is for, who uses it
        assert (0, "Core engine: runs the shop · ⇄ used by 2 · imports 0") in titles, titles
        # a lens above each top-level symbol
        assert (3, "used by 3 · complexity 2") in titles  # class Engine: its method's `if`
        assert (10, "used by 1 · complexity 1") in titles  # def helper
        # clicking a lens opens the run's report
        lens = next(lens for lens in lenses if lens.command and lens.range.start.line == 3)
        assert lens.command is not None
        await s.command(lens.command.command, *(lens.command.arguments or []))
        shown = await s.wait_for(
            lambda: [d for d in s.client.shown_documents if d.uri.endswith(".md")],
            what="the report opened",
        )
        report = Path(to_fs_path(shown[-1].uri) or "").read_text(encoding="utf-8")
        assert "## Module map: `shop`" in report and "A tiny shop." in report
        assert "### Key symbols" in report and "| `Engine` | class |" in report
        diags = s.swath_diagnostics(core)
        assert all(d.severity == lsp.DiagnosticSeverity.Hint for d in diags)
