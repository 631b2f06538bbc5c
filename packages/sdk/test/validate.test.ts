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

/** The InputError `validate` throws for `value`. */
function errorOf(v: { validate(x: unknown): unknown }, value: unknown): InputError {
  try {
    v.validate(value);
  } catch (err) {
    assert.ok(err instanceof InputError, `an InputError, got ${err}`);
    return err;
  }
  assert.fail(`${JSON.stringify(value)} was accepted`);
}

test("type messages name the expected type", () => {
  const v = validator({ s: Input.string(), n: Input.number(), b: Input.boolean(), l: Input.list(Input.string()) });
  const err = errorOf(v, { s: 1, n: "x", b: 0, l: "x" });
  assert.match(err.message, /input "s" must be a string \(got 1\)/);
  assert.match(err.message, /input "n" must be a number \(got "x"\)/);
  assert.match(err.message, /input "b" must be true or false \(got 0\)/);
  assert.match(err.message, /input "l" must be a list \(got "x"\)/);
  assert.deepEqual(err.details!.map((d) => d.type), ["type_error.string", "type_error.number", "type_error.boolean", "type_error.array"]);
  assert.equal(err.field, "s", "the first bad field");
  assert.match(err.message, /^Invalid input: .*\.$/);
});

test("unknown names: no suggestion when nothing is close; a predictor without inputs says so", () => {
  const far = errorOf(validator({ prompt: Input.string({ optional: true }) }), { zzzzzz: 1 });
  assert.equal(far.message, 'Invalid input: input "zzzzzz" is not an input of this predictor; allowed inputs: prompt.');
  assert.deepEqual(far.details, [{ loc: ["body", "input", "zzzzzz"], msg: "is not an input of this predictor; allowed inputs: prompt", type: "value_error.extra" }]);
  const none = errorOf(validator({}), { a: 1 });
  assert.match(none.message, /input "a" is not an input of this predictor; this predictor takes no inputs\.$/);
});

test("min items, missing values and nested list items: messages and locations", () => {
  rejects({ l: Input.list(Input.string(), { minLength: 2 }) }, { l: ["a"] }, "l", "value_error.list.min_items", /input "l" must have at least 2 items \(got \["a"\]\)/);
  const missing = errorOf(validator({ a: Input.string() }), {});
  assert.equal(missing.message, 'Invalid input: input "a" is required.', "no (got ...) for a missing value");
  const nested = errorOf(validator({ l: Input.list(Input.integer({ ge: 0 })) }), { l: [1, 2, -7] });
  assert.match(nested.message, /input "l\.2" must be greater than or equal to 0 \(got -7\)/);
  assert.deepEqual(nested.details![0]!.loc, ["body", "input", "l", "2"]);
});

test("long values are cut in messages at 60 characters", () => {
  const v = validator({ n: Input.integer() });
  const long = "x".repeat(100);
  assert.ok(errorOf(v, { n: long }).message.includes(`(got "${"x".repeat(56)}...)`));
  assert.ok(!errorOf(v, { n: long }).message.includes("x".repeat(57)));
  const fits = "y".repeat(58); // 60 characters as JSON: shown whole
  assert.ok(errorOf(v, { n: fits }).message.includes(`(got "${fits}")`));
  const over = "z".repeat(59); // 61 characters as JSON: cut
  assert.ok(errorOf(v, { n: over }).message.includes(`(got "${"z".repeat(56)}...)`));
});

test("a non-object input is one detail at body.input, whatever it is", () => {
  const v = validator({ a: Input.string({ optional: true }) });
  for (const [value, shown] of [[null, "null"], ["text", '"text"'], [[1], "[1]"], [5, "5"], [undefined, "undefined"]] as const) {
    const err = errorOf(v, value);
    assert.equal(err.message, `The input must be an object of named values, got ${shown}.`);
    assert.deepEqual(err.details, [{ loc: ["body", "input"], msg: "must be an object", type: "type_error.dict" }]);
  }
  assert.deepEqual(v.validate({}), {});
});

test("remote file inputs: data: and http(s) URLs only, checked from the start of the value", () => {
  const remote = createInputValidator({ Input: inputSchema({ f: Input.path() }).input }, { files: "remote" });
  for (const ok of ["data:text/plain;base64,aGk=", "http://example.com/a", "HTTPS://example.com/a"]) assert.deepEqual(remote.validate({ f: ok }), { f: ok });
  for (const bad of ["ftp://example.com/a", "file:///etc/passwd", "see https://example.com", "xdata:,hi"]) {
    const err = errorOf(remote, { f: bad });
    assert.equal(err.details![0]!.msg, "must be a data: URI or an http(s) URL");
    assert.equal(err.details![0]!.type, "value_error.url");
  }
  // Secrets (format "password") are plain strings to ajv, remote or not.
  const secrets = createInputValidator({ Input: inputSchema({ k: Input.secret() }).input }, { files: "remote" });
  assert.equal((secrets.validate({ k: "anything at all" }).k as Secret).value, "anything at all");
});

