/**
 * How big the predictor thread's old generation starts. V8 sizes a new
 * isolate's old-generation limit from its first few megabytes of live objects;
 * a predictor thread that has loaded tscog's runtime (about 10 MB live) then
 * sits a few megabytes under that limit, and every ONNX Runtime output
 * (logits and the KV cache, new buffers each token) pushes it over: V8 ran a
 * full mark-compact about every 60 tokens on the built-in model, ~0.2 ms of
 * every ~1 ms token (worker CPU profile; `--trace-gc`). Starting the old
 * generation at 64 MiB leaves young collections to free those buffers: 1 full
 * collection instead of 26–116 in 1,500 tokens, GC time 1.2 s → 0.07 s.
 * Served tokens/s with / without it (`node scripts/bench-llm.mjs --only heap`):
 * 1.17× one stream and 1.10× eight on the 135M-shaped model; BENCHMARKS.md.
 */
import { setFlagsFromString } from "node:v8";

/** MiB the old generation of a predictor thread starts at (bounded by its heap limit). */
export const PREDICTOR_INITIAL_OLD_SPACE_MB = 64;

/**
 * Sets V8's starting old-generation size for isolates created from now on
 * (the flag is process-wide; threads already running keep theirs). Call it
 * right before `new Worker(...)`. Returns the size set, MiB.
 */
export function sizeNextWorkerHeap(heapLimitMb?: number): number {
  const mb = heapLimitMb ? Math.max(1, Math.min(PREDICTOR_INITIAL_OLD_SPACE_MB, Math.floor(heapLimitMb / 2))) : PREDICTOR_INITIAL_OLD_SPACE_MB;
  setFlagsFromString(`--initial-old-space-size=${mb}`);
  return mb;
}
