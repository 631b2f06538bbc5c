/**
 * A prediction's event log as a pull-based byte stream: replay from a cursor,
 * then live events, heartbeat comments while idle, closing after `completed`.
 * Backpressure is natural: nothing is read from the log until the consumer pulls.
 */
import { formatSseComment, formatSseEvent } from "./sse-encoder.js";
import { Prediction, type PredictionEvent } from "./prediction.js";

/** Turns log events into SSE text (one dialect's view of a prediction). */
export type EventRenderer = (event: PredictionEvent, prediction: Prediction) => string;

export interface EventStreamOptions {
  prediction: Prediction;
  render: EventRenderer;
  /** Index of the first event to send (from `Last-Event-ID`). */
  from?: number;
  /** Idle time before a heartbeat comment, ms. Default 15 s. */
  heartbeatMs?: number;
  /** Called when the client goes away before the stream ended. */
  onDisconnect?: () => void;
  /** Text sent first (e.g. a `retry:` line). */
  preamble?: string;
}

const MAX_EVENTS_PER_WRITE = 4096;

/** The SSE body for one prediction. */
export function predictionEventStream(options: EventStreamOptions): ReadableStream<Uint8Array> {
  const { prediction, render } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const encoder = new TextEncoder();
  const gone = new AbortController();
  // Not clamped to the log's length: a client may resume from an id the log has not reached yet
  // (a re-attach that races the prediction's first events), and must not see them twice.
  let cursor = Math.max(0, options.from ?? 0);
  let finished = false;
  let preamble = options.preamble ?? "";
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const events = prediction.events;
          if (cursor < events.length) {
            const end = Math.min(events.length, cursor + MAX_EVENTS_PER_WRITE);
            let text = preamble;
            preamble = "";
            let last: PredictionEvent | undefined;
            for (; cursor < end; cursor++) {
              last = events[cursor];
              text += render(last, prediction);
            }
            if (text) controller.enqueue(encoder.encode(text));
            if (last?.type === "completed") {
              finished = true;
              controller.close();
              return;
            }
            if (text) return;
            continue;
          }
          if (prediction.isTerminal()) {
            finished = true;
            controller.close();
            return;
          }
          if (preamble) {
            controller.enqueue(encoder.encode(preamble));
            preamble = "";
            return;
          }
          let timer: NodeJS.Timeout | undefined;
          let beat = false;
          await Promise.race([
            prediction.waitForEvents(cursor, gone.signal),
            new Promise<void>((resolve) => {
              timer = setTimeout(() => {
                beat = true;
                resolve();
              }, heartbeatMs);
            }),
          ]);
          clearTimeout(timer);
          if (gone.signal.aborted) return;
          if (beat && cursor >= prediction.events.length) {
            controller.enqueue(encoder.encode(formatSseComment("ping")));
            return;
          }
        }
      },
      cancel() {
        gone.abort();
        if (!finished) options.onDisconnect?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** Cog's SSE dialect: `start`, `output` `{chunk,index}`, `log`, `metric`, `completed` (the prediction). */
export function renderCogEvent(event: PredictionEvent, prediction: Prediction): string {
  const id = Prediction.eventId(event);
  switch (event.type) {
    case "start":
      return formatSseEvent({ event: "start", id, data: JSON.stringify({ id: prediction.id, status: "processing" }) });
    case "output":
      return formatSseEvent({ event: "output", id, data: JSON.stringify({ chunk: event.chunk, index: event.index }) });
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
export function renderReplicateEvent(event: PredictionEvent, prediction: Prediction): string {
  const id = Prediction.eventId(event);
  switch (event.type) {
    case "output": {
      const chunk = event.chunk;
      return formatSseEvent({ event: "output", id, data: typeof chunk === "string" ? chunk : JSON.stringify(chunk) ?? "null" });
    }
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
