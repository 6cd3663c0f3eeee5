import assert from "node:assert/strict";
import { test } from "node:test";
import { isReport, PREVIEW_EDITOR, reportColumn } from "../src/reports";

const uri = (path: string) => ({ path }) as never;
const BESIDE = -2;

test("reports are the server's .swath/reports/RUN.md, nothing else", () => {
  assert.equal(isReport(uri("/ws/.swath/reports/20261202-144213-f01329.md")), true);
  assert.equal(isReport(uri("/ws/README.md")), false);
  assert.equal(isReport(uri("/ws/.swath/reports/old/x.md")), false);
});

test("a report opens in the group already showing one, else beside the code", () => {
  const code = { input: { uri: uri("/ws/app/checkout.py") } };
  const report = { input: { viewType: PREVIEW_EDITOR, uri: uri("/ws/.swath/reports/r1.md") } };
  const otherPreview = { input: { viewType: PREVIEW_EDITOR, uri: uri("/ws/README.md") } };
  const webview = { input: { viewType: "mainThreadWebview-markdown.preview" } };
  assert.equal(reportColumn([{ viewColumn: 1, tabs: [code] }], BESIDE), BESIDE);
  assert.equal(reportColumn([{ viewColumn: 1, tabs: [code, otherPreview, webview] }], BESIDE), BESIDE);
  assert.equal(reportColumn([{ viewColumn: 1, tabs: [code] }, { viewColumn: 2, tabs: [webview, report] }], BESIDE), 2);
  assert.equal(reportColumn([], BESIDE), BESIDE);
});
