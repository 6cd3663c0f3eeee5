import assert from "node:assert/strict";
import { test } from "node:test";
import { type ActiveRun, RunStatusBar, statusView } from "../src/statusBar";
import { untrustedNotice, UNTRUSTED_NOTICE } from "../src/trust";
import { created, memento } from "./vscodeStub";

const run = (id: string, done: number, total: number, cost: number): ActiveRun => ({
  runId: id,
  workflow: `wf-${id}`,
  folder: "file:///ws",
  done,
  total,
  findings: done,
  costUsd: cost,
});

test("the status text counts the runs going and adds up their cost", () => {
  assert.equal(statusView("running", [], false).text, "$(pulse) Swath");
  const one = statusView("running", [run("a", 3, 10, 0.125)], false);
  assert.equal(one.text, "$(sync~spin) Swath: 1 run · $0.13");
  assert.equal(one.busy, true);
  const two = statusView("running", [run("a", 3, 10, 0.1), run("b", 1, 4, 0.25)], false);
  assert.equal(two.text, "$(sync~spin) Swath: 2 runs · $0.35");
  assert.match(two.tooltip, /^wf-a: 3\/10 agents · 3 findings · \$0\.10\nwf-b: 1\/4 agents · 1 finding · \$0\.25\nClick to open or cancel one$/);
  assert.equal(two.label, "Swath: 2 runs going · $0.35");
  assert.equal(one.label, "Swath: 1 run going · $0.13");
  assert.equal(statusView("running", [], false).label, "Swath: no run going");
  assert.equal(statusView("starting", [], false).label, "Swath: starting the server");
  assert.equal(statusView("failed", [], false).text, "$(error) Swath");
  assert.match(statusView("running", [], true).tooltip, /offline analyzers only: untrusted workspace/);
});

test("the item polls while runs go and stops when none is left", async () => {
  const answers: ActiveRun[][] = [[run("a", 1, 2, 0)], [run("a", 2, 2, 0.5)], []];
  let calls = 0;
  const bar = new RunStatusBar(async () => answers[Math.min(calls++, answers.length - 1)], () => false, "swath.ui.runsMenu");
  const item = created[created.length - 1];
  assert.equal(item.command, "swath.ui.runsMenu");
  assert.equal(item.visible, true);
  assert.match(item.text, /loading/); // the server is still starting
  bar.setServerState("running");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(item.text, "$(sync~spin) Swath: 1 run · $0.00");
  assert.ok(item.backgroundColor);
  await new Promise((r) => setTimeout(r, 2300));
  assert.equal(calls, 3);
  assert.equal(item.text, "$(pulse) Swath");
  assert.equal(item.backgroundColor, undefined);
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(calls, 3, "no polling once nothing runs");
  bar.dispose();
  assert.equal(item.disposed, true);
});

test("an untrusted workspace is told once, a trusted one never", () => {
  const state = memento();
  assert.equal(untrustedNotice(true, state), undefined);
  assert.equal(untrustedNotice(false, state), UNTRUSTED_NOTICE);
  assert.equal(untrustedNotice(false, state), undefined);
  assert.match(UNTRUSTED_NOTICE, /only the offline analyzers run/);
});
