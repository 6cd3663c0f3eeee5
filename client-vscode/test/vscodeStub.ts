// The parts of the `vscode` module the tested modules touch, recording what they do.
// esbuild aliases `vscode` to this file for the unit tests (esbuild.mjs --tests).

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class Disposable {
  constructor(private readonly fn: () => void) {}
  dispose(): void {
    this.fn();
  }
}

export interface FakeStatusBarItem {
  id: string;
  alignment: StatusBarAlignment;
  priority: number;
  name?: string;
  text: string;
  tooltip?: string;
  command?: string;
  backgroundColor?: ThemeColor;
  accessibilityInformation?: { label: string; role?: string };
  visible: boolean;
  disposed: boolean;
  show(): void;
  hide(): void;
  dispose(): void;
}

export const created: FakeStatusBarItem[] = [];

export const window = {
  createStatusBarItem(id: string, alignment: StatusBarAlignment, priority: number): FakeStatusBarItem {
    const item: FakeStatusBarItem = {
      id,
      alignment,
      priority,
      text: "",
      visible: false,
      disposed: false,
      show() {
        this.visible = true;
      },
      hide() {
        this.visible = false;
      },
      dispose() {
        this.disposed = true;
      },
    };
    created.push(item);
    return item;
  },
};

/** A WorkspaceConfiguration over a plain object of (section-relative) keys. */
export function configuration(values: Record<string, unknown>) {
  return {
    get<T>(key: string, fallback?: T): T | undefined {
      return key in values ? (values[key] as T) : fallback;
    },
  };
}

/** A Memento over a Map. */
export function memento() {
  const data = new Map<string, unknown>();
  return {
    data,
    get<T>(key: string): T | undefined {
      return data.get(key) as T | undefined;
    },
    update(key: string, value: unknown): Promise<void> {
      data.set(key, value);
      return Promise.resolve();
    },
  };
}
