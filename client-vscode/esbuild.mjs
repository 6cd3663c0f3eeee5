// Bundles the extension (dist/extension.js) or the unit tests (out/test/*.js, with the
// `vscode` module replaced by test/vscodeStub.ts so they run under plain Node).
import * as esbuild from "esbuild";
import { readdirSync } from "node:fs";

const args = new Set(process.argv.slice(2));
const production = args.has("--production");

if (args.has("--tests")) {
  const entryPoints = readdirSync("test")
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => `test/${f}`);
  await esbuild.build({
    entryPoints,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outdir: "out/test",
    alias: { vscode: "./test/vscodeStub.ts" },
    logLevel: "warning",
  });
} else {
  const options = {
    entryPoints: ["src/extension.ts"],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile: "dist/extension.js",
    external: ["vscode"],
    minify: production,
    sourcemap: !production,
    logLevel: "warning",
  };
  if (args.has("--watch")) await (await esbuild.context(options)).watch();
  else await esbuild.build(options);
}
