/**
 * A prediction's output chunks, kept in the form they arrived in: text
 * batches stay one joined string with end offsets, other chunks stay in their
 * batch's array. Nothing is copied per chunk on append, and a long text
 * stream costs its bytes plus an offset per chunk (on these VMs each fresh
 * page of memory costs ~12 µs, so compact storage is what keeps a 100k-chunk
 * stream fast).
 */
import type { TextBatch } from "./event-batch.js";
import { floorIndex } from "./floor-index.js";

/** One batch's chunks: joined text, or an array. */
type Segment = { text: TextBatch; values?: undefined } | { text?: undefined; values: unknown[] };

/** Append-only chunks with random access by index. */
export class ChunkLog {
  readonly #segments: Segment[] = [];
  /** Index of each segment's first chunk. */
  readonly #firsts: number[] = [];
  #count = 0;
  #bytes = 0;
  /** Segment of the last lookup: reads are mostly sequential. */
  #last = 0;
  /** `toArray()`'s result so far (extended, never rebuilt). */
  #flat: unknown[] = [];

  get length(): number {
    return this.#count;
  }

  /** About how much memory the chunks hold (for retention by size). */
  get approxBytes(): number {
    return this.#bytes;
  }

  appendText(batch: TextBatch): void {
    if (batch.ends.length === 0) return;
    this.#segments.push({ text: batch });
    this.#firsts.push(this.#count);
    this.#count += batch.ends.length;
    this.#bytes += batch.text.length * 2 + batch.ends.length * 8;
  }

  appendValues(values: unknown[]): void {
    if (values.length === 0) return;
    this.#segments.push({ values });
    this.#firsts.push(this.#count);
    this.#count += values.length;
    for (const v of values) this.#bytes += approxBytes(v);
  }

  /** Chunk `index` (0 ≤ index < length). */
  get(index: number): unknown {
    let found: unknown;
    this.forEach(index, index + 1, (chunk) => (found = chunk));
    return found;
  }

  /**
   * Calls `visit(chunk, index)` for chunks [from, to), in order; one segment
   * lookup per batch instead of one per chunk.
   */
  forEach(from: number, to: number, visit: (chunk: unknown, index: number) => void): void {
    let index = from;
    while (index < to) {
      const k = (this.#last = floorIndex(this.#firsts, index, this.#last));
      const segment = this.#segments[k];
      const first = this.#firsts[k];
      const end = Math.min(to, k + 1 < this.#firsts.length ? this.#firsts[k + 1] : this.#count);
      if (segment.values) {
        for (; index < end; index++) visit(segment.values[index - first], index);
      } else {
        const { text, ends } = segment.text;
        let start = index === first ? 0 : ends[index - first - 1];
        for (; index < end; index++) {
          const stop = ends[index - first];
          visit(text.slice(start, stop), index);
          start = stop;
        }
      }
    }
  }

  /** Every chunk, in order (the array is kept and extended on later calls). */
  toArray(): unknown[] {
    const flat = this.#flat;
    if (flat.length < this.#count) this.forEach(flat.length, this.#count, (chunk) => flat.push(chunk));
    return flat;
  }
}

/** About how many bytes a JSON value takes in memory (strings count twice: UTF-16). */
export function approxBytes(value: unknown): number {
  if (typeof value === "string") return value.length * 2 + 16;
  if (value === null || typeof value !== "object") return 16;
  return (JSON.stringify(value)?.length ?? 0) * 2 + 16;
}
