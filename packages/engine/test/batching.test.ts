import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { TextGenerator, type GenerateOptions } from "../src/index.js";
import { loadOnnxRuntime } from "../src/onnx-decoder.js";
import { byteId, nextTokenModel } from "./next-token-model.js";
import { FIXTURES, TINY_LM } from "./paths.js";
import { byteLevelTokenizer } from "./tokenizers.js";

const PROMPTS = ["The state of the nation", "Fellow citizens of the Senate and House of Representatives:", "We", "In the year of our Lord"];
let lm: TextGenerator;
before(async () => {
  lm = await TextGenerator.load(TINY_LM, { intraOpThreads: 1 });
});
after(async () => {
  await lm.release();
});

/** Batch sizes (input_ids rows) of every session.run while `f` runs. */
async function runRows<T>(f: () => Promise<T>): Promise<{ value: T; rows: number[] }> {
  const ort = await loadOnnxRuntime();
  const proto = (ort.InferenceSession as unknown as { prototype: { run: (...a: unknown[]) => unknown } }).prototype;
  const original = proto.run;
  const rows: number[] = [];
  proto.run = function (this: unknown, ...args: unknown[]) {
    const [feeds, ...rest] = args as [Record<string, { dims: readonly number[] }>, ...unknown[]];
    rows.push(Number(feeds.input_ids.dims[0]));
    return original.call(this, feeds, ...rest);
  };
  try {
    return { value: await f(), rows };
  } finally {
    proto.run = original;
  }
}

/** Token ids of one generation; `onToken(n)` runs after the n-th token is received. */
async function collect(prompt: string, options: GenerateOptions, onToken?: (n: number) => void): Promise<number[]> {
  const ids: number[] = [];
  for await (const id of lm.tokens(lm.encode(prompt), options)) {
    ids.push(id);
    onToken?.(ids.length);
  }
  return ids;
}

/** Text of one stream; `onChunk(n)` runs after the n-th chunk. */
async function text(prompt: string, options: GenerateOptions, onChunk?: (n: number) => void): Promise<string> {
  let out = "";
  let n = 0;
  for await (const chunk of lm.stream(prompt, options)) {
    out += chunk;
    onChunk?.(++n);
  }
  return out;
}

/** Runs `starts[i]()` once the previous generation has received `after[i]` tokens (the first starts at once). */
function staggered<T>(starts: Array<(onToken: (n: number) => void) => Promise<T>>, after: number[]): Promise<T[]> {
  const results: Promise<T>[] = [];
  const launch = (i: number) => {
    results[i] = starts[i]((n) => {
      if (i + 1 < starts.length && n === after[i + 1]) launch(i + 1);
    });
  };
  launch(0);
  // Wait until every generation was launched, then for all of them.
  return (async () => {
    for (let i = 0; i < starts.length; i++) {
      while (!results[i]) await new Promise((r) => setTimeout(r, 1));
      await results[i];
    }
    return Promise.all(results);
  })();
}

test("the built-in model passes the load-time batching check", () => {
  assert.ok(lm.batching.maxRows > 1, `maxRows ${lm.batching.maxRows}`);
});

test("greedy streams give exactly the same tokens alone and batched, joining and leaving mid-way", async () => {
  const lengths = [40, 12, 30, 25];
  const opts = (i: number): GenerateOptions => ({ temperature: 0, maxNewTokens: lengths[i], repetitionPenalty: i === 2 ? 1.3 : 1 });
  const alone: number[][] = [];
  for (let i = 0; i < PROMPTS.length; i++) alone.push(await collect(PROMPTS[i], opts(i)));
  // Row 1 joins after 5 tokens of row 0 and leaves early; rows 2 and 3 join later, while others run.
  const { value: together, rows } = await runRows(() => staggered(PROMPTS.map((p, i) => (onToken) => collect(p, opts(i), onToken)), [0, 5, 3, 8]));
  assert.deepEqual(together, alone);
  assert.ok(Math.max(...rows) >= 3, `batches of ${Math.max(...rows)} rows at most`);
  const steps = rows.length;
  const tokens = lengths.reduce((a, b) => a + b, 0);
  assert.ok(steps < tokens * 0.75, `${steps} runs for ${tokens} tokens: the rows were not batched`);
});

test("seeded sampled streams give the same text alone and batched, each with its own settings and stop strings", async () => {
  const settings: GenerateOptions[] = [
    { temperature: 0.9, topK: 40, topP: 0.95, seed: 1, maxNewTokens: 40 },
    { temperature: 0.7, seed: 2, maxNewTokens: 20, repetitionPenalty: 1.2 },
    { temperature: 1.2, topP: 0.8, seed: 3, maxNewTokens: 35, stop: ["the"] },
    { temperature: 0, maxNewTokens: 30, stop: ["\n"] },
  ];
  const alone: string[] = [];
  for (let i = 0; i < PROMPTS.length; i++) alone.push(await text(PROMPTS[i], settings[i]));
  const together = await staggered(PROMPTS.map((p, i) => (onChunk) => text(p, settings[i], onChunk)), [0, 2, 4, 1]);
  assert.deepEqual(together, alone);
  const simultaneous = await Promise.all(PROMPTS.map((p, i) => text(p, settings[i])));
  assert.deepEqual(simultaneous, alone);
});

