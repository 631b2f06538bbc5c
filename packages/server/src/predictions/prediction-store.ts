import { Prediction, type PredictionOptions } from "./prediction.js";

export interface PredictionStoreOptions {
  /** Finished predictions kept for GET/stream replay (oldest dropped first). Default 1000. */
  maxFinished?: number;
  /** Finished predictions are dropped after this many ms. Default 1 hour. */
  finishedTtlMs?: number;
}

/** Predictions by id: running ones always, finished ones for a while (for polling and replay). */
export class PredictionStore {
  private readonly byId = new Map<string, Prediction>();
  /** Finished predictions' ids, oldest first, from `finishedHead` on. */
  private finished: string[] = [];
  private finishedHead = 0;
  private readonly maxFinished: number;
  private readonly ttl: number;
  private runningCount = 0;

  constructor(options: PredictionStoreOptions = {}) {
    this.maxFinished = options.maxFinished ?? 1000;
    this.ttl = options.finishedTtlMs ?? 3_600_000;
  }

  /** Creates and registers a prediction. The caller checks the id is free. */
  create(options: PredictionOptions): Prediction {
    const prediction = new Prediction({ ...options, onFinish: this.retire });
    this.byId.set(prediction.id, prediction);
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
    this.finished.push(prediction.id);
    const now = Date.now();
    while (this.finishedHead < this.finished.length) {
      const oldest = this.byId.get(this.finished[this.finishedHead]);
      const expired = !oldest || oldest.completedMs === undefined || now - oldest.completedMs > this.ttl;
      if (this.finished.length - this.finishedHead <= this.maxFinished && !expired) break;
      const id = this.finished[this.finishedHead++];
      const p = this.byId.get(id);
      if (p && p.isTerminal()) this.byId.delete(id);
    }
    // Drop the retired ids now and then (cheaper than shifting the array each time).
    if (this.finishedHead > 1024 && this.finishedHead * 2 > this.finished.length) {
      this.finished = this.finished.slice(this.finishedHead);
      this.finishedHead = 0;
    }
  };
}
