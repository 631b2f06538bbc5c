import { test } from "node:test";
import assert from "node:assert/strict";
import { createRandom, Sampler } from "../src/index.js";
import { argmax, expNonPositive, maxOf, SoftmaxSampler } from "../src/softmax-sampling.js";

/** Normally distributed logits (standard deviation `sd`), seeded. */
function gaussianLogits(n: number, sd: number, seed: number): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random()) * sd);
}

/** softmax(logits / temperature) in float64 with Math.exp: the reference. */
function referenceProbs(logits: Float32Array, temperature: number): Float64Array {
  let max = -Infinity;
  for (const l of logits) max = Math.max(max, l);
  const p = Float64Array.from(logits, (l) => Math.exp((l - max) / temperature));
  const sum = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / sum);
}

/** A random source that remembers what it returned. */
function recording(seed: number): { random: () => number; draws: number[] } {
  const source = createRandom(seed);
  const draws: number[] = [];
  return { random: () => (draws.push(source()), draws[draws.length - 1]), draws };
}

test("the fast exp used for large vocabularies is accurate to 1e-8 within 40 nats and 0 below", () => {
  let worst = 0;
  for (let x = -39.9999; x <= 0; x += 0.000731) worst = Math.max(worst, Math.abs(expNonPositive(x) - Math.exp(x)) / Math.exp(x));
  assert.ok(worst < 1e-8, `worst relative error ${worst}`);
  assert.equal(expNonPositive(0), 1);
  assert.equal(expNonPositive(-40), 0);
  assert.equal(expNonPositive(-1000), 0);
});

test("maxOf and argmax: first index on ties, NaN ignored, any length", () => {
  for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 1001]) {
    const values = gaussianLogits(n, 1, n);
    const best = values.reduce((b, v, i) => (v > values[b] ? i : b), 0);
    assert.equal(maxOf(values), values[best]);
    assert.equal(argmax(values), best);
  }
  assert.equal(argmax(Float32Array.from([1, 5, NaN, 5, 2])), 1);
  assert.equal(argmax(Float32Array.from([NaN, NaN])), 0);
  assert.equal(maxOf(Float32Array.from([-Infinity, NaN])), -Infinity);
});

test("temperature sampling draws exactly the float64 softmax's inverse-CDF token for each uniform number", () => {
  const logits = gaussianLogits(20_000, 3, 1);
  logits[7] = -Infinity; // masked
  logits[8] = -200; // 60+ nats below the best: probability < 1e-26
  for (const temperature of [0.7, 1, 1.5]) {
    const probs = referenceProbs(logits, temperature);
    const { random, draws } = recording(5);
    const sampler = new SoftmaxSampler({ temperature, topP: 1, random });
    let nearBoundary = 0;
    for (let k = 0; k < 2000; k++) {
      const id = sampler.next(logits);
      const u = draws[k];
      let expected = 0;
      let below = 0; // reference CDF before `expected`
      while (expected < probs.length - 1 && below + probs[expected] <= u) below += probs[expected++];
      if (id === expected) continue;
      // Only a draw within float rounding of a boundary between two tokens may go the other way.
      const boundary = id < expected ? below : below + probs[expected];
      assert.ok(Math.abs(u - boundary) < 1e-7 && Math.abs(id - expected) <= 1, `draw ${k}: u=${u} gave ${id}, reference ${expected}`);
      nearBoundary++;
    }
    assert.ok(nearBoundary <= 2, `${nearBoundary} draws differ at boundaries`);
  }
});

test("top-p samples exactly the reference nucleus with renormalised probabilities", () => {
  // 40 strong tokens at random places over a weak background; the nucleus ends among them.
  const n = 4000;
  const logits = gaussianLogits(n, 1, 2).map((l) => l - 4);
  const random = createRandom(3);
  for (let k = 0; k < 40; k++) logits[Math.floor(random() * n)] = 5 - k * 0.1;
  const temperature = 0.9;
  const topP = 0.8;
  const probs = referenceProbs(logits, temperature);
  const order = Array.from(probs.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  const nucleus = new Map<number, number>();
  let mass = 0;
  for (const id of order) {
    nucleus.set(id, probs[id]);
    mass += probs[id];
    if (mass >= topP) break;
  }
  const draws = 20_000;
  const counts = new Map<number, number>();
  const sampler = new SoftmaxSampler({ temperature, topP, random: createRandom(4) });
  for (let k = 0; k < draws; k++) {
    const id = sampler.next(logits);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  for (const id of counts.keys()) assert.ok(nucleus.has(id), `token ${id} (p=${probs[id]}) is outside the nucleus`);
  for (const [id, p] of nucleus) {
    const expected = p / mass;
    const share = (counts.get(id) ?? 0) / draws;
    const sigma = Math.sqrt((expected * (1 - expected)) / draws);
    assert.ok(Math.abs(share - expected) < 5 * sigma + 1e-4, `token ${id}: share ${share}, expected ${expected}`);
  }
});

test("top-p cuts inside a run of nearly equal tokens exactly where the sorted reference does", () => {
  // 10 tokens within 0.01 nats of each other (one histogram bucket) after a leader.
  const logits = new Float32Array(1000).fill(-30);
  logits[500] = 3;
  for (let k = 0; k < 10; k++) logits[900 - k * 37] = 1 - k * 0.001;
  const probs = referenceProbs(logits, 1);
  const order = Array.from(probs.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  const topP = probs[500] + probs[900] + probs[863] + probs[826] * 0.5; // ends inside the third of the run
  const sampler = new SoftmaxSampler({ temperature: 1, topP, random: createRandom(6) });
  const seen = new Set(Array.from({ length: 3000 }, () => sampler.next(logits)));
  assert.deepEqual([...seen].sort((a, b) => a - b), order.slice(0, 4).sort((a, b) => a - b));
});

test("seeded sampling over a 128k vocabulary repeats; different seeds differ (plain and top-p)", () => {
  const logits = gaussianLogits(128_256, 3, 9);
  for (const options of [{ temperature: 1 }, { temperature: 0.8, topP: 0.95 }]) {
    const run = (seed: number) => {
      const s = new Sampler({ ...options, seed });
      return Array.from({ length: 20 }, () => s.next(logits.slice(), new Set()));
    };
    assert.deepEqual(run(5), run(5));
    assert.notDeepEqual(run(5), run(6));
  }
});

test("masked (-Infinity) and NaN logits are never drawn", () => {
  const logits = new Float32Array(5000).fill(-Infinity);
  logits[10] = NaN;
  logits[4000] = 0;
  logits[4001] = 0;
  for (const topP of [1, 0.9]) {
    const sampler = new SoftmaxSampler({ temperature: 1, topP, random: createRandom(8) });
    const seen = new Set(Array.from({ length: 200 }, () => sampler.next(logits)));
    assert.ok([...seen].every((id) => id === 4000 || id === 4001), `drew ${[...seen]}`);
  }
});
