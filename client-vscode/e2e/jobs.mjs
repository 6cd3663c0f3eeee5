// The three jobs Swath is for, each as a user does it, each checked in the workbench itself.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { ACTIVE, log, swathExecutable } from "./harness.mjs";

// How long a run may take to show its progress, and to finish. Generous: in CI the e2e shares
// two cores with nothing else (scripts/test runs it alone), but the first run of a session
// also pays for the server's imports.
const STARTED_TIMEOUT = 120_000;
const FINISHED_TIMEOUT = 240_000;

/** Waits for a run's progress notification (with its Cancel button) and its end: the summary
 * notification, the progress notification gone, the status bar idle again. `since`: the count
 * of notifications seen before the run was started. Answers the summary's run id. */
async function followRun(vs, workflow, since, shotName) {
  const page = vs.page;
  const toast = page.locator(".notification-toast", { hasText: `Swath: ${workflow}: ` }).first();
  // The screenshot is taken as soon as the toast is drawn (it stays at least 800 ms). It is an
  // illustration, not a check: a toast missed by the screenshot must not end the process with
  // an unhandled rejection before the check below has said what it saw (CI lost its
  // diagnostics that way once).
  const shot = shotName
    ? toast.waitFor({ timeout: STARTED_TIMEOUT }).then(() => vs.shot(shotName)).catch((err) => log(`no screenshot ${shotName}: ${err.message.split("\n")[0]}`))
    : Promise.resolve();
  const progress = await vs.waitForNotification(new RegExp(`^Swath: ${workflow}: `), { since, timeout: STARTED_TIMEOUT });
  assert.ok(progress.toast, `the progress showed as a toast: ${JSON.stringify(progress)}`);
  assert.ok(progress.cancel, `the progress notification has a Cancel button: ${JSON.stringify(progress)}`);
  const summary = await vs.waitForNotification(new RegExp(`^Swath: ${workflow} succeeded · \\d+ agents · .*\\d+ findings · .* · run \\S+$`), { since, timeout: FINISHED_TIMEOUT });
  await shot;
  log(`progress: ${progress.text}; summary: ${summary.text}`);
  // The progress notification closes when the run ends; the status bar says no run is going.
  await toast.waitFor({ state: "detached", timeout: 15_000 });
  await vs.waitForStatus(/^Swath: no run going/);
  const runId = summary.text.match(/run (\S+)$/)[1];
  // The last thing a run does is open its report: wait for it, or it opens later, in the
  // middle of the next step, and takes the focus from the palette.
  await page.locator(".tabs-container .tab", { hasText: `${runId}.md` }).first().waitFor({ timeout: 30_000 });
  return runId;
}

/** 1. Right-click a folder in the explorer: "Swath: Map This Module in Parallel". */
async function mapModule(vs) {
  const page = vs.page;
  await vs.waitForStatus(/^Swath: no run going/); // the server is up and idle
  const since = await vs.seenCount();
  await vs.contextMenu(vs.explorerRow("app"), "Swath: Map This Module in Parallel");
  const runId = await followRun(vs, "map-module", since, "1-map-progress");
  const busy = (await vs.statusSeen()).filter((l) => /1 run going/.test(l));
  assert.ok(busy.length > 0, `the status bar showed the run going: ${JSON.stringify(await vs.statusSeen())}`);
  // the report opened in the Markdown preview, beside the code
  const preview = page.locator(".tabs-container .tab", { hasText: `${runId}.md` });
  await preview.first().waitFor({ timeout: 30_000 });
  const frame = page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
  await frame.locator("body", { hasText: runId }).first().waitFor({ timeout: 30_000 });
  await vs.shot("1-map-report");
  // code lenses over the symbols of a file of that module
  await vs.openFile("app/checkout.py");
  const lenses = page.locator(`${ACTIVE} .editor-instance .contentWidgets .codelens-decoration`);
  await lenses.first().waitFor({ timeout: 30_000 });
  const titles = (await lenses.allTextContents()).flatMap((t) => t.split(/\s*\|\s*/)); // one line's lenses share a decoration
  log(`lenses on app/checkout.py: ${JSON.stringify(titles)}`);
  assert.ok(titles.some((t) => /re-run map-module/.test(t)), `a re-run lens: ${titles}`);
  assert.ok(titles.some((t) => /⇄ used by \d+ · imports \d+/.test(t)), `the module map's lens on the file: ${titles}`);
  await vs.shot("1-map-lenses");

  // Clicking the module map's lens (swath.showRun) opens that run's report.
  await lenses.locator("a", { hasText: /⇄ used by/ }).first().click();
  await page.locator(`${ACTIVE} .tabs-container .tab.active`, { hasText: `${runId}.md` }).waitFor({ timeout: 30_000 });
  // Clicking "↻ re-run map-module" (swath.rerun) runs it again: a new run, followed to its end.
  await vs.openFile("app/checkout.py");
  const again = await vs.seenCount();
  await lenses.locator("a", { hasText: /re-run map-module/ }).first().click();
  const rerunId = await followRun(vs, "map-module", again);
  assert.notEqual(rerunId, runId, "the re-run lens started a new run");
}

