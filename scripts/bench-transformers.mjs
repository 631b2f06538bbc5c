#!/usr/bin/env node
// tscog's engine beside transformers.js (@huggingface/transformers, which runs the same
// onnxruntime-node): the same model, the same prompt ids, greedy, one stream after another.
// Checks that both produce the same tokens, then times text streams alternately
// (tokens/s and time to first token; min/median/max over rounds).
//
// transformers.js is not a dependency of tscog (475 MB with sharp and onnxruntime-web); install it
// once into the benchmark cache from the npm registry:
//   mkdir -p ~/.cache/tscog-bench/transformers-js && cd ~/.cache/tscog-bench/transformers-js \
//     && echo '{"private":true}' > package.json \
//     && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund @huggingface/transformers@4.3.2
// Then (build first: npx tsc -b):
//   node scripts/bench-transformers.mjs                       # the built-in model
//   node scripts/bench-transformers.mjs --model ~/.cache/tscog-bench/smollm2-135m-shaped --tokens 64 --rounds 3
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { minMedianMax } from "./lib/min-median-max.mjs";
import { promptIds } from "./lib/prompt-tokens.mjs";

const root = new URL("..", import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: join(root, "templates/tiny-lm/model") },
    rounds: { type: "string", default: "5" },
    tokens: { type: "string", default: "128" },
    "prompt-tokens": { type: "string", default: "32" },
    "transformers-dir": { type: "string", default: join(homedir(), ".cache/tscog-bench/transformers-js") },
  },
});
const ROUNDS = Number(args.rounds);
const TOKENS = Number(args.tokens);

const packageJson = join(args["transformers-dir"], "package.json");
if (!existsSync(join(args["transformers-dir"], "node_modules/@huggingface/transformers"))) {
  console.error(`bench-transformers: @huggingface/transformers is not installed in ${args["transformers-dir"]}; see the install command at the top of this script`);
  process.exit(2);
}
const tjs = await import(createRequire(packageJson).resolve("@huggingface/transformers"));
const { TextGenerator } = await import(new URL("../packages/engine/dist/src/index.js", import.meta.url).href);

const stats = (xs) => {
  const { min, median, max } = minMedianMax(xs);
  return `min ${min.toFixed(3)}, median ${median.toFixed(3)}, max ${max.toFixed(3)}`;
};

// transformers.js reads <localModelPath>/<name>/onnx/model.onnx beside config.json and the tokenizer.
const linkRoot = mkdtempSync(join(tmpdir(), "tscog-bench-tjs-"));
const linked = join(linkRoot, "model");
mkdirSync(join(linked, "onnx"), { recursive: true });
for (const f of readdirSync(args.model)) symlinkSync(join(args.model, f), f === "model.onnx" ? join(linked, "onnx", f) : join(linked, f));
tjs.env.localModelPath = linkRoot;
tjs.env.allowRemoteModels = false;

try {
  const lm = await TextGenerator.load(args.model);
  const model = await tjs.AutoModelForCausalLM.from_pretrained("model", { dtype: "fp32", device: "cpu" });
  const tokenizer = await tjs.AutoTokenizer.from_pretrained("model");

  const ids = promptIds(lm, Number(args["prompt-tokens"]));
  const prompt = lm.decode(ids);
  const feed = () => ({
    input_ids: new tjs.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
    attention_mask: new tjs.Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
  });
  const greedy = { max_new_tokens: TOKENS, do_sample: false, repetition_penalty: 1 };

  // Same tokens? (tscog's ids vs the ids transformers.js appends to the prompt.)
  const ours = [];
  for await (const id of lm.tokens(ids, { maxNewTokens: TOKENS, temperature: 0, repetitionPenalty: 1 })) ours.push(id);
  const theirs = Array.from((await model.generate({ ...feed(), ...greedy })).data.slice(ids.length), Number);
  const eos = new Set([].concat(model.generation_config?.eos_token_id ?? []));
  const theirsUntilEos = theirs.filter((id, i) => !theirs.slice(0, i + 1).some((t) => eos.has(t)));
  const same = ours.length === theirsUntilEos.length && ours.every((id, i) => id === theirsUntilEos[i]);
  console.log(`model ${args.model}; ${ids.length}-token prompt, ${TOKENS} new tokens, greedy; ${ROUNDS} rounds, alternating`);
  console.log(`same tokens: ${same ? "yes" : "NO"} (tscog ${ours.length}, transformers.js ${theirsUntilEos.length} before EOS)`);

  const runOurs = async () => {
    const t0 = performance.now();
    let first;
    const stream = lm.stream(prompt, { maxNewTokens: TOKENS, temperature: 0, repetitionPenalty: 1 });
    let step;
    while (!(step = await stream.next()).done) first ??= performance.now() - t0;
    return { ms: performance.now() - t0, first, tokens: step.value.generatedTokens };
  };
  const runTheirs = async () => {
    const t0 = performance.now();
    let first;
    // TextStreamer decodes as tokens arrive, as a server streaming text would.
    const streamer = new tjs.TextStreamer(tokenizer, { skip_prompt: true, callback_function: () => (first ??= performance.now() - t0) });
    const out = await model.generate({ ...feed(), ...greedy, streamer });
    return { ms: performance.now() - t0, first, tokens: out.dims[1] - ids.length };
  };
  await runOurs();
  await runTheirs();
  const rows = { ours: [], theirs: [], ratio: [], oursFirst: [], theirsFirst: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const a = await runOurs();
    const b = await runTheirs();
    rows.ours.push((a.tokens / a.ms) * 1000);
    rows.theirs.push((b.tokens / b.ms) * 1000);
    rows.ratio.push(rows.ours.at(-1) / rows.theirs.at(-1));
    rows.oursFirst.push(a.first);
    rows.theirsFirst.push(b.first);
  }
  console.log(`tscog TextGenerator.stream (tokens/s): ${stats(rows.ours)}`);
  console.log(`transformers.js generate + TextStreamer (tokens/s): ${stats(rows.theirs)}`);
  console.log(`ratio tscog / transformers.js: ${stats(rows.ratio)}×`);
  console.log(`time to first text (ms): tscog ${stats(rows.oursFirst)}; transformers.js ${stats(rows.theirsFirst)}`);
  await model.dispose?.();
  await lm.release();
} finally {
  rmSync(linkRoot, { recursive: true, force: true });
}
