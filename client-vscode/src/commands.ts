// The palette and menu commands: each asks what it needs, then calls the server's command.
import * as vscode from "vscode";
import { SECRET_KEY, type SwathClient } from "./client";
import {
  inputPrompt,
  mapModuleArgs,
  parseInput,
  planSummary,
  reviewDiffArgs,
  type NewWorkflowAnswer,
  type RunPlan,
  type WorkflowEntry,
  workflowPicks,
} from "./commandArgs";
import { openReport } from "./reports";
import type { ActiveRun, RunStatusBar } from "./statusBar";

interface Started {
  runId: string;
  workflow?: string;
}

interface RunRow {
  runId: string;
  workflow: string;
  status: string;
  startedAt: string | null;
  findings: number;
  costUsd: number;
  agents: number;
}

export interface CommandContext {
  swath: SwathClient;
  status: RunStatusBar;
  secrets: vscode.SecretStorage;
  restart(): Promise<void>;
}

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const { swath, status } = ctx;
  const started = (r: Started) => {
    status.poke();
    return r;
  };
  const guard =
    (fn: (...args: unknown[]) => Promise<unknown>) =>
    async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        void vscode.window.showErrorMessage(message.startsWith("Swath") ? message : `Swath: ${message}`);
        return undefined;
      }
    };
  const reg = (id: string, fn: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guard(fn));

  return [
    reg("swath.ui.mapModule", async (clicked) => {
      const args = mapModuleArgs(clicked, vscode.window.activeTextEditor?.document.uri);
      if (typeof args === "string") return void vscode.window.showWarningMessage(args);
      return started(await swath.execute<Started>("swath.mapModule", args));
    }),
    reg("swath.ui.auditFlags", async () => started(await swath.execute<Started>("swath.auditFlags", {}))),
    reg("swath.ui.reviewDiff", async (sourceControl) => {
      const base = await vscode.window.showInputBox({
        title: "Swath: Review Current Diff",
        prompt: "Base branch, tag or commit to review against (leave empty: the working tree against HEAD)",
        placeHolder: "main",
      });
      if (base === undefined) return undefined; // Escape: the user changed their mind
      return started(await swath.execute<Started>("swath.reviewDiff", reviewDiffArgs(sourceControl, base)));
    }),
    reg("swath.ui.runWorkflow", async () => {
      const { workflows } = await swath.execute<{ workflows: WorkflowEntry[] }>("swath.listWorkflows", {});
      const picks = workflowPicks(workflows);
      const pick = await vscode.window.showQuickPick(picks, { title: "Swath: Run Workflow", matchOnDescription: true, matchOnDetail: true });
      if (!pick) return undefined;
      const entry = workflows.find((w) => (w.builtin ? w.name : w.uri) === pick.workflow);
      if (entry?.error) return void vscode.window.showErrorMessage(`Swath: ${entry.name} cannot be run: ${entry.error}`);
      const inputs = await askInputs(entry?.inputs ?? {});
      if (!inputs) return undefined;
      return started(await swath.execute<Started>("swath.runWorkflow", { workflow: pick.workflow, inputs }));
    }),
    reg("swath.ui.newWorkflow", async () => {
      const prompt = await vscode.window.showInputBox({
        title: "Swath: New Workflow from Prompt",
        prompt: "What should the workflow do? A model drafts it (offline: the closest shipped workflow); Swath validates, plans and saves it in .swath/workflows/",
        placeHolder: "list every public function without a docstring",
      });
      if (!prompt?.trim()) return undefined;
      const made = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: "Swath: drafting a workflow…" },
        () => swath.execute<NewWorkflowAnswer>("swath.newWorkflow", { prompt, wait: true }),
      );
      // The answer carries the plan of what was saved; a workflow that needs inputs has none yet.
      const planned = made.plan
        ? { plan: made.plan, refused: made.plan.total_agents > made.plan.max_agents }
        : await swath.execute<{ plan: RunPlan; refused: boolean }>("swath.plan", { workflow: made.uri });
      const origin = made.offline
        ? `No model is configured: this is a copy of ${made.offline.name}, the closest shipped workflow. A new kind of job needs a model.\n\n`
        : "";
      const choice = await vscode.window.showInformationMessage(
        `Swath wrote ${vscode.Uri.parse(made.uri).path.split("/").pop()}. Run it?`,
        { modal: true, detail: origin + planSummary(planned.plan, planned.refused) },
        ...(planned.refused ? [] : ["Run"]),
      );
      if (choice !== "Run") return undefined;
      return started(await swath.execute<Started>("swath.runWorkflow", { workflow: made.uri }));
    }),
    reg("swath.ui.showRun", async () => {
      const { runs } = await swath.execute<{ runs: RunRow[] }>("swath.listRuns", { limit: 50 });
      if (runs.length === 0) return void vscode.window.showInformationMessage("Swath: no run recorded yet in this workspace.");
      const pick = await vscode.window.showQuickPick(
        runs.map((r) => ({
          label: `${r.workflow} · ${r.status}`,
          description: r.startedAt ?? "",
          detail: `${r.agents} agents · ${r.findings} findings · $${r.costUsd.toFixed(2)} · run ${r.runId}`,
          runId: r.runId,
        })),
        { title: "Swath: Show Run", matchOnDetail: true },
      );
      if (pick) await showRun(swath, pick.runId);
      return undefined;
    }),
    reg("swath.ui.cancelRun", async () => {
      const run = await pickActive(ctx, "Swath: Cancel Run");
      if (run) await swath.execute("swath.cancel", { runId: run.runId });
      status.poke();
    }),
    reg("swath.ui.runsMenu", async () => {
      if (!swath.running) return void vscode.commands.executeCommand("swath.ui.showLog");
      const run = await pickActive(ctx, "Swath: runs going now");
      if (!run) {
        if (status.runs.length === 0) await vscode.commands.executeCommand("swath.ui.showRun");
        return undefined;
      }
      const action = await vscode.window.showQuickPick(["Open its report", "Cancel it"], { title: `Swath: ${run.workflow} (${run.runId})` });
      if (action === "Cancel it") await swath.execute("swath.cancel", { runId: run.runId });
      if (action === "Open its report") await showRun(swath, run.runId);
      status.poke();
      return undefined;
    }),
    reg("swath.ui.clearFindings", async () => {
      const { runs } = await swath.execute<{ runs: RunRow[] }>("swath.listRuns", { limit: 100 });
      const names = [...new Set(runs.map((r) => r.workflow))].sort();
      const pick = await vscode.window.showQuickPick(
        [{ label: "All workflows", workflow: undefined as string | undefined }, ...names.map((n) => ({ label: n, workflow: n }))],
        { title: "Swath: Clear Findings of" },
      );
      if (!pick) return undefined;
      const { cleared } = await swath.execute<{ cleared: number }>("swath.clearFindings", pick.workflow ? { workflow: pick.workflow } : {});
      return void vscode.window.showInformationMessage(`Swath: cleared ${cleared} findings.`);
    }),
    reg("swath.ui.setApiKey", async () => {
      const key = await vscode.window.showInputBox({
        title: "Swath: Set Anthropic API Key",
        prompt: "Kept in VS Code's secret storage and passed to the server's environment; leave empty to remove it",
        password: true,
        ignoreFocusOut: true,
      });
      if (key === undefined) return undefined;
      if (key.trim()) await ctx.secrets.store(SECRET_KEY, key.trim());
      else await ctx.secrets.delete(SECRET_KEY);
      return undefined; // the secret change restarts the server (extension.ts)
    }),
    reg("swath.ui.restartServer", async () => ctx.restart()),
  ];
}

