// Swath for VS Code: starts `swath lsp`, puts its commands in the menus and the palette, and
// shows runs in the status bar. The server does the work; this is the thin client.
import * as vscode from "vscode";
import { SECRET_KEY, SwathClient } from "./client";
import { registerCommands } from "./commands";
import { needsRestart, SECTION } from "./settings";
import { RunStatusBar, type ActiveRun } from "./statusBar";
import { untrustedNotice } from "./trust";

let swath: SwathClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("Swath", { log: true });
  let client: SwathClient | undefined;
  const status = new RunStatusBar(
    async () => (client?.running ? (await client.execute<{ runs: ActiveRun[] }>("swath.activeRuns", {})).runs : undefined),
    () => !vscode.workspace.isTrusted,
    "swath.ui.runsMenu",
  );
  client = swath = new SwathClient({
    output,
    secrets: context.secrets,
    onState: (s) => status.setServerState(s),
    onProgress: () => status.poke(),
  });
  const restart = async () => {
    output.info("restarting the server");
    await client.restart();
  };
  context.subscriptions.push(
    output,
    status,
    client,
    ...registerCommands({ swath: client, status, secrets: context.secrets, restart }),
    vscode.commands.registerCommand("swath.ui.showLog", () => output.show()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      if (needsRestart((s) => e.affectsConfiguration(s))) void restart();
      else client.pushSettings(); // trace changes are applied by the language client itself
    }),
    context.secrets.onDidChange((e) => {
      if (e.key === SECRET_KEY) void restart();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart()),
  );
  const notice = untrustedNotice(vscode.workspace.isTrusted, context.workspaceState);
  if (notice) void vscode.window.showInformationMessage(notice);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await swath?.stop();
}
