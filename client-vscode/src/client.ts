// Starting, restarting and stopping `swath lsp`, and what the client adds to the protocol:
// settings filtered to the server's contract, reports opened in the Markdown preview, progress
// as notifications, and one clear message when the server cannot start.
import * as vscode from "vscode";
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  type ErrorHandler,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";
import { NotificationProgressFeature } from "./progress";
import { realProbes } from "./probes";
import { isReport, openReport } from "./reports";
import { describe, notFoundMessage, resolveServerCommand, type ServerCommand } from "./serverCommand";
import { apiKeyEnvName, initializationOptions, SECTION, serverSettings } from "./settings";
import type { ServerState } from "./statusBar";

export const SECRET_KEY = "swath.anthropicApiKey";

export interface ClientHooks {
  output: vscode.LogOutputChannel;
  secrets: vscode.SecretStorage;
  onState(state: ServerState): void;
  onProgress(): void;
}

export class SwathClient implements vscode.Disposable {
  client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private failedOnce = false;
  private lastFailure: string | undefined;

  constructor(private readonly hooks: ClientHooks) {}

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  async start(): Promise<void> {
    if (!this.starting) this.starting = this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  async restart(): Promise<void> {
    await this.stop();
    this.failedOnce = false;
    await this.start();
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    if (client) {
      this.hooks.onState("stopped");
      await client.stop(5000).catch((e) => this.hooks.output.warn(`stopping the server: ${e}`));
      await client.dispose().catch(() => undefined);
    }
  }

  /** Pushes the settings the server knows to a running server. */
  pushSettings(): void {
    if (!this.running) return;
    const settings = serverSettings(vscode.workspace.getConfiguration(SECTION), vscode.workspace.isTrusted);
    void this.client?.sendNotification(DidChangeConfigurationNotification.type, { settings: { swath: settings } });
  }

  async execute<T>(command: string, arg?: unknown): Promise<T> {
    if (!this.running) await this.start();
    if (!this.client || !this.running) throw new Error(this.lastFailure ?? "Swath: the server is not running (see the Swath output)");
    return (await this.client.sendRequest("workspace/executeCommand", {
      command,
      arguments: arg === undefined ? [] : [arg],
    })) as T;
  }

  private async doStart(): Promise<void> {
    const config = vscode.workspace.getConfiguration(SECTION);
    this.hooks.onState("starting");
    this.lastFailure = undefined;
    const resolved = await resolveServerCommand(config.get<string[]>("server.command"), realProbes());
    if (!resolved.ok) {
      this.hooks.output.info(`PATH searched: ${process.env.PATH}`);
      return this.fail(notFoundMessage(resolved.tried));
    }
    const server = resolved.server;
    this.hooks.output.info(`starting the server: ${describe(server)} (from ${server.source})`);
    const client = new LanguageClient("swath", "Swath", await this.serverOptions(server), this.clientOptions());
    client.registerFeature(new NotificationProgressFeature(client, this.hooks.onProgress));
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.hooks.onState("running");
      else if (e.newState === State.Stopped && this.client === client) this.hooks.onState("failed");
    });
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      this.client = undefined;
      await client.dispose().catch(() => undefined);
      const reason = err instanceof Error ? err.message : String(err);
      return this.fail(
        `Swath: the language server did not start with \`${describe(server)}\` (${reason}). ` +
          (server.source === "setting" ? "Check `swath.server.command`." : "Check the Swath output for its log."),
      );
    }
  }

  private async serverOptions(server: ServerCommand): Promise<ServerOptions> {
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: "1" };
    const keyEnv = apiKeyEnvName(vscode.workspace.getConfiguration(SECTION));
    const key = vscode.workspace.isTrusted ? await this.hooks.secrets.get(SECRET_KEY) : undefined;
    if (key) env[keyEnv] = key;
    else if (!vscode.workspace.isTrusted) delete env[keyEnv]; // no model in an untrusted workspace
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return { command: server.command, args: server.args, options: { env, cwd } };
  }

  private clientOptions(): LanguageClientOptions {
    const output = this.hooks.output;
    return {
      documentSelector: [{ scheme: "file" }],
      outputChannel: output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: () => initializationOptions(vscode.workspace.getConfiguration(SECTION), vscode.workspace.isTrusted),
      errorHandler: this.errorHandler(),
      middleware: {
        workspace: {
          // The server pulls section `swath`; answer with its keys only (it refuses unknown ones).
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) return answers;
            return params.items.map((item, i) =>
              item.section === SECTION
                ? serverSettings(vscode.workspace.getConfiguration(SECTION, item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined), vscode.workspace.isTrusted)
                : answers[i],
            );
          },
        },
        window: {
          showDocument: async (params, next) => {
            const uri = vscode.Uri.parse(params.uri);
            if (!isReport(uri)) {
              const answer = await next(params, new vscode.CancellationTokenSource().token);
              return "success" in answer ? answer : { success: false };
            }
            await openReport(uri, params.takeFocus === true);
            return { success: true };
          },
        },
      },
    };
  }

  private errorHandler(): ErrorHandler {
    const restarts: number[] = [];
    return {
      error: () => ({ action: ErrorAction.Continue, handled: true }),
      closed: () => {
        const now = Date.now();
        restarts.push(now);
        while (restarts.length && now - restarts[0] > 3 * 60_000) restarts.shift();
        if (restarts.length <= 3) {
          this.hooks.output.warn("the server exited; restarting it");
          return { action: CloseAction.Restart, handled: true };
        }
        this.fail("Swath: the language server exited 4 times in 3 minutes and was not restarted. Its log is in the Swath output; \"Swath: Restart Server\" tries again.");
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    };
  }

  private fail(message: string): void {
    this.hooks.onState("failed");
    this.hooks.output.error(message);
    this.lastFailure = message;
    if (this.failedOnce) return; // one notification, not a stack of them
    this.failedOnce = true;
    void vscode.window.showErrorMessage(message, "Open Settings", "Show Log").then((choice) => {
      if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", "swath.server.command");
      if (choice === "Show Log") this.hooks.output.show();
    });
  }

  dispose(): void {
    void this.stop();
  }
}
