/**
 * The limits of continuous batching: rows per step, the cached-token budget
 * that admission keeps to, and the prefill chunk; from options, then the
 * environment, then defaults measured on a 2-core CPU.
 */
import { ConfigError } from "@tscog/sdk";

/** Limits of the batch; the defaults were measured on a 2-core CPU (docs/benchmarks/engine.md). */
export interface BatchingOptions {
  /** Most sequences in one step (1 = one at a time, the rest wait). Default 16; TSCOG_BATCH_MAX_ROWS overrides the default. */
  maxRows?: number;
  /**
   * Most cached tokens (rows × longest row, padding included) a batch may reach when a sequence joins;
   * every step copies this many keys/values into and out of onnxruntime. A sequence that would exceed it
   * waits (one alone is always admitted). Default 8192; TSCOG_BATCH_MAX_TOKENS overrides the default.
   */
  maxCachedTokens?: number;
  /** Most prompt tokens prefilled between two steps; longer prompts are prefilled in chunks. Default 256. */
  prefillChunk?: number;
}

/** Defaults for `BatchingOptions`. */
export const DEFAULT_BATCHING: Required<BatchingOptions> = { maxRows: 16, maxCachedTokens: 8192, prefillChunk: 256 };

/** The limits from `options`, then TSCOG_BATCH_MAX_ROWS / TSCOG_BATCH_MAX_TOKENS, then the defaults; ConfigError when not positive integers. */
export function resolveBatching(options: BatchingOptions = {}, env: Record<string, string | undefined> = process.env): Required<BatchingOptions> {
  const pick = (key: keyof BatchingOptions, envName?: string): number => {
    const fromEnv = envName && env[envName] ? Number(env[envName]) : undefined;
    const value = options[key] ?? fromEnv ?? DEFAULT_BATCHING[key];
    if (!Number.isInteger(value) || value < 1) {
      const where = options[key] !== undefined ? `batching.${key}` : envName!;
      throw new ConfigError(`${where} must be a positive integer, got ${options[key] ?? env[envName!]}`);
    }
    return value;
  };
  return { maxRows: pick("maxRows", "TSCOG_BATCH_MAX_ROWS"), maxCachedTokens: pick("maxCachedTokens", "TSCOG_BATCH_MAX_TOKENS"), prefillChunk: pick("prefillChunk") };
}
