/**
 * Token selection: logits processors (plain functions applied in order) and a
 * sampler that draws the next token. Nothing here sorts the whole vocabulary:
 * top-k uses a bounded heap, and top-p without top-k finds its cut-off with a
 * histogram of probability mass and sorts only the tokens at the cut-off.
 */
import { createRandom, type Random } from "./prng.js";

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

/** Index of the largest value (first one on ties). */
export function argmax(values: Float32Array): number {
  let best = 0;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > max) {
      max = values[i];
      best = i;
    }
  }
  return best;
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

const LOG2E = Math.LOG2E;
const LN2 = Math.LN2;
/** 2^k for k in [-64, 0]. */
const POW2 = Float64Array.from({ length: 65 }, (_, i) => 2 ** (i - 64));

/**
 * e^x for -64 ln 2 <= x <= 0 to about 1e-7 relative error, several times faster than
 * Math.exp over a 128k-entry vocabulary: 2^k from a table times a polynomial for 2^f.
 */
export function expNonPositive(x: number): number {
  const y = x * LOG2E;
  if (y < -64) return 0;
  const k = Math.floor(y);
  const t = (y - k) * LN2; // in [0, ln 2)
  const p = 1 + t * (1 + t * (0.5 + t * (1 / 6 + t * (1 / 24 + t * (1 / 120 + t * (1 / 720 + t * (1 / 5040 + t / 40320)))))));
  return POW2[k + 64] * p;
}

/** Below this many nats under the best token a probability is treated as 0 (e^-40 ≈ 4e-18). */
const RANGE = 40;
/** Buckets of the top-p histogram over [max - RANGE, max]. */
const BUCKETS = 4096;

/** Picks the next token from a row of logits. */
export class Sampler {
  readonly #temperature: number;
  readonly #topK: number;
  readonly #topP: number;
  readonly #processors: LogitsProcessor[];
  readonly #random: Random;
  #probs = new Float32Array(0);
  #bucketOf = new Uint16Array(0);
  readonly #bucketMass = new Float64Array(BUCKETS + 1);

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
  }

  /** Chooses a token id; may modify `logits`. */
  next(logits: Float32Array, seen: ReadonlySet<number>): number {
    for (const process of this.#processors) process(logits, seen);
    if (this.#temperature <= 0) return argmax(logits);
    if (this.#topK > 0 && this.#topK < logits.length) return this.#fromCandidates(logits, topKIndices(logits, this.#topK));
    if (this.#topP < 1) return this.#nucleus(logits);
    return this.#full(logits);
  }

  /** Temperature sampling over the whole vocabulary: one exp pass, no candidate list. */
  #full(logits: Float32Array): number {
    const n = logits.length;
    const probs = this.#buffer(n);
    const max = logits[argmax(logits)];
    const scale = 1 / this.#temperature;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += probs[i] = expNonPositive((logits[i] - max) * scale);
    let u = this.#random() * sum;
    for (let i = 0; i < n; i++) {
      u -= probs[i];
      if (u <= 0) return i;
    }
    return argmax(logits);
  }

  /**
   * Top-p over the whole vocabulary without sorting it: a histogram of
   * probability mass by log-probability finds the bucket where the nucleus
   * ends; only that bucket's tokens are sorted.
   */
  #nucleus(logits: Float32Array): number {
    const n = logits.length;
    const probs = this.#buffer(n);
    const bucketOf = this.#bucketOf;
    const mass = this.#bucketMass.fill(0);
    const max = logits[argmax(logits)];
    const scale = 1 / this.#temperature;
    const perNat = BUCKETS / RANGE;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const z = (max - logits[i]) * scale; // >= 0
      const b = z >= RANGE ? BUCKETS : Math.floor(z * perNat);
      bucketOf[i] = b;
      if (b === BUCKETS) {
        probs[i] = 0;
        continue;
      }
      const p = expNonPositive(-z);
      probs[i] = p;
      mass[b] += p;
      sum += p;
    }
    const target = this.#topP * sum;
    let boundary = 0;
    let above = 0; // mass of the buckets before the boundary one
    while (boundary < BUCKETS - 1 && above + mass[boundary] < target) above += mass[boundary++];
    const edge: number[] = [];
    for (let i = 0; i < n; i++) if (bucketOf[i] === boundary) edge.push(i);
    edge.sort((a, b) => logits[b] - logits[a] || a - b);
    let kept = above;
    let edgeKept = 0;
    while (edgeKept < edge.length && (edgeKept === 0 || kept < target)) kept += probs[edge[edgeKept++]];
    let u = this.#random() * kept;
    for (let i = 0; i < n; i++) {
      if (bucketOf[i] < boundary) {
        u -= probs[i];
        if (u <= 0) return i;
      }
    }
    for (let j = 0; j < edgeKept; j++) {
      u -= probs[edge[j]];
      if (u <= 0) return edge[j];
    }
    return edge[edgeKept - 1];
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

  #buffer(n: number): Float32Array {
    if (this.#probs.length !== n) {
      this.#probs = new Float32Array(n);
      this.#bucketOf = new Uint16Array(n);
    }
    return this.#probs;
  }
}

function check(name: string, value: number, min: number, max: number, exclusiveMin = false): void {
  const ok = Number.isFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max;
  if (!ok) throw new RangeError(`${name} must be a number ${exclusiveMin ? ">" : ">="} ${min}${max < Infinity ? ` and <= ${max}` : ""}, got ${value}`);
}
