/**
 * Models exported in fp16 hand back float16 logits; the decoder widens them to float32 before
 * sampling. These tests run a real ONNX session whose logits leave the graph as float16 and check
 * the text against the same model with float32 logits, alone and batched.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { TextGenerator, type GenerateOptions } from "../src/index.js";
import { float16ToFloat32 } from "../src/float16.js";
import { byteId, nextTokenModel } from "./next-token-model.js";

/** After "d" comes EOS; after BOS/EOS comes "a"; any other token is followed by the next id. */
const next = (id: number) => (id === byteId("d") ? 0 : id === 0 ? byteId("a") : (id + 1) % 261);
const dirs: string[] = [];
let fp16: TextGenerator;
let fp32: TextGenerator;
before(async () => {
  const [d16, d32] = await Promise.all([
    nextTokenModel({ next, maxPositions: 64, float16Logits: true }),
    nextTokenModel({ next, maxPositions: 64 }),
  ]);
  dirs.push(d16, d32);
  fp16 = await TextGenerator.load(d16, { intraOpThreads: 1 });
  fp32 = await TextGenerator.load(d32, { intraOpThreads: 1 });
});
after(async () => {
  await fp16.release();
  await fp32.release();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function text(lm: TextGenerator, prompt: string, options: GenerateOptions): Promise<string> {
  let out = "";
  for await (const chunk of lm.stream(prompt, options)) out += chunk;
  return out;
}

test("float16 bit patterns widen to the float32 values IEEE 754 gives them", () => {
  const bits = Uint16Array.from([0x0000, 0x8000, 0x3c00, 0xc000, 0x4900, 0x3555, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00]);
  const out = float16ToFloat32(bits);
  const expected = [0, -0, 1, -2, 10, 0.333251953125, 65504, 2 ** -14, 2 ** -24, 1023 * 2 ** -24, Infinity, -Infinity, NaN];
  assert.equal(out.length, expected.length);
  expected.forEach((e, i) => assert.ok(Object.is(out[i], e), `0x${bits[i].toString(16)} → ${out[i]}, expected ${e}`));
});

test("a model with float16 logits generates the same greedy text as with float32 logits, ending at EOS", async () => {
  assert.equal(await text(fp16, "a", { maxNewTokens: 20 }), "bcd");
  assert.equal(await text(fp16, "k", { maxNewTokens: 5 }), await text(fp32, "k", { maxNewTokens: 5 }));
  assert.equal(await text(fp16, "k", { maxNewTokens: 5 }), "lmnop");
});

test("seeded sampling sees the same logits from a float16 model: same text as float32, alone and batched", async () => {
  // At temperature 4 the known next token (logit 10) gets about 3 % of the mass: the draws depend on
  // every logit's value, so a wrong widening (say 10 read as 20 or as raw bits) changes the text.
  const options = (seed: number): GenerateOptions => ({ maxNewTokens: 24, temperature: 4, topK: 0, seed });
  const alone32 = await Promise.all([1, 2, 3].map(async (seed) => text(fp32, "a", options(seed))));
  const alone16: string[] = [];
  for (const seed of [1, 2, 3]) alone16.push(await text(fp16, "a", options(seed)));
  assert.deepEqual(alone16, alone32);
  assert.notEqual(alone32[0], alone32[1], "the draws are random: different seeds give different text");
  assert.notEqual(alone32[0].slice(0, 3), "bcd", "sampling at temperature 4 leaves the greedy path");
  // The load-time check compares a padded batch's logits (the multi-row step) with each row alone:
  // it passes, so the float16 model batches instead of falling back to one sequence at a time.
  assert.ok(fp16.batching.maxRows > 1, `maxRows ${fp16.batching.maxRows}: the batching check failed on float16 logits`);
  // Streams 2 and 3 start while stream 1 is mid-way, so they join its batch: multi-row decode steps.
  const first = fp16.stream("a", options(1));
  let head = "";
  for (let i = 0; i < 4; i++) head += (await first.next()).value;
  const rest = (async () => {
    for await (const chunk of first) head += chunk;
    return head;
  })();
  const batched16 = await Promise.all([rest, text(fp16, "a", options(2)), text(fp16, "a", options(3))]);
  assert.deepEqual(batched16, alone32);
});
