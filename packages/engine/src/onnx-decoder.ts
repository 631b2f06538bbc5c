/**
 * One ONNX decoder session with its key/value cache: feeds input_ids,
 * attention_mask, position_ids and past_key_values.{i}.key|value, and keeps
 * present.{i}.key|value for the next step. After the prompt each step feeds a
 * single token, so a token costs the same early and late in the text.
 */
import type { InferenceSession, Tensor } from "onnxruntime-node";
import type { ResolvedDevice } from "./execution-provider.js";
import { loadError, type ModelFiles } from "./model-files.js";
import { float16ToFloat32 } from "./float16.js";
import { stepAttentionMask, type KvBatch, type TensorFactory } from "./kv-batch.js";

type Ort = typeof import("onnxruntime-node");

/** The past key/values after some tokens, ready to feed back. */
export interface KvCache {
  /** Tokens the cache covers. */
  length: number;
  tensors: Record<string, Tensor>;
}

/** Element type of the cache (from the model's inputs). */
export type CacheType = "float32" | "float16";

let ortModule: Promise<Ort> | undefined;

/** onnxruntime-node, imported on first use so non-ONNX predictors never load the native library. */
export function loadOnnxRuntime(): Promise<Ort> {
  ortModule ??= import("onnxruntime-node").then((m) => ((m as { default?: Ort }).default ?? m) as Ort);
  return ortModule;
}

/** A loaded decoder session. */
export class OnnxDecoder {
  readonly cacheType: CacheType;
  readonly #ort: Ort;
  readonly #session: InferenceSession;
  readonly #files: ModelFiles;
  readonly #pastNames: string[];
  readonly #presentNames: string[];
  readonly #idsType: "int64" | "int32";
  readonly #hasPositionIds: boolean;
  readonly #hasUseCacheBranch: boolean;
  /** All-ones attention mask, grown as needed; each step feeds a view of it. */
  #ones = new BigInt64Array(0);

  private constructor(ort: Ort, session: InferenceSession, files: ModelFiles) {
    this.#ort = ort;
    this.#session = session;
    this.#files = files;
    const { numLayers } = files.config;
    this.#pastNames = [];
    this.#presentNames = [];
    for (let i = 0; i < numLayers; i++) {
      this.#pastNames.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
      this.#presentNames.push(`present.${i}.key`, `present.${i}.value`);
    }
    const meta = new Map(session.inputMetadata.map((m) => [m.name, m]));
    const pastMeta = meta.get(this.#pastNames[0]);
    this.cacheType = pastMeta?.isTensor && pastMeta.type === "float16" ? "float16" : "float32";
    const idsMeta = meta.get("input_ids");
    this.#idsType = idsMeta?.isTensor && idsMeta.type === "int32" ? "int32" : "int64";
    this.#hasPositionIds = meta.has("position_ids");
    this.#hasUseCacheBranch = meta.has("use_cache_branch");
  }

  /** Opens the session and checks that its inputs and outputs match config.json. */
  static async create(files: ModelFiles, device: ResolvedDevice): Promise<OnnxDecoder> {
    const ort = await loadOnnxRuntime();
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(files.onnxFile, {
        executionProviders: device.executionProviders,
        intraOpNumThreads: device.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
      });
    } catch (err) {
      throw loadError(files.onnxFile, `onnxruntime could not load ${files.onnxFile} on ${device.device}: ${(err as Error).message}`, err);
    }
    checkSignature(session, files);
    return new OnnxDecoder(ort, session, files);
  }

  /** An empty cache (past length 0). */
  emptyCache(): KvCache {
    const { numKvHeads, headDim } = this.#files.config;
    const dims = [1, numKvHeads, 0, headDim];
    const tensors: Record<string, Tensor> = {};
    for (const name of this.#pastNames) {
      tensors[name] = this.cacheType === "float16" ? new this.#ort.Tensor("float16", new Uint16Array(0), dims) : new this.#ort.Tensor("float32", new Float32Array(0), dims);
    }
    return { length: 0, tensors };
  }

