#!/usr/bin/env node
// Language-model serving benchmarks: one stream in process vs through `tscog serve`,
// N concurrent streams (continuous batching), time to first token of a request
// that joins a running batch. Build first: npx tsc -b.
//   node scripts/bench-llm.mjs                          # the built-in model
//   node scripts/bench-llm.mjs --model DIR              # another exported model (e.g. the 135M-shaped one)
//   node scripts/bench-llm.mjs --rounds 5 --tokens 128 --streams 1,2,4,8,16
//   node scripts/bench-llm.mjs --only one|concurrent|ttft|heap   # one section; heap: the predictor thread's heap sizing on/off
// Each figure is several rounds (min/median/max); ratios are against a baseline
// measured in the same run. The server runs in a child process, the predictor in
// its worker thread, as in production; clients read Replicate streams (urls.stream).
import { startChildServer } from "./lib/child-server.mjs";
import { minMedianMax } from "./lib/min-median-max.mjs";
import { promptText } from "./lib/prompt-tokens.mjs";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const root = new URL("..", import.meta.url).pathname;
const SERVER = new URL("../packages/server/dist/src/index.js", import.meta.url).href;

const { values: args } = parseArgs({
  args: process.argv[2] === "--child" ? [] : process.argv.slice(2),
  options: {
    model: { type: "string", default: join(root, "templates/tiny-lm/model") },
    rounds: { type: "string", default: "5" },
    tokens: { type: "string", default: "128" },
    streams: { type: "string", default: "1,2,4,8,16" },
    "prompt-tokens": { type: "string", default: "32" },
    only: { type: "string" },
  },
});
const ROUNDS = Number(args.rounds);
const TOKENS = Number(args.tokens);
const STREAMS = args.streams.split(",").map(Number);

const stats = (xs) => {
  const { min, median, max } = minMedianMax(xs);
  return { min: +min.toFixed(3), median: +median.toFixed(3), max: +max.toFixed(3) };
};
const show = (label, xs, unit = "") => console.log(`  ${label}: min ${stats(xs).min}${unit}, median ${stats(xs).median}${unit}, max ${stats(xs).max}${unit}`);
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
// ONNX Runtime's pool threads go on spinning for 100–300 ms after a run (20–30% of a core, seen in
// /proc/<pid>/task); run back to back, each side's spin slows the other's run, so single-stream runs wait it out.
const settle = () => sleep(400);

/** A project that streams greedy tokens from `modelDir`. */
function makeProject(modelDir, concurrency) {
  const dir = mkdtempSync(join(tmpdir(), "tscog-bench-llm-"));
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "cog.yaml"), `predict: "predict.ts:Predictor"\nconcurrency:\n  max: ${concurrency}\n`);
  writeFileSync(
    join(dir, "predict.ts"),
    `import { BasePredictor, Input, TextGenerator, type ConcatenateIterator, type InputsOf, type PredictContext } from "tscog";
const inputs = { prompt: Input.string(), max_new_tokens: Input.integer({ default: 128 }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  lm!: TextGenerator;
  async setup() {
    this.lm = await TextGenerator.load(${JSON.stringify(modelDir)});
  }
  async *predict({ prompt, max_new_tokens }: InputsOf<typeof inputs>, ctx: PredictContext): ConcatenateIterator<string> {
    const stream = this.lm.stream(prompt, { maxNewTokens: max_new_tokens, temperature: 0, signal: ctx.signal });
    for (;;) {
      const step = await stream.next();
      if (step.done) {
        ctx.recordMetric("output_token_count", step.value.generatedTokens);
        return;
      }
      yield step.value;
    }
  }
}
`,
  );
  return dir;
}


if (process.argv[2] === "--child") {
  if (process.argv[4] === "--no-heap-sizing") {
    // The "before" of the predictor thread's heap sizing (server predictor/worker-heap.ts): its V8 flag becomes a no-op.
    const v8 = await import("node:v8");
    v8.default.setFlagsFromString = () => {};
    (await import("node:module")).syncBuiltinESMExports();
  }
  const { serve } = await import(SERVER);
  const server = await serve({ dir: process.argv[3], port: 0 });
  await server.ready;
  const health = server.service.health();
  if (health.status !== "READY") throw new Error(`setup failed: ${health.setup.logs}`);
  process.stdout.write(`${server.url}\n`);
} else {
  await main();
}

