/**
 * Drawing from softmax(logits / temperature) over a whole vocabulary (128k+
 * entries) in a few linear passes: no sort of the vocabulary, no Math.exp per
 * entry, no normalised probability array.
 *
 * Every probability is computed relative to the most likely token as
 * e^-(t / STEPS) with t = (max - logit) / temperature · STEPS, from a table of
 * e^(-j / STEPS) times a cubic for the remainder (relative error < 3e-9).
 * Tokens more than RANGE nats below the best one count as probability 0; with
 * V tokens that drops less than V · e^-RANGE of the mass (5e-13 for V = 128k).
 * The table index j doubles as a histogram bucket for top-p. A draw walks
 * sums kept per chunk (or per bucket), then recomputes the probabilities of
 * that one chunk (or bucket) in the order they were added to find the token.
 */
import type { Random } from "./prng.js";

/** Table steps per nat (and top-p histogram buckets per nat). */
const STEPS = 64;
/** Tokens this many nats below the best one have probability 0. */
const RANGE = 40;
const LIMIT = RANGE * STEPS;
/** e^(-j / STEPS) for j in [0, LIMIT). */
const TABLE = Float64Array.from({ length: LIMIT }, (_, j) => Math.exp(-j / STEPS));
/** Tokens per running sum of the plain softmax draw. */
const CHUNK = 256;

/** e^(-t / STEPS) for 0 <= t < LIMIT, where j = floor(t); table value times a cubic in the remainder. */
function expSteps(t: number, j: number): number {
  const r = (j - t) * (1 / STEPS); // in (-1/STEPS, 0]
  return TABLE[j] * (1 + r * (1 + r * (0.5 + r * (1 / 6))));
}

/** e^x for x <= 0 as the samplers compute it (0 below -RANGE); exported for its accuracy test. */
export function expNonPositive(x: number): number {
  const t = -x * STEPS;
  return t < LIMIT ? expSteps(t, t | 0) : 0;
}

/** The largest value, NaN ignored (-Infinity when there is none); four lanes so comparisons overlap. */
export function maxOf(values: Float32Array): number {
  let a = -Infinity;
  let b = -Infinity;
  let c = -Infinity;
  let d = -Infinity;
  const n = values.length;
  const end = n & ~3;
  let i = 0;
  for (; i < end; i += 4) {
    const v0 = values[i];
    const v1 = values[i + 1];
    const v2 = values[i + 2];
    const v3 = values[i + 3];
    if (v0 > a) a = v0;
    if (v1 > b) b = v1;
    if (v2 > c) c = v2;
    if (v3 > d) d = v3;
  }
  for (; i < n; i++) if (values[i] > a) a = values[i];
  return Math.max(a, b, c, d);
}

/** Index of the largest value (first one on ties; 0 when every value is NaN). */
export function argmax(values: Float32Array): number {
  return Math.max(0, values.indexOf(maxOf(values)));
}

/** Samples token ids from the whole vocabulary; reuses its buffers from call to call. */
export class SoftmaxSampler {
  readonly #stepsPerLogit: number;
  readonly #topP: number;
  readonly #random: Random;
  #chunkSums = new Float64Array(0);
  readonly #mass = new Float64Array(LIMIT);

  /** `topP` < 1 restricts the draw to the smallest set of most likely tokens whose probability reaches it. */
  constructor(options: { temperature: number; topP: number; random: Random }) {
    this.#stepsPerLogit = STEPS / options.temperature;
    this.#topP = options.topP;
    this.#random = options.random;
  }

  /** Draws one token id from `logits` (one call to the random source). */
  next(logits: Float32Array): number {
    return this.#topP < 1 ? this.#nucleus(logits) : this.#plain(logits);
  }

  /** Plain temperature sampling: per-chunk sums in one pass, then the drawn chunk is recomputed to find the token. */
  #plain(logits: Float32Array): number {
    const n = logits.length;
    const chunks = Math.ceil(n / CHUNK);
    if (this.#chunkSums.length < chunks) this.#chunkSums = new Float64Array(chunks);
    const sums = this.#chunkSums;
    const max = maxOf(logits);
    const k = this.#stepsPerLogit;
    let total = 0;
    for (let c = 0; c < chunks; c++) {
      const end = Math.min(n, (c + 1) * CHUNK);
      let sum = 0;
      for (let i = c * CHUNK; i < end; i++) {
        const t = (max - logits[i]) * k;
        if (t < LIMIT) sum += expSteps(t, t | 0);
      }
      sums[c] = sum;
      total += sum;
    }
    let u = this.#random() * total;
    for (let c = 0; c < chunks; c++) {
      if (u >= sums[c]) {
        u -= sums[c];
        continue;
      }
      let last = -1;
      for (let i = c * CHUNK, end = Math.min(n, (c + 1) * CHUNK); i < end; i++) {
        const t = (max - logits[i]) * k;
        if (t >= LIMIT) continue;
        last = i;
        u -= expSteps(t, t | 0);
        if (u < 0) return i;
      }
      if (last >= 0) return last; // rounding left a sliver of u: the chunk's last token
    }
    return argmax(logits);
  }

  /**
   * Top-p: a histogram of probability mass by table bucket (1/64 nat wide)
   * finds the bucket where the nucleus ends; only that bucket's tokens are
   * listed and sorted. A draw picks a bucket from the histogram, then the
   * token within it by adding that bucket's probabilities again in index order.
   */
  #nucleus(logits: Float32Array): number {
    const n = logits.length;
    const mass = this.#mass.fill(0);
    const max = maxOf(logits);
    const k = this.#stepsPerLogit;
    for (let i = 0; i < n; i++) {
      const t = (max - logits[i]) * k;
      if (t < LIMIT) {
        const j = t | 0;
        mass[j] += expSteps(t, j);
      }
    }
    let total = 0;
    for (let j = 0; j < LIMIT; j++) total += mass[j];
    const target = this.#topP * total;
    let edge = 0;
    let above = 0; // mass of the buckets before the edge one: all inside the nucleus
    while (edge < LIMIT - 1 && above + mass[edge] < target) above += mass[edge++];
    // Bucket j holds the tokens with j <= t < j + 1, t computed exactly as above.
    const edgeTokens: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = (max - logits[i]) * k;
      if (t >= edge && t < edge + 1) edgeTokens.push(i);
    }
    edgeTokens.sort((a, b) => logits[b] - logits[a] || a - b);
    const edgeProbs: number[] = [];
    let kept = above;
    while (edgeProbs.length < edgeTokens.length && (edgeProbs.length === 0 || kept < target)) {
      const t = (max - logits[edgeTokens[edgeProbs.length]]) * k;
      const p = expSteps(t, edge);
      edgeProbs.push(p);
      kept += p;
    }
    let u = this.#random() * kept;
    if (u < above) {
      for (let j = 0; j < edge; j++) {
        if (u >= mass[j]) {
          u -= mass[j];
          continue;
        }
        let last = -1;
        for (let i = 0; i < n; i++) {
          const t = (max - logits[i]) * k;
          if (t < j || t >= j + 1) continue;
          last = i;
          u -= expSteps(t, j);
          if (u < 0) return i;
        }
        return last; // rounding left a sliver of u: the bucket's last token
      }
    } else {
      u -= above;
    }
    for (let e = 0; e < edgeProbs.length; e++) {
      u -= edgeProbs[e];
      if (u < 0) return edgeTokens[e];
    }
    return edgeProbs.length > 0 ? edgeTokens[edgeProbs.length - 1] : argmax(logits);
  }

}
