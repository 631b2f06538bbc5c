/**
 * A fleet's API replica answers the OpenAI routes from Redis too (the official
 * `openai` client, plain and streamed), and a worker serves its `/metrics` on
 * its probe port. Real redis-server, real `tscog serve` processes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { makeProject, needComponent } from "@tscog/runtime/testing";
import { hasRedisServer, RedisServer, startServe, type ServeProcess } from "./fleet-harness.js";

const PROJECT = {
  "cog.yaml": 'predict: "predict.ts:Predictor"\nconcurrency:\n  max: 2\nopenai:\n  inputs:\n    prompt: prompt\n    max_tokens: max_tokens\n',
  "predict.ts": `import { BasePredictor, Input, type ConcatenateIterator, type InputsOf } from "tscog";
const inputs = { prompt: Input.string(), max_tokens: Input.integer({ default: 4 }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async *predict({ prompt, max_tokens }: InputsOf<typeof inputs>): ConcatenateIterator<string> {
    for (let i = 0; i < max_tokens; i++) yield " " + prompt.split(" ")[i % prompt.split(" ").length];
  }
}
`,
};

test("a fleet's API replica serves the OpenAI routes; a worker serves /metrics on its port", { timeout: 90_000 }, async (t) => {
  if (!needComponent(t, hasRedisServer(), "redis-server is not installed")) return;
  const redis = new RedisServer();
  await redis.start();
  const dir = makeProject(PROJECT);
  const processes: ServeProcess[] = [];
  try {
    const [api, worker] = await Promise.all([
      startServe(dir, ["--queue", redis.url, "--role", "api"], { TSCOG_METRICS: "off" }),
      startServe(dir, ["--queue", redis.url, "--role", "worker"], { TSCOG_METRICS: "on" }),
    ]);
    processes.push(api, worker);
    const client = new OpenAI({ apiKey: "unused", baseURL: `${api.url}/v1` });
    const plain = await client.completions.create({ model: "m", prompt: "red green blue", max_tokens: 5 });
    assert.equal(plain.object, "text_completion");
    assert.equal(plain.choices[0]!.text, " red green blue red green");
    let streamed = "";
    for await (const chunk of await client.completions.create({ model: "m", prompt: "one two", max_tokens: 3, stream: true })) streamed += chunk.choices[0]?.text ?? "";
    assert.equal(streamed, " one two one");
    const models = await client.models.list();
    assert.ok(models.data.length >= 1);

    const metrics = await fetch(`${worker.url}/metrics`);
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    assert.match(text, /^# HELP tscog_/m);
    assert.match(text, /tscog_predictions_total\{[^}]*status="succeeded"[^}]*\} 2/);
    // A worker answers only its probes and /metrics on its port.
    assert.equal((await fetch(`${worker.url}/v1/predictions`)).status, 404);
    assert.equal((await fetch(`${worker.url}/readyz`)).status, 200);
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await redis.remove();
  }
});
