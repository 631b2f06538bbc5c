#!/usr/bin/env node
// Benchmarks @tscog/engine on the built-in model (templates/tiny-lm/model) or a model dir given as argv[2].
//   npx tsc -b packages/engine && node scripts/bench-engine.mjs [modelDir] [--tokens 200] [--rounds 5] [--threads 2]
// Prints a Markdown report: setup-to-first-token, RSS, the generation loop vs a bare session.run loop,
// ms per token at positions 32 and 512, sampling + detokenization cost per token on a 128k vocabulary.
//
// This VM's speed drifts by tens of percent within seconds, so comparisons interleave single steps (one step
// of A, one of B, the order alternating) at the same position, and compare medians and 10%-trimmed means of
// the per-step times. The bare loop runs on the engine's own onnxruntime session (same weights in cache, same
// thread pool), with its own KV cache; an A/A control (the bare loop against itself) shows the method's error.
const t0 = performance.now();
const { TextGenerator, Sampler, IncrementalDetokenizer, createRandom } = await import("../packages/engine/dist/src/index.js");
import path from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const modelDir = args[0] && !args[0].startsWith("--") ? path.resolve(args[0]) : path.join(root, "templates/tiny-lm/model");
const N = flag("tokens", 200);
const threads = flag("threads", Math.min(2, os.availableParallelism()));
const ROUNDS = flag("rounds", 5);
const PROMPT = "The state of the nation";
const sorted = (xs) => Float64Array.from(xs).sort();
const median = (xs) => sorted(xs)[xs.length >> 1];
const trimmedMean = (xs) => {
  const s = sorted(xs);
  const cut = Math.floor(s.length / 10);
  const kept = s.subarray(cut, s.length - cut);
  return kept.reduce((a, b) => a + b, 0) / kept.length;
};
const timeOf = async (f) => {
  const start = performance.now();
  await f();
  return performance.now() - start;
};

// 1. setup() (TextGenerator.load, which imports onnxruntime) to first token; RSS after load.
const loadStart = performance.now();
const lm = await TextGenerator.load(modelDir, { intraOpThreads: threads });
const loadedMs = performance.now() - t0;
const rssAfterLoad = process.memoryUsage().rss;
const first = lm.stream(PROMPT, { temperature: 0, maxNewTokens: 1 });
await first.next();
const firstTokenMs = performance.now() - t0;
const setupToFirstMs = performance.now() - loadStart;
await first.return(undefined);

// The engine's session, caught in the act; and a clock of the time spent inside session.run.
const ortMod = await import("onnxruntime-node");
const { InferenceSession, Tensor } = ortMod.default ?? ortMod;
const run = InferenceSession.prototype.run;
let session;
let runMs = 0;
async function clocked(...a) {
  session ??= this;
  const start = performance.now();
  try {
    return await run.apply(this, a);
  } finally {
    runMs += performance.now() - start;
  }
}
const clockRuns = (on) => {
  InferenceSession.prototype.run = on ? clocked : run;
};
clockRuns(true);
await lm.generate(PROMPT, { maxNewTokens: 1 });
clockRuns(false);
if (!session) throw new Error("the engine's onnxruntime session was not seen: is onnxruntime-node installed twice?");
const cfg = lm.config;
const hasPos = session.inputNames.includes("position_ids");
const pastMeta = session.inputMetadata.find((m) => m.name === "past_key_values.0.key");
const layers = Array.from({ length: cfg.numLayers }, (_, i) => i);

/** A bare generation on the engine's session: `step(ids)` builds feeds and runs ids after everything fed so far. */
function bare() {
  let past = {};
  for (const i of layers) {
    for (const k of ["key", "value"]) {
      const dims = [1, cfg.numKvHeads, 0, cfg.headDim];
      past[`past_key_values.${i}.${k}`] = pastMeta?.type === "float16" ? new Tensor("float16", new Uint16Array(0), dims) : new Tensor("float32", new Float32Array(0), dims);
    }
  }
  let len = 0;
  return async (input) => {
    const n = input.length;
    const feeds = { ...past, input_ids: new Tensor("int64", BigInt64Array.from(input, BigInt), [1, n]), attention_mask: new Tensor("int64", new BigInt64Array(len + n).fill(1n), [1, len + n]) };
    if (hasPos) feeds.position_ids = new Tensor("int64", BigInt64Array.from({ length: n }, (_, i) => BigInt(len + i)), [1, n]);
    const out = await session.run(feeds);
    past = {};
    for (const i of layers) for (const k of ["key", "value"]) past[`past_key_values.${i}.${k}`] = out[`present.${i}.${k}`];
    len += n;
  };
}

