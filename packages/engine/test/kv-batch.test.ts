import { test } from "node:test";
import assert from "node:assert/strict";
import { cachedTokens, concatBatches, rowLengths, selectRows, stepAttentionMask, type KvBatch, type TensorFactory } from "../src/kv-batch.js";
import { loadOnnxRuntime } from "../src/onnx-decoder.js";

const ort = await loadOnnxRuntime();
const makeTensor: TensorFactory = (type, data, dims) => new ort.Tensor(type, data, dims);
const HEADS = 2;
const DIM = 3;

/** A batch whose value at (row, head, column, d) encodes all four, and 0 in padding columns. */
function batch(pads: number[], length: number, type: "float32" | "float16" = "float32"): KvBatch {
  const data = type === "float32" ? new Float32Array(pads.length * HEADS * length * DIM) : new Uint16Array(pads.length * HEADS * length * DIM);
  for (let r = 0; r < pads.length; r++)
    for (let h = 0; h < HEADS; h++)
      for (let c = pads[r]; c < length; c++)
        for (let d = 0; d < DIM; d++) data[((r * HEADS + h) * length + c) * DIM + d] = value(r, h, c - pads[r], d);
  return { length, pads, tensors: { "past_key_values.0.key": makeTensor(type, data, [pads.length, HEADS, length, DIM]) } };
}
/** The value of a row's `position`-th real token (rows numbered by the test). */
function value(row: number, head: number, position: number, d: number): number {
  return 1 + row * 1000 + head * 100 + position * 10 + d;
}
/** Checks every element of `b` against its rows' real tokens (ids in `rowIds`), padding zero. */
function assertLayout(b: KvBatch, rowIds: number[]): void {
  const t = b.tensors["past_key_values.0.key"];
  assert.deepEqual(t.dims, [rowIds.length, HEADS, b.length, DIM]);
  const data = t.data as Float32Array | Uint16Array;
  for (let r = 0; r < rowIds.length; r++)
    for (let h = 0; h < HEADS; h++)
      for (let c = 0; c < b.length; c++)
        for (let d = 0; d < DIM; d++) {
          const expected = c < b.pads[r] ? 0 : value(rowIds[r], h, c - b.pads[r], d);
          assert.equal(data[((r * HEADS + h) * b.length + c) * DIM + d], expected, `row ${r} head ${h} column ${c} d ${d}`);
        }
}

test("concatenating batches pads the shorter rows on the left", () => {
  const a = batch([0], 2); // row 0: 2 tokens
  const b = batch([1, 0], 4); // rows 0 and 1 of b: 3 and 4 tokens
  const joined = concatBatches([a, b], makeTensor);
  assert.equal(joined.length, 4);
  assert.deepEqual(joined.pads, [2, 1, 0]);
  assert.deepEqual(rowLengths(joined), [2, 3, 4]);
  assert.equal(cachedTokens(joined), 12);
  assertLayout(joined, [0, 0, 1]);
  // The longer batch first: no shift for it.
  const other = concatBatches([b, a], makeTensor);
  assert.deepEqual(other.pads, [1, 0, 2]);
  assertLayout(other, [0, 1, 0]);
});

test("a single batch is passed through untouched", () => {
  const a = batch([0], 2);
  assert.equal(concatBatches([a], makeTensor), a);
  assert.equal(selectRows(a, [0], makeTensor), a);
  assert.throws(() => concatBatches([], makeTensor));
});

test("selecting rows drops the others and trims columns that are padding in every kept row", () => {
  const b = concatBatches([batch([0], 2), batch([1, 0], 4)], makeTensor); // pads [2, 1, 0]
  const firstTwo = selectRows(b, [0, 1], makeTensor);
  assert.deepEqual(firstTwo.pads, [1, 0]);
  assert.equal(firstTwo.length, 3);
  assertLayout(firstTwo, [0, 0]);
  const shortest = selectRows(b, [0], makeTensor);
  assert.deepEqual(shortest.pads, [0]);
  assert.equal(shortest.length, 2);
  assertLayout(shortest, [0]);
  const reordered = selectRows(b, [2, 0], makeTensor);
  assert.deepEqual(reordered.pads, [0, 2]);
  assertLayout(reordered, [1, 0]);
});

test("float16 caches keep their bits", () => {
  const joined = concatBatches([batch([0], 1, "float16"), batch([0], 3, "float16")], makeTensor);
  assert.equal(joined.tensors["past_key_values.0.key"].type, "float16");
  assertLayout(joined, [0, 0]);
  assertLayout(selectRows(joined, [1], makeTensor), [0]);
});

test("the step's attention mask zeroes each row's padding and covers the new token", () => {
  const mask = stepAttentionMask({ length: 3, pads: [2, 0, 1], tensors: {} });
  assert.deepEqual([...mask].map(Number), [0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1]);
});

test("joining no batches or keeping no rows is a caller's bug, said as such", () => {
  assert.throws(() => concatBatches([], makeTensor), /concatBatches needs at least one batch/);
  assert.throws(() => selectRows(batch([0, 1], 2), [], makeTensor), /selectRows needs at least one row/);
});
