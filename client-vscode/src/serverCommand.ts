// Which command starts the language server. In order: the `swath.server.command` setting;
// `swath` on the PATH; the interpreter the Python extension has selected, with `-m swath`;
// `python3 -m swath`. The first that can work is used; if none can, one message says how to
// install Swath instead of a stack of errors.

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it came from, for the log and the error message. */
  source: "setting" | "path" | "python-extension" | "python3";
}

export interface Probes {
  /** The absolute path of an executable on the PATH, if any. */
  which(name: string): Promise<string | undefined>;
  /** The Python extension's selected interpreter for the workspace, if the extension is there. */
  selectedInterpreter(): Promise<string | undefined>;
  /** undefined when `python -c "import swath"` works, else what went wrong. */
  importProblem(python: string): Promise<string | undefined>;
}

export type Resolution = { ok: true; server: ServerCommand; tried: string[] } | { ok: false; tried: string[] };

export const INSTALL_HINT =
  "Install Swath into a Python 3.11+ environment (`pip install swath`, or `pip install -e .` in a Swath checkout) so that `swath` is on the PATH, select that environment with the Python extension, or set `swath.server.command`.";

export async function resolveServerCommand(setting: readonly string[] | undefined, probes: Probes): Promise<Resolution> {
  const tried: string[] = [];
  const given = (setting ?? []).filter((s) => s.trim() !== "");
  if (given.length > 0) {
    return { ok: true, server: { command: given[0], args: given.slice(1), source: "setting" }, tried };
  }
  const swath = await probes.which("swath");
  if (swath) return { ok: true, server: { command: swath, args: ["lsp"], source: "path" }, tried };
  tried.push("`swath` is not on the PATH");

  const selected = await probes.selectedInterpreter();
  if (selected) {
    const problem = await probes.importProblem(selected);
    if (problem === undefined) {
      return { ok: true, server: { command: selected, args: ["-m", "swath", "lsp"], source: "python-extension" }, tried };
    }
    tried.push(`the selected interpreter ${selected}: ${problem}`);
  }
  const python3 = await probes.which("python3");
  if (python3) {
    const problem = await probes.importProblem(python3);
    if (problem === undefined) {
      return { ok: true, server: { command: python3, args: ["-m", "swath", "lsp"], source: "python3" }, tried };
    }
    tried.push(`${python3}: ${problem}`);
  } else {
    tried.push("`python3` is not on the PATH");
  }
  return { ok: false, tried };
}

export function notFoundMessage(tried: readonly string[]): string {
  return `Swath: the language server could not be started (${tried.join("; ")}). ${INSTALL_HINT}`;
}

export function describe(server: ServerCommand): string {
  return [server.command, ...server.args].join(" ");
}
