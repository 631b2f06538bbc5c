/**
 * Helpers the observers of the prediction lifecycle share (the observer
 * interface itself is `PredictionObserver` in prediction-service.ts).
 */
import { EventKind, isTextBatch, type EventBatch } from "../predictions/event-batch.js";
import type { CreatePredictionRequest } from "../predictions/prediction-service.js";

export type { PredictionObserver } from "../predictions/prediction-service.js";

/** The API family that created a prediction. */
export type Dialect = "cog" | "replicate" | "openai";

/** Which API family created a prediction, as its route said. */
export function dialectOf(request: CreatePredictionRequest | undefined): Dialect {
  return request?.dialect ?? "cog";
}

/** Output chunks in a batch (counted per batch, so per-chunk cost stays zero). */
export function outputCount(batch: EventBatch): number {
  if (isTextBatch(batch)) return batch.ends.length;
  if (batch.kinds === null) return batch.values.length;
  let n = 0;
  for (const kind of batch.kinds) if (kind === EventKind.Output) n++;
  return n;
}