// 2. Generation loop vs the bare loop, step by step. The engine runs stream() (greedy, the model's
// repetition penalty, incremental detokenization, stop filter, two async generators), which yields one chunk
// per token on this text; the bare loop feeds the same prompt and the same token ids.
const promptIds = lm.encode(PROMPT);
const ids = [];
for await (const id of lm.tokens(promptIds, { temperature: 0, maxNewTokens: N })) ids.push(id);
/** One step per call: the prompt first, then the engine's tokens. */
function bareFeeder() {
  const step = bare();
  let fed = -1;
  return () => step(fed < 0 ? (fed++, promptIds) : [ids[fed++]]);
}
function engineStepper() {
  const stream = lm.stream(PROMPT, { temperature: 0, maxNewTokens: ids.length });
  return async () => {
    if ((await stream.next()).done) throw new Error("the engine ended early (a token without a text chunk?): try another --tokens");
  };
}
/** Per-step ms after the prompt of `a` and `b`, alternating (order swapped every step); and ms outside session.run. */
async function interleave(a, b, parity) {
  const out = { a: [], b: [], aOutside: [], bOutside: [] };
  for (let s = 0; s < ids.length; s++) {
    for (const which of (s + parity) % 2 ? ["b", "a"] : ["a", "b"]) {
      const inRun = runMs;
      const ms = await timeOf(which === "a" ? a : b);
      if (s === 0) continue; // the prompt
      out[which].push(ms);
      out[`${which}Outside`].push(ms - (runMs - inRun));
    }
  }
  return out;
}
const loop = { engine: [], bare: [], control: [], controlBare: [], engineOutside: [], bareOutside: [] };
for (let r = -1; r < ROUNDS; r++) {
  const e = await interleave(engineStepper(), bareFeeder(), r & 1);
  const c = await interleave(bareFeeder(), bareFeeder(), r & 1);
  if (r < 0) continue; // warm-up: onnxruntime caches per input shape
  loop.engine.push(...e.a);
  loop.bare.push(...e.b);
  loop.control.push(...c.a);
  loop.controlBare.push(...c.b);
}
// The same with session.run's time clocked (the wrapper costs both sides alike): what each adds per token.
clockRuns(true);
for (let r = 0; r < 2; r++) {
  const e = await interleave(engineStepper(), bareFeeder(), r);
  loop.engineOutside.push(...e.aOutside);
  loop.bareOutside.push(...e.bOutside);
}
clockRuns(false);

// 3. ms per token at positions 32 and 512: two engine generations (tokens(), greedy) one step each in turn,
// then two bare ones; every step grows its cache by one token, as generation does.
const longIds = lm.encode("Fellow citizens of the Senate and House of Representatives. ".repeat(200)).slice(0, 512);
const POS_STEPS = 32;
const pos = { e32: [], e512: [], b32: [], b512: [] };
for (let r = -1; r < ROUNDS; r++) {
  const gens = [32, 512].map((n) => lm.tokens(longIds.slice(0, n), { temperature: 0, maxNewTokens: POS_STEPS + 1 }));
  const bares = [bare(), bare()];
  await gens[0].next();
  await gens[1].next();
  await bares[0](longIds.slice(0, 32));
  await bares[1](longIds);
  const engineStep = (g) => async () => {
    if ((await g.next()).done) throw new Error("the engine stopped early (EOS): use another model or text");
  };
  for (const [k32, k512, step32, step512] of [["e32", "e512", engineStep(gens[0]), engineStep(gens[1])], ["b32", "b512", (s) => bares[0]([200 + s]), (s) => bares[1]([200 + s])]]) {
    for (let s = 0; s < POS_STEPS; s++) {
      for (const [key, f] of (s + r) % 2 ? [[k512, step512], [k32, step32]] : [[k32, step32], [k512, step512]]) {
        const ms = await timeOf(() => f(s));
        if (r >= 0) pos[key].push(ms);
      }
    }
  }
  await Promise.all(gens.map((g) => g.return("stop")));
}
const rerunMs = await timeOf(() => bare()(longIds.concat([200])));

// 4. Sampling + detokenization per token on a 128k vocabulary (synthetic Gaussian logits, sd 3).
const V = 128256;
const rand = createRandom(1);
const base = new Float32Array(V);
for (let i = 0; i < V; i++) base[i] = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand()) * 3;
const seen = new Set(Array.from({ length: 512 }, (_, i) => (i * 251) % V));
const samplerOptions = {
  greedy: { temperature: 0 },
  "temperature 0.8, top-k 50, top-p 0.95, rep. penalty 1.1": { temperature: 0.8, topK: 50, topP: 0.95, repetitionPenalty: 1.1 },
  "temperature 0.8, top-p 0.95 (no top-k)": { temperature: 0.8, topP: 0.95 },
  "temperature 1, no top-k/top-p": { temperature: 1 },
};
const samplers = Object.values(samplerOptions).map((o) => new Sampler({ seed: 1, ...o }));
/** The baseline: the textbook softmax normaliser, one Math.exp per token (no sampling yet). */
const naiveSoftmaxSum = (logits) => {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return sum;
};
const samplerMs = [...samplers.map(() => []), []];
const row = new Float32Array(V);
for (let rep = 0; rep < 400; rep++) {
  for (let k = 0; k <= samplers.length; k++) {
    row.set(base); // fresh logits each time, as each step's come from onnxruntime
    const start = performance.now();
    if (k < samplers.length) samplers[k].next(row, seen);
    else naiveSoftmaxSum(row);
    if (rep >= 50) samplerMs[k].push(performance.now() - start);
  }
}
const naiveMs = median(samplerMs[samplers.length]);
const text = "Emoji 😀 and café, 日本語. ".repeat(4) + (await lm.generate(PROMPT, { temperature: 0.8, topK: 50, seed: 3, maxNewTokens: 300 }));
const textIds = lm.encode(text);
/** ms per token to stream textIds through a fresh detokenizer from `make` (median of 21 passes). */
function detokMs(make) {
  const passes = [];
  for (let r = 0; r < 22; r++) {
    const start = performance.now();
    const d = make();
    for (const id of textIds) d.push(id);
    d.flush();
    if (r > 0) passes.push((performance.now() - start) / textIds.length); // pass 0 fills per-token caches
  }
  return median(passes);
}
const detok = { model: detokMs(() => lm.detokenizer(promptIds)), generic: detokMs(() => new IncrementalDetokenizer((x) => lm.decode(x), { context: promptIds })) };

