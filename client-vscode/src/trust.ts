// Workspace trust: in an untrusted workspace the model engine is off (offline analyzers only),
// the API key is not passed, and the extension says so once per workspace.
import type * as vscode from "vscode";

export const NOTICE_SHOWN = "swath.untrustedNoticeShown";

export const UNTRUSTED_NOTICE =
  "Swath: this workspace is not trusted, so only the offline analyzers run (no model is called and no API key is passed). Trust the workspace to use model agents.";

/** The notice to show now, if any; remembers in `state` that it was shown. */
export function untrustedNotice(trusted: boolean, state: Pick<vscode.Memento, "get" | "update">): string | undefined {
  if (trusted || state.get<boolean>(NOTICE_SHOWN)) return undefined;
  void state.update(NOTICE_SHOWN, true);
  return UNTRUSTED_NOTICE;
}
