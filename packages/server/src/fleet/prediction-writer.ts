/**
 * A worker's writes for one prediction, in order, one at a time: the start,
 * event batches (everything that arrives while a write is in flight goes out
 * as one entry), and the done entry. Each write is fenced by the owner (see
 * `APPEND_SCRIPT`): once another worker owns the prediction, nothing more is
 * written and `onFenced` fires. While Redis is unreachable, writes wait and
 * retry, so a short outage delays output but loses none.
 */
import type { EventBatch } from "../predictions/event-batch.js";
import { APPEND_SCRIPT } from "./fleet-scripts.js";
import type { FleetResult } from "./prediction-codec.js";
import type { PredictionKeys } from "./fleet-keys.js";
import type { RedisConnection } from "./redis-connection.js";

type Pending = { type: "start"; ms: number } | { type: "ev"; ms: number; batches: EventBatch[] } | { type: "done"; ms: number; result: FleetResult };

/** Wait between retries while Redis is unreachable, ms. */
const RETRY_MS = 200;

/** Writes one prediction's entries for the worker that owns it. */
export class PredictionWriter {
  readonly #conn: RedisConnection;
  readonly #keys: PredictionKeys;
  readonly #owner: string;
  readonly #ttl: { activeMs: number; finishedMs: number };
  readonly #onFenced: () => void;
  readonly #pending: Pending[] = [];
  #writing?: Promise<void>;
  #fenced = false;
  /** This writer's entries so far: a retried append carries the same number, so Redis applies it once. */
  #seq = 0;
  #finished?: () => void;
  /** Resolves when the done entry is written (or the writer was fenced off). */
  readonly finished: Promise<void>;

  constructor(options: { conn: RedisConnection; keys: PredictionKeys; owner: string; ttl: { activeMs: number; finishedMs: number }; onFenced: () => void }) {
    this.#conn = options.conn;
    this.#keys = options.keys;
    this.#owner = options.owner;
    this.#ttl = options.ttl;
    this.#onFenced = options.onFenced;
    this.finished = new Promise((resolve) => (this.#finished = resolve));
  }

  /** True once another worker owns the prediction (or it ended elsewhere, e.g. canceled while this worker was away). */
  get fenced(): boolean {
    return this.#fenced;
  }

  /** The prediction started running. */
  start(ms = Date.now()): void {
    this.#push({ type: "start", ms });
  }

  /** A batch of events from the predictor. */
  events(batch: EventBatch): void {
    const last = this.#pending[this.#pending.length - 1];
    if (last?.type === "ev") last.batches.push(batch);
    else this.#push({ type: "ev", ms: Date.now(), batches: [batch] });
  }

  /** The prediction ended: the last entry. */
  finish(result: FleetResult): void {
    this.#push({ type: "done", ms: Date.now(), result });
  }

  #push(entry: Pending): void {
    if (this.#fenced) return;
    this.#pending.push(entry);
    this.#writing ??= this.#drain();
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0 && !this.#fenced) {
      // Batches arriving while this entry is written gather in the next one.
      const entry = this.#pending.shift()!;
      const data = entry.type === "ev" ? entry.batches : entry.type === "done" ? entry.result : {};
      const final = entry.type === "done" ? entry.result.status : "";
      const ttl = entry.type === "done" ? this.#ttl.finishedMs : this.#ttl.activeMs;
      const seq = String(++this.#seq);
      for (;;) {
        try {
          const id = await this.#conn.script(APPEND_SCRIPT, [this.#keys.meta, this.#keys.events, this.#keys.notify], [this.#owner, entry.type, entry.ms, JSON.stringify(data), ttl, final, seq]);
          if (id === null) this.#fence();
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
          if (this.#fenced) break;
        }
      }
      if (entry.type === "done") this.#finished?.();
    }
    this.#writing = undefined;
  }

  /** Stops writing: another worker owns the prediction now. */
  #fence(): void {
    if (this.#fenced) return;
    this.#fenced = true;
    this.#pending.length = 0;
    this.#finished?.();
    this.#onFenced();
  }

  /** Gives up (the worker is shutting down and Redis is away): pending writes are dropped. */
  abandon(): void {
    this.#fenced = true;
    this.#pending.length = 0;
    this.#finished?.();
  }
}
