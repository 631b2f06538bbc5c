import { test } from "node:test";
import assert from "node:assert/strict";
import { loadPredictor, loadProject } from "../src/index.js";
import { makeProject } from "../src/testing.js";

async function load(predict: string, files: Record<string, string> = {}) {
  const dir = makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": predict, ...files });
  return loadPredictor(await loadProject(dir));
}

const withInputs = (decls: string) => `import { BasePredictor, Input } from "tscog";
const inputs = {
${decls}
};
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  predict() { return "ok"; }
}
`;

test("a default outside its choices is the author's mistake, reported at load with its line (not a 422 on every request)", async () => {
  await assert.rejects(load(withInputs(`  prompt: Input.string(),\n  style: Input.string({ default: "bold", choices: ["plain", "fancy"] }),`)), (err: any) => {
    assert.equal(err.code, "INVALID_DECLARATION");
    assert.notEqual(err.httpStatus, 422);
    assert.equal(err.line, 4);
    assert.equal(err.field, "inputs.style");
    assert.equal(err.message, 'predict.ts:4: input "style": default "bold" is not one of its choices ("plain", "fancy"); a default must be a value the input accepts.');
    return true;
  });
});

test("crossed bounds, a default against its own constraints and a bad regex are listed together, each at its line", async () => {
  const decls = [
    "  steps: Input.integer({ default: 5, ge: 10, le: 1 }),",
    "  words: Input.string({ minLength: 5, maxLength: 2 }),",
    '  code: Input.string({ default: "abc", regex: "^[0-9]+$" }),',
    "  temp: Input.number({ default: 3, le: 2 }),",
    '  bad: Input.string({ regex: "(" }),',
    "  ok: Input.integer({ default: 1, ge: 0 }),",
  ].join("\n");
  await assert.rejects(load(withInputs(decls)), (err: any) => {
    assert.equal(err.code, "INVALID_DECLARATION");
    const lines = err.message.split("\n");
    assert.equal(lines[0], "5 problems in the input declarations of Predictor (predict.ts):");
    assert.match(lines[1], /^  predict\.ts:3: input "steps": ge \(10\) is greater than le \(1\), so no value could be accepted$/);
    assert.match(lines[2], /^  predict\.ts:4: input "words": minLength \(5\) is greater than maxLength \(2\)/);
    assert.match(lines[3], /^  predict\.ts:5: input "code": default "abc" does not match regex \^\[0-9\]\+\$/);
    assert.match(lines[4], /^  predict\.ts:6: input "temp": default 3 is greater than le \(2\)/);
    assert.match(lines[5], /^  predict\.ts:7: input "bad": regex \( is not a valid regular expression/);
    assert.equal(lines.length, 6);
    return true;
  });
});

test("inputs declared inline in the class and imported from another file are checked too", async () => {
  await assert.rejects(
    load(`import { BasePredictor, Input } from "tscog";
export class Predictor extends BasePredictor {
  static inputs = {
    n: Input.integer({ default: 0, choices: [1, 2] }),
  };
  predict() { return 1; }
}`),
    (err: any) => /^predict\.ts:4: input "n": default 0 is not one of its choices \(1, 2\)/.test(err.message),
  );
  await assert.rejects(
    load(`import { BasePredictor } from "tscog";\nimport { inputs } from "./inputs.js";\nexport class Predictor extends BasePredictor {\n  static inputs = inputs;\n  predict() { return 1; }\n}`, {
      "inputs.ts": `import { Input } from "tscog";\nexport const inputs = {\n  x: Input.integer({ minLength: 3 } as any),\n};\n`,
    }),
    (err: any) => {
      assert.equal(err.message, 'inputs.ts:3: input "x" has an unknown option "minLength"; options of Input.integer(): description, default, optional, deprecated, ge, le, choices.');
      assert.match(err.file, /inputs\.ts$/);
      return true;
    },
  );
});

test("something that is not an input declaration is INVALID_DECLARATION at its line", async () => {
  await assert.rejects(load(withInputs('  name: "a string",')), (err: any) => {
    assert.equal(err.code, "INVALID_DECLARATION");
    assert.match(err.message, /^predict\.ts:3: input "name" is not an input declaration; use Input\.string\(\), Input\.integer\(\), \.\.\. from "tscog"\.$/);
    return true;
  });
});

test("a class that does not extend BasePredictor and has no setup() runs, as in Cog", async () => {
  const loaded = await load(`export class Predictor {\n  predict() { return "plain"; }\n}\n`);
  await loaded.runner.setup();
  const gen = loaded.runner.predict({});
  assert.deepEqual(await gen.next(), { done: true, value: "plain" });
});

test("a class with no predict(), a static predict or a setup that is not a method is named at its line in the author's file", async () => {
  const cases: [string, RegExp][] = [
    [`class Helper {}\nexport class Predictor {\n  run() { return 1; }\n}\n`, /^predict\.ts:2: class Predictor has no predict\(\) method \(it does not extend BasePredictor\)\. A predictor is a class that extends BasePredictor/],
    [`import { BasePredictor } from "tscog";\nexport class Predictor extends BasePredictor {\n  static predict() { return 1; }\n}\n`, /^predict\.ts:2: class Predictor declares predict\(\) as static; make it an instance method/],
    [`export class Predictor {\n  predict() { return 1; }\n}\n(Predictor.prototype as any).setup = 42;\n`, /^predict\.ts:1: class Predictor has a setup that is not a method \(number\) \(it does not extend BasePredictor\)/],
    [`import { BasePredictor } from "tscog";\n// @ts-expect-error predict is missing\nexport class Predictor extends BasePredictor {}\n`, /^predict\.ts:3: class Predictor has no predict\(\) method\. A predictor is/],
    [`export const Predictor = 42;\n`, /^predict\.ts exports "Predictor", but it is a number, not a class\. Export a class that extends BasePredictor/],
  ];
  for (const [src, message] of cases) {
    await assert.rejects(load(src), (err: any) => {
      assert.equal(err.code, "PREDICTOR_LOAD", src);
      assert.match(err.message, message);
      assert.doesNotMatch(err.message, /dist|is not a function/);
      return true;
    });
  }
});

test("predict as a field holding a function runs, and its return type is the Output", async () => {
  const loaded = await load(`import { BasePredictor } from "tscog";\nexport class Predictor extends BasePredictor {\n  predict = async (): Promise<{ said: string }> => ({ said: "field" });\n}\n`);
  assert.deepEqual(loaded.openapi.components.schemas.Output, { title: "Output", type: "object", properties: { said: { title: "Said", type: "string" } }, required: ["said"] });
  await loaded.runner.setup();
  assert.deepEqual(await loaded.runner.predict({}).next(), { done: true, value: { said: "field" } });
});
