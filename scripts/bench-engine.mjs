#!/usr/bin/env node
// Benchmarks @tscog/engine on the built-in model (templates/tiny-lm/model) or a model dir given as argv[2].
//   npx tsc -b packages/engine && node scripts/bench-engine.mjs [modelDir] [--tokens 200] [--rounds 5] [--threads 2]
// Prints a Markdown report: setup-to-first-token, RSS, the generation loop vs a bare session.run loop,
// ms per token at positions 32 and 512, sampling + detokenization cost per token on a 128k vocabulary.
//
//   node scripts/bench-engine.mjs --batching [modelDir | --smollm] [--tokens 128] [--rounds 3] [--streams 1,2,4,8,16]
// measures continuous batching instead: aggregate tokens/s of N concurrent TextGenerator.stream() calls
// (32-token prompts, greedy) against one stream, and the time to first token of a request that arrives while
// 7 others generate, against the running batch's step time. `--smollm` uses a random-weight model with
// SmolLM2-135M's shapes, made by scripts/make-smollm-shaped-model.py (Debian's python3-torch and python3-onnx)
// into ~/.cache/tscog-bench/ when absent (about 540 MB, a minute).
//
//   node scripts/bench-engine.mjs --baseline /tmp/engine-before/dist/src/index.js [modelDir] [--tokens 200] [--rounds 5]
// races one stream of this engine against another build of it (e.g. the last commit's: docs/benchmarks/engine.md
// shows how to build one), single steps interleaved, with an A/A control.
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
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { bareBatchedDecode } from "./lib/bare-batch.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const BATCHING = args.includes("--batching");
const SMOLLM_DIR = path.join(os.homedir(), ".cache/tscog-bench/smollm2-135m-shaped");
const positional = args.find((a, i) => !a.startsWith("--") && !["--tokens", "--rounds", "--threads", "--streams", "--baseline"].includes(args[i - 1]));
/** Another build of the engine (its dist/src/index.js) to race a lone stream against, e.g. the last commit's. */
const BASELINE = args.includes("--baseline") ? path.resolve(args[args.indexOf("--baseline") + 1]) : undefined;
const modelDir = args.includes("--smollm") ? SMOLLM_DIR : positional ? path.resolve(positional) : path.join(root, "templates/tiny-lm/model");
if (modelDir === SMOLLM_DIR && !existsSync(path.join(SMOLLM_DIR, "model.onnx"))) {
  console.error(`creating ${SMOLLM_DIR} (scripts/make-smollm-shaped-model.py)...`);
  execFileSync("/usr/bin/python3", [path.join(root, "scripts/make-smollm-shaped-model.py"), "--out", SMOLLM_DIR], { stdio: "inherit" });
}
const N = flag("tokens", BATCHING ? 128 : 200);
const threads = flag("threads", Math.min(2, os.availableParallelism()));
const ROUNDS = flag("rounds", BATCHING ? 3 : 5);
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
/** onnxruntime-node as the engine imports it (one copy: the session's prototype is shared). */
async function onnxRuntime() {
  const ortMod = await import("onnxruntime-node");
  return ortMod.default ?? ortMod;
}

/** The onnxruntime session of `lm`, seen while it generates one token. */
async function sessionOf(lm) {
  const { InferenceSession } = await onnxRuntime();
  const run = InferenceSession.prototype.run;
  let seen;
  InferenceSession.prototype.run = function (...a) {
    seen ??= this;
    return run.apply(this, a);
  };
  try {
    await lm.generate(PROMPT, { maxNewTokens: 1 });
  } finally {
    InferenceSession.prototype.run = run;
  }
  if (!seen) throw new Error("the engine's onnxruntime session was not seen: is onnxruntime-node installed twice?");
  return seen;
}

if (BATCHING) {
  await benchBatching();
  process.exit(0);
}
if (BASELINE) {
  await benchBaseline();
  process.exit(0);
}

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

