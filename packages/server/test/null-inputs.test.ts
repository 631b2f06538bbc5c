/**
 * Generated clients and forms send null for an optional field left empty: over
 * HTTP that is "not given" (the default applies), while null for a required
 * input is a 422 naming it. A real project, so both the server's check and the
 * worker's validation see the request.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeProject } from "@tscog/runtime/testing";
import { serve } from "../src/index.js";
import { postJson } from "./helpers.js";

const PREDICT = `import { BasePredictor, Input, type InputsOf } from "tscog";
const inputs = {
  prompt: Input.string(),
  style: Input.string({ default: "plain", choices: ["plain", "fancy"] }),
  times: Input.integer({ default: 2, ge: 1 }),
  note: Input.string({ optional: true }),
};
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ prompt, style, times, note }: InputsOf<typeof inputs>): Promise<string> {
    return [prompt, style, times, note === undefined ? "no note" : note].join("|");
  }
}
`;

test("null optional inputs take their defaults over HTTP; a null required input is a clear 422", async (t) => {
  const server = await serve({ dir: makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PREDICT }) });
  t.after(() => server.close());
  await server.ready;

  const cog = await postJson(`${server.url}/predictions`, { input: { prompt: "hi", style: null, times: null, note: null } });
  const body = await cog.json();
  assert.equal(cog.status, 200, JSON.stringify(body));
  assert.equal(body.status, "succeeded");
  assert.equal(body.output, "hi|plain|2|no note");

  const replicate = await postJson(`${server.url}/v1/predictions`, { version: "v", input: { prompt: "yo", note: null } }, { prefer: "wait" });
  const rep = await replicate.json();
  assert.ok(replicate.status === 200 || replicate.status === 201, JSON.stringify(rep));
  assert.equal(rep.output, "yo|plain|2|no note");

  const bad = await postJson(`${server.url}/predictions`, { input: { prompt: null, style: null } });
  assert.equal(bad.status, 422);
  assert.deepEqual((await bad.json()).detail, [{ loc: ["body", "input", "prompt"], msg: "is required and cannot be null", type: "type_error.none.not_allowed" }]);
});
