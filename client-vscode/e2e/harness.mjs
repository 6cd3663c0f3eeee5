// A real VS Code (code-server) in headless Chromium, driven by playwright-core: start it on a
// fresh profile, install the .vsix, open a workspace, and helpers that act as a user would.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as net from "node:net";

const HERE = path.dirname(new URL(import.meta.url).pathname);
export const TOOLS = process.env.SWATH_E2E_TOOLS || path.join(HERE, ".tools");
export const CODE_SERVER = path.join(TOOLS, "cs", "node_modules", ".bin", "code-server");
export const CHROMIUM = process.env.SWATH_E2E_CHROMIUM || "/usr/bin/chromium";
export const SHOTS = path.join(HERE, "screenshots");
/** The editor group that has focus: reports open to the side, so there are several. */
export const ACTIVE = ".editor-group-container.active";

const require = createRequire(path.join(TOOLS, "pw", "package.json"));

export function log(message) {
  process.stdout.write(`e2e ${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

const USER_SETTINGS = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "security.workspace.trust.enabled": false,
  "git.openRepositoryInParentFolders": "always",
  "git.autoRepositoryDetection": true,
  "git.autofetch": false,
  "editor.codeLens": true,
  "editor.minimap.enabled": false,
  "editor.hover.delay": 200,
  "files.autoSave": "off",
  "window.commandCenter": false,
  "chat.commandCenter.enabled": false,
  "workbench.colorTheme": "Default Light Modern",
};

/** A copy of an example repository, committed with a fixed date (so flags have a history). */
export function makeWorkspace(example, parent) {
  const root = path.join(parent, path.basename(example));
  execFileSync("cp", ["-r", example, root]);
  execFileSync("rm", ["-rf", path.join(root, ".swath", "swath.db"), path.join(root, ".swath", "reports")]);
  const env = {
    ...process.env,
    GIT_AUTHOR_DATE: "2023-01-01T12:00:00+00:00",
    GIT_COMMITTER_DATE: "2023-01-01T12:00:00+00:00",
    GIT_AUTHOR_NAME: "Demo",
    GIT_AUTHOR_EMAIL: "demo@example.com",
    GIT_COMMITTER_NAME: "Demo",
    GIT_COMMITTER_EMAIL: "demo@example.com",
  };
  const git = (...args) => execFileSync("git", args, { cwd: root, env, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "demo");
  return root;
}

export function swathExecutable() {
  const candidates = [path.resolve(HERE, "..", "..", ".venv", "bin", "swath"), ...(process.env.PATH ?? "").split(path.delimiter).map((d) => path.join(d, "swath"))];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error("no `swath` executable: run scripts/bootstrap.sh first");
  return found;
}

export class VSCode {
  constructor() {
    this.dir = mkdtempSync(path.join(tmpdir(), "swath-e2e-"));
    this.user = path.join(this.dir, "user");
    this.ext = path.join(this.dir, "ext");
    this.proc = undefined;
    this.browser = undefined;
    this.page = undefined;
    this.serverLog = [];
  }

  env() {
    const venvBin = path.resolve(HERE, "..", "..", ".venv", "bin");
    const PATH = existsSync(venvBin) ? `${venvBin}${path.delimiter}${process.env.PATH}` : process.env.PATH;
    const env = { ...process.env, PATH, XDG_CONFIG_HOME: path.join(this.dir, "xdg-config"), XDG_DATA_HOME: path.join(this.dir, "xdg-data") };
    for (const k of Object.keys(env)) if (k.startsWith("ANTHROPIC")) delete env[k]; // offline analyzers only
    return env;
  }

  installExtension(vsix) {
    mkdirSync(path.join(this.user, "User"), { recursive: true });
    // VS Code's server takes PATH from a login shell, so .venv/bin on this PATH does not reach
    // the extension; the setting names the server instead (PATH lookup has its unit test).
    const settings = { ...USER_SETTINGS, "swath.server.command": [swathExecutable(), "lsp"] };
    writeFileSync(path.join(this.user, "User", "settings.json"), JSON.stringify(settings, null, 1));
    const t = Date.now();
    execFileSync(CODE_SERVER, ["--user-data-dir", this.user, "--extensions-dir", this.ext, "--force", "--install-extension", vsix], {
      env: this.env(),
      stdio: "pipe",
    });
    log(`installed ${path.basename(vsix)} in ${Date.now() - t} ms`);
  }

  async start(workspace) {
    this.port = await freePort();
    const args = [
      "--auth", "none", "--bind-addr", `127.0.0.1:${this.port}`, "--disable-telemetry", "--disable-update-check",
      "--disable-workspace-trust", "--disable-getting-started-override", "--user-data-dir", this.user, "--extensions-dir", this.ext, workspace,
    ];
    // detached: its own process group (setsid), so stop() ends its children too.
    this.proc = spawn(CODE_SERVER, args, { env: this.env(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    for (const s of [this.proc.stdout, this.proc.stderr]) s.on("data", (d) => this.serverLog.push(String(d)));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (r.ok) break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const { chromium } = require("playwright-core");
    this.context = await chromium.launchPersistentContext(path.join(this.dir, "chromium"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 900 },
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    });
    this.page = this.context.pages()[0] ?? (await this.context.newPage());
    this.page.setDefaultTimeout(30_000);
    await this.page.goto(`http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(workspace)}`);
    await this.page.waitForSelector(".monaco-workbench .explorer-folders-view .monaco-list-row", { timeout: 90_000 });
    await this.watch();
    // Notification toasts are drawn only from the workbench's Restored phase on: a progress
    // notification that opens and closes before it is never drawn at all (the cause of the
    // "progress never seen" flake). The workbench marks that moment with a performance mark.
    await this.page.waitForFunction(() => performance.getEntriesByName("code/didStartWorkbench").length > 0, null, { timeout: 90_000 });
  }

  /** Records every notification shown (each toast's texts, and whether it had a Cancel
   * button) and every state of Swath's status bar item, so that nothing short-lived is missed
   * between two looks: the page itself reports each change as it happens. */
  async watch() {
    await this.page.evaluate(() => {
      window.__swathSeen = [];
      window.__swathStatus = [];
      const last = new WeakMap();
      const look = () => {
        for (const item of document.querySelectorAll(".notification-list-item")) {
          const el = item.querySelector(".notification-list-item-message");
          const text = el?.textContent.replace(/\s+/g, " ").trim();
          if (!text || last.get(el) === text) continue;
          last.set(el, text);
          const cancel = [...item.querySelectorAll(".action-label, .monaco-button")].some((a) => /cancel/i.test(a.getAttribute("aria-label") ?? a.textContent));
          window.__swathSeen.push({ text, cancel, toast: !!item.closest(".notification-toast") });
        }
        const label = document.querySelector(".statusbar-item[id$='swath.runs'] [aria-label]")?.getAttribute("aria-label");
        if (label && window.__swathStatus.at(-1) !== label) window.__swathStatus.push(label);
      };
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["aria-label", "class"] });
      look();
    });
  }

  async notificationsSeen() {
    return this.page.evaluate(() => window.__swathSeen);
  }

  async statusSeen() {
    return this.page.evaluate(() => window.__swathStatus);
  }

  /** How many notifications were seen so far: pass it as `since` to wait for a newer one. */
  async seenCount() {
    return (await this.notificationsSeen()).length;
  }

  /** The first notification since the `since`-th whose text matches; polls the record the page keeps. */
  async waitForNotification(re, { since = 0, timeout = 60_000 } = {}) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const hit = (await this.notificationsSeen()).slice(since).find((n) => re.test(n.text));
      if (hit) return hit;
      await this.page.waitForTimeout(100);
    }
    throw new Error(`no notification matching ${re} in ${timeout} ms; seen: ${JSON.stringify(await this.notificationsSeen())}`);
  }

  /** Waits until Swath's status bar item says `re` (its accessible label: the state in words). */
  async waitForStatus(re, timeout = 60_000) {
    const item = this.page.locator(".statusbar-item[id$='swath.runs'] [aria-label]");
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const label = await item.getAttribute("aria-label", { timeout: 1_000 }).catch(() => null);
      if (label && re.test(label)) return label;
      await this.page.waitForTimeout(100);
    }
    throw new Error(`the Swath status bar item never said ${re}; it said ${JSON.stringify(await this.statusSeen())}`);
  }

  async shot(name) {
    mkdirSync(SHOTS, { recursive: true });
    const file = path.join(SHOTS, `${name}.png`);
    await this.page.screenshot({ path: file });
    log(`screenshot ${path.relative(process.cwd(), file)}`);
    return file;
  }

  /** F1, the command's title, Enter: the command palette as a user uses it. */
  async palette(title) {
    const page = this.page;
    const input = page.locator(".quick-input-widget .quick-input-box input");
    const row = page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first();
    // The first palette of a session can answer "No matching commands" before the
    // extensions' commands are known, and an editor opening meanwhile closes the palette:
    // open it and type again until the command is listed.
    for (let attempt = 0; ; attempt++) {
      try {
        await page.keyboard.press("Escape");
        await page.keyboard.press("F1");
        await input.waitFor({ timeout: 20_000 });
        await input.fill(">", { timeout: 15_000 });
        await input.pressSequentially(title, { delay: 10, timeout: 45_000 });
        await row.waitFor({ timeout: 5_000 });
        break;
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
    await page.keyboard.press("Enter");
  }

  /** Ctrl+P, the path, Enter; waits for its editor tab. */
  async openFile(rel) {
    const page = this.page;
    // A report just opened in the Markdown preview (a webview) keeps the keyboard: take it back.
    await page.locator(".part.sidebar .composite.title").first().click();
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+p");
    const input = page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor();
    await input.fill(rel);
    // Enter opens the focused row: wait until the filter has put the file there (before, the
    // focused row can still be a recently opened editor).
    await page.locator(".quick-input-widget .monaco-list-row.focused", { hasText: path.basename(rel) }).first().waitFor();
    await page.keyboard.press("Enter");
    await page.locator(`${ACTIVE} .tabs-container .tab.active[data-resource-name="${path.basename(rel)}"]`).waitFor();
    await page.locator(`${ACTIVE} .editor-instance .monaco-editor .view-lines`).first().waitFor();
  }

  explorerRow(name) {
    return this.page.locator(".explorer-folders-view .monaco-list-row").filter({ has: this.page.locator(".label-name", { hasText: new RegExp(`^${name}$`) }) });
  }

  /** Right-click `target`, pick `item`. The workbench's menu drops a click that comes too
   * soon after it opened (on a loaded machine the menu stayed open, its entry highlighted, and
   * nothing ran): a menu still open after the click gets the highlighted entry by Enter. */
  async contextMenu(target, item) {
    await target.click({ button: "right" });
    const entry = this.page.locator(".context-view .action-label", { hasText: item }).first();
    await entry.waitFor();
    await entry.click();
    for (let attempt = 0; ; attempt++) {
      try {
        await entry.waitFor({ state: "hidden", timeout: 3_000 });
        return;
      } catch (err) {
        if (attempt >= 4) throw new Error(`the context menu entry ${item} did not run: ${err.message}`);
      }
      log(`context menu still open after picking ${item}: Enter on it`);
      await entry.hover();
      await this.page.keyboard.press("Enter");
    }
  }

  /** The log the extension's output channel wrote (LogOutputChannel files under logs/). */
  extensionLog() {
    const out = [];
    const walk = (d) => {
      for (const f of readdirSync(d)) {
        const p = path.join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/Swath/.test(f)) out.push(`--- ${p}\n${readFileSync(p, "utf8").slice(-6000)}`);
      }
    };
    try {
      walk(path.join(this.user, "logs"));
    } catch {
      // no logs yet
    }
    return out.join("\n");
  }

  /** Stops code-server (its whole process group) and Chromium; the profile and the workspace
   * copy are removed unless `keep` (a failed run keeps them for a look). */
  async stop({ keep = false } = {}) {
    await this.context?.close().catch(() => undefined);
    if (this.proc?.pid) {
      try {
        process.kill(-this.proc.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await new Promise((r) => setTimeout(r, 500));
      try {
        process.kill(-this.proc.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    if (keep) log(`kept ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}
