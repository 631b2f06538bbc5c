/**
 * OnnxDecoder against the export variants it adapts to, each a small model
 * written by the test: int32 or int64 `input_ids`, with or without
 * `position_ids` and `use_cache_branch` (whose values the model adds to the
 * logits, so the test reads back what was fed), and the signature checks that
 * reject exports it cannot run, each naming what is wrong.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Tensor } from "onnxruntime-node";
import { TscogError } from "@tscog/sdk";
import { loadOnnxRuntime, OnnxDecoder } from "../src/onnx-decoder.js";
import { readModelFiles } from "../src/model-files.js";
import { resolveDevice } from "../src/execution-provider.js";
import { onnxModel, type NodeSpec, type ValueInfo } from "./onnx-builder.js";
import { byteLevelTokenizer } from "./tokenizers.js";
import { VOCAB } from "./next-token-model.js";

/** Logit columns that carry what was fed: the position at POS, use_cache_branch at BRANCH. */
const POS = 1;
const BRANCH = 2;

interface Variant {
  ids?: "int64" | "int32";
  positionIds?: boolean;
  useCacheBranch?: boolean;
  /** Layers in the graph (default 1); config.json says `configLayers` (default the same). */
  layers?: number;
  configLayers?: number;
  /** config.json's head_dim and num_key_value_heads (the graph's cache has 1 head of size 1). */
  headDim?: number;
  kvHeads?: number;
  /** The cache's head count and size as symbolic dimensions, as some exports declare them. */
  symbolicCacheDims?: boolean;
  pastType?: "float32" | "int64";
  omitInputs?: string[];
  omitOutputs?: string[];
}

/** A model directory for `v`: logits are 0 except the POS and BRANCH columns; each layer's cache holds the fed ids. */
async function exportVariant(v: Variant): Promise<string> {
  const layers = v.layers ?? 1;
  const pastType = v.pastType ?? "float32";
  const nodes: NodeSpec[] = [
    { op: "Cast", inputs: ["input_ids"], outputs: ["ids_f"], attributes: { to: 1 } },
    { op: "Unsqueeze", inputs: ["ids_f", "axes_2"], outputs: ["ids_3"] },
    { op: "Mul", inputs: ["ids_3", "zeros"], outputs: ["base"] },
    { op: "Unsqueeze", inputs: ["ids_f", "axes_1_3"], outputs: ["new_kv"] },
  ];
  let logits = "base";
  if (v.positionIds) {
    nodes.push(
      { op: "Cast", inputs: ["position_ids"], outputs: ["pos_f"], attributes: { to: 1 } },
      { op: "Unsqueeze", inputs: ["pos_f", "axes_2"], outputs: ["pos_3"] },
      { op: "Mul", inputs: ["pos_3", "pos_column"], outputs: ["pos_part"] },
      { op: "Add", inputs: [logits, "pos_part"], outputs: ["with_pos"] },
    );
    logits = "with_pos";
  }
  if (v.useCacheBranch) {
    nodes.push(
      { op: "Cast", inputs: ["use_cache_branch"], outputs: ["branch_f"], attributes: { to: 1 } },
      { op: "Mul", inputs: ["branch_f", "branch_column"], outputs: ["branch_part"] },
      { op: "Add", inputs: [logits, "branch_part"], outputs: ["with_branch"] },
    );
    logits = "with_branch";
  }
  nodes.push({ op: "Identity", inputs: [logits], outputs: ["logits"] });
  const inputs: ValueInfo[] = [
    { name: "input_ids", type: v.ids ?? "int64", shape: ["batch", "seq"] },
    { name: "attention_mask", type: "int64", shape: ["batch", "total"] },
    ...(v.positionIds ? [{ name: "position_ids", type: "int64" as const, shape: ["batch", "seq"] }] : []),
    ...(v.useCacheBranch ? [{ name: "use_cache_branch", type: "bool" as const, shape: [1] }] : []),
  ];
  const outputs: ValueInfo[] = [{ name: "logits", type: "float32", shape: ["batch", "seq", VOCAB] }];
  for (let i = 0; i < layers; i++) {
    for (const kind of ["key", "value"]) {
      inputs.push({ name: `past_key_values.${i}.${kind}`, type: pastType, shape: v.symbolicCacheDims ? ["batch", "kv_heads", "past", "head_size"] : ["batch", 1, "past", 1] });
      outputs.push({ name: `present.${i}.${kind}`, type: "float32", shape: ["batch", 1, "total", 1] });
      nodes.push(
        pastType === "float32"
          ? { op: "Concat", inputs: [`past_key_values.${i}.${kind}`, "new_kv"], outputs: [`present.${i}.${kind}`], attributes: { axis: 2 } }
          : { op: "Identity", inputs: ["new_kv"], outputs: [`present.${i}.${kind}`] },
      );
    }
  }
  const column = (c: number) => new Float32Array(VOCAB).map((_, k) => (k === c ? 1 : 0));
  const model = onnxModel({
    inputs: inputs.filter((x) => !v.omitInputs?.includes(x.name)),
    outputs: outputs.filter((x) => !v.omitOutputs?.includes(x.name)),
    nodes,
    initializers: [
      { name: "axes_2", dims: [1], data: BigInt64Array.from([2n]) },
      { name: "axes_1_3", dims: [2], data: BigInt64Array.from([1n, 3n]) },
      { name: "zeros", dims: [VOCAB], data: new Float32Array(VOCAB) },
      { name: "pos_column", dims: [VOCAB], data: column(POS) },
      { name: "branch_column", dims: [VOCAB], data: column(BRANCH) },
      // An omitted input the graph reads becomes a constant, so the model still loads without it.
      ...(v.omitInputs ?? []).filter((name) => name !== "attention_mask").map((name) =>
        name === "input_ids" ? { name, dims: [1, 1], data: BigInt64Array.from([0n]) } : { name, dims: [1, 1, 0, 1], data: new Float32Array(0) },
      ),
    ],
  });
  const dir = await mkdtemp(path.join(tmpdir(), "tscog-export-"));
  await writeFile(path.join(dir, "model.onnx"), model);
  const config = { model_type: "llama", vocab_size: VOCAB, hidden_size: 1, num_hidden_layers: v.configLayers ?? layers, num_attention_heads: v.kvHeads ?? 1, num_key_value_heads: v.kvHeads ?? 1, head_dim: v.headDim ?? 1, max_position_embeddings: 64 };
  await writeFile(path.join(dir, "config.json"), JSON.stringify(config));
  await writeFile(path.join(dir, "tokenizer.json"), JSON.stringify(byteLevelTokenizer()));
  return dir;
}