const ms = (x) => `${x.toFixed(3)} ms`;
const us = (x) => `${(x * 1000).toFixed(1)} µs`;
/** Per-step times of a and b (median | trimmed mean) and b/a, a's throughput relative to b's. */
const compare = (a, b) =>
  [median, trimmedMean].map((stat) => `${ms(stat(a))} / ${ms(stat(b))}: **${(stat(b) / stat(a)).toFixed(3)}×**`).join(" | ");
const growth = (a32, a512) => [median, trimmedMean].map((stat) => `${ms(stat(a32))} → ${ms(stat(a512))}: **${(stat(a512) / stat(a32)).toFixed(2)}×**`).join(" | ");
const outside = (x) => `${us(median(x))} | ${us(trimmedMean(x))}`;
console.log(`## @tscog/engine on ${path.relative(root, modelDir) || modelDir}

Machine: ${os.cpus()[0]?.model ?? "?"}, ${os.availableParallelism()} cores (shared), Node ${process.version}, onnxruntime-node CPU, intra-op threads ${threads}.
Model: ${cfg.modelType}, ${cfg.numLayers} layers, ${cfg.numHeads} heads / ${cfg.numKvHeads} KV heads, head ${cfg.headDim}, vocab ${cfg.vocabSize}, ${pastMeta?.type ?? "?"} KV cache.

| measure | value |
|---|---|
| process start → model loaded (\`TextGenerator.load\` done) | ${loadedMs.toFixed(0)} ms |
| process start → first token | ${firstTokenMs.toFixed(0)} ms |
| \`TextGenerator.load\` call (what \`setup()\` runs) → first token | ${setupToFirstMs.toFixed(0)} ms |
| RSS after load | ${(rssAfterLoad / 2 ** 20).toFixed(0)} MiB |

Generation loop, per token after the prompt (${ROUNDS} rounds × ${ids.length - 1} interleaved steps on one session):

| comparison | median per step a / b: **throughput a ÷ b** | 10%-trimmed mean a / b: **throughput** |
|---|---|---|
| engine \`stream()\` / bare \`session.run\` loop (goal ≥ 0.95×) | ${compare(loop.engine, loop.bare)} |
| A/A control: bare / bare | ${compare(loop.control, loop.controlBare)} |

| time per token outside \`session.run\` (2 rounds) | median | 10%-trimmed mean |
|---|---|---|
| engine \`stream()\` | ${outside(loop.engineOutside)} |
| bare loop | ${outside(loop.bareOutside)} |

ms per token at position 32 → 512 (${ROUNDS} rounds × ${POS_STEPS} steps, the two positions interleaved; goal ≤ 1.5×):

| loop | median | 10%-trimmed mean |
|---|---|---|
| engine \`tokens()\` | ${growth(pos.e32, pos.e512)} |
| bare \`session.run\` | ${growth(pos.b32, pos.b512)} |

Re-running all 513 tokens without the cache: ${rerunMs.toFixed(1)} ms.

Sampling on a ${V}-entry vocabulary (median per token of 350, the samplers interleaved; ${seen.size} seen tokens for the penalty):

| sampler | ms/token | × baseline |
|---|---|---|
| baseline: max + one \`Math.exp\` per token, summed (no draw) | ${naiveMs.toFixed(3)} | 1 |
${Object.keys(samplerOptions).map((k, i) => `| ${k} | ${median(samplerMs[i]).toFixed(3)} | ${(median(samplerMs[i]) / naiveMs).toFixed(2)} |`).join("\n")}
| detokenization, \`lm.detokenizer()\` (${lm.detokenizer().constructor.name}; per token, ${textIds.length}-token text with emoji/CJK) | ${detok.model.toFixed(4)} | |
| detokenization, generic \`IncrementalDetokenizer\` (two decodes of a window per token) | ${detok.generic.toFixed(4)} | |
`);
await lm.release();
