import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeProject } from "@tscog/runtime/testing";
import { runCli } from "./run-cli.js";

const PROJECT = {
  "cog.yaml": 'predict: "predict.ts:Predictor"\nenvironment:\n  - OMP_NUM_THREADS=2\n',
  "predict.ts": `import { BasePredictor } from "tscog";
export class Predictor extends BasePredictor {
  async predict(): Promise<string> { return "ok"; }
}
`,
  "model/weights.bin": "w".repeat(5000),
};

interface Summary {
  platform: string;
  base: string;
  layers: { name: string; files: number; bytes: number; groups: { path: string; files: number; bytes: number; source: string }[] }[];
  config: { Entrypoint: string[]; Env: string[]; Labels: Record<string, string>; User: string };
}

test("tscog debug prints the build plan (layers, sources, sizes, labels, env, entrypoint) without building a layer", { timeout: 300_000 }, async (t) => {
  const dir = makeProject(PROJECT);
  const cache = mkdtempSync(join(tmpdir(), "tscog-debug-cache-"));
  t.after(() => rmSync(cache, { recursive: true, force: true }));
  const env = { TSCOG_CACHE_DIR: cache };

  const json = await runCli(["debug", "--json"], { cwd: dir, env });
  assert.equal(json.code, 0, json.stderr);
  const plan = JSON.parse(json.stdout) as Summary;
  assert.deepEqual(plan.layers.map((l) => l.name), ["base", "dependencies", "weights", "code"]);
  assert.match(plan.base, /offline base/);
  const weights = plan.layers[2]!.groups.find((g) => g.path === "/src/model/weights.bin");
  assert.deepEqual(weights, { path: "/src/model/weights.bin", files: 1, bytes: 5000, source: join(dir, "model/weights.bin") });
  const code = plan.layers[3]!.groups.map((g) => [g.path, g.source]);
  assert.deepEqual(code.find(([p]) => p === "/src/predict.ts"), ["/src/predict.ts", join(dir, "predict.ts")]);
  assert.deepEqual(code.find(([p]) => p === "/src/.tscog/predictor.mjs"), ["/src/.tscog/predictor.mjs", "(generated)"]);
  const onnx = plan.layers[1]!.groups.find((g) => g.path === "/opt/tscog/node_modules/onnxruntime-node");
  assert.ok(onnx && onnx.files > 1 && onnx.bytes > 1_000_000, "a package is one group with its file count and size");
  assert.deepEqual(plan.config.Entrypoint, ["node", "/opt/tscog/server.mjs"]);
  assert.ok(plan.config.Env.includes("TSCOG_PROJECT_DIR=/src"));
  assert.equal(JSON.parse(plan.config.Labels["run.cog.config"]!).environment[0], "OMP_NUM_THREADS=2");
  assert.equal(plan.config.User, "1000:1000");
  // Planning builds nothing: no layer blob was written to the cache.
  assert.equal(existsSync(join(cache, "blobs")), false);

  const text = await runCli(["debug"], { cwd: dir, env });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^FROM tscog offline base/m);
  assert.match(text.stdout, /^# layer 3: weights, 1 file, 5\.00 kB uncompressed$/m);
  assert.match(text.stdout, new RegExp(`^COPY ${join(dir, "predict.ts")} /src/predict\\.ts  # \\d+ B$`, "m"));
  assert.match(text.stdout, /^ENTRYPOINT \["node","\/opt\/tscog\/server\.mjs"\]$/m);
  assert.match(text.stdout, /^LABEL run\.cog\.openapi_schema="\{.*… \(\d/m);
  assert.match(text.stdout, /^ENV NODE_ENV=production$/m);
});
