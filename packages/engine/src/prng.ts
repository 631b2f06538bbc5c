/**
 * A small seeded pseudo-random number generator (mulberry32 seeded through
 * splitmix32), so that the same `seed` always samples the same tokens.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** Returns a deterministic generator for `seed`; `Math.random` when no seed is given. */
export function createRandom(seed?: number): Random {
  if (seed === undefined || seed === null) return Math.random;
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  // splitmix32 over the integer seed spreads nearby seeds (1, 2, 3...) apart.
  let s = (Math.trunc(seed) ^ Math.trunc(seed / 0x100000000)) >>> 0;
  s = (s + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  let state = (z ^ (z >>> 16)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
