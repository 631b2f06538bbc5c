import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { Input, InputError, Secret, createInputValidator, inputSchema, type InputFields } from "../src/index.js";

function validator(fields: InputFields) {
  const { input, enums } = inputSchema(fields);
  return createInputValidator({ Input: input, ...enums });
}

function rejects(fields: InputFields, value: unknown, field: string, type: string, msg: RegExp) {
  const v = validator(fields);
  assert.throws(
    () => v.validate(value),
    (err: unknown) => {
      assert.ok(err instanceof InputError, "an InputError");
      assert.equal(err.code, "INVALID_INPUT");
      assert.equal(err.httpStatus, 422);
      const d = err.details!.find((x) => x.loc.join(".") === `body.input.${field}`);
      assert.ok(d, `a detail for ${field}: ${JSON.stringify(err.details)}`);
      assert.equal(d!.type, type);
      assert.match(err.message, msg);
      return true;
    },
  );
}

test("defaults are applied and the original object is untouched", () => {
  const v = validator({ a: Input.integer({ default: 3 }), b: Input.string({ optional: true }) });
  const raw = {};
  assert.deepEqual(v.validate(raw), { a: 3 });
  assert.deepEqual(raw, {});
});

test("lists are copied: changing the validated input leaves the caller's untouched", () => {
  const v = validator({ l: Input.list(Input.string()) });
  const raw = { l: ["a"] };
  const valid = v.validate(raw);
  (valid.l as string[]).push("b");
  assert.deepEqual(raw, { l: ["a"] });
});

test("required inputs", () => rejects({ a: Input.string() }, {}, "a", "value_error.missing", /input "a" is required/));
test("unknown input names suggest the nearest one", () =>
  rejects({ prompt: Input.string() }, { prompt: "x", promt: "y" }, "promt", "value_error.extra", /did you mean "prompt"\?.*allowed inputs: prompt/));
test("types", () => rejects({ n: Input.integer() }, { n: "3" }, "n", "type_error.integer", /must be an integer \(got "3"\)/));
test("integers reject fractions", () => rejects({ n: Input.integer() }, { n: 1.5 }, "n", "type_error.integer", /integer/));
test("ge", () => rejects({ n: Input.number({ ge: 0 }) }, { n: -1 }, "n", "value_error.number.not_ge", /greater than or equal to 0/));
test("le", () => rejects({ n: Input.integer({ le: 10 }) }, { n: 11 }, "n", "value_error.number.not_le", /less than or equal to 10/));
test("min_length", () => rejects({ s: Input.string({ minLength: 2 }) }, { s: "a" }, "s", "value_error.any_str.min_length", /at least 2 characters/));
test("max_length", () => rejects({ s: Input.string({ maxLength: 2 }) }, { s: "abc" }, "s", "value_error.any_str.max_length", /at most 2 characters/));
test("regex", () => rejects({ s: Input.string({ regex: "^[a-z]+$" }) }, { s: "A1" }, "s", "value_error.str.regex", /pattern \^\[a-z\]\+\$/));
test("choices", () => rejects({ c: Input.string({ choices: ["x", "y"] }) }, { c: "z" }, "c", "type_error.enum", /one of: "x", "y"/));
test("numeric choices", () => rejects({ c: Input.integer({ choices: [1, 2] }) }, { c: 3 }, "c", "type_error.enum", /one of: 1, 2/));
test("list items", () => rejects({ l: Input.list(Input.integer({ ge: 0 })) }, { l: [1, -1] }, "l.1", "value_error.number.not_ge", /input "l.1"/));
test("list length", () => rejects({ l: Input.list(Input.string(), { maxLength: 1 }) }, { l: ["a", "b"] }, "l", "value_error.list.max_items", /at most 1 items/));
test("a non-object input", () => assert.throws(() => validator({}).validate([1]), /must be an object/));

test("every bad field is reported at once", () => {
  const v = validator({ a: Input.integer({ le: 1 }), b: Input.string() });
  assert.throws(() => v.validate({ a: 5 }), (err: InputError) => err.details!.length === 2);
});

test("__proto__ keys are rejected as unknown, not merged", () => {
  const v = validator({ a: Input.string({ default: "x" }) });
  assert.throws(() => v.validate(JSON.parse('{"__proto__": {"polluted": true}}')), InputError);
  assert.equal(({} as any).polluted, undefined);
});

test("deprecated inputs are still accepted", () => {
  assert.deepEqual(validator({ a: Input.integer({ deprecated: true, default: 1 }) }).validate({ a: 2 }), { a: 2 });
});

test("secrets are wrapped and never shown", () => {
  const v = validator({ key: Input.secret(), keys: Input.list(Input.secret(), { default: [] }) });
  const out = v.validate({ key: "s3cret", keys: ["k2"] });
  const key = out.key as Secret;
  assert.ok(key instanceof Secret);
  assert.equal(key.value, "s3cret");
  assert.equal(String(key), "**********");
  assert.equal(JSON.stringify(out), '{"key":"**********","keys":["**********"]}');
  assert.doesNotMatch(inspect(out), /s3cret|k2/);
  assert.throws(() => v.validate({ key: 5 }), (err: InputError) => !err.message.includes("5)") && /a secret/.test(err.message));
});

test("file inputs: any path for local runs, only data:/http(s) URLs for servers", () => {
  const { input } = inputSchema({ f: Input.path() });
  assert.deepEqual(createInputValidator({ Input: input }).validate({ f: "photo.jpg" }), { f: "photo.jpg" });
  const remote = createInputValidator({ Input: input }, { files: "remote" });
  assert.deepEqual(remote.validate({ f: "https://example.com/a.png" }), { f: "https://example.com/a.png" });
  assert.throws(() => remote.validate({ f: "/etc/passwd" }), (err: InputError) => err.details![0]!.type === "value_error.url");
});
