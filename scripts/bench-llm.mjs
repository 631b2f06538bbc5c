#!/usr/bin/env node
// Language-model serving benchmarks: one stream in process vs through `tscog serve`,
// N concurrent streams (continuous batching), time to first token of a request
// that joins a running batch. Build first: npx tsc -b.
//   node scripts/bench-llm.mjs                          # the built-in model
//   node scripts/bench-llm.mjs --model DIR              # another exported model (e.g. the 135M-shaped one)
//   node scripts/bench-llm.mjs --rounds 5 --tokens 128 --streams 1,2,4,8,16
// Each figure is several rounds (min/median/max); ratios are against a baseline
// measured in the same run. The server runs in a child process, the predictor in
// its worker thread, as in production; clients read Replicate streams (urls.stream).
import { startChildServer } from "./lib/child-server.mjs";
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
  const s = [...xs].sort((a, b) => a - b);
  return { min: +s[0].toFixed(3), median: +s[Math.floor(s.length / 2)].toFixed(3), max: +s.at(-1).toFixed(3) };
};
const show = (label, xs, unit = "") => console.log(`  ${label}: min ${stats(xs).min}${unit}, median ${stats(xs).median}${unit}, max ${stats(xs).max}${unit}`);

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
  const { serve } = await import(SERVER);
  const server = await serve({ dir: process.argv[3], port: 0 });
  await server.ready;
  const health = server.service.health();
  if (health.status !== "READY") throw new Error(`setup failed: ${health.setup.logs}`);
  process.stdout.write(`${server.url}\n`);
} else {
  await main();
}

function startServer(dir) {
  return startChildServer(new URL(import.meta.url).pathname, ["--child", dir]);
}

/** One Replicate stream: POST, then read urls.stream to `done`. Returns timings (ms) and the output events. */
async function streamOnce(url, input) {
  const t0 = performance.now();
  const created = await fetch(`${url}/v1/predictions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input, stream: true }),
  });
  const p = await created.json();
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
    text += piece;
    if (text.includes("event: done")) break;
  }
  const ms = performance.now() - t0;
  // Tokens as the engine counted them (a chunk can hold several tokens' text, or none yet).
  const tokens = (await (await fetch(p.urls.get)).json()).metrics?.output_token_count ?? outputs;
  return { ms, firstMs: first, outputs: tokens, chunks: outputs, arrivals };
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
        const a = await local.run();
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
          const t0 = performance.now();
          const all = await Promise.all(Array.from({ length: n }, (_, i) => streamOnce(server.url, input(i))));
          const rate = (all.reduce((s, x) => s + x.outputs, 0) / (performance.now() - t0)) * 1000;
          rates.push(rate);
          ratios.push(rate / ((one.outputs / one.ms) * 1000));
        }
        show(`${n} stream(s)`, rates, " tok/s");
        show(`${n} stream(s) vs 1`, ratios, "×");
      }
    }

    // Time to first token of a request that arrives while 7 others generate, vs the batch's step time.
    if (!args.only || args.only === "ttft") {
      const ttfts = [];
      const steps = [];
      const ratios = [];
      for (let r = 0; r < ROUNDS; r++) {
        const running = Array.from({ length: 7 }, (_, i) => streamOnce(server.url, { ...input(i), max_new_tokens: TOKENS * 2 }));
        await new Promise((res) => setTimeout(res, 300));
        const joiner = await streamOnce(server.url, { ...input(99), max_new_tokens: 8 });
        const others = await Promise.all(running);
        // The running batch's step time: gaps between one running stream's tokens while the joiner was in.
        const a = others[0].arrivals;
        const gaps = [];
        for (let i = 1; i < a.length; i++) if (a[i] !== a[i - 1]) gaps.push(a[i] - a[i - 1]);
        const step = stats(gaps).median;
        ttfts.push(joiner.firstMs);
        steps.push(step);
        ratios.push(joiner.firstMs / step);
      }
      console.log("time to first token while 7 streams generate:");
      show("TTFT", ttfts, " ms");
      show("batch step", steps, " ms");
      show("TTFT / step", ratios, "×");
    }
    await server.stop();
    await local.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}