/** The findings of a run as the store recorded them (`swath show RUN --format json`). */
function recorded(workspace, runId) {
  const out = execFileSync(swathExecutable(), ["show", runId, "--format", "json"], { cwd: workspace, encoding: "utf8" });
  return JSON.parse(out).findings;
}

/** The hover of the squiggle at a 1-based line: the mouse moved over it, as a user does.
 * Retried for a while: lenses arriving late still move the lines. */
async function hoverSquiggle(vs, kind, line, timeout = 20_000) {
  const page = vs.page;
  const squiggles = page.locator(`${ACTIVE} .editor-instance .view-overlays .squiggly-${kind}`);
  const hover = page.locator(".monaco-hover-content", { hasText: /\S/ }).filter({ visible: true }).first();
  const deadline = Date.now() + timeout;
  let found = false;
  while (Date.now() < deadline) {
    const number = page.locator(`${ACTIVE} .editor-instance .margin-view-overlays .line-numbers`).filter({ hasText: new RegExp(`^${line}$`) }).first();
    const top = await number.boundingBox().catch(() => null);
    for (const s of await squiggles.all()) {
      const box = await s.boundingBox().catch(() => null);
      if (!box || !top || box.y >= top.y + top.height || box.y + box.height <= top.y) continue;
      found = true;
      await page.mouse.move(5, 5);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
      try {
        await hover.waitFor({ state: "visible", timeout: 3_000 });
        return { text: await hover.innerText(), box };
      } catch {
        // not shown yet: measure again
      }
    }
    await page.waitForTimeout(300);
  }
  throw new Error(found ? `no hover over the ${kind} squiggle on line ${line}` : `no ${kind} squiggle on line ${line}`);
}

/** Puts the cursor at a 1-based line and column with Ctrl+G. */
async function goTo(vs, line, column) {
  await vs.page.keyboard.press("Control+g");
  await vs.page.locator(".quick-input-widget .quick-input-box input").fill(`:${line}:${column}`);
  await vs.page.keyboard.press("Enter");
}

/** 2. "Swath: Audit Feature Flags" from the palette; Problems, hover, the removal code action. */
async function auditFlags(vs, workspace) {
  const page = vs.page;
  const since = await vs.seenCount();
  await vs.palette("Swath: Audit Feature Flags");
  const runId = await followRun(vs, "flag-audit", since);
  const shown = recorded(workspace, runId).filter((f) => f.severity !== "hint"); // hints are not problems
  log(`${shown.length} findings above hint level`);
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+Shift+m");
  const badge = page.locator(".panel .composite-bar .action-item", { hasText: "Problems" }).locator(".badge-content");
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.textContent.trim() === String(want),
    [".panel .composite-bar .action-item.checked .badge-content", shown.length],
    { timeout: 30_000 },
  ).catch(async () => {
    throw new Error(`Problems badge shows ${await badge.textContent()}, the run recorded ${shown.length} findings above hint level`);
  });
  log(`Problems: ${await badge.textContent()}; status bar ${await page.locator("#status\\.problems").getAttribute("aria-label")}`);
  await vs.shot("2-flags-problems");
  await page.keyboard.press("Control+Shift+m"); // close the panel again

  await vs.openFile("app/shipping.py");
  const { text } = await hoverSquiggle(vs, "info", 6);
  log(`hover: ${text.replace(/\s+/g, " ").slice(0, 160)}`);
  assert.match(text, /Flag `FAST_SHIPPING` is 100% on in production since 2023-01-01/);
  assert.match(text, /remove the check and keep the enabled branch/);
  await vs.shot("2-flags-hover");

  await page.mouse.move(5, 5);
  await goTo(vs, 6, 9);
  // The cursor is there when the status bar says so; the quick-fix menu may open before the
  // server's code actions arrive (then it lists none): ask again until the fix is listed.
  await page.locator("#status\\.editor\\.selection", { hasText: "Ln 6, Col 9" }).waitFor({ timeout: 15_000 });
  const action = page.locator(".action-widget .monaco-list-row", { hasText: /Swath: apply the fix for flag\/fully-on/ }).first();
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press("Control+.");
    try {
      await action.waitFor({ timeout: 5_000 });
      break;
    } catch (err) {
      if (attempt >= 8) throw err;
      await page.keyboard.press("Escape");
    }
  }
  const title = (await action.innerText()).trim();
  log(`code action: ${title}`);
  await vs.shot("2-flags-action");
  // The menu lays a pointer block over itself; the keyboard picks the (focused) fix.
  await page.waitForFunction((el) => el.classList.contains("focused"), await action.elementHandle());
  await page.keyboard.press("Enter");
  // The edit is annotated "needs confirmation": VS Code shows it in the Refactor Preview first.
  // Edits that need confirmation start unticked there: tick the file, then Apply.
  const apply = page.locator(".monaco-button", { hasText: /^Apply$/ }).first();
  await apply.waitFor({ timeout: 15_000 });
  const fileRow = page.locator(".monaco-list-row", { hasText: "shipping.py" }).filter({ has: page.locator("input[type=checkbox]") }).last();
  await fileRow.locator("input[type=checkbox]").first().check();
  await vs.shot("2-flags-preview");
  await apply.click();
  await vs.openFile("app/shipping.py");
  await page.keyboard.press("Control+s");
  const file = path.join(workspace, "app", "shipping.py");
  const deadline = Date.now() + 15_000;
  while (readFileSync(file, "utf8").includes("FAST_SHIPPING") && Date.now() < deadline) await page.waitForTimeout(200);
  const after = readFileSync(file, "utf8");
  assert.equal(
    after,
    'from app.features import Feature\n\n\ndef shipping_options(mode, order):\n    options = ["standard"]\n    options.append("express")\n' +
      '    if Feature.GIFT_WRAP in mode:\n        options.append("gift-wrap")\n    return options\n',
  );
  await vs.shot("2-flags-applied");
}

