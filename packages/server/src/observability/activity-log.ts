/**
 * Log lines about the model's activity, as a `PredictionObserver`: one line
 * per finished prediction (id, status, times, chunks, tokens), the
 * predictor's own output and setup output prefixed with the prediction id
 * (or `setup`), and crash reports. Inputs are never logged, and the values of
 * `Secret` inputs are masked in whatever the predictor prints.
 */
import { EventKind, isTextBatch, type EventBatch } from "../predictions/event-batch.js";
import type { Prediction } from "../predictions/prediction.js";
import type { Logger } from "./logger.js";
import type { CreatePredictionRequest } from "../predictions/prediction-service.js";
import { SECRET_MASK } from "../predictions/redaction.js";
import { dialectOf, outputCount, type Dialect, type PredictionObserver } from "./prediction-observer.js";

interface Activity {
  dialect: Dialect;
  chunks: number;
  firstOutputMs?: number;
  secrets?: string[];
}

/** Writes prediction, predictor-output, setup and crash lines to a `Logger`. */
export class ActivityLog implements PredictionObserver {
  readonly #logger: Logger;
  readonly #secretFields: () => string[];
  readonly #setupLogs: () => string;
  readonly #activity = new WeakMap<Prediction, Activity>();
  #setupPending = "";

  /**
   * `secretFields` lists the inputs whose schema marks them secret (read when a
   * prediction is created); `setupLogs` is the setup's whole log (for its failure).
   */
  constructor(options: { logger: Logger; secretFields: () => string[]; setupLogs: () => string }) {
    this.#logger = options.logger;
    this.#secretFields = options.secretFields;
    this.#setupLogs = options.setupLogs;
  }

  created(prediction: Prediction, request: CreatePredictionRequest): void {
    const activity: Activity = { dialect: dialectOf(request), chunks: 0 };
    for (const name of this.#secretFields()) {
      const value = prediction.input[name];
      if (typeof value === "string" && value !== "") (activity.secrets ??= []).push(value);
    }
    this.#activity.set(prediction, activity);
  }

  events(prediction: Prediction, batch: EventBatch): void {
    const activity = this.#activity.get(prediction);
    const count = outputCount(batch);
    if (activity && count > 0) {
      if (activity.chunks === 0) activity.firstOutputMs = Date.now();
      activity.chunks += count;
    }
    if (isTextBatch(batch) || batch.kinds === null || !this.#logger.enabled("info")) return;
    for (let i = 0; i < batch.kinds.length; i++) {
      if (batch.kinds[i] === EventKind.Log) this.#predictorOutput(prediction.id, mask(String(batch.values[i]), activity?.secrets));
    }
  }

  finished(prediction: Prediction): void {
    const activity = this.#activity.get(prediction);
    const { startedMs, completedMs, createdMs } = prediction;
    const tokens = prediction.metrics.output_token_count;
    const level = prediction.status === "failed" ? "warn" : "info";
    this.#logger.log(level, "prediction", {
      id: prediction.id,
      status: prediction.status,
      dialect: activity?.dialect,
      duration_ms: startedMs !== undefined && completedMs !== undefined ? completedMs - startedMs : undefined,
      queue_ms: startedMs !== undefined ? startedMs - createdMs : undefined,
      first_output_ms: activity?.firstOutputMs !== undefined ? activity.firstOutputMs - createdMs : undefined,
      chunks: activity?.chunks,
      tokens: typeof tokens === "number" ? tokens : undefined,
      error: prediction.error === null ? undefined : mask(prediction.error, activity?.secrets).slice(0, 2000),
    });
  }

  setupLog(text: string): void {
    const lines = (this.#setupPending + text).split("\n");
    this.#setupPending = lines.pop() ?? "";
    for (const line of lines) this.#line("setup", line, { source: "setup" });
  }

  setupFinished(ms: number, ok: boolean): void {
    if (this.#setupPending) this.#line("setup", this.#setupPending, { source: "setup" });
    this.#setupPending = "";
    if (ok) this.#logger.info("setup succeeded", { duration_ms: ms });
    else this.#logger.error("setup failed", { duration_ms: ms, error: lastLine(this.#setupLogs()) });
  }

  restarted(reason: string): void {
    this.#logger.error("predictor crashed; restarting it", { reason: reason.slice(0, 4000) });
  }

  #predictorOutput(id: string, text: string): void {
    const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
    for (const line of lines) this.#line(id, line, { prediction_id: id, source: "predictor" });
  }

  #line(prefix: string, line: string, fields: Record<string, string>): void {
    if (this.#logger.format === "text") this.#logger.info(`[${prefix}] ${line}`);
    else this.#logger.info(line, fields);
  }
}

function mask(text: string, secrets: string[] | undefined): string {
  if (!secrets) return text;
  for (const secret of secrets) text = text.split(secret).join(SECRET_MASK);
  return text;
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1] ?? "";
}
