/**
 * The distribution of draws for every sampling path (temperature alone, top-k,
 * top-p, both, repetition penalty, greedy) against a float64 reference:
 * softmax(penalized logits / temperature), cut to the k most likely tokens,
 * then to the smallest prefix whose probability reaches p, renormalized.
 * Seeded, so a run is deterministic; each count must sit within 5 standard
 * deviations of its expectation, and a token outside the kept set must never
 * be drawn.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createRandom, Sampler, type SamplingOptions } from "../src/index.js";

const DRAWS = 20_000;

/** The float64 reference distribution over token ids. */
function reference(logits: Float32Array, options: SamplingOptions, seen: ReadonlySet<number>): Float64Array {
  const { temperature = 1, topK = 0, topP = 1, repetitionPenalty = 1 } = options;
  // The penalty is applied to the float32 row in place, so round as it does.
  const l = Array.from(logits, (v, i) => (seen.has(i) && repetitionPenalty !== 1 ? Math.fround(v > 0 ? v / repetitionPenalty : v * repetitionPenalty) : v));
  const order = l.map((_, i) => i).sort((a, b) => l[b] - l[a] || a - b);
  const probs = new Float64Array(l.length);
  if (temperature <= 0) {
    probs[order[0]] = 1;
    return probs;
  }
  let kept = topK > 0 && topK < l.length ? order.slice(0, topK) : order;
  const max = l[order[0]];
  const weights = kept.map((i) => Math.exp((l[i] - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  if (topP < 1) {
    let cumulative = 0;
    let keep = kept.length;
    for (let i = 0; i < kept.length; i++) {
      cumulative += weights[i] / total;
      // A cut this close to p would make the case depend on rounding: pick other numbers.
      assert.ok(Math.abs(cumulative - topP) > 1e-3, `test case too close to the top-p edge (${cumulative} vs ${topP})`);
      if (cumulative >= topP) {
        keep = i + 1;
        break;
      }
    }
    kept = kept.slice(0, keep);
  }
  const keptTotal = weights.slice(0, kept.length).reduce((a, b) => a + b, 0);
  kept.forEach((id, i) => (probs[id] = weights[i] / keptTotal));
  return probs;
}

/** Draws DRAWS tokens (a fresh copy of the row each time: samplers may change it) and counts them. */
function draw(logits: Float32Array, options: SamplingOptions, seen: ReadonlySet<number>): number[] {
  const sampler = new Sampler({ seed: 1234, ...options });
  const counts = new Array<number>(logits.length).fill(0);
  for (let n = 0; n < DRAWS; n++) counts[sampler.next(Float32Array.from(logits), seen)]++;
  return counts;
}

function assertDistribution(name: string, values: ArrayLike<number>, options: SamplingOptions, seen: ReadonlySet<number> = new Set()): void {
  const logits = Float32Array.from(values);
  const expected = reference(logits, options, seen);
  const counts = draw(logits, options, seen);
  const top = Array.from(expected.keys()).sort((a, b) => expected[b] - expected[a]).slice(0, 6);
  const summary = `${name}: expected ${top.map((i) => `${i}:${Math.round(expected[i] * DRAWS)}`).join(" ")}, drew ${top.map((i) => `${i}:${counts[i]}`).join(" ")}`;
  let distance = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = expected[i];
    distance += Math.abs(counts[i] / DRAWS - p) / 2;
    if (p === 0) {
      assert.equal(counts[i], 0, `${summary}: token ${i} is outside the kept set but was drawn ${counts[i]} times`);
      continue;
    }
    const sd = Math.sqrt(DRAWS * p * (1 - p));
    assert.ok(Math.abs(counts[i] - DRAWS * p) <= 5 * sd + 1, `${summary}: token ${i} drawn ${counts[i]} times, expected ${(DRAWS * p).toFixed(1)} ± ${(5 * sd).toFixed(1)}`);
  }
  if (logits.length <= 16) assert.ok(distance < 0.02, `${summary}: total variation distance ${distance.toFixed(4)}`);
}

const SMALL = [2, 1.5, 1, 0.5, 0, -0.5, -1, -3];

/** A 1000-token row (several of the softmax sampler's 256-token chunks), with no ties. */
const LARGE = Array.from({ length: 1000 }, (_, i) => 3 * Math.sin(i * 0.37) + ((i * 7919) % 101) / 200);

test("temperature alone matches softmax(logits / T) (small row)", () => {
  for (const temperature of [0.1, 0.5, 1, 2]) assertDistribution(`T=${temperature}`, SMALL, { temperature });
});

test("temperature alone matches softmax(logits / T) over a row of several chunks", () => {
  for (const temperature of [0.3, 1]) assertDistribution(`T=${temperature} V=1000`, LARGE, { temperature });
});

test("top-k applies the temperature to the k kept tokens", () => {
  // The case from the bug report: T=0.1, top-k 3 is nearly greedy (not 641/261/98).
  assertDistribution("T=0.1 k=3", [3, 2.5, 2, 1, 0], { temperature: 0.1, topK: 3 });
  assertDistribution("T=2 k=1", SMALL, { temperature: 2, topK: 1 });
  for (const temperature of [0.5, 1, 2]) assertDistribution(`T=${temperature} k=4`, SMALL, { temperature, topK: 4 });
  // The built-in template's default path: top-k 50 over a large row.
  for (const temperature of [0.7, 1.3]) assertDistribution(`T=${temperature} k=50 V=1000`, LARGE, { temperature, topK: 50 });
});

test("large logits: probabilities are taken relative to the largest one (no overflow)", () => {
  const big = SMALL.map((l) => l + 300);
  assertDistribution("T=0.5 k=4 logits+300", big, { temperature: 0.5, topK: 4 });
  assertDistribution("T=0.5 logits+300", big, { temperature: 0.5 });
  assertDistribution("T=1 k=5 p=0.8 logits-300", SMALL.map((l) => l - 300), { temperature: 1, topK: 5, topP: 0.8 });
});

test("out-of-range options are refused, naming the option", () => {
  for (const [options, name] of [[{ temperature: -1 }, "temperature"], [{ topK: -1 }, "topK"], [{ topP: 1.5 }, "topP"], [{ repetitionPenalty: 0 }, "repetitionPenalty"]] as const) {
    assert.throws(() => new Sampler(options), (err: unknown) => err instanceof RangeError && err.message.startsWith(`${name} must be a number`), name);
  }
});

test("top-p keeps the smallest set of most likely tokens reaching p", () => {
  for (const [temperature, topP] of [[1, 0.75], [1, 0.9], [0.7, 0.6], [2, 0.8]]) {
    assertDistribution(`T=${temperature} p=${topP}`, SMALL, { temperature, topP });
  }
  assertDistribution("T=0.8 p=0.55 V=1000", LARGE, { temperature: 0.8, topP: 0.55 });
});

test("top-k and top-p together: the nucleus is taken within the k tokens", () => {
  assertDistribution("T=1 k=5 p=0.8", SMALL, { temperature: 1, topK: 5, topP: 0.8 });
  assertDistribution("T=0.5 k=3 p=0.95", SMALL, { temperature: 0.5, topK: 3, topP: 0.95 });
  assertDistribution("T=1.5 k=6 p=0.7", SMALL, { temperature: 1.5, topK: 6, topP: 0.7 });
  assertDistribution("T=0.7 k=50 p=0.9 V=1000", LARGE, { temperature: 0.7, topK: 50, topP: 0.9 });
});

test("repetition penalty: seen positive logits are divided, seen negative ones multiplied", () => {
  const seen = new Set([0, 6, 2]);
  assertDistribution("penalty 1.8 T=1", SMALL, { temperature: 1, repetitionPenalty: 1.8 }, seen);
  assertDistribution("penalty 1.8 T=0.6 k=4", SMALL, { temperature: 0.6, topK: 4, repetitionPenalty: 1.8 }, seen);
  assertDistribution("penalty 1.5 T=1 p=0.8", SMALL, { temperature: 1, topP: 0.8, repetitionPenalty: 1.5 }, seen);
  assertDistribution("penalty 0.5 T=1 k=5", SMALL, { temperature: 1, topK: 5, repetitionPenalty: 0.5 }, seen);
  assertDistribution("penalty 1.3 T=0.9 V=1000", LARGE, { temperature: 0.9, repetitionPenalty: 1.3 }, new Set([0, 17, 500, 999]));
});

test("temperature 0 is greedy on the penalized logits, with or without top-k", () => {
  const seen = new Set([0]);
  assertDistribution("greedy", SMALL, { temperature: 0 });
  assertDistribution("greedy + penalty", SMALL, { temperature: 0, repetitionPenalty: 2 }, seen);
  assertDistribution("greedy + penalty + k", SMALL, { temperature: 0, topK: 3, repetitionPenalty: 2 }, seen);
});

test("the seeded generator is uniform enough for the tests above to mean something", () => {
  const random = createRandom(99);
  const bins = new Array<number>(20).fill(0);
  for (let i = 0; i < 100_000; i++) bins[Math.floor(random() * 20)]++;
  for (const count of bins) assert.ok(Math.abs(count - 5000) < 5 * Math.sqrt(5000 * 0.95), `bin count ${count}`);
});