test("canceling one stream removes its row and leaves the others' output unchanged", async () => {
  const opts: GenerateOptions = { temperature: 0, maxNewTokens: 30 };
  const alone = [await collect(PROMPTS[0], opts), await collect(PROMPTS[2], opts)];
  const controller = new AbortController();
  const received: number[] = [];
  const canceled = (async () => {
    for await (const id of lm.tokens(lm.encode(PROMPTS[1]), { ...opts, signal: controller.signal })) {
      received.push(id);
      if (received.length === 6) controller.abort(new Error("client went away"));
    }
  })().then(
    () => "not canceled",
    (err: unknown) => err,
  );
  let early = 0;
  const broken = (async () => {
    for await (const _ of lm.stream(PROMPTS[3], opts)) if (++early === 4) break;
  })();
  const { value: others, rows } = await runRows(() => Promise.all([collect(PROMPTS[0], opts), collect(PROMPTS[2], opts)]));
  assert.match(String(await canceled), /client went away/);
  await broken;
  assert.equal(received.length, 6);
  assert.deepEqual(others, alone);
  // The canceled rows left: the last steps ran the two remaining rows only.
  assert.deepEqual(rows.slice(-5), [2, 2, 2, 2, 2]);
});

test("a request that arrives while others generate joins at the next step", async () => {
  let firstTokenAt = -1;
  let runningTokens = 0;
  const running = collect(PROMPTS[0], { temperature: 0, maxNewTokens: 60 }, (n) => {
    runningTokens = n;
    if (n === 10) {
      const submittedAt = runningTokens;
      void collect(PROMPTS[1], { temperature: 0, maxNewTokens: 5 }, (m) => {
        if (m === 1) firstTokenAt = runningTokens - submittedAt;
      });
    }
  });
  await running;
  assert.ok(firstTokenAt >= 0 && firstTokenAt <= 2, `the new request's first token came ${firstTokenAt} steps after it arrived`);
});

test("the row limit and the cached-token budget bound the batch; prompts are prefilled in chunks", async () => {
  const opts: GenerateOptions = { temperature: 0, maxNewTokens: 12 };
  const long = "Fellow citizens of the Senate and House of Representatives: ".repeat(4);
  const alone = [];
  for (const p of [...PROMPTS, long]) alone.push(await collect(p, opts));
  for (const batching of [{ maxRows: 2 }, { maxCachedTokens: 2 * lm.encode(long).length - 1, prefillChunk: 8 }]) {
    const limited = await TextGenerator.load(TINY_LM, { intraOpThreads: 1, batching });
    try {
      const ids = (p: string) => limited.tokens(limited.encode(p), opts);
      const all = async (p: string) => {
        const out: number[] = [];
        for await (const id of ids(p)) out.push(id);
        return out;
      };
      const { value, rows } = await runRows(() => Promise.all([...PROMPTS, long].map(all)));
      assert.deepEqual(value, alone);
      if (batching.maxRows) assert.equal(Math.max(...rows), 2);
      else {
        // The long prompt never shares a step with another row: 2 rows × its length exceed the budget.
        assert.ok(rows.filter((r) => r === 1).length >= Math.ceil(lm.encode(long).length / 8) + opts.maxNewTokens! - 1);
      }
    } finally {
      await limited.release();
    }
  }
});

test("a model whose export ignores the attention mask runs one sequence at a time, and says so", async () => {
  const dir = await nextTokenModel({ next: (id) => (id + 1) % 261, maxPositions: 64, cacheSensitive: true });
  const logs: string[] = [];
  const model = await TextGenerator.load(dir, { intraOpThreads: 1, log: (m) => logs.push(m) });
  try {
    assert.equal(model.batching.maxRows, 1);
    assert.match(logs.join("\n"), /batching is off, generating one sequence at a time.*attention_mask/);
    const prompts = ["a", "hello", "xyz"];
    const alone = [];
    for (const p of prompts) alone.push(await model.generate(p, { maxNewTokens: 6 }));
    const { value, rows } = await runRows(() => Promise.all(prompts.map((p) => model.generate(p, { maxNewTokens: 6 }))));
    assert.deepEqual(value, alone);
    assert.deepEqual(alone[0], "bcdefg");
    assert.equal(Math.max(...rows), 1);
  } finally {
    await model.release();
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(byteId("a"), 98);
});

test("a float32-cache export (GQA-free, GPT-2 config names) batches exactly too", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "tscog-fp32-batch-"));
  for (const f of ["model.onnx", "config.json"]) await symlink(path.join(FIXTURES, "tiny-fp32", f), path.join(dir, f));
  await writeFile(path.join(dir, "tokenizer.json"), JSON.stringify(byteLevelTokenizer()));
  const model = await TextGenerator.load(dir, { intraOpThreads: 1 });
  try {
    assert.ok(model.batching.maxRows > 1);
    const prompts = ["hi", "the cat sat on the mat", "a", "xyz xyz"];
    const run = async (p: string, i: number) => {
      const ids: number[] = [];
      for await (const id of model.tokens(model.encode(p), { temperature: 0, repetitionPenalty: 1, maxNewTokens: 6 + 4 * i })) ids.push(id);
      return ids;
    };
    const alone = [];
    for (let i = 0; i < prompts.length; i++) alone.push(await run(prompts[i], i));
    assert.deepEqual(await Promise.all(prompts.map(run)), alone);
  } finally {
    await model.release();
    await rm(dir, { recursive: true, force: true });
  }
});
