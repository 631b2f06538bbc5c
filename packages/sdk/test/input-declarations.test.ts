import { test } from "node:test";
import assert from "node:assert/strict";
import { Input, inputDeclarationProblems, inputSchema, createInputValidator } from "../src/index.js";

const problems = (inputs: unknown) => inputDeclarationProblems(inputs).map((p) => `${p.input}: ${p.message}`);

test("sound declarations have no problems", () => {
  assert.deepEqual(
    problems({
      prompt: Input.string({ minLength: 1, maxLength: 10, regex: "^[a-z]+$", default: "abc" }),
      steps: Input.integer({ default: 20, ge: 1, le: 100 }),
      style: Input.string({ default: "plain", choices: ["plain", "fancy"] }),
      temp: Input.number({ default: 0.5, ge: 0, le: 1 }),
      flag: Input.boolean({ default: false }),
      file: Input.path({ optional: true }),
      key: Input.secret({ optional: true }),
      tags: Input.list(Input.string({ choices: ["a", "b"] }), { default: ["a"], minLength: 1, maxLength: 3 }),
    }),
    [],
  );
  assert.deepEqual(problems(undefined), []);
});

test("defaults that the input itself would reject", () => {
  assert.deepEqual(
    problems({
      style: Input.string({ default: "bold", choices: ["plain", "fancy"] }),
      steps: Input.integer({ default: 200, le: 100 }),
      low: Input.number({ default: -1, ge: 0 }),
      code: Input.string({ default: "abc", regex: "^[0-9]+$" }),
      short: Input.string({ default: "", minLength: 1 }),
      long: Input.string({ default: "abcd", maxLength: 3 }),
      whole: Input.integer({ default: 1.5 }),
      typed: Input.string({ default: 3 as unknown as string }),
      none: Input.string({ default: null as unknown as string }),
      tags: Input.list(Input.integer({ ge: 0 }), { default: [1, -2] }),
      few: Input.list(Input.string(), { default: [], minLength: 1 }),
      nums: Input.list(Input.string({ choices: ["a"] }), { default: ["b"] }),
    }),
    [
      'style: default "bold" is not one of its choices ("plain", "fancy"); a default must be a value the input accepts',
      "steps: default 200 is greater than le (100); a default must be a value the input accepts",
      "low: default -1 is less than ge (0); a default must be a value the input accepts",
      'code: default "abc" does not match regex ^[0-9]+$; a default must be a value the input accepts',
      'short: default "" is shorter than minLength (1); a default must be a value the input accepts',
      'long: default "abcd" is longer than maxLength (3); a default must be a value the input accepts',
      "whole: default 1.5 is not an integer; a default must be a value the input accepts",
      "typed: default 3 is not a string; a default must be a value the input accepts",
      "none: default is null, which is not a string; to let callers leave the input out, use optional: true (predict then gets undefined)",
      "tags: default [1,-2] has item 1 (-2) that is less than ge (0); a default must be a value the input accepts",
      "few: default [] has fewer items than minLength (1); a default must be a value the input accepts",
      'nums: default ["b"] has item 0 ("b") that is not one of its choices ("a"); a default must be a value the input accepts',
    ],
  );
});

test("constraints that contradict each other or are malformed", () => {
  assert.deepEqual(
    problems({
      range: Input.integer({ ge: 10, le: 1 }),
      len: Input.string({ minLength: 5, maxLength: 2 }),
      neg: Input.list(Input.string(), { minLength: -1 }),
      re: Input.string({ regex: "(" }),
      empty: Input.string({ choices: [] }),
      choice: Input.integer({ choices: [1, 2.5, 200], le: 100 }),
      twice: Input.string({ choices: ["a", "a"] }),
      bound: Input.number({ ge: "1" as unknown as number }),
      typo: Input.integer({ min: 1 } as never),
      item: Input.list(Input.string({ default: "x" })),
      notItem: { kind: "list", options: {}, item: "string" },
    }).map((p) => p.replace(/: Invalid regular expression.*/, ": (engine message)")),
    [
      "range: ge (10) is greater than le (1), so no value could be accepted",
      "len: minLength (5) is greater than maxLength (2), so no value could be accepted",
      "neg: minLength must be a whole number of 0 or more, got -1",
      "re: regex ( is not a valid regular expression: (engine message)",
      "empty: choices must be a non-empty list of allowed values, got []",
      "choice: choice 2.5 is not an integer, so it could never be accepted",
      "choice: choice 200 is greater than le (100), so it could never be accepted",
      'twice: choice "a" is listed twice',
      'bound: ge must be a finite number, got "1"',
      'typo: has an unknown option "min"; options of Input.integer(): description, default, optional, deprecated, ge, le, choices',
      "item: the list's item has default, which a list's item cannot use; put default on the list: Input.list(item, { default: ... })",
      "notItem: the list's item is not an input declaration; write Input.list(Input.string()), Input.list(Input.path()), ...",
    ],
  );
});

test("things that are not declarations", () => {
  assert.deepEqual(problems({ a: "text", b: Input.string() }), ['a: is not an input declaration; use Input.string(), Input.integer(), ... from "tscog"']);
  assert.deepEqual(problems([Input.string()]), [": static inputs must be an object of named declarations such as { prompt: Input.string() }, got [{\"kind\":\"string\",\"options\":{}}]"]);
});

test("a list item's choices are enforced item by item", () => {
  const { input, enums } = inputSchema({ tags: Input.list(Input.string({ choices: ["a", "b"] })) });
  const v = createInputValidator({ Input: input, ...enums });
  assert.deepEqual(v.validate({ tags: ["a", "b"] }), { tags: ["a", "b"] });
  assert.throws(() => v.validate({ tags: ["a", "c"] }), /input "tags\.1" must be one of: "a", "b" \(got "c"\)/);
});
