import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "@tscog/sdk";
import { parseConfig, loadProject, projectEnvironment } from "../src/index.js";
import { makeProject } from "../src/testing.js";

function fails(text: string, pattern: RegExp, line?: number) {
  assert.throws(
    () => parseConfig(text, "cog.yaml"),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, pattern);
      if (line !== undefined) assert.equal(err.line, line);
      return true;
    },
  );
}

test("a full config parses", () => {
  const c = parseConfig(
    [
      "build:",
      "  gpu: true",
      '  node_version: "20"',
      "  system_packages: [libgomp1]",
      "  base_image: node:20-bookworm-slim",
      'predict: "predict.ts:Predictor"',
      "image: registry.example.com/me/model",
      "concurrency:",
      "  max: 4",
      "environment:",
      "  - HF_HOME=/tmp",
    ].join("\n"),
    "cog.yaml",
  );
  assert.equal(c.build?.gpu, true);
  assert.equal(c.concurrency?.max, 4);
});

test("unknown keys name the line and suggest the nearest key", () =>
  fails('predict: "p.ts:P"\nbuild:\n  gpus: true\n', /cog\.yaml:3: unknown key "gpus" under "build" \(did you mean "gpu"\?\); allowed keys: gpu, node_version/, 3));
test("top-level typos", () => fails('predcit: "p.ts:P"\n', /unknown key "predcit" at the top level \(did you mean "predict"\?\)/, 1));
test("wrong types name field and line", () => fails('predict: "p.ts:P"\nconcurrency:\n  max: lots\n', /cog\.yaml:3: "concurrency\.max" must be a integer/, 3));
test("out of range", () => fails('predict: "p.ts:P"\nconcurrency:\n  max: 0\n', /"concurrency\.max" must be >= 1/, 3));
test("bad predict reference explains the format", () => fails("predict: predict.ts\n", /"predict" has an invalid value \(The predictor, as FILE:CLASS\.\)/, 1));
test("missing predict", () => fails("build:\n  gpu: false\n", /"predict" is required/));
test("invalid YAML gives line and column", () => fails('predict: "p.ts:P"\nbuild: [\n', /cog\.yaml:\d+:\d+: cog\.yaml is not valid YAML/));
test("environment entries must be NAME=value", () => fails('predict: "p.ts:P"\nenvironment:\n  - "1BAD"\n', /environment\.0/, 3));

test("loadProject: missing cog.yaml and missing predictor file", async () => {
  const empty = makeProject({});
  await assert.rejects(loadProject(empty), /No cog\.yaml found at .*tscog init/);
  const dir = makeProject({ "cog.yaml": 'predict: "nope.ts:Predictor"\n' });
  await assert.rejects(loadProject(dir), (err: any) => err.code === "PREDICTOR_LOAD" && /names nope\.ts, which does not exist/.test(err.message));
});

test("projectEnvironment: environment entries and the GPU settings the engine reads", () => {
  const config = parseConfig('predict: "p.ts:P"\nbuild:\n  gpu: true\n  cpu_fallback: true\nenvironment:\n  - A=1=2\n', "cog.yaml");
  assert.deepEqual(projectEnvironment(config), { TSCOG_GPU: "1", TSCOG_CPU_FALLBACK: "1", A: "1=2" });
  assert.deepEqual(projectEnvironment(parseConfig('predict: "p.ts:P"\n', "cog.yaml")), {});
});
