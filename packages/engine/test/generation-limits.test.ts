import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { TextGenerator, type GenerationResult } from "../src/index.js";
import { byteId, nextTokenModel } from "./next-token-model.js";

/** After "d" comes EOS; after BOS/EOS (0) comes "a"; any other token is followed by the next id. */
const next = (id: number) => (id === byteId("d") ? 0 : id === 0 ? byteId("a") : (id + 1) % 261);
const MAX_POSITIONS = 16;
let dir: string;
let lm: TextGenerator;
before(async () => {
  dir = await nextTokenModel({ next, maxPositions: MAX_POSITIONS });
  lm = await TextGenerator.load(dir, { intraOpThreads: 1 });
});
after(async () => {
  await lm.release();
  await rm(dir, { recursive: true, force: true });
});

async function run(prompt: string, options: Parameters<TextGenerator["stream"]>[1]): Promise<{ text: string; result: GenerationResult }> {
  const gen = lm.stream(prompt, options);
  let text = "";
  for (let n = await gen.next(); ; n = await gen.next()) {
    if (n.done) return { text, result: n.value };
    text += n.value;
  }
}

test("the fixture's batching check passes (its logits do not depend on the cache)", () => {
  assert.equal(lm.batching.maxRows > 1, true);
});

test("generation ends at the end-of-sequence token with finishReason eos", async () => {
  assert.deepEqual(await run("a", { maxNewTokens: 50 }), { text: "bcd", result: { finishReason: "eos", promptTokens: 1, generatedTokens: 3 } });
  assert.deepEqual(await run("b", { maxNewTokens: 50 }), { text: "cd", result: { finishReason: "eos", promptTokens: 1, generatedTokens: 2 } });
  // The token ids too: EOS is never handed out.
  const ids: number[] = [];
  const gen = lm.tokens([byteId("a")], { maxNewTokens: 50 });
  let n = await gen.next();
  for (; !n.done; n = await gen.next()) ids.push(n.value);
  assert.deepEqual(ids, [byteId("b"), byteId("c"), byteId("d")]);
  assert.equal(n.value, "eos");
});

test("maxNewTokens ends generation before EOS with finishReason length", async () => {
  assert.deepEqual(await run("a", { maxNewTokens: 2 }), { text: "bc", result: { finishReason: "length", promptTokens: 1, generatedTokens: 2 } });
  assert.deepEqual(await run("a", { maxNewTokens: 0 }), { text: "", result: { finishReason: "length", promptTokens: 1, generatedTokens: 0 } });
});

test("the context length ends generation: prompt plus output fill max_position_embeddings exactly", async () => {
  // "e" counts up through the bytes without meeting "d" again before the limit.
  const one = await run("e", { maxNewTokens: 100 });
  assert.deepEqual(one.result, { finishReason: "length", promptTokens: 1, generatedTokens: MAX_POSITIONS - 1 });
  assert.equal(one.text, "fghijklmnopqrst");
  const fifteen = await run("efghijklmnopqrs", { maxNewTokens: 100 });
  assert.deepEqual(fifteen, { text: "t", result: { finishReason: "length", promptTokens: 15, generatedTokens: 1 } });
  await assert.rejects(run("efghijklmnopqrst", { maxNewTokens: 1 }), { name: "InputError", message: /the prompt is 16 tokens; this model takes at most 16 positions/ });
});

test("an empty prompt starts from the BOS token", async () => {
  assert.deepEqual(await run("", { maxNewTokens: 50 }), { text: "abcd", result: { finishReason: "eos", promptTokens: 0, generatedTokens: 4 } });
});

test("EOS, length and context limits hold for each row of a batch, rows leaving at different steps", async () => {
  const prompts = ["a", "", "e", "b", "x"];
  const alone = [];
  for (const p of prompts) alone.push(await run(p, { maxNewTokens: p === "x" ? 5 : 100 }));
  const together = await Promise.all(prompts.map((p) => run(p, { maxNewTokens: p === "x" ? 5 : 100 })));
  assert.deepEqual(together, alone);
  assert.deepEqual(together.map((r) => r.result.finishReason), ["eos", "eos", "length", "eos", "length"]);
});