function startServer(dir, ...flags) {
  return startChildServer(new URL(import.meta.url).pathname, ["--child", dir, ...flags]);
}

/**
 * One Replicate stream: POST, then read urls.stream to `done`. Returns timings (ms) and the output events.
 * `onCreated(prediction)` sees the created prediction; `onOutput(count)` runs as output events arrive.
 */
async function streamOnce(url, input, { onCreated, onOutput } = {}) {
  const t0 = performance.now();
  const created = await fetch(`${url}/v1/predictions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input, stream: true }),
  });
  const p = await created.json();
  onCreated?.(p);
  const res = await fetch(p.urls.stream, { headers: { accept: "text/event-stream" } });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let outputs = 0;
  let first;
  const arrivals = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const now = performance.now();
    const piece = decoder.decode(value, { stream: true });
    const n = piece.split("event: output\n").length - 1;
    if (n && first === undefined) first = now - t0;
    for (let i = 0; i < n; i++) arrivals.push(now);
    outputs += n;
    if (n) onOutput?.(outputs);
    text += piece;
    if (text.includes("event: done")) break;
  }
  const ms = performance.now() - t0;
  // Tokens as the engine counted them (a chunk can hold several tokens' text, or none yet).
  const tokens = (await (await fetch(p.urls.get)).json()).metrics?.output_token_count ?? outputs;
  return { ms, firstMs: first, outputs: tokens, chunks: outputs, arrivals };
}

/** Aggregate tokens/s of `n` concurrent streams (inputs `input(0..n-1)`) through the server at `url`. */
async function concurrentRate(url, n, input) {
  const t0 = performance.now();
  const all = await Promise.all(Array.from({ length: n }, (_, i) => streamOnce(url, input(i))));
  return (all.reduce((sum, x) => sum + x.outputs, 0) / (performance.now() - t0)) * 1000;
}

async function inProcess(modelDir) {
  const { TextGenerator } = await import(new URL("../packages/engine/dist/src/index.js", import.meta.url).href);
  const lm = await TextGenerator.load(modelDir);
  const prompt = (variant = 0) => promptText(lm, Number(args["prompt-tokens"]), variant);
  const run = async () => {
    const t0 = performance.now();
    const stream = lm.stream(prompt(), { maxNewTokens: TOKENS, temperature: 0 });
    let step;
    while (!(step = await stream.next()).done);
    return { ms: performance.now() - t0, tokens: step.value.generatedTokens };
  };
  await run();
  return { run, prompt, tokensOf: (text) => lm.encode(text).length, close: () => lm.release() };
}

async function main() {
  const maxStreams = Math.max(...STREAMS, 8);
  const dir = makeProject(args.model, maxStreams);
  try {
    const local = await inProcess(args.model);
    console.log(`model ${args.model}; ${TOKENS} new tokens, greedy, ${local.tokensOf(local.prompt())}-token prompts; ${ROUNDS} rounds`);
    const server = await startServer(dir);
    const input = (variant = 0) => ({ prompt: local.prompt(variant), max_new_tokens: TOKENS });
    await streamOnce(server.url, input());

    // One stream through the server vs the same generation in process, alternating.
    if (!args.only || args.only === "one") {
      const ratios = [];
      const localRates = [];
      const servedRates = [];
      for (let r = 0; r < ROUNDS; r++) {
        await settle();
        const a = await local.run();
        await settle();
        const b = await streamOnce(server.url, input());
        localRates.push((a.tokens / a.ms) * 1000);
        servedRates.push((b.outputs / b.ms) * 1000);
        ratios.push(servedRates.at(-1) / localRates.at(-1));
      }
      console.log("one stream (tokens/s):");
      show("in process", localRates);
      show("through tscog serve", servedRates);
      show("ratio served / in process", ratios, "×");
    }

    // N concurrent streams: aggregate tokens/s, as a ratio to one stream in the same round.
    if (!args.only || args.only === "concurrent") {
      console.log("concurrent streams through the server (aggregate tokens/s; ratio to 1 stream in the same round):");
      for (const n of STREAMS) {
        const rates = [];
        const ratios = [];
        for (let r = 0; r < ROUNDS; r++) {
          const one = await streamOnce(server.url, input());
          const rate = await concurrentRate(server.url, n, input);
          rates.push(rate);
          ratios.push(rate / ((one.outputs / one.ms) * 1000));
        }
        show(`${n} stream(s)`, rates, " tok/s");
        show(`${n} stream(s) vs 1`, ratios, "×");
      }
    }

    // Time to first token of requests that arrive while 7 others generate, vs the batch's step time: as in
    // bench-engine --batching, the 7 are past their prefill (4 outputs each) before 12 requests arrive one by
    // one, each at a random moment within a step; the p50 of the 12 is the round's figure.
    if (!args.only || args.only === "ttft") {
      const ttfts = [];
      const steps = [];
      const ratios = [];
      for (let r = 0; r < ROUNDS; r++) {
        const cancels = [];
        // Running streams past their prefill (or already ended), each counted once.
        let generating = 0;
        const running = Array.from({ length: 7 }, (_, i) => {
          let counted = false;
          const count = () => counted || ((counted = true), generating++);
          return streamOnce(server.url, { ...input(i), max_new_tokens: TOKENS * 4 }, {
            onCreated: (p) => cancels.push(p.urls.cancel),
            onOutput: (outputs) => outputs >= 4 && count(),
          }).finally(count);
        });
        while (generating < 7) await sleep(2);
        const from = performance.now();
        const roundTtft = [];
        for (let k = 0; k < 12; k++) {
          await sleep(Math.random() * (steps.at(-1) ?? 5));
          const joiner = await streamOnce(server.url, { ...input(8 + k), max_new_tokens: 1 });
          roundTtft.push(joiner.firstMs ?? joiner.ms); // a token with no text yet (part of a UTF-8 character): its done
        }
        const to = performance.now();
        await Promise.all(cancels.map((c) => fetch(c, { method: "POST" })));
        const others = await Promise.all(running);
        // The running batch's step time: gaps between each running stream's outputs while the requests arrived
        // (a stream that reached its end of text early adds none).
        const gaps = [];
        for (const { arrivals } of others) {
          const a = arrivals.filter((t) => t >= from && t <= to);
          for (let i = 1; i < a.length; i++) if (a[i] !== a[i - 1]) gaps.push(a[i] - a[i - 1]);
        }
        if (gaps.length === 0) throw new Error(`every running stream ended before the arrivals (outputs: ${others.map((o) => o.chunks).join(", ")}; arrivals took ${(to - from).toFixed(0)} ms)`);
        const ttft = stats(roundTtft).median;
        const step = stats(gaps).median;
        ttfts.push(ttft);
        steps.push(step);
        ratios.push(ttft / step);
      }
      console.log("time to first output of a request arriving while 7 streams generate (p50 of 12 per round):");
      show("TTFT", ttfts, " ms");
      show("batch step", steps, " ms");
      show("TTFT / step", ratios, "×");
    }
    // The predictor thread's heap sizing (server predictor/worker-heap.ts): one stream through a server without
    // it vs this one, alternating, with the in-process run beside them.
    if (args.only === "heap") {
      const before = await startServer(dir, "--no-heap-sizing");
      await streamOnce(before.url, input());
      const rates = { local: [], before: [], after: [] };
      for (let r = 0; r < ROUNDS; r++) {
        for (const k of r % 2 ? ["after", "local", "before"] : ["before", "local", "after"]) {
          await settle();
          if (k === "local") {
            const a = await local.run();
            rates.local.push((a.tokens / a.ms) * 1000);
          } else {
            const b = await streamOnce((k === "before" ? before : server).url, input());
            rates[k].push((b.outputs / b.ms) * 1000);
          }
        }
      }
      console.log("one stream, predictor thread's heap sizing (tokens/s):");
      show("in process", rates.local);
      show("served, without the sizing", rates.before);
      show("served, with it", rates.after);
      show("with / without, per round", rates.after.map((x, i) => x / rates.before[i]), "×");
      show("served with it / in process, per round", rates.after.map((x, i) => x / rates.local[i]), "×");
      const n = Math.max(...STREAMS);
      if (n > 1) {
        const agg = { before: [], after: [] };
        for (let r = 0; r < ROUNDS; r++) {
          for (const k of r % 2 ? ["after", "before"] : ["before", "after"]) {
            await settle();
            agg[k].push(await concurrentRate((k === "before" ? before : server).url, n, input));
          }
        }
        console.log(`${n} concurrent streams, aggregate tokens/s:`);
        show("without the sizing", agg.before);
        show("with it", agg.after);
        show("with / without, per round", agg.after.map((x, i) => x / agg.before[i]), "×");
      }
      await before.stop();
    }
    await server.stop();
    await local.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}
