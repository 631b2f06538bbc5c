/**
 * The load-time check that batching is safe with this export: a padded batch
 * of two rows must give each row the logits it gets alone. An export that
 * ignores `attention_mask` (or derives positions from the past length) fails
 * it, and the generator then runs one sequence at a time.
 */
import { concatBatches, type KvBatch } from "./kv-batch.js";
import type { OnnxDecoder } from "./onnx-decoder.js";

/** The outcome: the largest difference, relative to the spread of the row's logits. */
export interface BatchingCheck {
  ok: boolean;
  /** max |batched - alone| / (max - min of the logits alone), over both rows. */
  relativeError: number;
  /** Why it failed, when it did. */
  reason?: string;
}

/** Largest relative error accepted: float32 compute order (and fp16 logits' rounding) stays far below it. */
const TOLERANCE = 1e-2;

/** Runs a 3-token and a 9-token prompt alone and as one padded batch, one decode step each, and compares logits. */
export async function checkBatching(decoder: OnnxDecoder, vocabSize: number): Promise<BatchingCheck> {
  const prompt = (n: number, salt: number) => Array.from({ length: n }, (_, i) => (i * 7919 + salt * 104729 + 1) % vocabSize);
  const prompts = [prompt(3, 1), prompt(9, 2)];
  const next = [prompt(1, 3)[0], prompt(1, 4)[0]];
  try {
    const alone: Float32Array[] = [];
    const caches: KvBatch[] = [];
    for (let r = 0; r < 2; r++) {
      const pre = await decoder.forward(prompts[r], decoder.emptyCache(), { lastOnly: true });
      caches.push({ length: pre.cache.length, pads: [0], tensors: pre.cache.tensors });
      alone.push(Float32Array.from((await decoder.forward([next[r]], pre.cache, { lastOnly: true })).logits));
    }
    const batched = await decoder.step(next, concatBatches(caches, decoder.makeTensor));
    let relativeError = 0;
    for (let r = 0; r < 2; r++) {
      const ref = alone[r];
      const row = batched.logits.subarray(r * ref.length, (r + 1) * ref.length);
      if (row.length !== ref.length) return { ok: false, relativeError: Infinity, reason: `batched logits have ${batched.logits.length} values for 2 rows of ${ref.length}` };
      let min = Infinity;
      let max = -Infinity;
      let diff = 0;
      for (let v = 0; v < ref.length; v++) {
        min = Math.min(min, ref[v]);
        max = Math.max(max, ref[v]);
        const d = Math.abs(row[v] - ref[v]);
        diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
      }
      relativeError = Math.max(relativeError, diff / Math.max(max - min, 1e-12));
    }
    const ok = relativeError <= TOLERANCE;
    return { ok, relativeError, reason: ok ? undefined : `a padded row's logits differ from the same row alone by ${relativeError.toExponential(2)} of their range (the export seems to ignore attention_mask or position_ids)` };
  } catch (err) {
    return { ok: false, relativeError: Infinity, reason: `a batch of two rows failed to run: ${(err as Error).message}` };
  }
}
