/**
 * One generation in the batch scheduler: its prompt, sampler, repetition
 * history, limits and the callbacks that hand its tokens on. It never sees
 * the batch; the scheduler feeds it a row of logits per step.
 */
import type { Sampler } from "./sampler.js";
import type { KvBatch } from "./kv-batch.js";

/** Why generation ended. */
export type FinishReason = "eos" | "length" | "stop";

/** What a sequence needs, checked by the caller. */
export interface SequenceSpec {
  /** Token ids to prefill (non-empty). */
  promptIds: readonly number[];
  sampler: Sampler;
  /** At least 1. */
  maxNewTokens: number;
  eos: ReadonlySet<number>;
  /** The model's position limit, if any. */
  maxPositions?: number;
  signal?: AbortSignal;
  /** Each generated token (EOS excluded); return true to end the sequence with "stop". */
  onToken(id: number): boolean;
  /** True while its consumer waits for a token; when no row's does, the scheduler waits (steps are pulled). */
  hungry?(): boolean;
  /** Called once when the sequence ends normally. */
  onEnd(reason: FinishReason): void;
  /** Called once when it fails (an aborted signal's reason, or a model error). */
  onError(error: unknown): void;
}

/** A sequence's state while it is queued, prefilled or in the batch. */
export class Sequence {
  readonly spec: SequenceSpec;
  /** Prompt tokens prefilled so far. */
  prefilled = 0;
  /** Its own cache while it is prefilled (before it joins the batch). */
  cache?: KvBatch;
  /** The last sampled token: what the next step feeds. */
  lastToken = -1;
  /** Tokens generated (EOS excluded). */
  produced = 0;
  #done = false;
  readonly #seen: Set<number>;

  constructor(spec: SequenceSpec) {
    this.spec = spec;
    this.#seen = new Set(spec.promptIds);
  }

  /** True once it ended, failed or was canceled: the scheduler drops it at the next step. */
  get done(): boolean {
    return this.#done;
  }

  /** True while its consumer waits for a token (always, without a `hungry` callback). */
  get hungry(): boolean {
    return this.spec.hungry?.() ?? true;
  }

  /** Ends it without callbacks (its consumer went away). */
  cancel(): void {
    this.#done = true;
  }

  /** Fails it if its signal was aborted; returns true when it is done. */
  checkAborted(): boolean {
    const signal = this.spec.signal;
    if (!this.#done && signal?.aborted) this.fail(signal.reason);
    return this.#done;
  }

  /** Fails it with `error`. */
  fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.spec.onError(error);
  }

  /**
   * Samples the next token from `logits`, computed over `positions` tokens of this
   * sequence; returns true when the sequence goes on.
   */
  accept(logits: Float32Array, positions: number): boolean {
    if (this.checkAborted()) return false;
    const { spec } = this;
    const id = spec.sampler.next(logits, this.#seen);
    if (spec.eos.has(id)) return this.#finish("eos");
    this.produced++;
    this.#seen.add(id);
    this.lastToken = id;
    let stop: boolean;
    try {
      stop = spec.onToken(id);
    } catch (err) {
      this.fail(err);
      return false;
    }
    if (this.#done) return false;
    if (stop) return this.#finish("stop");
    if (this.produced >= spec.maxNewTokens) return this.#finish("length");
    if (spec.maxPositions !== undefined && positions + 1 >= spec.maxPositions) return this.#finish("length");
    return true;
  }

  #finish(reason: FinishReason): false {
    this.#done = true;
    this.spec.onEnd(reason);
    return false;
  }
}
