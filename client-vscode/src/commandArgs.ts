// The argument objects the server's commands take (docs/editors.md, "Commands"), built from
// what VS Code hands a command: the explorer's clicked URI, the SCM view's source control, the
// user's answers. Kept free of UI so it can be tested without VS Code.

/** The part of a vscode.Uri these functions need. */
export interface UriLike {
  toString(): string;
  scheme: string;
}

export interface MapModuleArgs {
  uri: string;
}

/** Explorer menus pass (clicked, selected[]); the editor title menu passes the file's URI;
 * the palette passes nothing, so the active editor's file is used. */
export function mapModuleArgs(clicked: unknown, activeEditor: UriLike | undefined): MapModuleArgs | string {
  const uri = isUri(clicked) ? clicked : activeEditor;
  if (!uri) return "Swath: right-click a folder or file in the explorer (or open a file) to map its module.";
  if (uri.scheme !== "file") return `Swath: only files on disk can be mapped, not ${uri.scheme}: documents.`;
  return { uri: uri.toString() };
}

export interface ReviewDiffArgs {
  base?: string;
  folder?: string;
}

/** The SCM title bar passes the SourceControl (with `rootUri`); the palette passes nothing. */
export function reviewDiffArgs(sourceControl: unknown, base: string | undefined): ReviewDiffArgs {
  const out: ReviewDiffArgs = {};
  const root = (sourceControl as { rootUri?: unknown } | undefined)?.rootUri;
  if (isUri(root)) out.folder = root.toString();
  const b = base?.trim();
  if (b) out.base = b;
  return out;
}

function isUri(x: unknown): x is UriLike {
  return typeof x === "object" && x !== null && typeof (x as UriLike).scheme === "string" && "path" in x;
}

/** A workflow input as `swath.listWorkflows` describes it. */
export interface InputSpec {
  type: "string" | "integer" | "number" | "boolean" | "path";
  default: unknown;
  description: string;
  required: boolean;
}

export interface WorkflowEntry {
  name: string;
  description: string;
  builtin: boolean;
  overridesBuiltin: boolean;
  uri: string;
  inputs: Record<string, InputSpec>;
  error: string | null;
}

/** A typed value from what the user typed, or the problem with it (shown in the input box). */
export function parseInput(spec: InputSpec, text: string): { value?: unknown; problem?: string } {
  const t = text.trim();
  if (t === "") {
    if (spec.required && spec.default === null) return { problem: "required" };
    return {}; // left out: the workflow's default applies
  }
  switch (spec.type) {
    case "integer":
      return /^[-+]?\d+$/.test(t) ? { value: Number.parseInt(t, 10) } : { problem: `a whole number, not "${t}"` };
    case "number":
      return Number.isFinite(Number(t)) ? { value: Number(t) } : { problem: `a number, not "${t}"` };
    case "boolean":
      if (/^(true|yes|on|1)$/i.test(t)) return { value: true };
      if (/^(false|no|off|0)$/i.test(t)) return { value: false };
      return { problem: `true or false, not "${t}"` };
    default:
      return { value: t };
  }
}

export function inputPrompt(name: string, spec: InputSpec): string {
  const parts = [`${name} (${spec.type}${spec.required ? ", required" : ""})`];
  if (spec.description) parts.push(spec.description);
  if (spec.default !== null && spec.default !== undefined) parts.push(`default: ${JSON.stringify(spec.default)}`);
  return parts.join(" — ");
}

export interface WorkflowPick {
  label: string;
  description: string;
  detail: string;
  workflow: string;
}

export function workflowPicks(entries: readonly WorkflowEntry[]): WorkflowPick[] {
  return entries.map((w) => ({
    label: w.error ? `$(warning) ${w.name}` : w.name,
    description: w.builtin ? "built-in" : w.overridesBuiltin ? "saved (replaces the built-in)" : "saved",
    detail: w.error ? `cannot be run: ${w.error.split("\n")[0]}` : w.description || "(no description)",
    workflow: w.builtin ? w.name : w.uri,
  }));
}

/** The plan `swath.plan` answers with, in the words of a confirmation dialog. */
export interface RunPlan {
  workflow: string;
  steps: { id: string; kind: string; agents: number; model_agents: number; est_cost_usd: number }[];
  total_agents: number;
  cached_agents: number;
  max_agents: number;
  est_cost_usd: number;
  engine: string;
}

/** What `swath.newWorkflow {wait: true}` answers: the saved file and its plan (none when the
 * workflow needs inputs first); `offline` when no model drafted it. */
export interface NewWorkflowAnswer {
  uri: string;
  workflow: string;
  plan: RunPlan | null;
  plan_note: string;
  rounds: number;
  offline: { name: string; shared: string[] } | null;
  fills: string[];
}

export function planSummary(plan: RunPlan, refused: boolean): string {
  const steps = plan.steps.map((s) => `${s.id} (${s.kind}${s.agents ? `, ${s.agents} agents` : ""})`).join(" → ");
  const lines = [
    `${plan.workflow}: ${plan.steps.length} steps: ${steps}.`,
    `${plan.total_agents} agents (${plan.cached_agents} cached), engine ${plan.engine}, estimated cost $${plan.est_cost_usd.toFixed(2)}.`,
  ];
  if (refused) lines.push(`Refused: more than the limit of ${plan.max_agents} agents.`);
  return lines.join("\n");
}
