import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { outputTypeFromSource } from "../src/index.js";
import { makeProject } from "../src/testing.js";

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
    properties: { label: { title: "Label", type: "string" }, score: { title: "Score", type: "number" } },
    required: ["label"],
  });
  assert.deepEqual(of("predict() {}"), { kind: "value", schema: { title: "Output" } });
});

// The usual TypeScript styles for a structured output, each of which used to come out as {"title":"Output"}.

const RESULT_SCHEMA = {
  title: "Output",
  type: "object",
  properties: {
    text: { title: "Text", type: "string", description: "The generated text." },
    score: { title: "Score", type: "number" },
    labels: { title: "Labels", type: "array", items: { type: "string" } },
    mood: { title: "Mood", type: "string", enum: ["happy", "sad"] },
    image: { title: "Image", type: "string", format: "uri" },
    timing: {
      title: "Timing",
      type: "object",
      properties: { total_ms: { title: "Total Ms", type: "integer", enum: [1] }, steps: { title: "Steps", type: "array", items: { type: "number" } } },
      required: ["total_ms"],
    },
  },
  required: ["text", "labels", "mood", "image", "timing"],
};

const { title: _title, ...RESULT_OBJECT } = RESULT_SCHEMA;

const RESULT_MEMBERS = `
  /** The generated text. */
  text: string;
  score?: number;
  labels: string[];
  mood: "happy" | "sad";
  image: Path;
  timing: { total_ms: 1; steps?: Array<number> };
`;

test("an interface named in Promise<...> becomes the Output object, as Cog renders a Pydantic output model", () => {
  const src = `import { BasePredictor, type Path } from "tscog";
interface Result {${RESULT_MEMBERS}}
export class P extends BasePredictor { async predict(): Promise<Result> { return null as any; } }`;
  assert.deepEqual(outputTypeFromSource(src, "P", "p.ts"), { kind: "value", schema: RESULT_SCHEMA });
});

test("a type alias, an exported default class and arrays of a named type", () => {
  const src = `import { BasePredictor, type Path } from "tscog";
export type Result = {${RESULT_MEMBERS}};
type Results = Result[];
export default class extends BasePredictor { async predict(): Promise<Results> { return []; } }`;
  assert.deepEqual(outputTypeFromSource(src, "default", "p.ts").schema, { title: "Output", type: "array", items: RESULT_OBJECT });
});

test("named types inside iterators, generics, extends, enums, nullable members and Record", () => {
  const src = `import { BasePredictor } from "tscog";
enum Kind { Token = "token", Done = "done" }
interface Base { kind: Kind }
interface Chunk<T> extends Base { value: T; extra: Record<string, number>; note: string | null; maybe: string | undefined }
class Predictor extends BasePredictor { async *predict(): AsyncGenerator<Chunk<boolean>> {} }
export default Predictor;`;
  assert.deepEqual(outputTypeFromSource(src, "default", "p.ts"), {
    kind: "iterator",
    schema: {
      title: "Output",
      type: "array",
      "x-cog-array-type": "iterator",
      items: {
        type: "object",
        properties: {
          kind: { title: "Kind", type: "string", enum: ["token", "done"] },
          value: { title: "Value", type: "boolean" },
          extra: { title: "Extra", type: "object", additionalProperties: { type: "number" } },
          note: { title: "Note", type: "string", nullable: true },
          maybe: { title: "Maybe", type: "string" },
        },
        required: ["kind", "value", "extra", "note"],
      },
    },
  });
});

test("types imported from a local file (./types.js, ./types, a re-export, a namespace import)", () => {
  const dir = makeProject({
    "types.ts": `import type { Path } from "tscog";\nexport interface Result {${RESULT_MEMBERS}}\nexport type Mood = "happy" | "sad";\n`,
    "lib/index.ts": `export * from "../types.js";\nexport { type Mood as Feeling } from "../types.js";\n`,
  });
  const file = join(dir, "predict.ts");
  const withImport = (imp: string, ret: string) =>
    outputTypeFromSource(`${imp}\nexport class Predictor { async predict(): ${ret} { return null as any; } }`, "Predictor", file).schema;
  assert.deepEqual(withImport(`import type { Result } from "./types.js";`, "Promise<Result>"), RESULT_SCHEMA);
  assert.deepEqual(withImport(`import { type Result } from "./types";`, "Promise<Result>"), RESULT_SCHEMA);
  assert.deepEqual(withImport(`import type { Result as R } from "./lib";`, "Promise<R>"), RESULT_SCHEMA);
  assert.deepEqual(withImport(`import type { Feeling } from "./lib/index.js";`, "Promise<Feeling[]>"), {
    title: "Output",
    type: "array",
    items: { type: "string", enum: ["happy", "sad"] },
  });
  assert.deepEqual(withImport(`import type * as t from "./types.js";`, "Promise<t.Result>"), RESULT_SCHEMA);
});

