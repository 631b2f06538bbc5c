/**
 * How a prediction travels through Redis: the job an API replica writes, and
 * the entries of its events stream that every replica replays, in order, into
 * a local `Prediction` (a mirror). Applying the same entries in the same order
 * gives the same event log everywhere, so SSE event ids (`<second>:<seq>`,
 * the second taken from the worker's clock) are the same on every replica
 * and `Last-Event-ID` resumes anywhere.
 */
import { EventKind, type EventBatch } from "../predictions/event-batch.js";
import { Prediction, type OutputKind } from "../predictions/prediction.js";

/** What a worker needs to run a prediction and send its webhooks. */
export interface FleetJob {
  input: Record<string, unknown>;
  publicInput: Record<string, unknown>;
  inputBytes: number;
  outputKind: OutputKind;
  webhook?: string;
  webhookEventsFilter?: string[];
  extra?: Record<string, unknown>;
  dialect?: "cog" | "replicate" | "openai";
  webhookBase?: string;
}

/** How a prediction ended, as a done entry carries it. */
export type FleetResult =
  | { status: "succeeded"; value?: unknown }
  | { status: "failed"; error: string; code?: string; details?: unknown }
  | { status: "canceled" };

/** An entry of a prediction's events stream. */
export type FleetEntry =
  | { type: "start"; ms: number }
  | { type: "ev"; ms: number; batches: EventBatch[] }
  | { type: "mark"; ms: number; text: string }
  | { type: "done"; ms: number; result: FleetResult };

/** The error of a prediction whose worker was lost after it had streamed output. */
export const WORKER_LOST: FleetResult = {
  status: "failed",
  code: "WORKER_LOST",
  error: "worker lost: the worker running this prediction stopped answering after it had streamed output, so it was not re-run (set TSCOG_QUEUE_RESTART_LOST=1 to restart such predictions).",
};

/** The error of a job delivered too many times (moved to the dead-letter stream). */
export function deadLettered(deliveries: number): FleetResult {
  return { status: "failed", code: "WORKER_LOST", error: `worker lost: the prediction was handed to a worker ${deliveries} times without finishing (its workers died or hung); it was moved to the dead-letter stream.` };
}

/** The log line a restarted prediction's stream carries before its output starts over. */
export const RESTART_MARKER = "[tscog] worker lost: restarting the prediction on another worker; its output starts over after this line.\n";

/** A mirror of a prediction from its meta hash (no events yet). */
export function mirrorFromMeta(id: string, meta: Record<string, string>, onFinish?: (p: Prediction) => void): Prediction {
  const job = JSON.parse(meta.job) as FleetJob;
  return new Prediction({
    id,
    input: job.input,
    publicInput: job.publicInput,
    inputBytes: job.inputBytes,
    outputKind: job.outputKind,
    webhook: job.webhook,
    webhookEventsFilter: job.webhookEventsFilter,
    extra: job.extra,
    createdMs: Number(meta.created) || Date.now(),
    onFinish,
  });
}

/** The fields of a stream entry (`XADD ... t <type> ms <ms> d <json>`), decoded. */
export function decodeEntry(fields: Record<string, string>): FleetEntry | undefined {
  const ms = Number(fields.ms) || Date.now();
  const data = fields.d === undefined ? undefined : JSON.parse(fields.d);
  switch (fields.t) {
    case "start":
      return { type: "start", ms };
    case "ev":
      return { type: "ev", ms, batches: data as EventBatch[] };
    case "mark":
      return { type: "mark", ms, text: data as string };
    case "done":
      return { type: "done", ms, result: data as FleetResult };
    default:
      return undefined;
  }
}

/** Applies one entry to a mirror. */
export function applyEntry(prediction: Prediction, entry: FleetEntry): void {
  switch (entry.type) {
    case "start":
      prediction.markStarted(entry.ms);
      return;
    case "ev":
      for (const batch of entry.batches) prediction.append(batch, entry.ms);
      return;
    case "mark":
      prediction.append({ kinds: [EventKind.Log], values: [entry.text] }, entry.ms);
      return;
    case "done":
      prediction.finish(entry.result, entry.ms);
  }
}
