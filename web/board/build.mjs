// One command builds the board into the hub's package: `npm run build` (make board runs it).
import { cp, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));
const served = fileURLToPath(new URL("../../hub/board/static", import.meta.url));
// Built beside the served folder, then swapped in: a running hub never sees half a build.
const out = `${served}.building/`;

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { board: "src/main.js" },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  outdir: out,
  metafile: true,
  legalComments: "linked",
  loader: { ".png": "file" },
  assetNames: "images/[name]",
  logLevel: "warning",
});
await cp(`${here}src/index.html`, `${out}index.html`);
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
await writeFile(`${out}.built`, `${new Date().toISOString()} ${bytes} bytes\n`);
await rm(served, { recursive: true, force: true });
await rename(out, served);
console.log(`board built into hub/board/static (${Math.round(bytes / 1024)} KiB)`);
