/**
 * A prediction's event log as a pull-based stream of SSE text: replay from a
 * cursor, then live events, heartbeat comments while idle, ending after
 * `completed`. Backpressure is natural: nothing is read from the log until the
 * consumer asks for more, and `return()` stops it at once (even mid-wait).
 */
import { formatSseComment, formatSseEvent, hasLineBreak } from "./sse-encoder.js";
import { Prediction, type MarkEvent } from "./prediction.js";

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

/** Cog's SSE dialect: `start`, `output` `{chunk,index}`, `log`, `metric`, `completed` (the prediction). */
export function renderCogEvents(prediction: Prediction, from: number, to: number): string {
  let text = "";
  prediction.forEachEvent(
    from,
    to,
    (chunk, index, id) => (text += formatSseEvent({ event: "output", id, data: JSON.stringify({ chunk, index }) })),
    (event) => (text += renderCogEvent(prediction, event)),
  );
  return text;
}

function renderCogEvent(prediction: Prediction, event: MarkEvent): string {
  const id = Prediction.eventId(event);
  switch (event.type) {
    case "start":
      return formatSseEvent({ event: "start", id, data: JSON.stringify({ id: prediction.id, status: "processing" }) });
    case "log":
      return formatSseEvent({ event: "log", id, data: JSON.stringify({ source: "stdout", data: event.data }) });
    case "metric":
      return formatSseEvent({ event: "metric", id, data: JSON.stringify({ name: event.name, value: event.value, mode: "replace" }) });
    case "completed":
      return formatSseEvent({ event: "completed", id, data: JSON.stringify(prediction.toJSON()) });
  }
}

/**
 * Replicate's SSE dialect: `output` with the raw chunk text, `logs`, then
 * `error` (JSON) on failure and `done` (JSON: `{}` or `{"reason": ...}`).
 */
export function renderReplicateEvents(prediction: Prediction, from: number, to: number): string {
  let text = "";
  prediction.forEachEvent(
    from,
    to,
    (chunk, _index, id) => {
      // The hot path of a token stream: one line of text, written as formatSseEvent would.
      if (typeof chunk === "string" && !hasLineBreak(chunk)) text += "event: output\nid: " + id + "\ndata: " + chunk + "\n\n";
      else text += formatSseEvent({ event: "output", id, data: typeof chunk === "string" ? chunk : JSON.stringify(chunk) ?? "null" });
    },
    (event) => (text += renderReplicateEvent(prediction, event)),
  );
  return text;
}

function renderReplicateEvent(prediction: Prediction, event: MarkEvent): string {
  const id = Prediction.eventId(event);
  switch (event.type) {
    case "log":
      return formatSseEvent({ event: "logs", id, data: event.data.replace(/\r?\n$/, "") });
    case "completed":
      if (prediction.status === "failed") {
        return (
          formatSseEvent({ event: "error", data: JSON.stringify({ detail: prediction.error }) }) +
          formatSseEvent({ event: "done", id, data: JSON.stringify({ reason: "error" }) })
        );
      }
      if (prediction.status === "canceled") return formatSseEvent({ event: "done", id, data: JSON.stringify({ reason: "canceled" }) });
      if (prediction.outputKind === "value" && prediction.value !== null && prediction.value !== undefined) {
        // A predictor that returns one value streams it as a single output event (no id: it is not in the log).
        const v = prediction.value;
        return (
          formatSseEvent({ event: "output", data: typeof v === "string" ? v : JSON.stringify(v) ?? "null" }) +
          formatSseEvent({ event: "done", id, data: "{}" })
        );
      }
      return formatSseEvent({ event: "done", id, data: "{}" });
    default:
      return "";
  }
}

/** Response headers of an SSE stream. */
export const SSE_HEADERS: Record<string, string> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};
