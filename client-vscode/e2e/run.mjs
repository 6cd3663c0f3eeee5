// The end-to-end test: the built .vsix in a real VS Code (code-server + headless Chromium),
// the bundled example repository, and the three jobs done with the mouse and the palette.
//   node e2e/run.mjs [--vsix dist/swath.vsix] [--only map,flags,review]
// Exit 0 when every check passed; screenshots of every step go to e2e/screenshots/.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { log, makeWorkspace, VSCode } from "./harness.mjs";
import { JOBS } from "./jobs.mjs";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const REPO = path.resolve(HERE, "..", "..");
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const vsix = path.resolve(opt("--vsix", path.join(HERE, "..", "dist", "swath.vsix")));
const only = opt("--only", Object.keys(JOBS).join(",")).split(",");

// A stray rejected promise would end node before the catch below prints what the workbench
// showed; say it and let the awaited checks decide.
process.on("unhandledRejection", (err) => log(`unhandled rejection: ${err?.message ?? err}`));

const started = Date.now();
const vs = new VSCode();
let failed = false;
try {
  const workspace = makeWorkspace(path.join(REPO, "examples", "flags-demo"), vs.dir);
  vs.installExtension(vsix);
  await vs.start(workspace);
  log(`workbench up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const name of only) {
    const t = Date.now();
    log(`job ${name}: start`);
    // Each job starts from an empty editor area, as its screenshots show.
    await vs.palette("View: Close All Editor Groups");
    await vs.page.locator(".editor-group-container .tabs-container .tab").first().waitFor({ state: "detached", timeout: 15_000 });
    await JOBS[name](vs, workspace);
    log(`job ${name}: passed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
} catch (err) {
  failed = true;
  console.error(`e2e FAILED: ${err?.stack ?? err}`);
  await vs.shot("failure").catch(() => undefined);
  console.error(`notifications seen: ${JSON.stringify(await vs.notificationsSeen().catch(() => []))}`);
  console.error(`extension log:\n${vs.extensionLog()}`);
  console.error(`code-server log (tail):\n${vs.serverLog.join("").slice(-3000)}`);
} finally {
  await vs.stop({ keep: failed });
}
log(`${failed ? "FAILED" : "passed"} in ${((Date.now() - started) / 1000).toFixed(1)} s (vsix ${path.basename(vsix)}, ${readFileSync(vsix).length} bytes)`);
process.exit(failed ? 1 : 0);
