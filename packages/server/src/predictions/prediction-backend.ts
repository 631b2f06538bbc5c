/**
 * Where predictions live, as the HTTP routes see it: the in-memory
 * `PredictionService` (the default and the reference) or a fleet's Redis
 * store (`fleet/redis-prediction-store.ts`). Lookups may be asynchronous.
 */
import type { Prediction, OutputKind } from "./prediction.js";
import type { PredictionPage } from "./prediction-store.js";
import type { CreatePredictionRequest, HealthStatus, PredictionObserver } from "./prediction-service.js";

/** The `/health-check` body. */
export interface HealthBody {
  status: HealthStatus;
  setup: { started_at: string | null; completed_at: string | null; status: "starting" | "succeeded" | "failed" | null; logs: string };
  predictions: { running: number; queued: number; concurrency: number; queue_max: number };
}

/** What a result may be: now, or later. */
export type MaybePromise<T> = T | Promise<T>;

/** The prediction API every dialect's routes use. */
export interface PredictionBackend {
  readonly concurrency: number;
  readonly openapi: Record<string, unknown>;
  readonly outputKind: OutputKind;
  readonly queueLength: number;
  readonly queueMax: number;
  readonly runningCount: number;
  health(): HealthBody;
  /** The prediction with `id`, or undefined when unknown (or expired). */
  get(id: string): MaybePromise<Prediction | undefined>;
  /** Admits a prediction (see `PredictionService.create` for the errors). */
  create(request: CreatePredictionRequest): MaybePromise<Prediction>;
  /** Cancels a prediction; returns it, or undefined when unknown. */
  cancel(id: string): MaybePromise<Prediction | undefined>;
  /** Newest first, for `GET /v1/predictions`. */
  page(options: { cursor?: string | null; limit: number; maxBytes: number }): MaybePromise<PredictionPage>;
  /** Adds an observer of every prediction's lifecycle. */
  observe(observer: PredictionObserver): void;
  /** Loads what the backend needs; resolves when ready (or failed) either way. */
  start(): Promise<void>;
  /** Stops taking predictions and releases what the backend holds. */
  shutdown(options?: { graceMs?: number; cancelWaitMs?: number }): Promise<void>;
}
