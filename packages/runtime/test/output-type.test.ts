import { test } from "node:test";
import assert from "node:assert/strict";
import { outputTypeFromSource } from "../src/index.js";

const of = (method: string) => outputTypeFromSource(`export class P extends BasePredictor { ${method} }`, "P", "p.ts");

test("ConcatenateIterator<string> becomes Cog's concatenate iterator", () => {
  assert.deepEqual(of("async *predict(i: any): ConcatenateIterator<string> {}"), {
    kind: "concatenate",
    schema: { title: "Output", type: "array", items: { type: "string" }, "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate" },
  });
});

test("plain async iterators are lists", () => {
  assert.deepEqual(of("async *predict(): AsyncGenerator<number> {}"), {
    kind: "iterator",
    schema: { title: "Output", type: "array", items: { type: "number" }, "x-cog-array-type": "iterator" },
  });
  assert.equal(of("async *predict() {}").kind, "iterator");
});

test("values, promises, paths and objects", () => {
  assert.deepEqual(of("async predict(): Promise<string> {}").schema, { title: "Output", type: "string" });
  assert.deepEqual(of("predict(): Path {}").schema, { title: "Output", type: "string", format: "uri" });
  assert.deepEqual(of("predict(): number[] {}").schema, { title: "Output", type: "array", items: { type: "number" } });
  assert.deepEqual(of("async predict(): Promise<{ label: string; score?: number }> {}").schema, {
    title: "Output",
    type: "object",
    properties: { label: { title: "label", type: "string" }, score: { title: "score", type: "number" } },
    required: ["label"],
  });
  assert.deepEqual(of("predict() {}"), { kind: "value", schema: { title: "Output" } });
});
