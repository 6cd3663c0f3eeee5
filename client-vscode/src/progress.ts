// The server's work-done progress as a notification with a cancel button. vscode-languageclient
// shows server-initiated progress in the status bar only, where its cancel button cannot be
// clicked; this feature answers window/workDoneProgress/create in its place.
import * as vscode from "vscode";
import {
  type BaseLanguageClient,
  type StaticFeature,
  WorkDoneProgress,
  type WorkDoneProgressBegin,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  type WorkDoneProgressReport,
  type ProgressToken,
} from "vscode-languageclient";

export class NotificationProgressFeature implements StaticFeature {
  private readonly parts = new Set<vscode.Disposable>();

  constructor(
    private readonly client: BaseLanguageClient,
    private readonly onEvent: () => void,
  ) {}

  getState() {
    return { kind: "static" as const };
  }

  fillClientCapabilities(capabilities: { window?: { workDoneProgress?: boolean } }): void {
    capabilities.window = { ...capabilities.window, workDoneProgress: true };
  }

  initialize(): void {
    // Registered after the built-in progress feature, so this handler replaces its own.
    this.client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      this.parts.add(this.track(token));
    });
  }

  private track(token: ProgressToken): vscode.Disposable {
    let finish: (() => void) | undefined;
    let reported = 0;
    let progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
    let pending: WorkDoneProgressBegin | WorkDoneProgressReport | undefined;
    const report = (value: WorkDoneProgressBegin | WorkDoneProgressReport) => {
      if (!progress) {
        pending = value;
        return;
      }
      const pct = typeof value.percentage === "number" ? Math.max(0, Math.min(100, value.percentage)) : reported;
      progress.report({ message: value.message, increment: Math.max(0, pct - reported) });
      reported = Math.max(reported, pct);
    };
    const sub = this.client.onProgress(WorkDoneProgress.type, token, (value) => {
      this.onEvent();
      if (value.kind === "begin") {
        void vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: value.title, cancellable: value.cancellable === true },
          (p, cancel) => {
            progress = p;
            report(pending ?? value); // reports that came while the notification was opening
            pending = undefined;
            cancel.onCancellationRequested(() => {
              void this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
            });
            return new Promise<void>((resolve) => (finish = resolve));
          },
        );
      } else if (value.kind === "report") {
        report(value);
      } else {
        done.dispose();
      }
    });
    const done = new vscode.Disposable(() => {
      sub.dispose();
      finish?.();
      this.parts.delete(done);
    });
    return done;
  }

  clear(): void {
    for (const part of [...this.parts]) part.dispose();
  }

  dispose(): void {
    this.clear();
  }
}
