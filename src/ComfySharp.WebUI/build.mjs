// Bundles the web UI: node build.mjs [outdir]. Called by ComfySharp.Server's build when the bundle is stale.
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";

const outdir = resolve(process.argv[2] ?? "dist");
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: { app: "src/main.ts" },
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  outdir,
  legalComments: "eof",
  logLevel: "warning",
});
await build({
  entryPoints: { app: "src/app.css" },
  bundle: true,
  minify: true,
  outdir,
  logLevel: "warning",
});
await copyFile("src/index.html", join(outdir, "index.html"));
