/**
 * The OpenAI routes on small real projects (cog.yaml + predict.ts in the worker):
 * the mapping onto inputs, validation at load (cog.yaml:LINE), the 404 without a
 * mapping, errors in OpenAI's shape, queueing (429 only when full), cancel on
 * disconnect and through the Replicate cancel route, failures mid-stream.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeProject } from "@tscog/runtime/testing";
import { serve, type TscogServer } from "../src/index.js";
import { postJson } from "./helpers.js";

const ECHO = `import { BasePredictor, Input, type ConcatenateIterator, type InputsOf, type PredictContext } from "tscog";
const inputs = {
  messages: Input.string({ optional: true }),
  prompt: Input.string({ optional: true }),
  max_new_tokens: Input.integer({ default: 3, ge: 1, le: 100 }),
  stop: Input.list(Input.string(), { default: [] }),
  temperature: Input.number({ default: 1, ge: 0, le: 2 }),
};
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async *predict(input: InputsOf<typeof inputs>, { signal, recordMetric }: PredictContext): ConcatenateIterator<string> {
    const text = input.messages ? JSON.parse(input.messages).map((m: any) => m.role + ":" + m.content).join("|") : input.prompt ?? "";
    yield "[" + text + "|" + input.stop.join(",") + "|" + input.temperature + "]";
    for (let i = 0; i < input.max_new_tokens && !signal.aborted; i++) {
      if (text.includes("slow")) await new Promise((r) => setTimeout(r, 40));
      if (text.includes("fail") && i === 1) throw new Error("the model broke");
      yield " t" + i;
    }
    recordMetric("input_token_count", text.length);
    recordMetric("output_token_count", input.max_new_tokens);
    recordMetric("finish_reason", "length");
  }
}
`;

const COG = `predict: "predict.ts:Predictor"
openai:
  model: echo
  owned_by: tests
  inputs:
    max_tokens: max_new_tokens
`;

async function start(cog = COG, options: Parameters<typeof serve>[0] = {}): Promise<TscogServer> {
  const server = await serve({ dir: makeProject({ "cog.yaml": cog, "predict.ts": ECHO }), ...options });
  await server.ready;
  return server;
}

/** Reads an SSE body's data: payloads until the stream ends. */
async function dataLines(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((b) => b.startsWith("data: "))
    .map((b) => b.slice(6));
}

