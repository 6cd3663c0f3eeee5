import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { apiKeyEnvName, initializationOptions, needsRestart, serverSettings } from "../src/settings";
import { configuration } from "./vscodeStub";

test("only the server's own keys are sent, unset ones left out (apiKeyEnv is the client's)", () => {
  const config = configuration({
    engine: "auto",
    model: null,
    concurrency: 8,
    maxAgents: null,
    budgetUsd: 2,
    apiKeyEnv: "TEAM_KEY",
    openReport: true,
    maxDiagnosticsPerFile: 500,
    "server.command": ["/opt/swath/bin/swath", "lsp"],
    "trace.server": "verbose",
  });
  assert.deepEqual(initializationOptions(config, true), {
    swath: { engine: "auto", concurrency: 8, budgetUsd: 2, openReport: true, maxDiagnosticsPerFile: 500 },
  });
});

test("an untrusted workspace gets the static engine and no model, whatever the settings say", () => {
  const config = configuration({ engine: "model", model: "claude-sonnet-4-5", concurrency: 4 });
  assert.deepEqual(serverSettings(config, false), { engine: "static", concurrency: 4 });
  assert.deepEqual(serverSettings(configuration({}), false), { engine: "static" });
});

test("the server command and the key's variable restart the server; other settings are pushed", () => {
  const changed = (keys: string[]) => (section: string) => keys.some((k) => k === section || k.startsWith(`${section}.`));
  assert.equal(needsRestart(changed(["swath.server.command"])), true);
  assert.equal(needsRestart(changed(["swath.apiKeyEnv"])), true);
  assert.equal(needsRestart(changed(["swath.concurrency"])), false);
  assert.equal(needsRestart(changed(["swath.trace.server"])), false);
});

test("the key goes in ANTHROPIC_API_KEY unless apiKeyEnv names another variable", () => {
  assert.equal(apiKeyEnvName(configuration({})), "ANTHROPIC_API_KEY");
  assert.equal(apiKeyEnvName(configuration({ apiKeyEnv: null })), "ANTHROPIC_API_KEY");
  assert.equal(apiKeyEnvName(configuration({ apiKeyEnv: "TEAM_KEY" })), "TEAM_KEY");
});

test("settings that touch the API key cannot come from a workspace's settings file", () => {
  const manifest = JSON.parse(readFileSync(`${__dirname}/../../package.json`, "utf8"));
  const props = manifest.contributes.configuration.properties;
  // application: user settings only; machine: user or remote settings, never workspace/folder.
  assert.equal(props["swath.apiKeyEnv"].scope, "application");
  assert.equal(props["swath.server.command"].scope, "machine");
  for (const [key, spec] of Object.entries<{ scope?: string }>(props)) {
    if (/key|command|env/i.test(key)) assert.ok(["application", "machine"].includes(spec.scope ?? ""), `${key}: ${spec.scope}`);
  }
  const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
  assert.ok(restricted.includes("swath.server.command") && restricted.includes("swath.apiKeyEnv"));
});
