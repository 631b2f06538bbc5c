/**
 * Reading a decoder exported the way Optimum / transformers.js export them:
 * a directory with model.onnx (or onnx/model*.onnx), config.json,
 * generation_config.json, tokenizer.json and tokenizer_config.json.
 */
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { TscogError } from "@tscog/sdk";

/** The shape of the decoder, from config.json. */
export interface DecoderConfig {
  modelType: string;
  numLayers: number;
  numHeads: number;
  /** Key/value heads (fewer than numHeads with grouped-query attention). */
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  /** Longest sequence the model supports, when the config says. */
  maxPositions?: number;
}

/** Defaults from generation_config.json (snake_case keys mapped to camelCase). */
export interface GenerationDefaults {
  eosTokenIds: number[];
  bosTokenId?: number;
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
}

/** Everything read from a model directory, checked. */
export interface ModelFiles {
  dir: string;
  onnxFile: string;
  config: DecoderConfig;
  generation: GenerationDefaults;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

const ONNX_CANDIDATES = ["model.onnx", "onnx/model.onnx", "decoder_model_merged.onnx", "onnx/decoder_model_merged.onnx"];

/** Finds and reads the model files in `dir`; `onnxFile` (relative to dir) picks one of several exports. */
export async function readModelFiles(dir: string, onnxFile?: string): Promise<ModelFiles> {
  dir = path.resolve(dir);
  if (!existsSync(dir)) throw loadError(dir, `model directory ${dir} does not exist`);
  const onnx = onnxFile ? path.resolve(dir, onnxFile) : findOnnx(dir);
  if (!existsSync(onnx)) throw loadError(onnx, `ONNX model ${onnx} does not exist`);
  const rawConfig = await readJson(dir, "config.json", true);
  const generationConfig = (await readJson(dir, "generation_config.json", false)) ?? {};
  const tokenizerJson = (await readJson(dir, "tokenizer.json", true))!;
  const tokenizerConfig = (await readJson(dir, "tokenizer_config.json", false)) ?? {};
  const config = parseConfig(rawConfig!, path.join(dir, "config.json"));
  return { dir, onnxFile: onnx, config, generation: parseGeneration(generationConfig, rawConfig!, config), tokenizerJson, tokenizerConfig };
}

function findOnnx(dir: string): string {
  for (const name of ONNX_CANDIDATES) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  const sub = path.join(dir, "onnx");
  const others = existsSync(sub) ? readdirSync(sub).filter((f) => /^(model|decoder_model_merged).*\.onnx$/.test(f)).sort() : [];
  if (others.length > 0) return path.join(sub, others[0]);
  throw loadError(dir, `no ONNX model in ${dir}: expected one of ${ONNX_CANDIDATES.join(", ")} or onnx/model*.onnx`);
}

async function readJson(dir: string, name: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  const file = path.join(dir, name);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw loadError(file, `cannot read ${file}: ${(err as Error).message}`, err);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("expected a JSON object");
    return value as Record<string, unknown>;
  } catch (err) {
    throw loadError(file, `${file} is not valid JSON: ${(err as Error).message}`, err);
  }
}

/** Reads layer, head and size fields under the names Llama, Qwen, GPT-2, Phi... configs use. */
export function parseConfig(raw: Record<string, unknown>, file: string): DecoderConfig {
  const c = (typeof raw.text_config === "object" && raw.text_config !== null ? raw.text_config : raw) as Record<string, unknown>;
  const pick = (names: string[], required: boolean): number | undefined => {
    for (const n of names) {
      const v = c[n] ?? raw[n];
      if (typeof v === "number" && Number.isInteger(v) && v > 0) return v;
      if (v !== undefined && v !== null) throw loadError(file, `${file}: "${n}" must be a positive integer, got ${JSON.stringify(v)}`);
    }
    if (required) throw loadError(file, `${file} is missing "${names[0]}" (also looked for ${names.slice(1).join(", ") || "no other name"})`);
    return undefined;
  };
  const numLayers = pick(["num_hidden_layers", "n_layer", "num_layers"], true)!;
  const numHeads = pick(["num_attention_heads", "n_head", "num_heads"], true)!;
  const numKvHeads = pick(["num_key_value_heads", "num_kv_heads", "n_head_kv"], false) ?? (c.multi_query === true ? 1 : numHeads);
  const hidden = pick(["hidden_size", "n_embd", "d_model"], false);
  const headDim = pick(["head_dim"], false) ?? (hidden !== undefined ? hidden / numHeads : undefined);
  if (headDim === undefined || !Number.isInteger(headDim)) {
    throw loadError(file, `${file}: cannot tell the head size: give "head_dim", or "hidden_size" divisible by "num_attention_heads"`);
  }
  if (numHeads % numKvHeads !== 0) {
    throw loadError(file, `${file}: num_attention_heads (${numHeads}) is not a multiple of num_key_value_heads (${numKvHeads})`);
  }
  return {
    modelType: typeof c.model_type === "string" ? c.model_type : "unknown",
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: pick(["vocab_size"], true)!,
    maxPositions: pick(["max_position_embeddings", "n_positions", "max_sequence_length"], false),
  };
}

function parseGeneration(gen: Record<string, unknown>, raw: Record<string, unknown>, config: DecoderConfig): GenerationDefaults {
  const ids = (v: unknown): number[] => (typeof v === "number" ? [v] : Array.isArray(v) ? v.filter((x) => typeof x === "number") : []);
  const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const eos = ids(gen.eos_token_id ?? raw.eos_token_id).filter((id) => id < config.vocabSize);
  const sample = gen.do_sample === true;
  return {
    eosTokenIds: eos,
    bosTokenId: num(gen.bos_token_id ?? raw.bos_token_id),
    maxNewTokens: num(gen.max_new_tokens),
    temperature: sample ? (num(gen.temperature) ?? 1) : gen.do_sample === false ? 0 : num(gen.temperature),
    topK: num(gen.top_k),
    topP: num(gen.top_p),
    repetitionPenalty: num(gen.repetition_penalty),
  };
}

/** A MODEL_LOAD error pointing at `file`. */
export function loadError(file: string, message: string, cause?: unknown): TscogError {
  return new TscogError("MODEL_LOAD", message, { file, cause });
}
