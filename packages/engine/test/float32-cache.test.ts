import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { TextGenerator } from "../src/index.js";
import { OnnxDecoder } from "../src/onnx-decoder.js";
import { readModelFiles } from "../src/model-files.js";
import { resolveDevice } from "../src/execution-provider.js";
import { FIXTURES } from "./paths.js";
import { byteLevelTokenizer } from "./tokenizers.js";

/** The untrained fp32-cache fixture (GPT-2-style config.json) with a byte-level tokenizer beside it. */
async function fixtureDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "tscog-fp32-"));
  for (const f of ["model.onnx", "config.json"]) await symlink(path.join(FIXTURES, "tiny-fp32", f), path.join(dir, f));
  await writeFile(path.join(dir, "tokenizer.json"), JSON.stringify(byteLevelTokenizer()));
  return dir;
}

test("a float32 cache: GPT-2 config names, cached and uncached logits agree, greedy tokens match an uncached argmax loop", async () => {
  const dir = await fixtureDir();
  try {
    const files = await readModelFiles(dir);
    assert.deepEqual(
      { layers: files.config.numLayers, heads: files.config.numHeads, kv: files.config.numKvHeads, headDim: files.config.headDim },
      { layers: 2, heads: 2, kv: 2, headDim: 8 },
    );
    const decoder = await OnnxDecoder.create(files, resolveDevice({ device: "cpu", intraOpThreads: 1 }));
    try {
      assert.equal(decoder.cacheType, "float32");
      const ids = [5, 17, 300, 2, 99, 42, 7];
      const full = await decoder.forward(ids, decoder.emptyCache());
      let step = await decoder.forward(ids.slice(0, 1), decoder.emptyCache(), { lastOnly: true });
      for (let i = 1; i <= ids.length; i++) {
        const reference = full.logits.subarray((i - 1) * 512, i * 512);
        for (let v = 0; v < 512; v++) assert.ok(Math.abs(reference[v] - step.logits[v]) < 1e-4, `position ${i - 1}, token ${v}`);
        if (i < ids.length) step = await decoder.forward([ids[i]], step.cache, { lastOnly: true });
      }
      // Reference greedy tokens after "hi": the argmax of an uncached full run each step, until EOS (0) or 12 tokens.
      const lm = await TextGenerator.load(dir, { intraOpThreads: 1 });
      try {
        const promptIds = lm.encode("hi");
        const reference: number[] = [];
        while (reference.length < 12) {
          const { logits } = await decoder.forward([...promptIds, ...reference], decoder.emptyCache(), { lastOnly: true });
          let best = 0;
          for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
          if (best === 0) break;
          reference.push(best);
        }
        assert.ok(reference.length > 0, "the fixture's first greedy token after \"hi\" is EOS: pick another prompt");
        const greedy: number[] = [];
        const run = lm.tokens(promptIds, { temperature: 0, repetitionPenalty: 1, maxNewTokens: 12 });
        let next = await run.next();
        for (; !next.done; next = await run.next()) greedy.push(next.value);
        assert.deepEqual(greedy, reference);
        assert.equal(next.value, reference.length === 12 ? "length" : "eos");
        // Seeded sampling through stream(): reproducible, and the counts match the text.
        const sample = async () => {
          const r = lm.stream("hi", { temperature: 1, seed: 4, maxNewTokens: 12 });
          let text = "";
          let n = await r.next();
          for (; !n.done; n = await r.next()) text += n.value;
          return { text, result: n.value };
        };
        const a = await sample();
        assert.deepEqual(await sample(), a);
        assert.ok(a.result.generatedTokens >= 1 && a.result.generatedTokens <= 12, `generated ${a.result.generatedTokens}`);
        assert.equal(a.result.finishReason, a.result.generatedTokens === 12 ? "length" : "eos");
      } finally {
        await lm.release();
      }
    } finally {
      await decoder.release();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