test("optional secrets left out stay out; a list of secrets is wrapped one by one", () => {
  const v = validator({ key: Input.secret({ optional: true }), keys: Input.list(Input.secret(), { optional: true }) });
  assert.deepEqual(v.validate({}), {});
  const out = v.validate({ keys: ["a", "b"] });
  assert.deepEqual((out.keys as Secret[]).map((s) => s.value), ["a", "b"]);
  assert.ok((out.keys as Secret[]).every((s) => s instanceof Secret));
});

test("at most 50 problems are listed, then a count of the rest", () => {
  const v = validator({ l: Input.list(Input.integer({ ge: 0 })) });
  const err = errorOf(v, { l: Array.from({ length: 60 }, () => -1) });
  assert.equal(err.details!.length, 50);
  assert.deepEqual(err.details!.map((d) => d.loc.at(-1)), Array.from({ length: 50 }, (_, i) => String(i)));
  assert.match(err.message, /; and more \(60 problems in all; the first 50 are listed\)\.$/);
  const fifty = errorOf(v, { l: Array.from({ length: 50 }, () => -1) });
  assert.equal(fifty.details!.length, 50);
  assert.doesNotMatch(fifty.message, /and more/);
});

test("a body with far more names than inputs is refused before validating each one", () => {
  const v = validator({ a: Input.string({ optional: true }) });
  const body: Record<string, unknown> = { a: "fine" };
  for (let i = 0; i < 60; i++) body[`name${i}-${"x".repeat(50)}`] = i;
  const err = errorOf(v, body);
  assert.equal(err.details!.length, 1);
  assert.deepEqual(err.details![0]!.loc, ["body", "input"]);
  assert.equal(err.details![0]!.type, "value_error.extra");
  assert.match(err.message, /has 60 names that are not inputs of this predictor \("name0-x{34}", "name1-x{34}", .*"name9-x{34}", \.\.\.\); allowed inputs: a\.$/);
  assert.doesNotMatch(err.message, /name10-/, "only the first 10 are listed");
  const none = errorOf(validator({}), Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`n${i}`, i])));
  assert.match(none.message, /has 51 names .*; allowed inputs: none\.$/);
  // Exactly inputs + 50 names: validated normally, one detail per unknown name.
  const edge = errorOf(v, Object.fromEntries(Array.from({ length: 51 }, (_, i) => [i === 0 ? "a" : `n${i}`, "v"])));
  assert.equal(edge.details!.length, 50);
  assert.equal(edge.details![0]!.loc.length, 3);
});

test("schemas from elsewhere: other ajv keywords keep ajv's message; one problem per field and kind", () => {
  const v = createInputValidator({
    Input: {
      type: "object",
      properties: { even: { type: "integer", multipleOf: 2 }, twice: { allOf: [{ type: "integer" }, { type: "integer" }] } },
    },
  });
  const err = errorOf(v, { even: 3, twice: "x" });
  assert.deepEqual(err.details, [
    { loc: ["body", "input", "even"], msg: "must be multiple of 2", type: "value_error.multipleOf" },
    { loc: ["body", "input", "twice"], msg: "must be an integer", type: "type_error.integer" },
  ]);
  assert.equal(err.message, 'Invalid input: input "even" must be multiple of 2 (got 3); input "twice" must be an integer (got "x").');
});

// Known bug (validate.ts, not fixed here): ajv's `required` and type checks see the inherited
// Object.prototype.toString / constructor on `{}`, so a missing "toString" is "must be a string"
// and an optional "constructor" left out is "must be an integer".
test("names that exist on every object (toString, constructor) are inputs like any other", () => {
  const v = validator({ toString: Input.string(), constructor: Input.integer({ optional: true }) });
  assert.equal(errorOf(v, {}).message, 'Invalid input: input "toString" is required.');
  assert.deepEqual(v.validate({ toString: "a", constructor: 1 }), { toString: "a", constructor: 1 });
});

test("every allowed input is listed, comma-separated", () => {
  const v = validator({ prompt: Input.string({ optional: true }), seed: Input.integer({ optional: true }) });
  assert.match(errorOf(v, { zzzzzz: 1 }).message, /; allowed inputs: prompt, seed\.$/);
  const many: Record<string, unknown> = {};
  for (let i = 0; i < 60; i++) many[`n${i}`] = i;
  assert.match(errorOf(v, many).message, /; allowed inputs: prompt, seed\.$/);
});
