/**
 * Key/value caches of several sequences stacked along the batch axis. Every
 * cache tensor is `[rows, kvHeads, length, headDim]`; row r's tokens sit in
 * the last `length - pads[r]` columns and its first `pads[r]` columns are
 * padding (zeros, masked out by the attention mask). Rows join by
 * concatenation (the shorter side padded on the left), leave by gathering the
 * rows that stay, and columns that are padding in every row are trimmed.
 */
import type { Tensor } from "onnxruntime-node";

/** The caches of a batch of sequences, with each row's left padding. */
export interface KvBatch {
  /** Columns (positions) in every row, padding included. */
  length: number;
  /** Leading padding columns of each row; `pads.length` is the number of rows. */
  pads: number[];
  /** One `[rows, kvHeads, length, headDim]` tensor per past key/value input name. */
  tensors: Record<string, Tensor>;
}

/** Builds a float32 or float16 tensor (onnxruntime's `Tensor` constructor). */
export type TensorFactory = (type: "float32" | "float16", data: Float32Array | Uint16Array, dims: number[]) => Tensor;

type CacheData = Float32Array | Uint16Array;

/** Cached tokens a batch holds, padding included (rows × length): what each step copies in and out. */
export function cachedTokens(batch: KvBatch): number {
  return batch.pads.length * batch.length;
}

/** The real (unpadded) length of each row. */
export function rowLengths(batch: KvBatch): number[] {
  return batch.pads.map((pad) => batch.length - pad);
}

/** Stacks batches into one (rows in order); shorter ones are padded on the left to the longest. */
export function concatBatches(batches: readonly KvBatch[], makeTensor: TensorFactory): KvBatch {
  if (batches.length === 1) return batches[0];
  if (batches.length === 0) throw new Error("concatBatches needs at least one batch");
  const length = Math.max(...batches.map((b) => b.length));
  const pads = batches.flatMap((b) => b.pads.map((pad) => pad + length - b.length));
  const tensors: Record<string, Tensor> = {};
  for (const name of Object.keys(batches[0].tensors)) {
    const first = batches[0].tensors[name];
    const [, heads, , headDim] = first.dims.map(Number);
    const out = allocate(first.data as CacheData, pads.length * heads * length * headDim);
    let row = 0;
    for (const b of batches) {
      const src = b.tensors[name].data as CacheData;
      const shift = length - b.length;
      const blocks = b.pads.length * heads;
      // Each (row, head) block of the source lands in the same block of the output, shifted right by `shift` columns.
      for (let k = 0; k < blocks; k++) {
        out.set(src.subarray(k * b.length * headDim, (k + 1) * b.length * headDim), (row * heads + k) * length * headDim + shift * headDim);
      }
      row += b.pads.length;
    }
    tensors[name] = makeTensor(first.type as "float32" | "float16", out, [pads.length, heads, length, headDim]);
  }
  return { length, pads, tensors };
}

/** Keeps only `rows` (indices, in the order given) and trims the columns that are padding in all of them. */
export function selectRows(batch: KvBatch, rows: readonly number[], makeTensor: TensorFactory): KvBatch {
  if (rows.length === 0) throw new Error("selectRows needs at least one row");
  const pads = rows.map((r) => batch.pads[r]);
  const trim = Math.min(...pads);
  const length = batch.length - trim;
  const unchanged = trim === 0 && rows.length === batch.pads.length && rows.every((r, i) => r === i);
  if (unchanged) return batch;
  const tensors: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(batch.tensors)) {
    const [, heads, , headDim] = tensor.dims.map(Number);
    const src = tensor.data as CacheData;
    const out = allocate(src, rows.length * heads * length * headDim);
    for (let i = 0; i < rows.length; i++) {
      for (let h = 0; h < heads; h++) {
        const from = ((rows[i] * heads + h) * batch.length + trim) * headDim;
        out.set(src.subarray(from, from + length * headDim), (i * heads + h) * length * headDim);
      }
    }
    tensors[name] = makeTensor(tensor.type as "float32" | "float16", out, [rows.length, heads, length, headDim]);
  }
  return { length, pads: pads.map((p) => p - trim), tensors };
}

/** The attention mask of a decode step: per row, zeros over its padding and ones over its tokens and the new one. */
export function stepAttentionMask(batch: KvBatch): BigInt64Array {
  const width = batch.length + 1;
  const mask = new BigInt64Array(batch.pads.length * width).fill(1n);
  for (let r = 0; r < batch.pads.length; r++) mask.fill(0n, r * width, r * width + batch.pads[r]);
  return mask;
}

function allocate(like: CacheData, size: number): CacheData {
  return like instanceof Uint16Array ? new Uint16Array(size) : new Float32Array(size);
}
