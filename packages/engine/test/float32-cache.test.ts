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

test("a float32 cache: GPT-2 config names, cached and uncached logits agree", async () => {
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
    } finally {
      await decoder.release();
    }
    const lm = await TextGenerator.load(dir, { intraOpThreads: 1 });
    try {
      const r = lm.stream("hi", { temperature: 1, seed: 4, maxNewTokens: 12 });
      let next = await r.next();
      while (!next.done) next = await r.next();
      assert.ok(next.value.generatedTokens <= 12);
    } finally {
      await lm.release();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