async function askInputs(specs: WorkflowEntry["inputs"]): Promise<Record<string, unknown> | undefined> {
  const inputs: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const text = await vscode.window.showInputBox({
      title: `Swath: input ${name}`,
      prompt: inputPrompt(name, spec),
      value: spec.default === null || spec.default === undefined ? "" : String(spec.default),
      validateInput: (t) => parseInput(spec, t).problem,
    });
    if (text === undefined) return undefined;
    const parsed = parseInput(spec, text);
    if (parsed.value !== undefined) inputs[name] = parsed.value;
  }
  return inputs;
}

async function pickActive(ctx: CommandContext, title: string): Promise<ActiveRun | undefined> {
  const { runs } = await ctx.swath.execute<{ runs: ActiveRun[] }>("swath.activeRuns", {});
  if (runs.length === 0) {
    void vscode.window.showInformationMessage("Swath: no run is going.");
    return undefined;
  }
  if (runs.length === 1 && title.includes("Cancel")) return runs[0];
  const pick = await vscode.window.showQuickPick(
    runs.map((r) => ({
      label: r.workflow,
      description: `run ${r.runId}`,
      detail: `${r.done}/${r.total} agents · ${r.findings} findings · $${r.costUsd.toFixed(2)}`,
      run: r,
    })),
    { title },
  );
  return pick?.run;
}

async function showRun(swath: SwathClient, runId: string): Promise<void> {
  const shown = await swath.execute<{ report: string; summary: string }>("swath.showRun", { runId });
  await openReport(vscode.Uri.parse(shown.report), true);
}