  /**
   * Runs `ids` after `cache`; returns the logits of every new position
   * (`[ids.length, vocab]`, row-major, as float32) and the grown cache.
   */
  async forward(ids: readonly number[], cache: KvCache, options: { lastOnly?: boolean } = {}): Promise<{ logits: Float32Array; cache: KvCache }> {
    const ort = this.#ort;
    const n = ids.length;
    const total = cache.length + n;
    const feeds: Record<string, Tensor> = { ...cache.tensors };
    // Fresh arrays each call (onnxruntime-node reads them when the run starts, after this returns); plain loops
    // are several times faster than BigInt64Array.from(ids, BigInt).
    if (this.#idsType === "int64") {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) data[i] = BigInt(ids[i]);
      feeds.input_ids = new ort.Tensor("int64", data, [1, n]);
    } else {
      feeds.input_ids = new ort.Tensor("int32", Int32Array.from(ids), [1, n]);
    }
    if (this.#ones.length < total) this.#ones = new BigInt64Array(Math.max(total, 2 * this.#ones.length, 1024)).fill(1n);
    feeds.attention_mask = new ort.Tensor("int64", this.#ones.subarray(0, total), [1, total]);
    if (this.#hasPositionIds) {
      const pos = new BigInt64Array(n);
      for (let i = 0; i < n; i++) pos[i] = BigInt(cache.length + i);
      feeds.position_ids = new ort.Tensor("int64", pos, [1, n]);
    }
    if (this.#hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor("bool", new Uint8Array([cache.length > 0 ? 1 : 0]), [1]);
    const out = await this.#session.run(feeds);
    const tensors: Record<string, Tensor> = {};
    for (let i = 0; i < this.#pastNames.length; i++) tensors[this.#pastNames[i]] = out[this.#presentNames[i]] as Tensor;
    const logitsTensor = out.logits as Tensor;
    const vocab = Number(logitsTensor.dims[logitsTensor.dims.length - 1]);
    const rows = logitsTensor.data.length / vocab;
    const start = options.lastOnly ? (rows - 1) * vocab : 0;
    const raw = logitsTensor.data as Float32Array | Uint16Array;
    const logits = logitsTensor.type === "float16" ? float16ToFloat32(raw.subarray(start) as Uint16Array) : (raw as Float32Array).subarray(start);
    return { logits, cache: { length: total, tensors } };
  }

  /** Makes cache tensors for kv-batch.ts (this session's onnxruntime). */
  readonly makeTensor: TensorFactory = (type, data, dims) => new this.#ort.Tensor(type, data, dims);

  /**
   * One decode step for every row of `batch`: feeds `tokens[r]` after row r's cache, with the
   * padding masked out and each row's own positions; returns `[rows, vocab]` logits and the grown batch.
   * A single unpadded row takes `forward`'s path.
   */
  async step(tokens: readonly number[], batch: KvBatch): Promise<{ logits: Float32Array; batch: KvBatch }> {
    const rows = tokens.length;
    if (rows !== batch.pads.length) throw new Error(`step: ${rows} tokens for a batch of ${batch.pads.length} rows`);
    if (rows === 1 && batch.pads[0] === 0) {
      const { logits, cache } = await this.forward(tokens, batch, { lastOnly: true });
      return { logits, batch: { length: cache.length, pads: batch.pads, tensors: cache.tensors } };
    }
    const ort = this.#ort;
    const feeds: Record<string, Tensor> = { ...batch.tensors };
    if (this.#idsType === "int64") {
      const data = new BigInt64Array(rows);
      for (let i = 0; i < rows; i++) data[i] = BigInt(tokens[i]);
      feeds.input_ids = new ort.Tensor("int64", data, [rows, 1]);
    } else {
      feeds.input_ids = new ort.Tensor("int32", Int32Array.from(tokens), [rows, 1]);
    }
    feeds.attention_mask = new ort.Tensor("int64", stepAttentionMask(batch), [rows, batch.length + 1]);
    if (this.#hasPositionIds) {
      const pos = new BigInt64Array(rows);
      for (let r = 0; r < rows; r++) pos[r] = BigInt(batch.length - batch.pads[r]);
      feeds.position_ids = new ort.Tensor("int64", pos, [rows, 1]);
    }
    if (this.#hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor("bool", new Uint8Array([batch.length > 0 ? 1 : 0]), [1]);
    const out = await this.#session.run(feeds);
    const tensors: Record<string, Tensor> = {};
    for (let i = 0; i < this.#pastNames.length; i++) tensors[this.#pastNames[i]] = out[this.#presentNames[i]] as Tensor;
    const logitsTensor = out.logits as Tensor;
    const raw = logitsTensor.data as Float32Array | Uint16Array;
    const logits = logitsTensor.type === "float16" ? float16ToFloat32(raw as Uint16Array) : (raw as Float32Array);
    return { logits, batch: { length: batch.length + 1, pads: batch.pads, tensors } };
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.#session.release();
  }
}

/** Fails with a message naming what the export lacks when it is not a KV-cached decoder matching config.json. */
function checkSignature(session: InferenceSession, files: ModelFiles): void {
  const file = files.onnxFile;
  const inputs = new Set(session.inputNames);
  const outputs = new Set(session.outputNames);
  for (const name of ["input_ids", "attention_mask"]) {
    if (!inputs.has(name)) throw loadError(file, `${file} has no "${name}" input (inputs: ${[...inputs].join(", ")}); expected a decoder exported for text generation`);
  }
  if (!outputs.has("logits")) throw loadError(file, `${file} has no "logits" output (outputs: ${[...outputs].join(", ")})`);
  const pastLayers = [...inputs].filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
  const presentLayers = [...outputs].filter((n) => /^present\.\d+\.key$/.test(n)).length;
  const exportHint = "export it with past key values, e.g. `optimum-cli export onnx --task text-generation-with-past`";
  if (pastLayers === 0 || presentLayers === 0) {
    const missing = pastLayers === 0 ? "past_key_values.{i}.key|value inputs" : "present.{i}.key|value outputs";
    throw loadError(file, `${file} has no ${missing}, so it cannot reuse a KV cache; ${exportHint}`);
  }
  const { numLayers, numKvHeads, headDim } = files.config;
  const configFile = `${files.dir}/config.json`;
  if (pastLayers !== numLayers || presentLayers !== numLayers) {
    throw loadError(configFile, `config.json says num_hidden_layers=${numLayers} but ${file} has ${pastLayers} past and ${presentLayers} present key/value layers`);
  }
  for (let i = 0; i < numLayers; i++) {
    for (const kind of ["key", "value"]) {
      if (!inputs.has(`past_key_values.${i}.${kind}`)) throw loadError(file, `${file} is missing input past_key_values.${i}.${kind}`);
      if (!outputs.has(`present.${i}.${kind}`)) throw loadError(file, `${file} is missing output present.${i}.${kind}`);
    }
  }
  const meta = session.inputMetadata.find((m) => m.name === "past_key_values.0.key");
  if (meta?.isTensor) {
    const [, heads, , size] = meta.shape;
    if (typeof heads === "number" && heads !== numKvHeads) {
      throw loadError(configFile, `config.json says ${numKvHeads} key/value heads but ${file} expects ${heads} (past_key_values.0.key shape [${meta.shape.join(", ")}])`);
    }
    if (typeof size === "number" && size !== headDim) {
      throw loadError(configFile, `config.json gives head size ${headDim} but ${file} expects ${size} (past_key_values.0.key shape [${meta.shape.join(", ")}])`);
    }
    if (meta.type !== "float32" && meta.type !== "float16") {
      throw loadError(file, `${file}: past_key_values are ${meta.type}; only float32 and float16 caches are supported`);
    }
  }
}
