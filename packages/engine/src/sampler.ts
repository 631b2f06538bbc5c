/**
 * Token selection: logits processors (plain functions applied in order) and a
 * sampler that draws the next token. Nothing here sorts the whole vocabulary:
 * top-k uses a bounded heap, and sampling without top-k goes through
 * `SoftmaxSampler` (linear passes, see softmax-sampling.ts).
 */
import { createRandom, type Random } from "./prng.js";
import { argmax, SoftmaxSampler } from "./softmax-sampling.js";

/** How the next token is chosen. */
export interface SamplingOptions {
  /** 0 (or below) means greedy decoding. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens; 0 disables. Default 0. */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p; 1 disables. Default 1. */
  topP?: number;
  /** > 1 discourages tokens already in the prompt or output (CTRL-style). Default 1. */
  repetitionPenalty?: number;
  /** Same seed, same model, same prompt: same tokens. */
  seed?: number;
}

/** Changes logits in place before sampling, given every token seen so far. */
export type LogitsProcessor = (logits: Float32Array, seen: ReadonlySet<number>) => void;

/** Divides positive and multiplies negative logits of seen tokens by `penalty` (as transformers does). */
export function repetitionPenalty(penalty: number): LogitsProcessor {
  return (logits, seen) => {
    for (const id of seen) {
      const l = logits[id];
      logits[id] = l > 0 ? l / penalty : l * penalty;
    }
  };
}

/** Indices of the k largest values, largest first, in O(n log k). */
export function topKIndices(values: Float32Array, k: number): number[] {
  k = Math.max(0, Math.min(Math.trunc(k), values.length));
  if (k === 0) return [];
  const heap = new Int32Array(k); // min-heap of indices keyed by value (ties: larger index is smaller)
  let size = 0;
  const less = (a: number, b: number) => values[a] < values[b] || (values[a] === values[b] && a > b);
  let floor = -Infinity; // the heap's smallest value once full: most tokens fail this one comparison
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (size === k && v <= floor) continue;
    if (size < k) {
      let c = size++;
      heap[c] = i;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!less(heap[c], heap[p])) break;
        const tmp = heap[c];
        heap[c] = heap[p];
        heap[p] = tmp;
        c = p;
      }
    } else {
      heap[0] = i;
      for (let j = 0; ; ) {
        const l = 2 * j + 1;
        const r = l + 1;
        let m = j;
        if (l < size && less(heap[l], heap[m])) m = l;
        if (r < size && less(heap[r], heap[m])) m = r;
        if (m === j) break;
        const tmp = heap[j];
        heap[j] = heap[m];
        heap[m] = tmp;
        j = m;
      }
    }
    if (size === k) floor = values[heap[0]];
  }
  return Array.from(heap).sort((a, b) => values[b] - values[a] || a - b);
}

/** Picks the next token from a row of logits. */
export class Sampler {
  readonly #temperature: number;
  readonly #topK: number;
  readonly #topP: number;
  readonly #processors: LogitsProcessor[];
  readonly #random: Random;
  readonly #softmax: SoftmaxSampler;

  constructor(options: SamplingOptions = {}) {
    const { temperature = 1, topK = 0, topP = 1, repetitionPenalty: penalty = 1 } = options;
    check("temperature", temperature, 0, Infinity);
    check("topK", topK, 0, Infinity);
    check("topP", topP, 0, 1);
    check("repetitionPenalty", penalty, 0, Infinity, true);
    this.#temperature = temperature;
    this.#topK = Math.trunc(topK);
    this.#topP = topP;
    this.#processors = penalty !== 1 ? [repetitionPenalty(penalty)] : [];
    this.#random = createRandom(options.seed);
    this.#softmax = new SoftmaxSampler({ temperature, topP, random: this.#random });
  }

  /** Chooses a token id; may modify `logits`. */
  next(logits: Float32Array, seen: ReadonlySet<number>): number {
    for (const process of this.#processors) process(logits, seen);
    if (this.#temperature <= 0) return argmax(logits);
    if (this.#topK > 0 && this.#topK < logits.length) return this.#fromCandidates(logits, topKIndices(logits, this.#topK));
    return this.#softmax.next(logits);
  }

  /** Samples among `candidates` (sorted, most likely first), applying top-p within them. */
  #fromCandidates(logits: Float32Array, candidates: number[]): number {
    const scale = 1 / this.#temperature;
    const max = logits[candidates[0]];
    const probs = new Float64Array(candidates.length);
    let sum = 0;
    for (let i = 0; i < candidates.length; i++) sum += probs[i] = Math.exp((logits[candidates[i]] - max) * scale);
    let keep = candidates.length;
    if (this.#topP < 1) {
      let cumulative = 0;
      for (let i = 0; i < candidates.length; i++) {
        cumulative += probs[i];
        if (cumulative >= this.#topP * sum) {
          keep = i + 1;
          break;
        }
      }
    }
    let kept = 0;
    for (let i = 0; i < keep; i++) kept += probs[i];
    let u = this.#random() * kept;
    for (let i = 0; i < keep; i++) {
      u -= probs[i];
      if (u <= 0) return candidates[i];
    }
    return candidates[keep - 1];
  }
}

function check(name: string, value: number, min: number, max: number, exclusiveMin = false): void {
  const ok = Number.isFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max;
  if (!ok) throw new RangeError(`${name} must be a number ${exclusiveMin ? ">" : ">="} ${min}${max < Infinity ? ` and <= ${max}` : ""}, got ${value}`);
}
