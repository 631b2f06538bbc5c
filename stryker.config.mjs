// Mutation testing (Stryker) over the compiled core modules, driven by node:test
// through Stryker's `command` runner. Not part of CI (too slow on two cores):
// run `node scripts/mutation.mjs [target ...]` (see CONTRIBUTING.md, "Coverage and mutation").
// Each target mutates compiled JS in packages/*/dist/src and runs the tests that
// cover it; build first (`npx tsc -b`), the script does.

import { existsSync, readFileSync } from "node:fs";

/**
 * `file:start-end` covering the lines from the first match of `from` up to (not including) the
 * first match of `to` after it, so a target can mutate part of a compiled file without
 * hard-coding line numbers that move with every edit.
 */
function linesOf(file, from, to) {
  if (!existsSync(file)) return file;
  const lines = readFileSync(file, "utf8").split("\n");
  const start = lines.findIndex((l) => from.test(l));
  const end = lines.findIndex((l, i) => i > start && to.test(l));
  return start < 0 ? file : `${file}:${start + 1}-${end < 0 ? lines.length : end}`;
}

/** Targets: the files to mutate and the node:test command that must kill the mutants. */
export const targets = {
  "sdk-validation": {
    build: "packages/sdk",
    mutate: ["packages/sdk/dist/src/validate.js", "packages/sdk/dist/src/input-schema.js", "packages/sdk/dist/src/input-declarations.js"],
    command: "node --test packages/sdk/dist/test/validate.test.js packages/sdk/dist/test/input-schema.test.js packages/sdk/dist/test/null-inputs.test.js packages/sdk/dist/test/input-declarations.test.js",
  },
  "image-layer": {
    build: "packages/image",
    mutate: ["packages/image/dist/src/layer.js", "packages/image/dist/src/digest.js", "packages/image/dist/src/layer-cache.js"],
    // Every test of these two files except the slow "a project image" one.
    command: "node --test '--test-name-pattern=same plan|diff_ids|a changed layer|gpu without|cache key|source file|digest and size|LayerCache|defaultCacheDir|digests' packages/image/dist/test/layer.test.js packages/image/dist/test/builder.test.js",
  },
  // The sampler's own paths (repetition penalty; greedy, top-k and top-p over the k candidates): ~5 min.
  "engine-sampler-paths": {
    build: "packages/engine",
    mutate: [
      linesOf("packages/engine/dist/src/sampler.js", /^export function repetitionPenalty/, /^export function topKIndices/),
      linesOf("packages/engine/dist/src/sampler.js", /^export class Sampler/, /^function check/),
    ],
    command: "node --test packages/engine/dist/test/sampler.test.js packages/engine/dist/test/sampling-distribution.test.js",
  },
  // All of sampler.js and softmax-sampling.js (~460 mutants, ~15 s a run: about an hour on two cores).
  "engine-sampler": {
    build: "packages/engine",
    mutate: ["packages/engine/dist/src/sampler.js", "packages/engine/dist/src/softmax-sampling.js"],
    command: "node --test packages/engine/dist/test/sampler.test.js packages/engine/dist/test/softmax-sampling.test.js packages/engine/dist/test/sampling-distribution.test.js",
  },
  "engine-detokenizer": {
    build: "packages/engine",
    mutate: ["packages/engine/dist/src/detokenizer.js", "packages/engine/dist/src/byte-level-detokenizer.js"],
    command: "node --test packages/engine/dist/test/detokenizer.test.js packages/engine/dist/test/byte-level-detokenizer.test.js",
  },
  // The ONNX session wrapper and the batch's KV cache (pad, join, drop rows), under the tests that run real sessions.
  "engine-decoder": {
    build: "packages/engine",
    mutate: ["packages/engine/dist/src/onnx-decoder.js", "packages/engine/dist/src/kv-batch.js"],
    command:
      "node --test packages/engine/dist/test/onnx-decoder-exports.test.js packages/engine/dist/test/model-files.test.js packages/engine/dist/test/kv-batch.test.js packages/engine/dist/test/float32-cache.test.js packages/engine/dist/test/fp16-logits.test.js packages/engine/dist/test/batching.test.js packages/engine/dist/test/text-generator.test.js packages/engine/dist/test/generation-limits.test.js",
  },
  "server-events": {
    build: "packages/server",
    mutate: ["packages/server/dist/src/predictions/prediction.js", "packages/server/dist/src/predictions/event-stream.js", "packages/server/dist/src/http/sse-encoder.js"],
    // Unit tests only (no servers): the three new files import single modules, not the package index, to keep each rerun short.
    command:
      "node --test packages/server/dist/test/event-stream.test.js packages/server/dist/test/prediction-events.test.js packages/server/dist/test/sse-encoder-edges.test.js packages/server/dist/test/prediction.test.js packages/server/dist/test/sse-encoder.test.js packages/server/dist/test/event-batch.test.js",
  },
};

/** Options shared by every target (the script adds mutate, command and the report paths). */
export default {
  testRunner: "command",
  coverageAnalysis: "off",
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 30_000,
  reporters: ["clear-text", "progress", "json"],
  // Copy only what the tests read into Stryker's sandbox; node_modules is symlinked.
  ignorePatterns: ["/*", "!/packages", "!/package.json", "!/templates", "/packages/*/src", "/packages/*/test/*", "!/packages/*/test/fixtures", "/packages/*/*.tsbuildinfo", "/.tscog", "/reports"],
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
