/**
 * Every Prometheus metric the server exports, declared once with its help
 * text and buckets (prom-client), and fed from what the server already
 * records: the prediction lifecycle (as a `PredictionObserver`, per event
 * batch, never per chunk), setup and worker exits, and one call per HTTP
 * request from the app's edge. The per-prediction metrics observe on cached
 * series (`fast-metrics.ts`): about a microsecond per prediction.
 */
import { performance } from "node:perf_hooks";
import { Gauge, Registry } from "prom-client";
import { registerProcessMetrics } from "./process-metrics.js";
import type { EventBatch } from "../predictions/event-batch.js";
import type { Prediction } from "../predictions/prediction.js";
import type { CreatePredictionRequest } from "../predictions/prediction-service.js";
import { FastCounter, FastHistogram, type CounterSeries, type HistogramSeries } from "./fast-metrics.js";
import { dialectOf, outputCount, type Dialect, type PredictionObserver } from "./prediction-observer.js";

/** What the gauges read from the prediction service. */
export interface MetricsSource {
  readonly queueLength: number;
  readonly runningCount: number;
  health(): { status: string };
}

const MODEL_STATES = ["STARTING", "READY", "BUSY", "SETUP_FAILED", "DEFUNCT"] as const;

/** Per-prediction timing the metrics need beyond what `Prediction` keeps (ms, `performance.now()`). */
interface Timing {
  created: number;
  lastOutput: number;
  chunks: number;
  dialect: Dialect;
}

/** The server's metrics registry and the observers that feed it. */
export class ServerMetrics implements PredictionObserver {
  readonly registry = new Registry();
  // A Map, deleted from when a prediction finishes: a WeakMap's ephemerons made every scavenge of short-lived predictions dearer.
  readonly #timing = new Map<Prediction, Timing>();

