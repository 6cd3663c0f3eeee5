// What the server gets as initializationOptions and on configuration changes: exactly the keys
// of its settings contract (server/swath/lsp/settings.py), which refuses unknown ones. Where
// the API key goes (`apiKeyEnv`) is the client's alone: the server refuses it from editor
// settings, since a workspace settings file could set it.
import type * as vscode from "vscode";

export const SECTION = "swath";

/** The server's settings, by their camelCase names. */
export interface ServerSettings {
  engine?: "auto" | "static" | "model";
  model?: string;
  concurrency?: number;
  maxAgents?: number;
  budgetUsd?: number;
  openReport?: boolean;
  maxDiagnosticsPerFile?: number;
}

export const SERVER_KEYS: readonly (keyof ServerSettings)[] = [
  "engine",
  "model",
  "concurrency",
  "maxAgents",
  "budgetUsd",
  "openReport",
  "maxDiagnosticsPerFile",
];

/** Settings that change how the server process is started: a change restarts it. */
export const RESTART_KEYS: readonly string[] = ["server.command", "apiKeyEnv"];

export const DEFAULT_API_KEY_ENV = "ANTHROPIC_API_KEY";

type Reader = Pick<vscode.WorkspaceConfiguration, "get">;

/** The server's settings from the `swath` section; unset (null) values are left out so the
 * server's own defaults (the workflow's limits) apply. In an untrusted workspace the engine is
 * forced to `static`: offline analyzers only. */
export function serverSettings(config: Reader, trusted: boolean): ServerSettings {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const value = config.get<unknown>(key);
    if (value === null || value === undefined || value === "") continue;
    out[key] = value;
  }
  if (!trusted) {
    out.engine = "static";
    delete out.model;
  }
  return out as ServerSettings;
}

export function initializationOptions(config: Reader, trusted: boolean): { swath: ServerSettings } {
  return { swath: serverSettings(config, trusted) };
}

/** Does this configuration change need a restart of the server (rather than a push)? */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART_KEYS.some((k) => affects(`${SECTION}.${k}`));
}

export function apiKeyEnvName(config: Reader): string {
  return config.get<string | null>("apiKeyEnv") || DEFAULT_API_KEY_ENV;
}
