// Where a run's Markdown report opens: in the Markdown preview, in the editor group that
// already shows a Swath report if there is one, else beside the code. Opening every report
// "to the side" of whatever is active would add an editor group per run.
import * as vscode from "vscode";

/** The markdown extension's preview as a custom editor ("Open With… Markdown Preview"). */
export const PREVIEW_EDITOR = "vscode.markdown.preview.editor";

/** Reports the server asks to show (`.swath/reports/RUN.md`). */
export function isReport(uri: vscode.Uri): boolean {
  return /\/\.swath\/reports\/[^/]+\.md$/.test(uri.path);
}

interface GroupLike {
  viewColumn: vscode.ViewColumn;
  tabs: readonly { input: unknown }[];
}

/** The column of the group showing a report in the preview; `fallback` when none does. */
export function reportColumn(groups: readonly GroupLike[], fallback: vscode.ViewColumn): vscode.ViewColumn {
  for (const group of groups) {
    for (const tab of group.tabs) {
      const input = tab.input as { viewType?: unknown; uri?: { path?: unknown } } | undefined; // TabInputCustom
      if (input?.viewType === PREVIEW_EDITOR && typeof input.uri?.path === "string" && isReport(input.uri as vscode.Uri)) {
        return group.viewColumn;
      }
    }
  }
  return fallback;
}

export async function openReport(uri: vscode.Uri, focus = false): Promise<void> {
  const viewColumn = reportColumn(vscode.window.tabGroups.all, vscode.ViewColumn.Beside);
  try {
    await vscode.commands.executeCommand("vscode.openWith", uri, PREVIEW_EDITOR, { viewColumn, preserveFocus: !focus, preview: false });
  } catch {
    await vscode.window.showTextDocument(uri, { viewColumn, preview: true, preserveFocus: !focus }); // no Markdown extension
  }
}
