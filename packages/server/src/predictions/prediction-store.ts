import { Prediction, type PredictionOptions } from "./prediction.js";

export interface PredictionStoreOptions {
  /** Finished predictions kept for GET/stream replay (oldest dropped first). Default 1000. */
  maxFinished?: number;
  /** Finished predictions are dropped after this many ms. Default 1 hour. */
  finishedTtlMs?: number;
  /** Memory finished predictions may hold together (inputs, outputs, logs), bytes; oldest dropped first. Default 256 MiB. */
  maxFinishedBytes?: number;
}

/** One page of a newest-first listing. */
export interface PredictionPage {
  results: Prediction[];
  /** Cursor of the next (older) page, or null at the end. */
  next: string | null;
  /** Cursor of the previous (newer) page, or null at the start. */
  previous: string | null;
}

/** Predictions by id: running ones always, finished ones for a while (for polling and replay), bounded by count, age and bytes. */
export class PredictionStore {
  private readonly byId = new Map<string, Prediction>();
  /** Creation order, for cursors that stay valid while older predictions are dropped. */
  private readonly seqOf = new WeakMap<Prediction, number>();
  private seq = 0;
  /** Finished predictions' ids, oldest first, from `finishedHead` on, with their sizes. */
  private finished: string[] = [];
  private finishedSizes: number[] = [];
  private finishedHead = 0;
  private finishedBytes = 0;
  private readonly maxFinished: number;
  private readonly maxFinishedBytes: number;
  private readonly ttl: number;
  private runningCount = 0;

  constructor(options: PredictionStoreOptions = {}) {
    this.maxFinished = options.maxFinished ?? 1000;
    this.maxFinishedBytes = options.maxFinishedBytes ?? 256 * 1024 * 1024;
    this.ttl = options.finishedTtlMs ?? 3_600_000;
  }

  /** Creates and registers a prediction. The caller checks the id is free. */
  create(options: PredictionOptions): Prediction {
    const prediction = new Prediction({ ...options, onFinish: this.retire });
    this.byId.set(prediction.id, prediction);
    this.seqOf.set(prediction, ++this.seq);
    this.runningCount++;
    return prediction;
  }

  get(id: string): Prediction | undefined {
    return this.byId.get(id);
  }

  /** Every stored prediction, oldest first. */
  all(): Prediction[] {
    return [...this.byId.values()];
  }

  /**
   * Newest first, `limit` at most and about `maxBytes` at most (always at
   * least one), starting after `cursor` (from a previous page's `next`).
   */
  page(options: { cursor?: string | null; limit: number; maxBytes: number }): PredictionPage {
    const all = this.all();
    const before = options.cursor ? Number(options.cursor) : Infinity;
    let start = all.length - 1;
    while (start >= 0 && this.seqOf.get(all[start])! >= before) start--;
    const results: Prediction[] = [];
    let bytes = 0;
    for (let i = start; i >= 0 && results.length < options.limit; i--) {
      bytes += all[i].approxBytes;
      if (results.length > 0 && bytes > options.maxBytes) break;
      results.push(all[i]);
    }
    const last = results[results.length - 1];
    const hasOlder = last !== undefined && all.indexOf(last) > 0;
    const newer = start < all.length - 1;
    return {
      results,
      next: hasOlder ? String(this.seqOf.get(last)) : null,
      // The newer page ends just before this one; its cursor is the seq after our first.
      previous: newer ? this.previousCursor(all, start, options.limit) : null,
    };
  }

  /** Cursor of the page of up to `limit` predictions just newer than index `start`. */
  private previousCursor(all: Prediction[], start: number, limit: number): string {
    const bound = start + limit + 1;
    return String(bound < all.length ? this.seqOf.get(all[bound])! : this.seq + 1);
  }

  /** Predictions not yet terminal. */
  get running(): number {
    return this.runningCount;
  }

  /** Running predictions, for shutdown. */
  active(): Prediction[] {
    return [...this.byId.values()].filter((p) => !p.isTerminal());
  }

  private readonly retire = (prediction: Prediction): void => {
    this.runningCount--;
    const size = prediction.approxBytes;
    this.finished.push(prediction.id);
    this.finishedSizes.push(size);
    this.finishedBytes += size;
    const now = Date.now();
    while (this.finishedHead < this.finished.length) {
      const oldest = this.byId.get(this.finished[this.finishedHead]);
      const expired = !oldest || oldest.completedMs === undefined || now - oldest.completedMs > this.ttl;
      const over = this.finished.length - this.finishedHead > this.maxFinished || this.finishedBytes > this.maxFinishedBytes;
      if (!over && !expired) break;
      const id = this.finished[this.finishedHead];
      this.finishedBytes -= this.finishedSizes[this.finishedHead++];
      const p = this.byId.get(id);
      if (p && p.isTerminal()) this.byId.delete(id);
    }
    // Drop the retired ids now and then (cheaper than shifting the array each time).
    if (this.finishedHead > 1024 && this.finishedHead * 2 > this.finished.length) {
      this.finished = this.finished.slice(this.finishedHead);
      this.finishedSizes = this.finishedSizes.slice(this.finishedHead);
      this.finishedHead = 0;
    }
  };
}
