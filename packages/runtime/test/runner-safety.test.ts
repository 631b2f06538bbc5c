/**
 * What a prediction's logs and errors may show clients: no secret (nor hints
 * of a short one), no absolute paths on the server, no `[object Object]`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PredictorError } from "@tscog/sdk";
import { loadPredictor, loadProject } from "../src/index.js";
import { makeProject } from "../src/testing.js";

const PREDICT = `import { BasePredictor, Input, type InputsOf } from "tscog";
const inputs = { key: Input.secret(), what: Input.string({ default: "log" }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ key, what }: InputsOf<typeof inputs>): Promise<string> {
    if (what === "throw") {
      const text: string = key.value;
      throw new Error("bad key " + text.length);
    }
    if (what === "object") throw { reason: "quota", left: 0 };
    console.log("key length " + key.value.length + ", the key is " + key.value + ".");
    console.log("keys and kilos stay as they are");
    return "ok";
  }
}
`;

async function run(input: Record<string, unknown>) {
  const dir = makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PREDICT });
  const { runner } = await loadPredictor(await loadProject(dir));
  await runner.setup();
  const logs: string[] = [];
  const gen = runner.predict(input, { onLog: (text) => logs.push(text) });
  let step = await gen.next();
  while (!step.done) step = await gen.next();
  return { logs: logs.join(""), dir };
}

test("a short secret is masked as a whole word only: the logs stay readable and give nothing away", async () => {
  const { logs } = await run({ key: "k" });
  assert.match(logs, /key length 1, the key is \*{10}\./);
  assert.match(logs, /keys and kilos stay as they are/);
  const long = await run({ key: "sk-0123456789abcdef" });
  assert.match(long.logs, /the key is \*{10}\./);
  assert.ok(!long.logs.includes("sk-0123456789abcdef"));
});

test("errors name the author's file relative to the project, and describe thrown non-Errors", async () => {
  const dir = makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PREDICT });
  const { runner } = await loadPredictor(await loadProject(dir));
  await runner.setup();
  await assert.rejects(
    async () => {
      for await (const _ of runner.predict({ key: "abc", what: "throw" })) void _;
    },
    (err: PredictorError) => {
      assert.match(err.message, /^predict\.ts:\d+:\d+: predict\(\) failed: bad key 3$/);
      assert.ok(!err.message.includes(dir), "no absolute path");
      return true;
    },
  );
  await assert.rejects(
    async () => {
      for await (const _ of runner.predict({ key: "abc", what: "object" })) void _;
    },
    (err: PredictorError) => {
      assert.match(err.message, /a non-Error value was thrown: \{"reason":"quota","left":0\}/);
      return true;
    },
  );
});