test("chat and completions map onto the predictor's inputs; messages arrive as JSON", async () => {
  const server = await start();
  try {
    const chat = await postJson(`${server.url}/v1/chat/completions`, {
      model: "anything",
      messages: [
        { role: "developer", content: "be brief" },
        { role: "user", content: [{ type: "text", text: "hi " }, { type: "text", text: "there" }] },
        { role: "assistant", content: null },
      ],
      max_completion_tokens: 2,
      stop: "x",
      temperature: 0.5,
      user: "ignored",
      frequency_penalty: 0,
    });
    assert.equal(chat.status, 200);
    const body = await chat.json();
    assert.equal(body.model, "echo");
    assert.equal(body.choices[0].message.content, "[system:be brief|user:hi there|assistant:|x|0.5] t0 t1");
    assert.equal(body.choices[0].finish_reason, "length");
    assert.deepEqual(body.usage, { prompt_tokens: 40, completion_tokens: 2, total_tokens: 42 });
    // The completion is an ordinary prediction, visible on the other routes.
    const prediction = await (await fetch(`${server.url}/v1/predictions/${body.id.replace(/^chatcmpl-/, "")}`)).json();
    assert.equal(prediction.status, "succeeded");
    assert.equal(prediction.input.max_new_tokens, 2);

    const completion = await (await postJson(`${server.url}/v1/completions`, { model: "echo", prompt: ["go"], max_tokens: 1, stop: ["a", "b"] })).json();
    assert.equal(completion.object, "text_completion");
    assert.equal(completion.choices[0].text, "[go|a,b|1] t0");

    const models = await (await fetch(`${server.url}/v1/models`)).json();
    assert.deepEqual(models.data.map((m: { id: string; owned_by: string }) => [m.id, m.owned_by]), [["echo", "tests"]]);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("bad parameters are 400s in OpenAI's shape naming the parameter", async () => {
  const server = await start();
  try {
    const cases: [unknown, string, RegExp][] = [
      [{ messages: "hi" }, "messages", /non-empty list/],
      [{ messages: [{ role: "tool", content: "x" }] }, "messages[0].role", /system, developer, user, assistant/],
      [{ messages: [{ role: "user", content: "x" }], n: 3 }, "n", /n must be 1/],
      [{ messages: [{ role: "user", content: "x" }], temperature: 7 }, "temperature", /from 0 to 2/],
      [{ messages: [{ role: "user", content: "x" }], max_tokens: 0 }, "max_tokens", /≥ 1/],
      [{ messages: [{ role: "user", content: "x" }], seed: 1.5 }, "seed", /^seed must be an integer; got 1.5\.$/],
      [{ messages: [{ role: "user", content: "x" }], max_tokens: 500 }, "max_tokens", /less than or equal to 100/],
      [{ messages: [{ role: "user", content: "x" }], stop: ["a", "b", "c", "d", "e"] }, "stop", /up to 4/],
      [{ messages: [{ role: "user", content: "x" }], stream_options: { include_usage: true } }, "stream_options", /only allowed with stream: true/],
      [{ messages: [{ role: "user", content: "x" }], tools: [{ type: "function" }] }, "tools", /not supported/],
    ];
    for (const [body, param, message] of cases) {
      const res = await postJson(`${server.url}/v1/chat/completions`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const { error } = await res.json();
      assert.equal(error.type, "invalid_request_error");
      assert.equal(error.param, param, JSON.stringify(error));
      assert.match(error.message, message);
    }
    const notJson = await fetch(`${server.url}/v1/completions`, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    assert.equal(notJson.status, 415);
    assert.equal((await notJson.json()).error.code, "unsupported_media_type");
    const wrongMethod = await fetch(`${server.url}/v1/chat/completions`);
    assert.equal(wrongMethod.status, 405);
    assert.equal((await wrongMethod.json()).error.type, "invalid_request_error");
    const badPrompt = await postJson(`${server.url}/v1/completions`, { prompt: [1, 2, 3] });
    assert.equal((await badPrompt.json()).error.param, "prompt");
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("streams: role first, deltas, finish_reason, usage when asked, [DONE]; a failure sends an error before [DONE]", async () => {
  const server = await start();
  try {
    const res = await postJson(`${server.url}/v1/chat/completions`, { messages: [{ role: "user", content: "a\nb" }], max_tokens: 2, stream: true, stream_options: { include_usage: true } });
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const data = await dataLines(res);
    assert.equal(data.at(-1), "[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    assert.deepEqual(chunks.map((c) => c.choices[0]?.delta ?? null), [
      { role: "assistant", content: "" },
      { content: "[user:a\nb||1]" },
      { content: " t0" },
      { content: " t1" },
      {},
      null,
    ]);
    assert.deepEqual(chunks.map((c) => c.choices[0]?.finish_reason ?? null), [null, null, null, null, "length", null]);
    assert.deepEqual(chunks.at(-1).usage, { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 });

    const failing = await dataLines(await postJson(`${server.url}/v1/completions`, { prompt: "fail", max_tokens: 5, stream: true }));
    assert.equal(failing.at(-1), "[DONE]");
    const error = JSON.parse(failing.at(-2)!).error;
    assert.equal(error.type, "server_error");
    assert.match(error.message, /the model broke/);
    const plain = await postJson(`${server.url}/v1/completions`, { prompt: "fail", max_tokens: 5 });
    assert.equal(plain.status, 500);
    assert.match((await plain.json()).error.message, /the model broke/);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("busy: requests queue as on the Replicate routes, a full queue is a 429; disconnecting cancels; so does the Replicate cancel route", async () => {
  const server = await start('predict: "predict.ts:Predictor"\nconcurrency:\n  max: 1\n  queue_max: 1\nopenai:\n  inputs:\n    max_tokens: max_new_tokens\n');
  try {
    const slow = { messages: [{ role: "user", content: "slow" }], max_tokens: 100, stream: true };
    const gone = new AbortController();
    const first = await postJson(`${server.url}/v1/chat/completions`, slow, {}).then((r) => r);
    const reader = first.body!.getReader();
    await reader.read();
    const second = fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...slow, max_tokens: 2 }),
      signal: gone.signal,
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.service.queueLength, 1, "the second request waits in the queue (no 409)");
    const third = await postJson(`${server.url}/v1/chat/completions`, slow);
    assert.equal(third.status, 429);
    assert.equal(third.headers.get("retry-after"), "5");
    assert.equal((await third.json()).error.type, "rate_limit_error");

    // The queued client goes away: its prediction is canceled at once.
    gone.abort();
    await second.then((r) => r.body?.cancel()).catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.service.queueLength, 0);

    // The streaming client disconnects: its generation is canceled.
    const id = server.service.store.page({ cursor: null, limit: 10, maxBytes: 1e9 }).results.find((p) => p.status === "processing")!.id;
    await reader.cancel();
    const running = server.service.get(id)!;
    await running.done;
    assert.equal(running.status, "canceled");

    // The id behind chatcmpl- cancels through Replicate's route; the stream ends with an error, then [DONE].
    const res = await postJson(`${server.url}/v1/completions`, { prompt: "slow", max_tokens: 100, stream: true });
    const r2 = res.body!.getReader();
    const firstChunk = JSON.parse(new TextDecoder().decode((await r2.read()).value).split("\n")[0]!.slice(6));
    const cancel = await postJson(`${server.url}/v1/predictions/${firstChunk.id.replace(/^cmpl-/, "")}/cancel`, {});
    assert.equal(cancel.status, 200);
    let rest = "";
    for (let chunk = await r2.read(); !chunk.done; chunk = await r2.read()) rest += new TextDecoder().decode(chunk.value);
    assert.match(rest, /"code":"canceled"/);
    assert.ok(rest.endsWith("data: [DONE]\n\n"));
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("without an openai section the routes answer a 404 that says how to enable them", async () => {
  const server = await start('predict: "predict.ts:Predictor"\n');
  try {
    for (const [method, path] of [["POST", "/v1/chat/completions"], ["POST", "/v1/completions"], ["GET", "/v1/models"]] as const) {
      const res = await fetch(`${server.url}${path}`, { method, headers: { "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined });
      assert.equal(res.status, 404);
      const { error } = await res.json();
      assert.match(error.message, /no openai section[\s\S]*openai:\n {2}inputs:\n {4}messages: messages/);
    }
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("the mapping is checked when the predictor loads: an unknown input is a cog.yaml:LINE error", async () => {
  const cog = 'predict: "predict.ts:Predictor"\nopenai:\n  inputs:\n    max_tokens: max_new_tokenz\n';
  const server = await start(cog);
  try {
    const health = server.service.health();
    assert.equal(health.status, "SETUP_FAILED");
    assert.match(health.setup.logs, /cog\.yaml:4: openai\.inputs\.max_tokens names the input "max_new_tokenz", which the predictor does not have \(did you mean "max_new_tokens"\?\)/);
    // Past the restart back-off (1 s) it is still SETUP_FAILED: a predictor that cannot load is not restarted in a loop.
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(server.service.health().status, "SETUP_FAILED");
    const res = await postJson(`${server.url}/v1/completions`, { prompt: "x" });
    assert.equal(res.status, 503);
    assert.match((await res.json()).error.message, /could not be loaded or set up; see \/health-check/);
  } finally {
    await server.close({ graceMs: 100 });
  }
  const typed = await start('predict: "predict.ts:Predictor"\nopenai:\n  inputs:\n    seed: prompt\n');
  try {
    assert.match(typed.service.health().setup.logs, /cog\.yaml:4: openai\.inputs\.seed: the input "prompt" is a string input; seed needs an integer input/);
  } finally {
    await typed.close({ graceMs: 100 });
  }
});
