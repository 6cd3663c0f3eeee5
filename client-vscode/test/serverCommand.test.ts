import assert from "node:assert/strict";
import { test } from "node:test";
import { type Probes, notFoundMessage, resolveServerCommand } from "../src/serverCommand";

function probes(opts: { onPath?: Record<string, string>; selected?: string; importable?: string[] }): Probes & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    which: async (name) => opts.onPath?.[name],
    selectedInterpreter: async () => opts.selected,
    importProblem: async (python) => {
      asked.push(python);
      return opts.importable?.includes(python) ? undefined : "ModuleNotFoundError: No module named 'swath'";
    },
  };
}

test("the setting wins, as given, without probing anything", async () => {
  const p = probes({ onPath: { swath: "/usr/bin/swath" } });
  const r = await resolveServerCommand(["/opt/venv/bin/python", "-m", "swath", "lsp"], p);
  assert.deepEqual(r, {
    ok: true,
    server: { command: "/opt/venv/bin/python", args: ["-m", "swath", "lsp"], source: "setting" },
    tried: [],
  });
  assert.deepEqual(p.asked, []);
});

test("an empty setting falls through to swath on the PATH", async () => {
  const r = await resolveServerCommand(["", "  "], probes({ onPath: { swath: "/home/u/.local/bin/swath" } }));
  assert.ok(r.ok);
  assert.deepEqual(r.server, { command: "/home/u/.local/bin/swath", args: ["lsp"], source: "path" });
});

test("then the Python extension's interpreter, if it can import swath", async () => {
  const p = probes({ selected: "/ws/.venv/bin/python", importable: ["/ws/.venv/bin/python"], onPath: { python3: "/usr/bin/python3" } });
  const r = await resolveServerCommand(undefined, p);
  assert.ok(r.ok);
  assert.deepEqual(r.server, { command: "/ws/.venv/bin/python", args: ["-m", "swath", "lsp"], source: "python-extension" });
  assert.deepEqual(p.asked, ["/ws/.venv/bin/python"]);
});

test("then python3, when the selected interpreter lacks swath", async () => {
  const p = probes({ selected: "/ws/.venv/bin/python", importable: ["/usr/bin/python3"], onPath: { python3: "/usr/bin/python3" } });
  const r = await resolveServerCommand([], p);
  assert.ok(r.ok);
  assert.equal(r.server.source, "python3");
  assert.deepEqual(r.server.args, ["-m", "swath", "lsp"]);
  assert.match(r.tried.join("\n"), /selected interpreter \/ws\/\.venv\/bin\/python: ModuleNotFoundError/);
});

test("nothing works: one message that says what was tried and how to install", async () => {
  const r = await resolveServerCommand([], probes({ onPath: { python3: "/usr/bin/python3" } }));
  assert.equal(r.ok, false);
  const message = notFoundMessage(r.tried);
  assert.match(message, /`swath` is not on the PATH/);
  assert.match(message, /\/usr\/bin\/python3: ModuleNotFoundError: No module named 'swath'/);
  assert.match(message, /pip install swath/);
  assert.match(message, /swath\.server\.command/);
  const none = await resolveServerCommand([], probes({}));
  assert.equal(none.ok, false);
  assert.match(notFoundMessage(none.tried), /`python3` is not on the PATH/);
});