// The engine's session; and a clock of the time spent inside session.run.
const { InferenceSession, Tensor } = await onnxRuntime();
const session = await sessionOf(lm);
const run = InferenceSession.prototype.run;
let runMs = 0;
async function clocked(...a) {
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

// 3. ms per token at positions 32 and 512: the engine's tokens() (greedy) one generation at a time (two at once
// would share a batch), then two bare generations one step each in turn; every step grows its cache by one token.
const longIds = lm.encode("Fellow citizens of the Senate and House of Representatives. ".repeat(200)).slice(0, 512);
const POS_STEPS = 32;
const pos = { e32: [], e512: [], b32: [], b512: [] };
for (let r = -1; r < ROUNDS; r++) {
  for (const n of r % 2 ? [32, 512] : [512, 32]) {
    const gen = lm.tokens(longIds.slice(0, n), { temperature: 0, maxNewTokens: POS_STEPS + 1 });
    await gen.next();
    for (let s = 0; s < POS_STEPS; s++) {
      const ms = await timeOf(async () => {
        if ((await gen.next()).done) throw new Error("the engine stopped early (EOS): use another model or text");
      });
      if (r >= 0) pos[n === 32 ? "e32" : "e512"].push(ms);
    }
    await gen.return("stop");
  }
  const bares = [bare(), bare()];
  await bares[0](longIds.slice(0, 32));
  await bares[1](longIds);
  for (let s = 0; s < POS_STEPS; s++) {
    for (const [key, f] of (s + r) % 2 ? [["b512", bares[1]], ["b32", bares[0]]] : [["b32", bares[0]], ["b512", bares[1]]]) {
      const ms = await timeOf(() => f([200 + s]));
      if (r >= 0) pos[key].push(ms);
    }
  }
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

ms per token at position 32 → 512 (${ROUNDS} rounds × ${POS_STEPS} steps; the engine's positions one after the other, the bare loop's interleaved; goal ≤ 1.5×):

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

/**
 * Continuous batching, in process through TextGenerator.stream(): rounds of 1, 2, 4, 8, 16 concurrent greedy
 * streams (32-token prompts, N new tokens each; the order of the counts alternates between rounds), aggregate
 * tokens/s and its ratio to one stream within the same round; then the time to first token (tokens()) of
 * requests arriving one by one while 7 streams generate, against the median step time of that batch.
 */
async function benchBatching() {
  const counts = (args.includes("--streams") ? String(args[args.indexOf("--streams") + 1]) : "1,2,4,8,16").split(",").map(Number);
  const loadStart = performance.now();
  const lm = await TextGenerator.load(modelDir, { intraOpThreads: threads, log: (m) => console.error(m) });
  const loadMs = performance.now() - loadStart;
  const cfg = lm.config;
  const openings = ["Fellow citizens of the Senate and House of Representatives", "The state of the nation", "In the year of our Lord", "We the people", "It is my duty to report", "The Congress has before it", "Our relations with foreign powers", "The finances of the Government", "Peace and prosperity", "The army and the navy", "Commerce and manufactures", "The public lands", "Education of the young", "The revenue of the past year", "Our friendly relations", "The Treasury reports"];
  const filler = " have been the subject of much thought in the past year, and the people of the United States expect that the Government will act with care and with courage for the common good of all.";
  const prompts = openings.map((o) => lm.decode(lm.encode(o + filler + filler).slice(0, 32)));
  const promptTokens = prompts.map((p) => lm.encode(p).length);
  const greedy = { temperature: 0, maxNewTokens: N };
  async function streams(n) {
    const start = performance.now();
    const results = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const gen = lm.stream(prompts[i % prompts.length], greedy);
        for (let r = await gen.next(); ; r = await gen.next()) if (r.done) return r.value.generatedTokens;
      }),
    );
    const tokens = results.reduce((a, b) => a + b, 0);
    return { tokensPerSecond: (tokens / (performance.now() - start)) * 1000, short: results.filter((t) => t < N).length };
  }
  // Warm-up: onnxruntime prepares work per input shape.
  await Promise.all(prompts.slice(0, Math.max(...counts)).map((p) => lm.generate(p, { temperature: 0, maxNewTokens: 8 })));
  const tps = Object.fromEntries(counts.map((c) => [c, []]));
  const ratio = Object.fromEntries(counts.map((c) => [c, []]));
  // The ceiling: the same number of rows as bare decode steps on the engine's own session, next to one row.
  const session = await sessionOf(lm);
  const { Tensor } = await onnxRuntime();
  const bare = (rows) => bareBatchedDecode({ session, Tensor, config: cfg, rows, promptLength: Math.min(...promptTokens), steps: N });
  const bareRatio = Object.fromEntries(counts.map((c) => [c, []]));
  let short = 0;
  // The VM's speed drifts within minutes, so each count runs next to its own one-stream run (order alternating).
  for (let r = 0; r < ROUNDS; r++) {
    const order = (r % 2 ? [...counts].reverse() : counts).filter((c) => c !== 1);
    for (const c of order) {
      const pair = {};
      for (const k of r % 2 ? [c, 1] : [1, c]) {
        const res = await streams(k);
        pair[k] = res.tokensPerSecond;
        short += res.short;
        tps[k]?.push(res.tokensPerSecond);
        console.error(`round ${r + 1}: ${k} streams: ${res.tokensPerSecond.toFixed(1)} tokens/s`);
      }
      ratio[c].push(pair[c] / pair[1]);
      ratio[1]?.push(1);
      const barePair = {};
      for (const k of r % 2 ? [c, 1] : [1, c]) barePair[k] = await bare(k);
      bareRatio[c].push(barePair[c] / barePair[1]);
      bareRatio[1]?.push(1);
      console.error(`round ${r + 1}: bare decode steps, ${c} rows: ${(barePair[c] / barePair[1]).toFixed(2)}× one row`);
    }
  }

  // Time to first token while 7 streams generate.
  const ttft = [];
  const stepMs = [];
  const ttftRatio = [];
  for (let r = 0; r < ROUNDS; r++) {
    const controller = new AbortController();
    const gaps = [];
    let tokensSeen = 0;
    const running = prompts.slice(0, 7).map(async (p, i) => {
      let last = performance.now();
      try {
        for await (const _ of lm.tokens(lm.encode(p), { temperature: 0, maxNewTokens: 100000, signal: controller.signal })) {
          const now = performance.now();
          if (i === 0) {
            if (tokensSeen >= 4) gaps.push(now - last);
            tokensSeen++;
          }
          last = now;
        }
      } catch (err) {
        if (err.name !== "AbortError") throw err;
      }
    });
    while (tokensSeen < 4) await new Promise((resolve) => setTimeout(resolve, 1));
    const roundTtft = [];
    for (let k = 0; k < 12; k++) {
      // Arrive at a random moment within a step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * (median(gaps.length ? gaps : [10]) || 10)));
      const start = performance.now();
      const gen = lm.tokens(lm.encode(prompts[7 + (k % 8)]), { temperature: 0, maxNewTokens: 1 });
      await gen.next();
      roundTtft.push(performance.now() - start);
      await gen.return("stop");
    }
    controller.abort();
    await Promise.all(running);
    const step = median(gaps);
    ttft.push(median(roundTtft));
    stepMs.push(step);
    ttftRatio.push(median(roundTtft) / step);
    console.error(`round ${r + 1}: time to first token p50 ${median(roundTtft).toFixed(1)} ms, 7-row step ${step.toFixed(1)} ms`);
  }

  const mmm = (xs, digits = 2, unit = "") => {
    const s = sorted(xs);
    return `${s[0].toFixed(digits)}${unit} / ${median(xs).toFixed(digits)}${unit} / ${s[s.length - 1].toFixed(digits)}${unit}`;
  };
  const shown = modelDir.startsWith(root) ? path.relative(root, modelDir) : modelDir;
  console.log(`## @tscog/engine continuous batching on ${shown}

Machine: ${os.cpus()[0]?.model ?? "?"}, ${os.availableParallelism()} cores (shared), load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}, Node ${process.version}, onnxruntime-node CPU, intra-op threads ${threads}.
Model: ${cfg.modelType}, ${cfg.numLayers} layers, ${cfg.numHeads} heads / ${cfg.numKvHeads} KV heads, head ${cfg.headDim}, vocab ${cfg.vocabSize}; loaded (with the batching check) in ${loadMs.toFixed(0)} ms.
Batching limits: ${JSON.stringify(lm.batching)}.

Concurrent \`stream()\` calls, greedy, prompts of ${Math.min(...promptTokens)}–${Math.max(...promptTokens)} tokens, ${N} new tokens each, ${ROUNDS} rounds, each count run next to a one-stream run (min / median / max)${short ? `; ${short} streams ended early at EOS` : ""}:

The ceiling beside it: bare decode steps at as many rows on the engine's own session (\`session.run\` alone, no prefill,
sampling or streams; ${N} steps from a ${Math.min(...promptTokens)}-token past), × one row run next to it.

| streams | aggregate tokens/s | × the one-stream run next to it | bare decode steps, × one row (the session's ceiling) |
|---|---|---|---|
${counts.map((c) => `| ${c} | ${mmm(tps[c], 1)} | ${mmm(ratio[c])} | ${mmm(bareRatio[c])} |`).join("\n")}

Time to first token of a request (32-token prompt) arriving at a random moment while 7 streams generate, 12 arrivals per round:

| measure | min / median / max over rounds |
|---|---|
| p50 time to first token | ${mmm(ttft, 1, " ms")} |
| step time of the 7-row batch (median gap between tokens) | ${mmm(stepMs, 1, " ms")} |
| **p50 time to first token ÷ step time** (goal ≤ 3) | **${mmm(ttftRatio)}** |
`);
  await lm.release();
}

