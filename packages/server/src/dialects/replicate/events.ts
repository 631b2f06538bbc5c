/** Replicate's SSE events for a prediction's log. */
import { formatSseEvent, hasLineBreak } from "../../http/sse-encoder.js";
import { Prediction, type MarkEvent } from "../../predictions/prediction.js";

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
