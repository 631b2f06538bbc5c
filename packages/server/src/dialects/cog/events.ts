/** Cog's SSE events for a prediction's log. */
import { formatSseEvent } from "../../http/sse-encoder.js";
import { Prediction, type MarkEvent } from "../../predictions/prediction.js";

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
