import { test } from "node:test";
import assert from "node:assert/strict";
import { ERROR_CODES, InputError, PredictorError, TscogError, toTscogError } from "../src/index.js";

test("every code maps to an HTTP status and an exit code", () => {
  for (const [code, map] of Object.entries(ERROR_CODES)) {
    assert.ok(map.http >= 400 && map.http < 600, code);
    assert.ok(map.exit > 0, code);
  }
  assert.notEqual(ERROR_CODES.INVALID_INPUT.exit, ERROR_CODES.PREDICTION_FAILED.exit);
});

test("errors carry code, status, exit code and location", () => {
  const e = new PredictorError("PREDICTION_FAILED", "boom", { file: "predict.ts", line: 3, column: 9 });
  assert.equal(e.name, "PredictorError");
  assert.equal(e.httpStatus, 500);
  assert.equal(e.exitCode, 1);
  assert.equal(e.where, "predict.ts:3:9");
  assert.deepEqual(new InputError("bad", { field: "x" }).toJSON(), { code: "INVALID_INPUT", detail: "bad", field: "x" });
  const wrapped = toTscogError(new Error("oops"));
  assert.ok(wrapped instanceof TscogError);
  assert.equal(wrapped.code, "INTERNAL");
});
