/**
 * A prediction's event log as a pull-based stream of SSE text: replay from a
 * cursor, then live events, heartbeat comments while idle, ending after
 * `completed`. Backpressure is natural: nothing is read from the log until the
 * consumer asks for more, and `return()` stops it at once (even mid-wait).
 */
import { formatSseComment } from "../http/sse-encoder.js";
import type { Prediction } from "./prediction.js";

/** Turns log entries [from, to) into SSE text (one dialect's view of a prediction). */
export type EventRenderer = (prediction: Prediction, from: number, to: number) => string;

export interface EventStreamOptions {
  prediction: Prediction;
  render: EventRenderer;
  /** Index of the first event to send (from `Last-Event-ID`). */
  from?: number;
  /** Idle time before a heartbeat comment, ms. Default 15 s. */
  heartbeatMs?: number;
  /** Called when the consumer stops (client gone) before the stream ended. */
  onDisconnect?: () => void;
  /** Text sent first (e.g. a `retry:` line). */
  preamble?: string;
}

/** Most events rendered into one piece of text (one socket write). */
const MAX_EVENTS_PER_PIECE = 1024;

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** The SSE body for one prediction, as pieces of text. */
export function predictionEventStream(options: EventStreamOptions): AsyncIterableIterator<string> {
  return new PredictionEventStream(options);
}

class PredictionEventStream implements AsyncIterableIterator<string> {
  readonly #options: EventStreamOptions;
  readonly #gone = new AbortController();
  // Not clamped to the log's length: a client may resume from an id the log has not reached yet
  // (a re-attach that races the prediction's first events), and must not see them twice.
  #cursor: number;
  #preamble: string;
  #finished = false;

  constructor(options: EventStreamOptions) {
    this.#options = options;
    this.#cursor = Math.max(0, options.from ?? 0);
    this.#preamble = options.preamble ?? "";
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<string, undefined>> {
    const { prediction, render } = this.#options;
    const heartbeatMs = this.#options.heartbeatMs ?? 15_000;
    while (!this.#finished && !this.#gone.signal.aborted) {
      const length = prediction.eventCount;
      if (this.#cursor < length) {
        const end = Math.min(length, this.#cursor + MAX_EVENTS_PER_PIECE);
        const text = this.#preamble + render(prediction, this.#cursor, end);
        this.#preamble = "";
        this.#cursor = end;
        // `completed` is always the last entry of a log.
        if (end === length && prediction.isTerminal()) this.#finished = true;
        if (text) return { done: false, value: text };
        continue;
      }
      if (prediction.isTerminal()) break;
      if (this.#preamble) {
        const text = this.#preamble;
        this.#preamble = "";
        return { done: false, value: text };
      }
      let timer: NodeJS.Timeout | undefined;
      let beat = false;
      await Promise.race([
        prediction.waitForEvents(this.#cursor, this.#gone.signal),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            beat = true;
            resolve();
          }, heartbeatMs);
        }),
      ]);
      clearTimeout(timer);
      if (beat && this.#cursor >= prediction.eventCount && !this.#gone.signal.aborted) return { done: false, value: formatSseComment("ping") };
    }
    this.#finished = true;
    return DONE;
  }

  /** Stops the stream; a consumer that stops before the end counts as a disconnect. */
  async return(): Promise<IteratorResult<string, undefined>> {
    if (!this.#gone.signal.aborted) {
      this.#gone.abort();
      if (!this.#finished) this.#options.onDisconnect?.();
    }
    this.#finished = true;
    return DONE;
  }
}

/** Response headers of an SSE stream. */
export const SSE_HEADERS: Record<string, string> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};
