import { test } from "node:test";
import assert from "node:assert/strict";
import { Input, inputSchema, type InputsOf } from "../src/index.js";

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

test("InputsOf gives predict's argument type from the same declaration", () => {
  type T = InputsOf<typeof inputs>;
  const value: T = { prompt: "hi", max_new_tokens: 1, temperature: 1, greedy: true, stop: [], style: "fancy" };
  // @ts-expect-error a choice outside the declared list is a type error
  const bad: T = { ...value, style: "other" };
  // @ts-expect-error required inputs are required
  const missing: T = { max_new_tokens: 1, temperature: 1, greedy: true, stop: [], style: "plain" };
  assert.ok(value && bad && missing);
});
