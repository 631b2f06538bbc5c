import { test } from "node:test";
import assert from "node:assert/strict";
import { createInputValidator, Input, InputError, inputSchema, inputValidationSchema, Secret, type InputsOf } from "../src/index.js";

const inputs = {
  prompt: Input.string({ description: "Text to continue", minLength: 1, maxLength: 100, regex: "^[^<>]*$" }),
  max_new_tokens: Input.integer({ default: 64, ge: 1, le: 512 }),
  temperature: Input.number({ default: 0.7, ge: 0, le: 2, deprecated: true }),
  greedy: Input.boolean({ default: false }),
  image: Input.path({ description: "A picture", optional: true }),
  api_key: Input.secret({ optional: true }),
  stop: Input.list(Input.string(), { default: [], maxLength: 4 }),
  style: Input.string({ choices: ["plain", "fancy"], default: "plain" }),
};

test("inputSchema emits Cog's Input schema with x-order, constraints and enum references", () => {
  const { input, enums } = inputSchema(inputs);
  assert.deepEqual(input, {
    title: "Input",
    type: "object",
    properties: {
      prompt: { title: "Prompt", type: "string", minLength: 1, maxLength: 100, pattern: "^[^<>]*$", "x-order": 0, description: "Text to continue" },
      max_new_tokens: { title: "Max New Tokens", type: "integer", minimum: 1, maximum: 512, "x-order": 1, default: 64 },
      temperature: { title: "Temperature", type: "number", minimum: 0, maximum: 2, "x-order": 2, default: 0.7, deprecated: true },
      greedy: { title: "Greedy", type: "boolean", "x-order": 3, default: false },
      image: { title: "Image", type: "string", format: "uri", "x-order": 4, description: "A picture" },
      api_key: { title: "Api Key", type: "string", format: "password", writeOnly: true, "x-cog-secret": true, "x-order": 5 },
      stop: { title: "Stop", type: "array", items: { type: "string" }, maxItems: 4, "x-order": 6, default: [] },
      style: { title: "Style", allOf: [{ $ref: "#/components/schemas/style" }], "x-order": 7, default: "plain" },
    },
    required: ["prompt"],
  });
  assert.deepEqual(enums, { style: { title: "style", description: "An enumeration.", enum: ["plain", "fancy"], type: "string" } });
});

test("InputsOf matches what the validator returns for the same declaration", () => {
  const v = createInputValidator({ Input: inputSchema(inputs).input, ...inputSchema(inputs).enums });
  // A value of the declared type passes as is; omitted inputs get their defaults.
  const value: InputsOf<typeof inputs> = { prompt: "hi", max_new_tokens: 1, temperature: 1, greedy: true, stop: [], style: "fancy" };
  assert.deepEqual(v.validate(value), value);
  const minimal = v.validate({ prompt: "hi" }) satisfies Record<string, unknown>;
  const filled: InputsOf<typeof inputs> = minimal as InputsOf<typeof inputs>;
  assert.deepEqual(filled, { prompt: "hi", max_new_tokens: 64, temperature: 0.7, greedy: false, stop: [], style: "plain" });
  assert.deepEqual(v.names, Object.keys(inputs));
  const secret = v.validate({ prompt: "hi", api_key: "s3cret" }).api_key;
  assert.ok(secret instanceof Secret && secret.value === "s3cret", "a secret input arrives as a Secret");

  // What the type rejects, the validator rejects too, naming the field.
  // @ts-expect-error a choice outside the declared list is a type error
  const bad: InputsOf<typeof inputs> = { ...value, style: "other" };
  assert.throws(() => v.validate(bad), (err: unknown) => err instanceof InputError && err.field === "style" && /input "style" must be one of: "plain", "fancy"/.test(err.message));
  // @ts-expect-error required inputs are required
  const missing: InputsOf<typeof inputs> = { max_new_tokens: 1, temperature: 1, greedy: true, stop: [], style: "plain" };
  assert.throws(() => v.validate(missing), (err: unknown) => err instanceof InputError && err.field === "prompt" && /input "prompt" is required/.test(err.message));
  // @ts-expect-error an integer input does not take a string
  const wrongType: InputsOf<typeof inputs> = { ...value, max_new_tokens: "64" };
  assert.throws(() => v.validate(wrongType), (err: unknown) => err instanceof InputError && err.field === "max_new_tokens" && /must be an integer \(got "64"\)/.test(err.message));
});

test("constraints in the schema are enforced: lengths, pattern, bounds, list size", () => {
  const v = createInputValidator({ Input: inputSchema(inputs).input, ...inputSchema(inputs).enums });
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ prompt: "" }, "prompt", /at least 1 characters/],
    [{ prompt: "x".repeat(101) }, "prompt", /at most 100 characters/],
    [{ prompt: "<b>" }, "prompt", /must match the pattern \^\[\^<>\]\*\$/],
    [{ prompt: "a", max_new_tokens: 0 }, "max_new_tokens", /greater than or equal to 1/],
    [{ prompt: "a", max_new_tokens: 513 }, "max_new_tokens", /less than or equal to 512/],
    [{ prompt: "a", temperature: 2.5 }, "temperature", /less than or equal to 2/],
    [{ prompt: "a", stop: ["1", "2", "3", "4", "5"] }, "stop", /at most 4 items/],
    [{ prompt: "a", greedy: "yes" }, "greedy", /must be true or false/],
  ];
  for (const [input, field, msg] of cases) {
    assert.throws(() => v.validate(input), (err: unknown) => err instanceof InputError && err.field === field && msg.test(err.message), `${JSON.stringify(input)} → ${field}`);
  }
  // The boundaries themselves are allowed.
  assert.doesNotThrow(() => v.validate({ prompt: "x".repeat(100), max_new_tokens: 512, temperature: 0, stop: ["1", "2", "3", "4"] }));
  assert.doesNotThrow(() => v.validate({ prompt: "x", max_new_tokens: 1, temperature: 2 }));
});

test("titles, order and optional inputs: snake_case and spaces become words; optional ones are not required", () => {
  assert.equal((inputSchema({ _private: Input.string() }).input.properties as Record<string, { title: string }>)._private!.title, "Private");
  const { input } = inputSchema({ a_b__c: Input.string({ optional: true }), "two words": Input.integer({ default: 1 }), x: Input.list(Input.integer(), { minLength: 2 }) });
  const props = input.properties as Record<string, Record<string, unknown>>;
  assert.equal(props.a_b__c!.title, "A B C");
  assert.deepEqual(props["two words"], { title: "Two Words", type: "integer", "x-order": 1, default: 1 });
  assert.deepEqual(Object.values(props).map((p) => p["x-order"]), [0, 1, 2]);
  assert.deepEqual(props.x, { title: "X", type: "array", items: { type: "integer" }, minItems: 2, "x-order": 2 });
  assert.deepEqual(input.required, ["x"]);
  assert.equal("required" in inputSchema({ o: Input.string({ optional: true }) }).input, false, "no empty required list");
  assert.throws(() => inputValidationSchema({}), /OpenAPI document has no components.schemas.Input/);
  assert.deepEqual(inputValidationSchema({ Input: { type: "object" } }), { type: "object", additionalProperties: false, components: { schemas: { Input: { type: "object" } } } });
});
