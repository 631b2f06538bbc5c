import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { bareImports, bundleServer, isWeightFile, keepPackageFile, listProjectFiles } from "../src/index.js";
import { tempDir } from "./helpers.js";

test("bare imports left in a bundle are found; built-ins are not", () => {
  const code = `import a from "ajv";\nimport { x } from '@scope/pkg/sub';\nconst o = await import("onnxruntime-node");\nimport fs from "node:fs";\nimport p from "path";\nconst r = require("fast-uri");\nimport "./local.js";`;
  assert.deepEqual(bareImports(code), ["@scope/pkg", "ajv", "fast-uri", "onnxruntime-node"]);
});

test("onnxruntime-node is pruned to the target platform", () => {
  const amd64 = { os: "linux", architecture: "amd64" };
  assert.ok(keepPackageFile("onnxruntime-node", "bin/napi-v6/linux/x64/onnxruntime_binding.node", amd64));
  assert.ok(!keepPackageFile("onnxruntime-node", "bin/napi-v6/linux/arm64/onnxruntime_binding.node", amd64));
  assert.ok(!keepPackageFile("onnxruntime-node", "bin/napi-v6/win32/x64/onnxruntime.dll", amd64));
  assert.ok(!keepPackageFile("onnxruntime-node", "bin/napi-v6/darwin/arm64/libonnxruntime.1.dylib", amd64));
  assert.ok(keepPackageFile("onnxruntime-node", "bin/napi-v6/linux/arm64/libonnxruntime.so.1", { os: "linux", architecture: "arm64" }));
  assert.ok(!keepPackageFile("onnxruntime-node", "script/install.js", amd64));
  assert.ok(keepPackageFile("onnxruntime-node", "dist/index.js", amd64));
  assert.ok(!keepPackageFile("ajv", "README.md", amd64));
  assert.ok(keepPackageFile("ajv", "package.json", amd64));
});

test("project files: node_modules and .git skipped; big files and model/ dirs are weights", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "node_modules", "x"), { recursive: true });
  await mkdir(join(dir, ".git"), { recursive: true });
  await mkdir(join(dir, "model"), { recursive: true });
  await writeFile(join(dir, "node_modules", "x", "i.js"), "");
  await writeFile(join(dir, ".git", "HEAD"), "");
  await writeFile(join(dir, "predict.ts"), "x");
  await writeFile(join(dir, "model", "tokenizer.json"), "{}");
  await writeFile(join(dir, "big.onnx"), Buffer.alloc(2_000_000));
  const files = await listProjectFiles(dir);
  assert.deepEqual(files.map((f) => f.rel), ["big.onnx", "model/tokenizer.json", "predict.ts"]);
  assert.deepEqual(files.filter((f) => isWeightFile(f, 1_000_000)).map((f) => f.rel), ["big.onnx", "model/tokenizer.json"]);
});

test("project files: .dockerignore is honoured with Docker's rules (globs, **, ! exceptions, excluded directories); cog.yaml is always read", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "data", "keep"), { recursive: true });
  await mkdir(join(dir, "scratch", "deep"), { recursive: true });
  for (const f of ["cog.yaml", "predict.ts", "output.png", "output.0.wav", "notes.md", "data/a.csv", "data/keep/b.csv", "scratch/deep/x.bin", "src.log"]) {
    await writeFile(join(dir, f), "x");
  }
  await writeFile(join(dir, ".dockerignore"), "# outputs of tscog predict\noutput*\n/scratch\n**/*.log\ndata\n!data/keep\n*.md\ncog.yaml\n");
  const files = await listProjectFiles(dir);
  assert.deepEqual(files.map((f) => f.rel), [".dockerignore", "cog.yaml", "data/keep/b.csv", "predict.ts"]);
});

test("the server bundle ships data files read via new URL(…, import.meta.url)", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "pkg", "dist"), { recursive: true });
  await mkdir(join(dir, "pkg", "schema"), { recursive: true });
  await writeFile(join(dir, "pkg", "schema", "s.json"), '{"ok":true}');
  await writeFile(join(dir, "pkg", "dist", "lib.js"), 'import { readFileSync } from "node:fs";\nexport const schema = JSON.parse(readFileSync(new URL("../schema/s.json", import.meta.url), "utf8"));\n');
  await writeFile(join(dir, "entry.mjs"), 'import { schema } from "./pkg/dist/lib.js";\nconsole.log(schema.ok);\n');
  const a = await bundleServer({ entry: join(dir, "entry.mjs"), outDir: join(dir, "out"), external: [] });
  const b = await bundleServer({ entry: join(dir, "entry.mjs"), outDir: join(dir, "out"), external: [] });
  assert.equal(a.file, b.file);
  assert.equal(a.assets.length, 1);
  assert.match(a.assets[0].path, /^assets\/[0-9a-f]{12}-s\.json$/);
  assert.match(await readFile(a.file, "utf8"), new RegExp(`new URL\\("\\./${a.assets[0].path.replace(/[.]/g, "\\.")}", import\\.meta\\.url\\)`));
});
