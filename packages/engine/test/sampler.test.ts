import { test } from "node:test";
import assert from "node:assert/strict";
import { Sampler, topKIndices, createRandom } from "../src/index.js";

function logitsOf(values: number[]): Float32Array {
  return Float32Array.from(values);
}

test("createRandom: same seed, same numbers; different seeds differ", () => {
  const a = createRandom(42);
  const b = createRandom(42);
  const c = createRandom(43);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c()));
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});

test("topKIndices returns the k largest, largest first", () => {
  const values = Float32Array.from([0.1, 5, -2, 3, 5, 9, 0]);
  assert.deepEqual(topKIndices(values, 3), [5, 1, 4]);
  assert.deepEqual(topKIndices(values, 1), [5]);
  assert.equal(topKIndices(values, 100).length, 7);
});

test("temperature 0 is greedy", () => {
  const s = new Sampler({ temperature: 0 });
  assert.equal(s.next(logitsOf([1, 3, 2]), new Set()), 1);
});

test("top-k 1 is greedy whatever the temperature", () => {
  const s = new Sampler({ temperature: 5, topK: 1, seed: 3 });
  for (let i = 0; i < 20; i++) assert.equal(s.next(logitsOf([1, 3, 2, 0]), new Set()), 1);
});

test("top-p keeps only the nucleus", () => {
  // probabilities ~ [0.66, 0.24, 0.09, 0.01...]: top_p 0.5 keeps only the first.
  const s = new Sampler({ temperature: 1, topP: 0.5, seed: 7 });
  const logits = [3, 2, 1, -2, -2, -2];
  for (let i = 0; i < 50; i++) assert.equal(s.next(logitsOf(logits), new Set()), 0);
  const wide = new Sampler({ temperature: 1, topP: 0.95, seed: 7 });
  const picks = new Set(Array.from({ length: 200 }, () => wide.next(logitsOf(logits), new Set())));
  assert.ok(picks.has(1) && picks.has(2), `expected tokens 1 and 2 among ${[...picks]}`);
  assert.ok(!picks.has(3) && !picks.has(4) && !picks.has(5));
});

test("top-p over a large vocabulary widens its slice until the mass is reached", () => {
  const n = 5000;
  const flat = new Float32Array(n); // uniform: the nucleus is most of the vocabulary
  const s = new Sampler({ temperature: 1, topP: 0.9, seed: 1 });
  const picks = new Set(Array.from({ length: 300 }, () => s.next(flat.slice(), new Set())));
  assert.ok(picks.size > 250);
  for (const p of picks) assert.ok(p < 4501, `token ${p} is outside the 90% nucleus`);
});

test("sampling follows the distribution", () => {
  const s = new Sampler({ temperature: 1, seed: 11 });
  const counts = [0, 0];
  for (let i = 0; i < 4000; i++) counts[s.next(logitsOf([Math.log(3), 0]), new Set())]++;
  const share = counts[0] / 4000;
  assert.ok(Math.abs(share - 0.75) < 0.03, `share ${share}`);
});

test("repetition penalty pushes seen tokens down", () => {
  const s = new Sampler({ temperature: 0, repetitionPenalty: 2 });
  assert.equal(s.next(logitsOf([3, 2, -1]), new Set([0])), 1);
  const neg = new Sampler({ temperature: 0, repetitionPenalty: 2 });
  assert.equal(neg.next(logitsOf([-1, -1.5, -5]), new Set([0])), 1);
});

test("seeded samplers repeat; different seeds differ", () => {
  const logits = Array.from({ length: 100 }, (_, i) => Math.sin(i));
  const run = (seed: number) => {
    const s = new Sampler({ temperature: 1, topK: 50, topP: 0.9, seed });
    return Array.from({ length: 30 }, () => s.next(logitsOf(logits), new Set()));
  };
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5), run(6));
});

test("invalid options are rejected with the option's name", () => {
  assert.throws(() => new Sampler({ topP: 1.5 }), /topP/);
  assert.throws(() => new Sampler({ temperature: -1 }), /temperature/);
  assert.throws(() => new Sampler({ repetitionPenalty: 0 }), /repetitionPenalty/);
});