  readonly #predictions = new FastCounter({
    name: "tscog_predictions_total",
    help: "Predictions that reached a final status, by status and by the API dialect that created them.",
    labelNames: ["status", "dialect"] as const,
    registers: [this.registry],
  });
  readonly #httpRequests = new FastCounter({
    name: "tscog_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status class (2xx, 4xx, ...).",
    labelNames: ["method", "route", "status_class"] as const,
    registers: [this.registry],
  });
  readonly #outputChunks = new FastCounter({
    name: "tscog_output_chunks_total",
    help: "Output chunks (tokens, for text generators) predictors produced.",
    registers: [this.registry],
  });
  readonly #outputTokens = new FastCounter({
    name: "tscog_output_tokens_total",
    help: "Output tokens predictors reported with recordMetric('output_token_count', n).",
    registers: [this.registry],
  });
  readonly #duration = new FastHistogram({
    name: "tscog_prediction_duration_seconds",
    help: "Time from a prediction's start to its final status (Cog's predict_time), by final status.",
    labelNames: ["status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  readonly #queueWait = new FastHistogram({
    name: "tscog_prediction_queue_wait_seconds",
    help: "Time from a prediction's creation to its start (waiting for a free slot).",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly #firstChunk = new FastHistogram({
    name: "tscog_time_to_first_output_seconds",
    help: "Time from a prediction's creation to its first output chunk arriving from the predictor (time to first token).",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly #interChunk = new FastHistogram({
    name: "tscog_inter_chunk_seconds",
    help: "Time between output chunks (inter-token latency): one observation per batch from the predictor's thread, the gap since the previous batch divided by the batch's chunks.",
    buckets: [0.00001, 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly #setup = new FastHistogram({
    name: "tscog_setup_duration_seconds",
    help: "How long the predictor's load and setup() took, by outcome (succeeded, failed).",
    labelNames: ["status"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  readonly #restarts = new FastCounter({
    name: "tscog_worker_restarts_total",
    help: "Times the predictor's worker thread died (crash, or killed after ignoring a cancel) and was restarted.",
    registers: [this.registry],
  });
  readonly #sseStreams = new Gauge({
    name: "tscog_sse_streams_open",
    help: "Server-sent event streams open now.",
    registers: [this.registry],
  });
  // The series the hot paths use, looked up once.
  readonly #chunks = this.#outputChunks.series({});
  readonly #tokens = this.#outputTokens.series({});
  readonly #waits = this.#queueWait.series({});
  readonly #firsts = this.#firstChunk.series({});
  readonly #gaps = this.#interChunk.series({});
  readonly #finishedBy = new Map<string, { count: CounterSeries; duration: HistogramSeries }>();
  readonly #requestsBy = new Map<string, CounterSeries>();

  constructor(source: MetricsSource, options: { defaultMetrics?: boolean } = {}) {
    new Gauge({
      name: "tscog_predictions_running",
      help: "Predictions running now.",
      registers: [this.registry],
      collect() {
        this.set(source.runningCount);
      },
    });
    new Gauge({
      name: "tscog_predictions_queued",
      help: "Predictions waiting for a free slot.",
      registers: [this.registry],
      collect() {
        this.set(source.queueLength);
      },
    });
    new Gauge({
      name: "tscog_model_state",
      help: "1 for the model's current health status (STARTING, READY, BUSY, SETUP_FAILED, DEFUNCT), 0 for the others.",
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect() {
        const now = source.health().status;
        for (const state of MODEL_STATES) this.set({ state }, state === now ? 1 : 0);
      },
    });
    if (options.defaultMetrics ?? true) registerProcessMetrics(this.registry);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  created(prediction: Prediction, request: CreatePredictionRequest): void {
    this.#timing.set(prediction, { created: performance.now(), lastOutput: 0, chunks: 0, dialect: dialectOf(request) });
  }

  started(prediction: Prediction): void {
    if (prediction.startedMs !== undefined) this.#waits.observe((prediction.startedMs - prediction.createdMs) / 1000);
  }

  events(prediction: Prediction, batch: EventBatch): void {
    const count = outputCount(batch);
    if (count === 0) return;
    this.#chunks.value += count;
    const timing = this.#timing.get(prediction);
    if (!timing) return;
    const now = performance.now();
    if (timing.chunks === 0) this.#firsts.observe((now - timing.created) / 1000);
    else this.#gaps.observe((now - timing.lastOutput) / 1000 / count);
    timing.lastOutput = now;
    timing.chunks += count;
  }

  finished(prediction: Prediction): void {
    const timing = this.#timing.get(prediction);
    this.#timing.delete(prediction);
    const status = prediction.status;
    const dialect = timing?.dialect ?? "cog";
    const key = dialect === "cog" ? status : `${status} ${dialect}`;
    let series = this.#finishedBy.get(key);
    if (!series) {
      series = { count: this.#predictions.series({ status, dialect }), duration: this.#duration.series({ status }) };
      this.#finishedBy.set(key, series);
    }
    series.count.value++;
    if (prediction.startedMs !== undefined && prediction.completedMs !== undefined) series.duration.observe((prediction.completedMs - prediction.startedMs) / 1000);
    const tokens = prediction.metrics.output_token_count;
    if (typeof tokens === "number" && tokens > 0) this.#tokens.value += tokens;
  }

  setupFinished(ms: number, ok: boolean): void {
    this.#setup.series({ status: ok ? "succeeded" : "failed" }).observe(ms / 1000);
  }

  restarted(): void {
    this.#restarts.series({}).inc();
  }

  /** One answered HTTP request; `route` is a pattern (bounded), never a raw path. */
  request(method: string, route: string, status: number): void {
    const key = `${status} ${method} ${route}`;
    let series = this.#requestsBy.get(key);
    if (!series) {
      const statusClass = status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
      this.#requestsBy.set(key, (series = this.#httpRequests.series({ method, route, status_class: statusClass })));
    }
    series.value++;
  }

  streamOpened(): void {
    this.#sseStreams.inc();
  }

  streamClosed(): void {
    this.#sseStreams.dec();
  }
}