async function withDecoder(v: Variant, use: (decoder: OnnxDecoder) => Promise<void>): Promise<void> {
  const dir = await exportVariant(v);
  try {
    const decoder = await OnnxDecoder.create(await readModelFiles(dir), resolveDevice({ device: "cpu", intraOpThreads: 1 }));
    try {
      await use(decoder);
    } finally {
      await decoder.release();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Column `c` of each logits row. */
const column = (logits: Float32Array, c: number) => Array.from({ length: logits.length / VOCAB }, (_, r) => logits[r * VOCAB + c]);
/** A cache tensor's values (the ids each layer kept). */
const kept = (t: Tensor) => Array.from(t.data as Float32Array);

test("int64 ids, position_ids and use_cache_branch: the prompt at positions 0.., then each token after the cache", async () => {
  await withDecoder({ positionIds: true, useCacheBranch: true }, async (decoder) => {
    const first = await decoder.forward([5, 6, 7], decoder.emptyCache());
    assert.deepEqual(column(first.logits, POS), [0, 1, 2]);
    assert.deepEqual(column(first.logits, BRANCH), [0, 0, 0], "no cache yet: use_cache_branch false");
    assert.equal(first.cache.length, 3);
    assert.deepEqual(kept(first.cache.tensors["past_key_values.0.key"]!), [5, 6, 7]);
    const next = await decoder.forward([8, 9], first.cache, { lastOnly: true });
    assert.deepEqual(column(next.logits, POS), [4], "lastOnly: the last position's row only");
    assert.deepEqual(column(next.logits, BRANCH), [1]);
    assert.deepEqual(kept(next.cache.tensors["past_key_values.0.value"]!), [5, 6, 7, 8, 9]);
  });
});

test("a batched step feeds each row its own position after its left padding, and use_cache_branch", async () => {
  await withDecoder({ positionIds: true, useCacheBranch: true }, async (decoder) => {
    const ort = await loadOnnxRuntime();
    // Two rows of 3 cached columns; row 0 has one column of left padding.
    const past = () => new ort.Tensor("float32", Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 1, 3, 1]);
    const batch = { length: 3, pads: [1, 0], tensors: { "past_key_values.0.key": past(), "past_key_values.0.value": past() } };
    const { logits, batch: grown } = await decoder.step([10, 11], batch);
    assert.deepEqual(column(logits, POS), [2, 3]);
    assert.deepEqual(column(logits, BRANCH), [1, 1]);
    assert.equal(grown.length, 4);
    assert.deepEqual(grown.pads, [1, 0]);
    assert.deepEqual(kept(grown.tensors["past_key_values.0.key"]!), [0, 1, 2, 10, 3, 4, 5, 11]);
    await assert.rejects(decoder.step([10], batch), /step: 1 tokens for a batch of 2 rows/);
  });
});

test("int32 input_ids without position_ids or use_cache_branch: fed as int32, nothing else", async () => {
  await withDecoder({ ids: "int32" }, async (decoder) => {
    const first = await decoder.forward([3, 4], decoder.emptyCache());
    assert.deepEqual(column(first.logits, POS), [0, 0]);
    assert.deepEqual(kept(first.cache.tensors["past_key_values.0.key"]!), [3, 4]);
    const ort = await loadOnnxRuntime();
    const past = () => new ort.Tensor("float32", Float32Array.from([1, 2]), [2, 1, 1, 1]);
    const { batch } = await decoder.step([7, 8], { length: 1, pads: [0, 0], tensors: { "past_key_values.0.key": past(), "past_key_values.0.value": past() } });
    assert.deepEqual(kept(batch.tensors["past_key_values.0.value"]!), [1, 7, 2, 8]);
  });
});

test("a cache declared with symbolic head dimensions is taken on config.json's word", async () => {
  await withDecoder({ symbolicCacheDims: true, kvHeads: 3, headDim: 5 }, async (decoder) => {
    const { cache } = await decoder.forward([2], decoder.emptyCache());
    assert.deepEqual(kept(cache.tensors["past_key_values.0.key"]!), [2]);
  });
});

test("eleven layers load (layer names past .9 are counted)", async () => {
  await withDecoder({ layers: 11 }, async (decoder) => {
    const { cache } = await decoder.forward([1], decoder.emptyCache());
    assert.deepEqual(kept(cache.tensors["past_key_values.10.value"]!), [1]);
  });
});

async function rejected(v: Variant, pattern: RegExp, file: "model.onnx" | "config.json"): Promise<void> {
  const dir = await exportVariant(v);
  try {
    await assert.rejects(
      (async () => OnnxDecoder.create(await readModelFiles(dir), resolveDevice({ device: "cpu", intraOpThreads: 1 })))(),
      (err: unknown) => {
        assert.ok(err instanceof TscogError, `expected a TscogError, got ${err}`);
        assert.equal(err.code, "MODEL_LOAD");
        assert.match(err.message, pattern);
        assert.equal(path.basename(err.file ?? ""), file);
        return true;
      },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("exports tscog cannot run are refused, naming what is missing or wrong", async () => {
  await rejected({ omitInputs: ["input_ids"] }, /has no "input_ids" input \(inputs: attention_mask, past_key_values\.0\.key, past_key_values\.0\.value\); expected a decoder exported for text generation/, "model.onnx");
  await rejected({ omitInputs: ["attention_mask"] }, /has no "attention_mask" input \(inputs: input_ids, past_key_values/, "model.onnx");
  await rejected({ omitOutputs: ["logits"] }, /has no "logits" output \(outputs: present\.0\.key, present\.0\.value\)/, "model.onnx");
  await rejected({ omitInputs: ["past_key_values.0.key", "past_key_values.0.value"] }, /has no past_key_values\.\{i\}\.key\|value inputs, so it cannot reuse a KV cache/, "model.onnx");
  await rejected({ omitOutputs: ["present.0.key", "present.0.value"] }, /has no present\.\{i\}\.key\|value outputs, so it cannot reuse a KV cache; export it with past key values/, "model.onnx");
  // As many past layers as config.json says, one present layer fewer.
  await rejected({ layers: 2, omitOutputs: ["present.1.key", "present.1.value"] }, /num_hidden_layers=2 but .*model\.onnx has 2 past and 1 present key\/value layers/, "config.json");
  await rejected({ layers: 2, omitInputs: ["past_key_values.1.key", "past_key_values.1.value"] }, /num_hidden_layers=2 but .*model\.onnx has 1 past and 2 present key\/value layers/, "config.json");
  await rejected({ layers: 2, configLayers: 3 }, /num_hidden_layers=3 but .*has 2 past and 2 present/, "config.json");
  await rejected({ layers: 2, omitInputs: ["past_key_values.1.value"] }, /model\.onnx is missing input past_key_values\.1\.value$/, "model.onnx");
  await rejected({ layers: 2, omitOutputs: ["present.0.value"] }, /model\.onnx is missing output present\.0\.value$/, "model.onnx");
  await rejected({ kvHeads: 2 }, /config\.json says 2 key\/value heads but .*model\.onnx expects 1 \(past_key_values\.0\.key shape \[batch, 1, past, 1\]\)/, "config.json");
  await rejected({ headDim: 4 }, /config\.json gives head size 4 but .*model\.onnx expects 1 \(past_key_values\.0\.key shape \[batch, 1, past, 1\]\)/, "config.json");
  await rejected({ pastType: "int64" }, /past_key_values are int64; only float32 and float16 caches are supported/, "model.onnx");
});

test("a file onnxruntime cannot parse is refused with onnxruntime's reason", async () => {
  const dir = await exportVariant({});
  try {
    await writeFile(path.join(dir, "model.onnx"), "not a model");
    await assert.rejects(
      (async () => OnnxDecoder.create(await readModelFiles(dir), resolveDevice({ device: "cpu", intraOpThreads: 1 })))(),
      (err: unknown) => err instanceof TscogError && err.code === "MODEL_LOAD" && /^onnxruntime could not load .*model\.onnx on cpu: .+/.test(err.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
