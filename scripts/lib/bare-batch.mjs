// The ceiling for continuous batching: decode steps of `rows` sequences run directly on an
// onnxruntime session (no scheduler, sampler, detokenizer or stream), to compare the engine's
// N-stream / 1-stream ratio against what the session itself gives on this CPU.

/**
 * Tokens/s of `steps` bare decode steps at `rows` rows, from a past of `promptLength` positions
 * (zeros; the cost of a step does not depend on the values) growing by one per step, each step's
 * present fed back as the next past: the decode part of N greedy streams with no prefill.
 */
export async function bareBatchedDecode({ session, Tensor, config, rows, promptLength, steps }) {
  const { numLayers, numKvHeads, headDim } = config;
  const pastMeta = session.inputMetadata.find((m) => m.name === "past_key_values.0.key");
  const half = pastMeta?.type === "float16";
  const hasPositions = session.inputNames.includes("position_ids");
  let past = {};
  for (let i = 0; i < numLayers; i++) {
    for (const kind of ["key", "value"]) {
      const size = rows * numKvHeads * promptLength * headDim;
      const dims = [rows, numKvHeads, promptLength, headDim];
      past[`past_key_values.${i}.${kind}`] = half ? new Tensor("float16", new Uint16Array(size), dims) : new Tensor("float32", new Float32Array(size), dims);
    }
  }
  const start = performance.now();
  for (let s = 0; s < steps; s++) {
    const length = promptLength + s;
    const feeds = {
      ...past,
      input_ids: new Tensor("int64", new BigInt64Array(rows).fill(5n), [rows, 1]),
      attention_mask: new Tensor("int64", new BigInt64Array(rows * (length + 1)).fill(1n), [rows, length + 1]),
    };
    if (hasPositions) feeds.position_ids = new Tensor("int64", new BigInt64Array(rows).fill(BigInt(length)), [rows, 1]);
    const out = await session.run(feeds);
    past = {};
    for (let i = 0; i < numLayers; i++) for (const kind of ["key", "value"]) past[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`];
  }
  return ((rows * steps) / (performance.now() - start)) * 1000;
}
