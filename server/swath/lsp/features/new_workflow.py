"""`swath.newWorkflow {prompt}`: a workflow drafted from a prompt (a model, or offline the
closest shipped one); it is validated, planned, saved and opened, never run: the answer
carries the plan so the client can ask before running it. In the background unless `wait`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from lsprotocol import types as lsp
from pydantic import Field
from pygls.lsp.server import LanguageServer

from swath.engine.runner import new_run_id
from swath.lsp.commands import Args, CommandError, folder_root, parse, register_commands
from swath.lsp.feature import LanguageFeature
from swath.lsp.folders import path_to_uri
from swath.lsp.progress import RunProgress
from swath.lsp.server import SwathServer


class NewWorkflowArgs(Args):
    MAIN: ClassVar[str | None] = "prompt"
    prompt: str = Field(min_length=1)
    name: str | None = None
    folder: str | None = None
    wait: bool = Field(
        False,
        description="Answer when the file is written (with its uri), so the editor can plan it",
    )


class NewWorkflowFeature(LanguageFeature):
    name = "new workflow"

    def __init__(self, server: SwathServer) -> None:
        self.server = server

    def register(self, server: LanguageServer) -> None:
        register_commands(server, {"swath.newWorkflow": self.new_workflow})

    async def new_workflow(self, args: tuple[Any, ...]) -> Any:
        a: NewWorkflowArgs = parse(NewWorkflowArgs, args)
        root = folder_root(self.server.folders, a.folder, None)
        run_id = "new-" + new_run_id()
        if not a.wait:
            self.server.spawn(self._generate(root, a, run_id), name=f"swath-new-{run_id}")
            return {"runId": run_id}
        made = await self._generate(root, a, run_id)
        if isinstance(made, str):
            raise CommandError(f"could not write a workflow: {made}")
        path, draft = made
        return {
            "runId": run_id,
            "uri": path_to_uri(path),
            "folder": path_to_uri(root),
            "workflow": draft["name"],
            **{k: draft[k] for k in ("plan", "plan_note", "rounds", "offline", "fills")},
        }

    async def _generate(
        self, root: Path, a: NewWorkflowArgs, run_id: str
    ) -> tuple[Path, dict[str, Any]] | str:
        """The file written and the draft's description, or what went wrong (already shown to
        the user unless the caller waits for it)."""
        from swath.engine import generate

        ls = self.server
        progress = RunProgress(
            ls,
            f"swath-{run_id}",
            "Swath: new workflow",
            ls.client_features.work_done_progress,
            on_cancel=lambda: None,
        )
        await progress.begin(f"drafting from: {a.prompt[:60]}")
        try:
            session = await ls.folders.session(root)
            draft = await generate.draft_workflow(session, a.prompt, a.name)
            path = generate.save(session, draft)
        except Exception as exc:  # EngineError, a model failure, a draft that never validated
            progress.end(f"failed: {exc}")
            if not a.wait:  # a waiting caller gets the error as the command's answer instead
                ls.tell(f"Swath: could not write a workflow: {exc}", lsp.MessageType.Error)
            return str(exc)
        progress.end(f"wrote {path}")
        if not a.wait:
            how = (
                f"no model: a copy of {draft.offline.name}, the closest shipped workflow"
                if draft.offline
                else f"validated in {draft.rounds} round(s)"
            )
            cost = (
                f"; its plan: {draft.plan.total_agents} agents, est. ${draft.plan.est_cost_usd:.4f}"
                if draft.plan
                else ""
            )
            ls.tell(
                f"Swath: wrote {path} ({how}){cost}; check it, then run it with swath.runWorkflow",
                lsp.MessageType.Info,
            )
        ls.show_document(Path(path), focus=True)
        return Path(path), generate.describe(draft)
