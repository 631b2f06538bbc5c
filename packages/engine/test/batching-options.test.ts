import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_BATCHING, resolveBatching } from "../src/batching-options.js";

test("batching limits come from options, then the environment, then the defaults", () => {
  assert.deepEqual(resolveBatching({}, {}), DEFAULT_BATCHING);
  assert.deepEqual(resolveBatching({}, { TSCOG_BATCH_MAX_ROWS: "4", TSCOG_BATCH_MAX_TOKENS: "1000" }), { ...DEFAULT_BATCHING, maxRows: 4, maxCachedTokens: 1000 });
  assert.deepEqual(resolveBatching({ maxRows: 2, prefillChunk: 64 }, { TSCOG_BATCH_MAX_ROWS: "4" }), { ...DEFAULT_BATCHING, maxRows: 2, prefillChunk: 64 });
});

test("limits that are not positive integers are config errors naming the setting", () => {
  assert.throws(() => resolveBatching({ maxRows: 0 }, {}), { name: "ConfigError", message: /batching\.maxRows must be a positive integer, got 0/ });
  assert.throws(() => resolveBatching({}, { TSCOG_BATCH_MAX_TOKENS: "lots" }), { name: "ConfigError", message: /TSCOG_BATCH_MAX_TOKENS must be a positive integer, got lots/ });
  assert.throws(() => resolveBatching({ prefillChunk: 1.5 }, {}), /batching\.prefillChunk/);
});
