/**
 * The API side of a fleet's streams: keeps local mirrors of predictions up to
 * date from their Redis events streams. A worker's append publishes on the
 * prediction's notify channel; the follower then reads what is new
 * (`XRANGE (last +`) and applies it in order. Subscribing first and reading
 * after means nothing is missed; a sweep every few seconds (and after every
 * reconnect) covers notifications lost while Redis was away.
 */
import type { Prediction } from "../predictions/prediction.js";
import { applyEntry, decodeEntry } from "./prediction-codec.js";
import { predictionKeys } from "./fleet-keys.js";
import { fieldsOf, type RedisConnection, type Reply } from "./redis-connection.js";

interface Followed {
  prediction: Prediction;
  events: string;
  notify: string;
  lastId: string;
  pulling?: Promise<void>;
  again: boolean;
  subscribed: boolean;
}

/** Entries read per round trip. */
const PAGE = 1024;

/** Follows predictions' events streams into their mirrors until they end. */
export class StreamFollower {
  readonly #main: RedisConnection;
  readonly #sub: RedisConnection;
  readonly #followed = new Map<string, Followed>();
  readonly #sweep: NodeJS.Timeout;

  constructor(options: { main: RedisConnection; sub: RedisConnection; sweepMs?: number }) {
    this.#main = options.main;
    this.#sub = options.sub;
    this.#sweep = setInterval(() => this.#pullAll(), options.sweepMs ?? 3_000);
    this.#sweep.unref();
    this.#main.onReady(() => this.#pullAll());
    this.#sub.onReady(() => {
      for (const f of this.#followed.values()) if (!f.subscribed) void this.#subscribe(f).then(() => this.#pull(f));
    });
  }

  /** Predictions being followed now. */
  get size(): number {
    return this.#followed.size;
  }

  /** Replays `prediction`'s stream into it and keeps following until it ends; resolves after the replay. */
  async follow(prediction: Prediction): Promise<void> {
    if (this.#followed.has(prediction.id) || prediction.isTerminal()) return;
    const keys = predictionKeys(prediction.id);
    const f: Followed = { prediction, events: keys.events, notify: keys.notify, lastId: "0-0", again: false, subscribed: false };
    this.#followed.set(prediction.id, f);
    await this.#subscribe(f);
    await this.#pull(f);
  }

  async #subscribe(f: Followed): Promise<void> {
    try {
      await this.#sub.subscribe(f.notify, () => void this.#pull(f));
      f.subscribed = true;
    } catch {
      // Redis is away: subscribed again when it is back, and the sweep reads the stream meanwhile.
    }
  }

  /** Reads and applies what is new, one read at a time per prediction. */
  #pull(f: Followed): Promise<void> {
    if (f.pulling) {
      f.again = true;
      return f.pulling;
    }
    f.pulling = (async () => {
      try {
        do {
          f.again = false;
          const reply = await this.#main.call<Reply[]>(["XRANGE", f.events, `(${f.lastId}`, "+", "COUNT", PAGE]);
          for (const entry of reply as Array<[string, Reply]>) {
            f.lastId = entry[0];
            const decoded = decodeEntry(fieldsOf(entry[1]));
            if (decoded) applyEntry(f.prediction, decoded);
          }
          if (reply.length === PAGE) f.again = true;
        } while (f.again && !f.prediction.isTerminal());
      } catch {
        // Unreachable now: the sweep retries.
      } finally {
        f.pulling = undefined;
      }
      if (f.prediction.isTerminal()) this.#stop(f);
    })();
    return f.pulling;
  }

  #pullAll(): void {
    for (const f of this.#followed.values()) void this.#pull(f).then(() => this.#expireIfGone(f));
  }

  /** A prediction whose keys expired (or were lost) while still running ends as failed rather than waiting forever. */
  async #expireIfGone(f: Followed): Promise<void> {
    if (f.prediction.isTerminal() || !this.#main.up) return;
    try {
      const exists = await this.#main.call<number>(["EXISTS", predictionKeys(f.prediction.id).meta]);
      if (exists === 0) f.prediction.finish({ status: "failed", code: "NOT_FOUND", error: "The prediction's record expired or was lost from the queue (Redis) before it finished." });
    } catch {
      // try again on the next sweep
    }
    if (f.prediction.isTerminal()) this.#stop(f);
  }

  #stop(f: Followed): void {
    if (this.#followed.get(f.prediction.id) !== f) return;
    this.#followed.delete(f.prediction.id);
    this.#sub.unsubscribe(f.notify).catch(() => {});
  }

  /** Stops following everything. */
  close(): void {
    clearInterval(this.#sweep);
    for (const f of [...this.#followed.values()]) this.#stop(f);
  }
}
