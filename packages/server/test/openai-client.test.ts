/**
 * The official `openai` npm client, unmodified, against the built-in model
 * (templates/tiny-lm, whose cog.yaml enables the OpenAI routes) behind a token.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { serve, type TscogServer } from "../src/index.js";

const TINY_LM = fileURLToPath(new URL("../../../../templates/tiny-lm", import.meta.url));
const TOKEN = "sk-test-openai-123";
let server: TscogServer;
let client: OpenAI;

before(async () => {
  server = await serve({ dir: TINY_LM, token: TOKEN });
  await server.ready;
  assert.equal(server.service.health().status, "READY", server.service.health().setup.logs);
  client = new OpenAI({ apiKey: TOKEN, baseURL: `${server.url}/v1`, maxRetries: 0 });
});
after(() => server.close({ graceMs: 100 }));

const CHAT = [
  { role: "system" as const, content: "You are the President." },
  { role: "user" as const, content: "What is the state of the union?" },
];

test("openai client: chat.completions.create, without and with stream: true, gives the same text for the same seed", async () => {
  const plain = await client.chat.completions.create({ model: "tiny-lm", messages: CHAT, max_tokens: 24, seed: 11, temperature: 0.8 });
  assert.equal(plain.object, "chat.completion");
  assert.equal(plain.model, "tiny-lm");
  assert.match(plain.id, /^chatcmpl-/);
  const choice = plain.choices[0]!;
  assert.equal(choice.message.role, "assistant");
  assert.ok(choice.message.content && choice.message.content.length > 0);
  assert.equal(choice.finish_reason, "length", "24 tokens of a base model: it hits max_tokens");
  assert.equal(plain.usage?.completion_tokens, 24);
  assert.ok((plain.usage?.prompt_tokens ?? 0) > 5);
  assert.equal(plain.usage?.total_tokens, plain.usage!.prompt_tokens + 24);

  const stream = await client.chat.completions.create({
    model: "tiny-lm",
    messages: CHAT,
    max_tokens: 24,
    seed: 11,
    temperature: 0.8,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let role: string | undefined;
  let finish: string | null | undefined;
  let usage: OpenAI.CompletionUsage | null | undefined;
  let chunks = 0;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "chat.completion.chunk");
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    const c = chunk.choices[0];
    if (!c) continue;
    role ??= c.delta.role;
    text += c.delta.content ?? "";
    if (c.finish_reason) finish = c.finish_reason;
  }
  assert.equal(role, "assistant");
  assert.ok(chunks > 5, `${chunks} chunks`);
  assert.equal(text, choice.message.content, "streamed text equals the non-streamed text for the same seed");
  assert.equal(finish, "length");
  assert.deepEqual(usage, plain.usage);
});

test("openai client: a stop sequence ends the chat with finish_reason stop", async () => {
  const long = await client.chat.completions.create({ model: "tiny-lm", messages: CHAT, max_tokens: 40, seed: 5 });
  const text = long.choices[0]!.message.content!;
  const stop = text.includes(",") ? "," : text.trim().split(" ")[1]!;
  const stopped = await client.chat.completions.create({ model: "tiny-lm", messages: CHAT, max_tokens: 40, seed: 5, stop: [stop] });
  assert.equal(stopped.choices[0]!.finish_reason, "stop");
  assert.ok(!stopped.choices[0]!.message.content!.includes(stop));
  assert.ok(text.startsWith(stopped.choices[0]!.message.content!));
});

test("openai client: completions.create, plain and streamed", async () => {
  const plain = await client.completions.create({ model: "tiny-lm", prompt: "The state of the nation", max_tokens: 16, seed: 3 });
  assert.equal(plain.object, "text_completion");
  assert.equal(plain.choices[0]!.finish_reason, "length");
  assert.equal(plain.usage?.completion_tokens, 16);
  const stream = await client.completions.create({ model: "tiny-lm", prompt: "The state of the nation", max_tokens: 16, seed: 3, stream: true });
  let text = "";
  let finish: string | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.text ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(text, plain.choices[0]!.text);
  assert.equal(finish, "length");
});

test("openai client: models.list and models.retrieve", async () => {
  const models = [];
  for await (const m of client.models.list()) models.push(m);
  assert.deepEqual(
    models.map((m) => [m.id, m.object, m.owned_by]),
    [["tiny-lm", "model", "tscog"]],
  );
  assert.equal((await client.models.retrieve("tiny-lm")).id, "tiny-lm");
  await assert.rejects(client.models.retrieve("gpt-4o"), (err: unknown) => err instanceof OpenAI.NotFoundError);
});

test("openai client: a wrong API key is a 401 AuthenticationError, a bad parameter a 400 naming it", async () => {
  const wrong = new OpenAI({ apiKey: "sk-wrong", baseURL: `${server.url}/v1`, maxRetries: 0 });
  await assert.rejects(wrong.chat.completions.create({ model: "tiny-lm", messages: CHAT }), (err: unknown) => {
    assert.ok(err instanceof OpenAI.AuthenticationError, String(err));
    assert.equal(err.status, 401);
    assert.equal((err.error as { type?: string }).type, "authentication_error");
    return true;
  });
  await assert.rejects(client.chat.completions.create({ model: "tiny-lm", messages: CHAT, n: 2 }), (err: unknown) => {
    assert.ok(err instanceof OpenAI.BadRequestError, String(err));
    assert.equal(err.param, "n");
    assert.match(err.message, /n must be 1/);
    return true;
  });
  await assert.rejects(client.chat.completions.create({ model: "tiny-lm", messages: CHAT, max_tokens: 100_000 }), (err: unknown) => {
    assert.ok(err instanceof OpenAI.BadRequestError, String(err));
    assert.equal(err.param, "max_tokens");
    assert.match(err.message, /max_tokens must be less than or equal to 1024/);
    return true;
  });
});
