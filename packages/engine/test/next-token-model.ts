/**
 * A model directory whose next token is known: logits are row `id` of a table
 * with 10 at `next(id)` and 0 elsewhere, so greedy decoding follows `next`.
 * Its one-layer cache holds each fed token id. With `cacheSensitive`, the
 * logits also add 0.01 × (v / vocab) × the mean of the cache, attention mask
 * ignored: left padding then changes them (a model unfit for batching).
 * With `float16Logits`, the logits leave the graph as float16 (a Cast at the end), as fp16 exports do.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { onnxModel, type NodeSpec } from "./onnx-builder.js";
import { byteLevelTokenizer } from "./tokenizers.js";

/** The byte-level test tokenizer's size: <|endoftext|> (0, also BOS and EOS), bytes as ids 1–256, 4 merges. */
export const VOCAB = 261;
/** Id of a one-byte character in the test tokenizer. */
export const byteId = (char: string): number => char.charCodeAt(0) + 1;

/** Writes the model into a new temp directory and returns it. */
export async function nextTokenModel(options: { next: (id: number) => number; maxPositions: number; cacheSensitive?: boolean; float16Logits?: boolean }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "tscog-next-token-"));
  const table = new Float32Array(VOCAB * VOCAB);
  for (let id = 0; id < VOCAB; id++) table[id * VOCAB + options.next(id)] = 10;
  const nodes: NodeSpec[] = [
    { op: "Gather", inputs: ["table", "input_ids"], outputs: [options.cacheSensitive ? "base" : "logits32"] },
    { op: "Cast", inputs: ["input_ids"], outputs: ["ids_f"], attributes: { to: 1 } },
    { op: "Unsqueeze", inputs: ["ids_f", "axes_1_3"], outputs: ["new_kv"] },
    { op: "Concat", inputs: ["past_key_values.0.key", "new_kv"], outputs: ["present.0.key"], attributes: { axis: 2 } },
    { op: "Concat", inputs: ["past_key_values.0.value", "new_kv"], outputs: ["present.0.value"], attributes: { axis: 2 } },
  ];
  const weights = new Float32Array(VOCAB).map((_, v) => (0.01 * v) / VOCAB);
  if (options.cacheSensitive) {
    nodes.push(
      { op: "ReduceMean", inputs: ["present.0.key"], outputs: ["mean"], attributes: { axes: [2, 3], keepdims: 0 } },
      { op: "Unsqueeze", inputs: ["mean", "axes_2"], outputs: ["mean3"] },
      { op: "Mul", inputs: ["mean3", "weights"], outputs: ["extra"] },
      { op: "Add", inputs: ["base", "extra"], outputs: ["logits32"] },
    );
  }
  // ONNX TensorProto type 10 is float16; otherwise an Identity keeps the name "logits" for the output.
  nodes.push(options.float16Logits ? { op: "Cast", inputs: ["logits32"], outputs: ["logits"], attributes: { to: 10 } } : { op: "Identity", inputs: ["logits32"], outputs: ["logits"] });
  const model = onnxModel({
    inputs: [
      { name: "input_ids", type: "int64", shape: ["batch", "seq"] },
      { name: "attention_mask", type: "int64", shape: ["batch", "total"] },
      { name: "position_ids", type: "int64", shape: ["batch", "seq"] },
      { name: "past_key_values.0.key", type: "float32", shape: ["batch", 1, "past", 1] },
      { name: "past_key_values.0.value", type: "float32", shape: ["batch", 1, "past", 1] },
    ],
    outputs: [
      { name: "logits", type: options.float16Logits ? "float16" : "float32", shape: ["batch", "seq", VOCAB] },
      { name: "present.0.key", type: "float32", shape: ["batch", 1, "total", 1] },
      { name: "present.0.value", type: "float32", shape: ["batch", 1, "total", 1] },
    ],
    nodes,
    initializers: [
      { name: "table", dims: [VOCAB, VOCAB], data: table },
      { name: "axes_1_3", dims: [2], data: BigInt64Array.from([1n, 3n]) },
      ...(options.cacheSensitive ? [{ name: "axes_2", dims: [1], data: BigInt64Array.from([2n]) }, { name: "weights", dims: [VOCAB], data: weights }] : []),
    ],
  });
  await writeFile(path.join(dir, "model.onnx"), model);
  const config = { model_type: "llama", vocab_size: VOCAB, hidden_size: 1, num_hidden_layers: 1, num_attention_heads: 1, num_key_value_heads: 1, head_dim: 1, max_position_embeddings: options.maxPositions };
  await writeFile(path.join(dir, "config.json"), JSON.stringify(config));
  await writeFile(path.join(dir, "generation_config.json"), JSON.stringify({ bos_token_id: 0, eos_token_id: 0, do_sample: false }));
  await writeFile(path.join(dir, "tokenizer.json"), JSON.stringify(byteLevelTokenizer()));
  await writeFile(path.join(dir, "tokenizer_config.json"), JSON.stringify({ clean_up_tokenization_spaces: false }));
  return dir;
}