test("an output type tscog cannot describe fails at load, naming file:line and what is supported", () => {
  const cases: [string, RegExp][] = [
    [`import type { Thing } from "some-package";\nexport class P {\n  predict(): Thing { return 1 as any; }\n}`, /^p\.ts:3:\d+: the output type of P\.predict\(\) uses the type Thing, imported from "some-package"/],
    [`export class P {\n  predict(): Missing { return 1 as any; }\n}`, /^p\.ts:2:\d+: .* uses the type Missing, not declared in this file or imported from a relative file/],
    [`import type { R } from "./nowhere.js";\nexport class P {\n  predict(): R { return 1 as any; }\n}`, /^p\.ts:3:\d+: .* uses the type R: "\.\/nowhere\.js" was not found/],
    [`const x = { a: 1 };\nexport class P {\n  predict(): typeof x { return x; }\n}`, /^p\.ts:3:\d+: .* uses `typeof` types/],
    [`interface Node { next: Node }\nexport class P {\n  predict(): Node { return null as any; }\n}`, /^p\.ts:1:\d+: .* uses the recursive type Node/],
    [`export class P {\n  predict(): Map<string, number> { return new Map(); }\n}`, /uses the type Map, .*Supported: string, number, boolean/],
  ];
  for (const [src, message] of cases) {
    assert.throws(
      () => outputTypeFromSource(src, "P", "p.ts"),
      (err: any) => {
        assert.equal(err.code, "INVALID_DECLARATION", src);
        assert.equal(err.file, "p.ts");
        assert.match(err.message, message);
        assert.match(err.message, /Promise<unknown>/);
        return true;
      },
    );
  }
});

test("untyped outputs stay allowed: unknown, any, no annotation", () => {
  assert.deepEqual(of("async predict(): Promise<unknown> {}").schema, { title: "Output" });
  assert.deepEqual(of("predict(): any {}").schema, { title: "Output" });
});

test("utility types, tuples, classes used as types and Date", () => {
  const src = `interface Full { a: string; b?: number; c: boolean }
class Point { x = 0; y: number = 0; private shown: string = ""; #hidden = 1; static origin = 1; label?: string }
export class P {
  predict(): {
    part: Partial<Full>; req: Required<Full>; pick: Pick<Full, "a" | "b">; omit: Omit<Full, "c">;
    pair: [string, number]; point: Point; when: Date; keyed: Record<"x" | "y", number>;
  } { return null as any; }
}`;
  const props = (of2: any) => of2.schema.properties;
  const p = props(outputTypeFromSource(src, "P", "p.ts"));
  assert.deepEqual(p.part, { title: "Part", type: "object", properties: { a: { title: "A", type: "string" }, b: { title: "B", type: "number" }, c: { title: "C", type: "boolean" } } });
  assert.deepEqual(p.req.required, ["a", "b", "c"]);
  assert.deepEqual(Object.keys(p.pick.properties), ["a", "b"]);
  assert.deepEqual(p.pick.required, ["a"]);
  assert.deepEqual(Object.keys(p.omit.properties), ["a", "b"]);
  assert.deepEqual(p.pair, { title: "Pair", type: "array", items: { anyOf: [{ type: "string" }, { type: "number" }] }, minItems: 2, maxItems: 2 });
  // As JSON.stringify sees an instance: TypeScript-private fields are in it, #private and static ones are not.
  // A field without an annotation says nothing about its type.
  assert.deepEqual(p.point, {
    title: "Point",
    type: "object",
    properties: { x: { title: "X" }, y: { title: "Y", type: "number" }, shown: { title: "Shown", type: "string" }, label: { title: "Label", type: "string" } },
    required: ["x", "y", "shown"],
  });
  assert.deepEqual(p.when, { title: "When", type: "string", format: "date-time" });
  assert.deepEqual(p.keyed.required, ["x", "y"]);
});
