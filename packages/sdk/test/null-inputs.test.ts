import { test } from "node:test";
import assert from "node:assert/strict";
import { Input, InputError, Secret, createInputValidator, inputSchema, type InputFields } from "../src/index.js";

function validator(fields: InputFields, files?: "local" | "remote") {
  const { input, enums } = inputSchema(fields);
  return createInputValidator({ Input: input, ...enums }, { files });
}

const FIELDS = {
  prompt: Input.string(),
  steps: Input.integer({ default: 20, ge: 1 }),
  style: Input.string({ default: "plain", choices: ["plain", "fancy"] }),
  note: Input.string({ optional: true }),
  image: Input.path({ optional: true }),
  key: Input.secret({ optional: true }),
  tags: Input.list(Input.string(), { optional: true }),
};

test("null for an optional input is 'not given': the default applies, or the input stays out", () => {
  for (const files of ["local", "remote"] as const) {
    const valid = validator(FIELDS, files).validate({ prompt: "hi", steps: null, style: null, note: null, image: null, key: null, tags: null });
    assert.deepEqual(valid, { prompt: "hi", steps: 20, style: "plain" }, files);
  }
});

test("null for a required input is a clear 422, whatever the input's type", () => {
  const fields = { prompt: Input.string(), mode: Input.string({ choices: ["a", "b"] }), n: Input.integer({ ge: 0 }) };
  assert.throws(
    () => validator(fields).validate({ prompt: null, mode: null, n: null }),
    (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.httpStatus, 422);
      assert.deepEqual(err.details, [
        { loc: ["body", "input", "prompt"], msg: "is required and cannot be null", type: "type_error.none.not_allowed" },
        { loc: ["body", "input", "mode"], msg: "is required and cannot be null", type: "type_error.none.not_allowed" },
        { loc: ["body", "input", "n"], msg: "is required and cannot be null", type: "type_error.none.not_allowed" },
      ]);
      assert.equal(err.message, 'Invalid input: input "prompt" is required and cannot be null; input "mode" is required and cannot be null; input "n" is required and cannot be null.');
      return true;
    },
  );
});

test("null elsewhere is still checked: inside a list, and for names that are not inputs", () => {
  const v = validator(FIELDS);
  assert.throws(() => v.validate({ prompt: "x", tags: ["a", null] }), /input "tags\.1" must be a string \(got null\)/);
  assert.throws(() => v.validate({ prompt: "x", nope: null }), /"nope" is not an input of this predictor/);
  assert.ok(v.validate({ prompt: "x", key: "s3cret" }).key instanceof Secret);
});
