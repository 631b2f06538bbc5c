/**
 * The Vercel AI SDK (`ai` with `@ai-sdk/openai-compatible`), unmodified,
 * against the built-in model's OpenAI routes; and curl -N showing the stream.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateText, streamText } from "ai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { needComponent } from "@tscog/runtime/testing";
import { serve, type TscogServer } from "../src/index.js";

const TINY_LM = fileURLToPath(new URL("../../../../templates/tiny-lm", import.meta.url));
const TOKEN = "sk-test-ai-sdk";
let server: TscogServer;

before(async () => {
  server = await serve({ dir: TINY_LM, token: TOKEN });
  await server.ready;
  assert.equal(server.service.health().status, "READY", server.service.health().setup.logs);
});
after(() => server.close({ graceMs: 100 }));

const provider = () => createOpenAICompatible({ name: "tscog", baseURL: `${server.url}/v1`, apiKey: TOKEN, includeUsage: true });

test("AI SDK: generateText and streamText on the chat route give the same text, finish reason and usage", async () => {
  const options = {
    model: provider()("tiny-lm"),
    system: "You are the President.",
    prompt: "What is the state of the union?",
    maxOutputTokens: 20,
    seed: 9,
    temperature: 0.8,
    maxRetries: 0,
  };
  const plain = await generateText(options);
  assert.ok(plain.text.length > 0);
  assert.equal(plain.finishReason, "length");
  assert.equal(plain.usage.outputTokens, 20);
  assert.ok((plain.usage.inputTokens ?? 0) > 5);

  const streamed = streamText(options);
  let text = "";
  let parts = 0;
  for await (const delta of streamed.textStream) {
    text += delta;
    parts++;
  }
  assert.ok(parts > 5, `${parts} text deltas`);
  assert.equal(text, plain.text);
  assert.equal(await streamed.finishReason, "length");
  assert.deepEqual(
    { input: (await streamed.usage).inputTokens, output: (await streamed.usage).outputTokens },
    { input: plain.usage.inputTokens, output: 20 },
  );
});

test("AI SDK: the completion model uses /v1/completions", async () => {
  const options = { model: provider().completionModel("tiny-lm"), prompt: "The state of the nation", maxOutputTokens: 12, seed: 4, maxRetries: 0 };
  const plain = await generateText(options);
  assert.equal(plain.usage.outputTokens, 12);
  let text = "";
  for await (const delta of streamText(options).textStream) text += delta;
  assert.equal(text, plain.text);
});

test("AI SDK: a server error reaches the caller as an APICallError with OpenAI's message", async () => {
  await assert.rejects(
    generateText({ model: provider()("tiny-lm"), prompt: "Hi", maxOutputTokens: 5000, maxRetries: 0 }),
    (err: Error & { statusCode?: number }) => {
      assert.equal(err.statusCode, 400);
      assert.match(err.message, /max_tokens must be less than or equal to 1024/);
      return true;
    },
  );
});

test("curl -N shows the data: lines as they come, ending with [DONE]", async (t) => {
  if (!needComponent(t, existsSync("/usr/bin/curl"), "curl is not installed (scripts/ci-setup.sh installs it)")) return;
  const body = JSON.stringify({ model: "tiny-lm", messages: [{ role: "user", content: "Hello" }], max_tokens: 8, seed: 1, stream: true });
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      "curl",
      ["-N", "-sS", "--fail-with-body", `${server.url}/v1/chat/completions`, "-H", `Authorization: Bearer ${TOKEN}`, "-H", "Content-Type: application/json", "-d", body],
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}\n${stdout}`)) : resolve(stdout)),
    ),
  );
  const lines = out.split("\n").filter(Boolean);
  assert.ok(lines.every((l) => l.startsWith("data: ")), out);
  assert.equal(lines.at(-1), "data: [DONE]");
  const chunks = lines.slice(0, -1).map((l) => JSON.parse(l.slice(6)));
  assert.deepEqual(chunks[0].choices[0].delta, { role: "assistant", content: "" });
  assert.equal(chunks.filter((c) => c.choices[0]?.delta?.content).length, 8, out);
  assert.equal(chunks.at(-1).choices[0].finish_reason, "length");
  assert.ok(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id));
});