/** 3. A planted problem in an edit, then "Swath: Review Current Diff" from the SCM title bar. */
async function reviewDiff(vs, workspace) {
  const page = vs.page;
  await vs.openFile("app/payments.py");
  await page.keyboard.press("Control+End");
  const before = readFileSync(path.join(workspace, "app", "payments.py"), "utf8");
  const lines = before.split("\n").length;
  await page.keyboard.press("Enter");
  await page.keyboard.type("\ndef run_hook(cmd):\n", { delay: 5 });
  await page.keyboard.type("return eval(cmd)", { delay: 5 }); // the editor indents it
  await page.keyboard.press("Control+s");
  await page.waitForFunction(() => !document.querySelector(".editor-group-container.active .tabs-container .tab.active.dirty"));
  const planted = readFileSync(path.join(workspace, "app", "payments.py"), "utf8");
  const evalLine = planted.split("\n").findIndex((l) => l.includes("eval(cmd)")) + 1;
  assert.ok(evalLine > lines, `the planted line is after the old end: ${evalLine} > ${lines}`);
  log(`planted eval on line ${evalLine}`);

  await page.keyboard.press("Control+Shift+g");
  // The Source Control view's title bar: the command's icon, labelled by its title.
  const button = page.locator(".pane-header .actions .action-label[aria-label*='Review Current Diff'], .title-actions .action-label[aria-label*='Review Current Diff']").first();
  await button.waitFor({ timeout: 30_000 });
  await vs.shot("3-review-scm");
  await button.click();
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor();
  const since = await vs.seenCount();
  await page.keyboard.press("Enter"); // no base: the working tree against HEAD
  const runId = await followRun(vs, "review-diff", since);
  // The security pass flags the planted eval (ruff's S307 where ruff is installed, Swath's own
  // rule otherwise): whichever it recorded on the added line is what the editor must show.
  const onLine = recorded(workspace, runId).filter((f) => f.path === "app/payments.py" && f.range.start.line === evalLine - 1);
  const finding = onLine.find((f) => /eval/i.test(`${f.rule} ${f.message}`));
  assert.ok(finding, `the run recorded a security finding on the added line ${evalLine}: ${JSON.stringify(onLine)}`);
  const kind = { error: "error", warning: "warning", information: "info" }[finding.severity];
  await vs.openFile("app/payments.py");
  const { text } = await hoverSquiggle(vs, kind, evalLine);
  log(`hover (${kind}): ${text.replace(/\s+/g, " ").slice(0, 160)}`);
  assert.ok(text.includes(finding.message), `the hover shows the recorded finding: ${finding.message}`);
  assert.match(text, /swath\/security/);
  await vs.shot("3-review-diagnostic");
}

export const JOBS = { map: mapModule, flags: auditFlags, review: reviewDiff };