/**
 * One stream alone: this engine's stream() against the baseline engine's (each its own session, same
 * model and threads), single steps interleaved as in section 2, with an A/A control (this engine against a
 * second instance of itself: two sessions differ by a few percent on their own).
 */
async function benchBaseline() {
  const Baseline = (await import(BASELINE)).TextGenerator;
  const make = (G) => G.load(modelDir, { intraOpThreads: threads });
  const [now, other, base] = [await make(TextGenerator), await make(TextGenerator), await make(Baseline)];
  const stepper = (g) => {
    const s = g.stream(PROMPT, { temperature: 0, maxNewTokens: N + 1 });
    return async () => {
      if ((await s.next()).done) throw new Error("ended early: try another --tokens");
    };
  };
  const ratios = { base: [], control: [] };
  const times = { now: [], base: [], a: [], b: [] };
  for (let r = -1; r < ROUNDS; r++) {
    for (const [kind, x, y] of [["base", now, base], ["control", now, other]]) {
      const [sx, sy] = [stepper(x), stepper(y)];
      const tx = [];
      const ty = [];
      for (let i = 0; i < N; i++) {
        for (const which of (i + r) % 2 ? ["y", "x"] : ["x", "y"]) {
          const ms = await timeOf(which === "x" ? sx : sy);
          if (i > 0) (which === "x" ? tx : ty).push(ms);
        }
      }
      if (r < 0) continue;
      ratios[kind].push(median(ty) / median(tx));
      if (kind === "base") times.now.push(median(tx)), times.base.push(median(ty));
    }
  }
  const mmm = (xs) => `${Math.min(...xs).toFixed(3)} / ${median(xs).toFixed(3)} / ${Math.max(...xs).toFixed(3)}`;
  console.log(`## One stream alone: this engine vs ${BASELINE}

${modelDir}, intra-op threads ${threads}, greedy, ${N} tokens, ${ROUNDS} rounds of interleaved single steps; throughput ratio = baseline's median step ÷ this engine's (min / median / max over rounds; goal ≥ 0.95):

| comparison | throughput ratio | median step (this / other) |
|---|---|---|
| this engine ÷ baseline | **${mmm(ratios.base)}** | ${median(times.now).toFixed(3)} ms / ${median(times.base).toFixed(3)} ms |
| A/A control: this engine ÷ a second instance of it | ${mmm(ratios.control)} | |
`);
  await Promise.all([now.release(), other.release(), base.release()]);
}
