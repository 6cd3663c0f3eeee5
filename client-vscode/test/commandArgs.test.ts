import assert from "node:assert/strict";
import { test } from "node:test";
import {
  inputPrompt,
  type InputSpec,
  mapModuleArgs,
  parseInput,
  planSummary,
  reviewDiffArgs,
  workflowPicks,
} from "../src/commandArgs";

const uri = (s: string) => ({ scheme: s.split(":")[0], path: s.replace(/^[a-z]+:\/\//, ""), toString: () => s });

test("Map This Module: the clicked folder, else the active file, never a non-file document", () => {
  assert.deepEqual(mapModuleArgs(uri("file:///ws/app"), uri("file:///ws/x.py")), { uri: "file:///ws/app" });
  assert.deepEqual(mapModuleArgs(undefined, uri("file:///ws/x.py")), { uri: "file:///ws/x.py" });
  assert.match(mapModuleArgs(undefined, undefined) as string, /right-click a folder/);
  assert.match(mapModuleArgs(uri("untitled://Untitled-1"), undefined) as string, /only files on disk/);
});

test("Review Current Diff: the SCM view's repository and an optional base", () => {
  assert.deepEqual(reviewDiffArgs({ rootUri: uri("file:///ws") }, " main "), { folder: "file:///ws", base: "main" });
  assert.deepEqual(reviewDiffArgs(undefined, ""), {});
  assert.deepEqual(reviewDiffArgs({ id: "git" }, undefined), {});
});

const integer: InputSpec = { type: "integer", default: 180, description: "older than this", required: false };
const flag: InputSpec = { type: "boolean", default: null, description: "", required: true };

test("workflow inputs are typed from what the user types", () => {
  assert.deepEqual(parseInput(integer, " 90 "), { value: 90 });
  assert.deepEqual(parseInput(integer, "ninety"), { problem: 'a whole number, not "ninety"' });
  assert.deepEqual(parseInput(integer, ""), {});
  assert.deepEqual(parseInput(flag, ""), { problem: "required" });
  assert.deepEqual(parseInput(flag, "yes"), { value: true });
  assert.deepEqual(parseInput(flag, "off"), { value: false });
  assert.deepEqual(parseInput({ ...integer, type: "number" }, "2.5"), { value: 2.5 });
  assert.deepEqual(parseInput({ ...integer, type: "path" }, "src/app"), { value: "src/app" });
  assert.equal(inputPrompt("max_age_days", integer), "max_age_days (integer) — older than this — default: 180");
});

test("the workflow picker: built-ins by name, saved ones by file, broken ones say why", () => {
  const picks = workflowPicks([
    { name: "flag-audit", description: "Which flags can go", builtin: true, overridesBuiltin: false, uri: "file:///pkg/flag-audit.yaml", inputs: {}, error: null },
    { name: "review-diff", description: "", builtin: false, overridesBuiltin: true, uri: "file:///ws/.swath/workflows/review.yaml", inputs: {}, error: null },
    { name: "broken", description: "", builtin: false, overridesBuiltin: false, uri: "file:///ws/.swath/workflows/broken.yaml", inputs: {}, error: "broken.yaml:2:8: steps: not a list\nmore" },
  ]);
  assert.deepEqual(
    picks.map((p) => [p.label, p.description, p.detail, p.workflow]),
    [
      ["flag-audit", "built-in", "Which flags can go", "flag-audit"],
      ["review-diff", "saved (replaces the built-in)", "(no description)", "file:///ws/.swath/workflows/review.yaml"],
      ["$(warning) broken", "saved", "cannot be run: broken.yaml:2:8: steps: not a list", "file:///ws/.swath/workflows/broken.yaml"],
    ],
  );
});

test("the plan of a drafted workflow in the confirmation's words", () => {
  const plan = {
    workflow: "py-todos",
    steps: [
      { id: "files", kind: "discover", agents: 0, model_agents: 0, est_cost_usd: 0 },
      { id: "scan", kind: "map", agents: 12, model_agents: 12, est_cost_usd: 0.31 },
    ],
    total_agents: 12,
    cached_agents: 2,
    max_agents: 10,
    est_cost_usd: 0.314,
    engine: "model",
  };
  assert.equal(
    planSummary(plan, true),
    "py-todos: 2 steps: files (discover) → scan (map, 12 agents).\n" +
      "12 agents (2 cached), engine model, estimated cost $0.31.\n" +
      "Refused: more than the limit of 10 agents.",
  );
});
