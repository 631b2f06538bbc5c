import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, symlink, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { TscogError } from "@tscog/sdk";
import { TextGenerator } from "../src/index.js";
import { parseConfig } from "../src/model-files.js";
import { FIXTURES, TINY_LM } from "./paths.js";

/** A copy of the built-in model dir (model.onnx symlinked) with some files changed. */
async function variant(change: (dir: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "tscog-engine-"));
  for (const f of ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"]) await copyFile(path.join(TINY_LM, f), path.join(dir, f));
  await symlink(path.join(TINY_LM, "model.onnx"), path.join(dir, "model.onnx"));
  await change(dir);
  return dir;
}

async function editConfig(dir: string, patch: Record<string, unknown>): Promise<void> {
  const file = path.join(dir, "config.json");
  await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, "utf8")), ...patch }));
}

async function loadFails(dir: string, pattern: RegExp, file?: string): Promise<void> {
  try {
    await assert.rejects(TextGenerator.load(dir), (err: unknown) => {
      assert.ok(err instanceof TscogError, `expected a TscogError, got ${err}`);
      assert.equal(err.code, "MODEL_LOAD");
      assert.match(err.message, pattern);
      if (file) assert.equal(path.basename(err.file ?? ""), file);
      return true;
    });
  } finally {
    if (dir.startsWith(tmpdir())) await rm(dir, { recursive: true, force: true });
  }
}

test("a missing model directory is named", async () => {
  await loadFails("/nonexistent/model-dir", /model directory \/nonexistent\/model-dir does not exist/);
});

test("a directory without an ONNX file lists what was looked for", async () => {
  await loadFails(await variant((d) => rm(path.join(d, "model.onnx"))), /no ONNX model in .*model\.onnx.*onnx\/model\*\.onnx/);
});

test("a missing tokenizer.json is named", async () => {
  await loadFails(await variant((d) => rm(path.join(d, "tokenizer.json"))), /cannot read .*tokenizer\.json/, "tokenizer.json");
});

test("invalid JSON in config.json is reported", async () => {
  await loadFails(await variant((d) => writeFile(path.join(d, "config.json"), "{ nope")), /config\.json is not valid JSON/, "config.json");
});

test("a config that misses the layer count says which field", async () => {
  await loadFails(
    await variant(async (d) => {
      const file = path.join(d, "config.json");
      const cfg = JSON.parse(await readFile(file, "utf8"));
      delete cfg.num_hidden_layers;
      await writeFile(file, JSON.stringify(cfg));
    }),
    /config\.json is missing "num_hidden_layers" \(also looked for n_layer, num_layers\)/,
  );
});

test("a layer count that does not match the ONNX file is reported", async () => {
  await loadFails(await variant((d) => editConfig(d, { num_hidden_layers: 7 })), /num_hidden_layers=7 but .*model\.onnx has 4 past and 4 present/, "config.json");
});

test("a key/value head count that does not match the ONNX file is reported", async () => {
  const { num_key_value_heads: heads } = JSON.parse(await readFile(path.join(TINY_LM, "config.json"), "utf8"));
  const wrong = heads === 2 ? 4 : 2;
  await loadFails(await variant((d) => editConfig(d, { num_key_value_heads: wrong })), new RegExp(`says ${wrong} key/value heads but .*expects ${heads}`), "config.json");
});

test("a model without past key/values is rejected with an export hint", async () => {
  await loadFails(
    await variant(async (d) => {
      await rm(path.join(d, "model.onnx"));
      await copyFile(path.join(FIXTURES, "no-past.onnx"), path.join(d, "model.onnx"));
    }),
    /has no past_key_values\.\{i\}\.key\|value inputs, so it cannot reuse a KV cache; export it with past key values/,
    "model.onnx",
  );
});

test("parseConfig reads GPT-2, Llama (GQA) and Qwen-style names", () => {
  const gpt2 = parseConfig({ model_type: "gpt2", n_layer: 12, n_head: 12, n_embd: 768, vocab_size: 50257, n_positions: 1024 }, "config.json");
  assert.deepEqual(gpt2, { modelType: "gpt2", numLayers: 12, numHeads: 12, numKvHeads: 12, headDim: 64, vocabSize: 50257, maxPositions: 1024 });
  const llama = parseConfig(
    { model_type: "llama", num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, hidden_size: 2048, head_dim: 64, vocab_size: 128256, max_position_embeddings: 131072 },
    "config.json",
  );
  assert.equal(llama.numKvHeads, 8);
  assert.equal(llama.headDim, 64);
  const qwen = parseConfig({ model_type: "qwen2", num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, hidden_size: 896, vocab_size: 151936 }, "config.json");
  assert.equal(qwen.headDim, 64);
  assert.throws(() => parseConfig({ num_hidden_layers: 2, num_attention_heads: 6, num_key_value_heads: 4, hidden_size: 60, vocab_size: 9 }, "c.json"), /not a multiple/);
});
