// The status bar item: how many runs are going and what they have cost so far; a click offers
// to open or cancel one. Its state comes from the server's `swath.activeRuns`.
import * as vscode from "vscode";

export interface ActiveRun {
  runId: string;
  workflow: string;
  folder: string;
  done: number;
  total: number;
  findings: number;
  costUsd: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** The state in words, for screen readers (the text is mostly icons). */
  label: string;
  busy: boolean;
}

export type ServerState = "starting" | "running" | "stopped" | "failed";

export function statusView(state: ServerState, runs: readonly ActiveRun[], untrusted: boolean): StatusView {
  const limited = untrusted ? " (offline analyzers only: untrusted workspace)" : "";
  if (state === "failed") {
    return { text: "$(error) Swath", tooltip: "Swath: the server is not running; click for the log", label: "Swath: the server is not running", busy: false };
  }
  if (state !== "running") {
    return { text: "$(loading~spin) Swath", tooltip: `Swath: starting the server${limited}`, label: "Swath: starting the server", busy: false };
  }
  if (runs.length === 0) {
    return { text: "$(pulse) Swath", tooltip: `Swath: no run going; click to show a run${limited}`, label: `Swath: no run going${limited}`, busy: false };
  }
  const cost = `$${runs.reduce((sum, r) => sum + r.costUsd, 0).toFixed(2)}`;
  const count = plural(runs.length, "run");
  const lines = runs.map((r) => `${r.workflow}: ${r.done}/${r.total} agents · ${plural(r.findings, "finding")} · $${r.costUsd.toFixed(2)}`);
  return {
    text: `$(sync~spin) Swath: ${count} · ${cost}`,
    tooltip: `${lines.join("\n")}\nClick to open or cancel one${limited}`,
    label: `Swath: ${count} going · ${cost}${limited}`,
    busy: true,
  };
}

export function plural(n: number, word: string): string {
  return `${n} ${n === 1 ? word : `${word}s`}`;
}

export const POLL_MS = 1000;

/** Shows `statusView` and keeps it fresh: polls while runs go, once on every progress event. */
export class RunStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  runs: ActiveRun[] = [];
  private state: ServerState = "starting";
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    private readonly fetchRuns: () => Promise<ActiveRun[] | undefined>,
    private readonly untrusted: () => boolean,
    command: string,
  ) {
    this.item = vscode.window.createStatusBarItem("swath.runs", vscode.StatusBarAlignment.Left, 10);
    this.item.name = "Swath runs";
    this.item.command = command;
    this.render();
    this.item.show();
  }

  setServerState(state: ServerState): void {
    this.state = state;
    if (state !== "running") this.runs = [];
    this.render();
    if (state === "running") this.poke();
  }

  /** Something happened (a progress report, a command): look again soon. */
  poke(): void {
    if (this.disposed || this.state !== "running") return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 150);
  }

  async refresh(): Promise<void> {
    this.timer = undefined;
    const runs = await this.fetchRuns().catch(() => undefined);
    if (this.disposed) return;
    this.runs = runs ?? [];
    this.render();
    if (this.runs.length > 0 && !this.timer) this.timer = setTimeout(() => void this.refresh(), POLL_MS);
  }

  private render(): void {
    const view = statusView(this.state, this.runs, this.untrusted());
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.accessibilityInformation = { label: view.label, role: "button" };
    this.item.backgroundColor = view.busy ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.item.dispose();
  }
}
