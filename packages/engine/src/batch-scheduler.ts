/**
 * Continuous batching: every active sequence advances by one token per step,
 * all rows in one `session.run`. Between steps, new sequences are admitted
 * (FIFO, under a row limit and a budget of cached tokens), prefilled alone
 * (in chunks when long: their first token comes from the prefill) and
 * concatenated into the batch; finished, stopped, failed and canceled ones
 * leave (their rows dropped, all-padding columns trimmed). A lone sequence
 * steps exactly as the single-sequence loop does.
 */
import { cachedTokens, concatBatches, selectRows, type KvBatch } from "./kv-batch.js";
import type { BatchingOptions } from "./batching-options.js";
import type { OnnxDecoder } from "./onnx-decoder.js";
import type { Sequence } from "./sequence.js";

/** Runs submitted sequences in one batch, stepping while any is active. */
export class BatchScheduler {
  readonly #decoder: OnnxDecoder;
  readonly #limits: Required<BatchingOptions>;
  readonly #waiting: Sequence[] = [];
  /** Admitted, being prefilled (alone), in arrival order. */
  readonly #prefilling: Sequence[] = [];
  /** In the batch: row r of `#batch` is `#rows[r]`. */
  #rows: Sequence[] = [];
  #batch?: KvBatch;
  #running = false;
  /** Resolves the loop's wait for a consumer to want a token. */
  #wake?: () => void;

  constructor(decoder: OnnxDecoder, limits: Required<BatchingOptions>) {
    this.#decoder = decoder;
    this.#limits = limits;
  }

  /** The limits in force. */
  get limits(): Readonly<Required<BatchingOptions>> {
    return this.#limits;
  }

  /** Sequences in the batch now (for tests and metrics). */
  get activeRows(): number {
    return this.#rows.length;
  }

  /** Queues a sequence; it joins the batch at the next step that has room. */
  submit(sequence: Sequence): void {
    this.#waiting.push(sequence);
    if (!this.#running) {
      this.#running = true;
      void this.#loop();
    }
    this.wake();
  }

  /** Tells the loop that a consumer wants a token (or left): a batch none of whose consumers waits for a token waits for this. */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #loop(): Promise<void> {
    try {
      while (this.#waiting.length > 0 || this.#prefilling.length > 0 || this.#rows.length > 0) {
        try {
          this.#dropDone();
          this.#admit();
          if (this.#prefilling.length === 0 && !this.#rows.some((s) => s.hungry)) {
            if (this.#rows.length === 0) continue;
            // No consumer is waiting for a token: step when one asks (so a lone stream is pulled like a plain
            // loop, and rows that just joined, holding their first token, do not run ahead).
            await new Promise<void>((resolve) => (this.#wake = resolve));
            continue;
          }
          if (this.#prefilling.length > 0) await this.#prefill();
          if (this.#rows.some((s) => s.hungry)) await this.#step();
        } catch (err) {
          // A failed run leaves no usable cache: fail what was running, keep the queue.
          for (const s of [...this.#prefilling, ...this.#rows]) s.fail(err);
          this.#prefilling.length = 0;
          this.#rows = [];
          this.#batch = undefined;
        }
      }
    } finally {
      this.#running = false;
    }
  }

  /** Drops canceled and aborted sequences (waiting, prefilling and batched rows). */
  #dropDone(): void {
    const done = (s: Sequence) => s.checkAborted();
    for (const list of [this.#waiting, this.#prefilling]) {
      if (list.some(done)) list.splice(0, list.length, ...list.filter((s) => !s.done));
    }
    if (this.#rows.some(done)) this.#keepRows(this.#rows.map((s, i) => (s.done ? -1 : i)).filter((i) => i >= 0));
  }

  /** Moves waiting sequences to prefill while the row limit and the token budget allow (FIFO). */
  #admit(): void {
    if (this.#waiting.length === 0) return;
    const { maxRows, maxCachedTokens } = this.#limits;
    let rows = this.#rows.length + this.#prefilling.length;
    let length = Math.max(this.#batch?.length ?? 0, ...this.#prefilling.map((s) => s.spec.promptIds.length));
    while (this.#waiting.length > 0 && rows < maxRows) {
      const next = this.#waiting[0];
      const nextLength = Math.max(length, next.spec.promptIds.length);
      if (rows > 0 && (rows + 1) * nextLength > maxCachedTokens) break;
      this.#waiting.shift();
      this.#prefilling.push(next);
      rows++;
      length = nextLength;
    }
  }

  /** Prefills up to `prefillChunk` prompt tokens; sequences whose prompt is done take their first token and join. */
  async #prefill(): Promise<void> {
    let budget = this.#limits.prefillChunk;
    const joined: Sequence[] = [];
    while (this.#prefilling.length > 0 && budget > 0) {
      const s = this.#prefilling[0];
      const prompt = s.spec.promptIds;
      const n = Math.min(budget, prompt.length - s.prefilled);
      let step: Awaited<ReturnType<OnnxDecoder["forward"]>>;
      try {
        step = await this.#decoder.forward(prompt.slice(s.prefilled, s.prefilled + n), s.cache ?? this.#emptyBatch(), { lastOnly: true });
      } catch (err) {
        // Only this sequence's own cache is lost; the batch goes on.
        this.#prefilling.shift();
        s.fail(err);
        continue;
      }
      const { logits, cache } = step;
      budget -= n;
      s.prefilled += n;
      s.cache = { length: cache.length, pads: [0], tensors: cache.tensors };
      if (s.prefilled < prompt.length) {
        if (s.checkAborted()) this.#prefilling.shift();
        continue;
      }
      this.#prefilling.shift();
      if (s.accept(logits, cache.length)) joined.push(s);
      else s.cache = undefined;
    }
    if (joined.length === 0) return;
    const parts = joined.map((s) => s.cache!);
    for (const s of joined) s.cache = undefined;
    this.#batch = concatBatches(this.#batch ? [this.#batch, ...parts] : parts, this.#decoder.makeTensor);
    this.#rows.push(...joined);
  }

  /** One token for every row; rows that end leave the batch. */
  async #step(): Promise<void> {
    const rows = this.#rows;
    const { logits, batch } = await this.#decoder.step(
      rows.map((s) => s.lastToken),
      this.#batch!,
    );
    this.#batch = batch;
    if (rows.length === 1) {
      // The lone-stream path: no per-step arrays.
      if (!rows[0].done && rows[0].accept(logits, batch.length - batch.pads[0])) return;
      this.#keepRows([]);
      return;
    }
    const vocab = logits.length / rows.length;
    const keep: number[] = [];
    for (let r = 0; r < rows.length; r++) {
      if (rows[r].done) continue;
      if (rows[r].accept(logits.subarray(r * vocab, (r + 1) * vocab), batch.length - batch.pads[r])) keep.push(r);
    }
    this.#keepRows(keep);
  }

  /** Keeps only the given rows of the batch (trimming all-padding columns). */
  #keepRows(keep: number[]): void {
    if (keep.length === this.#rows.length) return;
    this.#rows = keep.map((r) => this.#rows[r]);
    this.#batch = keep.length === 0 ? undefined : selectRows(this.#batch!, keep, this.#decoder.makeTensor);
  }

  #emptyBatch(): KvBatch {
    const empty = this.#decoder.emptyCache();
    return { length: 0, pads: [0], tensors: empty.tensors };
  }

  /** Cached tokens in the batch now, padding included. */
  get cachedTokens(): number {
    return this.#batch ? cachedTokens(this.#batch) : 0;
  }
}
