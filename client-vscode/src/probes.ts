// The real probes behind server command resolution: the PATH, the Python extension's API,
// and a quick `python -c "import swath"`.
import { execFile } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { Probes } from "./serverCommand";

export function whichOn(pathVar: string | undefined, name: string): Promise<string | undefined> {
  const dirs = (pathVar ?? "").split(path.delimiter).filter(Boolean);
  const names = process.platform === "win32" ? [`${name}.exe`, `${name}.cmd`, name] : [name];
  return (async () => {
    for (const dir of dirs) {
      for (const n of names) {
        const candidate = path.join(dir, n);
        try {
          await fs.access(candidate, constants.X_OK);
          if ((await fs.stat(candidate)).isFile()) return candidate;
        } catch {
          // not here; keep looking
        }
      }
    }
    return undefined;
  })();
}

interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment?(env: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

async function selectedInterpreter(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonApi>("ms-python.python");
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const active = api.environments?.getActiveEnvironmentPath(folder);
    if (!active) return undefined;
    const resolved = await api.environments?.resolveEnvironment?.(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch {
    return undefined; // an extension that fails here must not stop Swath from starting
  }
}

function importProblem(python: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(python, ["-c", "import swath"], { timeout: 15000 }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      const last = stderr.trim().split("\n").pop();
      resolve(last || err.message);
    });
  });
}

export function realProbes(): Probes {
  return {
    which: (name) => whichOn(process.env.PATH, name),
    selectedInterpreter,
    importProblem,
  };
}
