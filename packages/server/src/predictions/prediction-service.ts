/**
 * The model's lifecycle behind the HTTP routes: setup in the background,
 * health, admission (readiness, concurrency, a bounded queue, input
 * validation), running predictions on a `PredictorHost` with a time limit,
 * webhooks, crash recovery and shutdown.
 */
import { createInputValidator, InputError, TscogError, type InputValidator } from "@tscog/sdk";
import { Prediction, type OutputKind } from "./prediction.js";
import { newPredictionId } from "./prediction-id.js";
import { PredictionQueue } from "./prediction-queue.js";
import { PredictionStore, type PredictionPage, type PredictionStoreOptions } from "./prediction-store.js";
import type { HealthBody, PredictionBackend } from "./prediction-backend.js";
import { redactInput, secretInputNames } from "./redaction.js";
import { EventKind, isTextBatch, type EventBatch } from "./event-batch.js";
import type { PredictorHost } from "../predictor/predictor-host.js";
import { WebhookSender, type WebhookOptions } from "./webhook-sender.js";
import { RestartPolicy } from "./restart-policy.js";

export { newPredictionId };

/** Cog's health statuses. */
export type HealthStatus = "STARTING" | "READY" | "BUSY" | "SETUP_FAILED" | "DEFUNCT";

export interface PredictionServiceOptions {
  host: PredictorHost;
  /** Predictions at once (`concurrency.max` in cog.yaml). Default 1. */
  concurrency?: number;
  /** Predictions that may wait for a slot (`concurrency.queue_max`). Default 64. */
  queueMax?: number;
  store?: PredictionStoreOptions;
  webhook?: WebhookOptions;
  /** Crashes within a minute after which restarts back off (1 s doubling to 30 s). Default 3. */
  maxRestartsPerMinute?: number;
  /**
   * A canceled prediction still running after this many ms (a predictor stuck
   * in synchronous code never sees its signal) gets the predictor's thread
   * killed and restarted. Default 10 s.
   */
  cancelTimeoutMs?: number;
  /** A prediction running longer fails with TIMEOUT, ms. Default 30 min; 0 for none. */
  predictionTimeoutMs?: number;
  /** `setup()` running longer fails (SETUP_FAILED, `/livez` fails), ms. Default 10 min; 0 for none. */
  setupTimeoutMs?: number;
}

/** What `create` takes. */
export interface CreatePredictionRequest {
  id?: string;
  input: unknown;
  /** Size of the request, bytes (for retention by size). */
  inputBytes?: number;
  webhook?: string;
  webhookEventsFilter?: string[];
  extra?: Record<string, unknown>;
  /** The JSON webhooks carry; default Cog's prediction object. */
  serialize?: (p: Prediction) => unknown;
  /** Wait in the queue when every slot is busy (Replicate's API) instead of CONFLICT (Cog's). */
  queue?: boolean;
  /** Base of absolute URLs in its webhooks (Replicate's `urls`), for a fleet worker that sends them. */
  webhookBase?: string;
  /** The API family that created it (for metrics and logs). Default `cog`. */
  dialect?: "cog" | "replicate" | "openai";
}

/** Sees every prediction's lifecycle (metrics, logs). Called synchronously; must not throw. */
export interface PredictionObserver {
  /** Admitted; `request` is what the route asked for (its `extra`/`serialize` tell the dialect). */
  created?(prediction: Prediction, request: CreatePredictionRequest): void;
  started?(prediction: Prediction): void;
  events?(prediction: Prediction, batch: EventBatch): void;
  finished?(prediction: Prediction): void;
  /** The predictor's thread died and is being restarted. */
  restarted?(reason: string): void;
  /** Text `setup()` printed, as it arrives. */
  setupLog?(text: string): void;
  /** `setup()` ended (`ok` false when it failed), after `ms`. */
  setupFinished?(ms: number, ok: boolean): void;
}

interface SetupState {
  started_at: string | null;
  completed_at: string | null;
  status: "starting" | "succeeded" | "failed" | null;
  logs: string;
}

/** Owns the predictor host and every prediction. */
export class PredictionService implements PredictionBackend {
  readonly store: PredictionStore;
  readonly concurrency: number;
  private readonly host: PredictorHost;
  private readonly queue: PredictionQueue;
  private readonly senders = new WeakMap<Prediction, WebhookSender>();
  private readonly observers: PredictionObserver[] = [];
  private readonly restarts: RestartPolicy;
  private state: "STARTING" | "READY" | "SETUP_FAILED" | "DEFUNCT" = "STARTING";
  private setupState: SetupState = { started_at: null, completed_at: null, status: null, logs: "" };
  private validator?: InputValidator;
  private secretNames: string[] = [];
  private accepting = true;
  private runningNow = 0;
  private booted = false;
  /** Why the service itself stopped the predictor's thread (so the exit is not counted as a crash). */
  private killReason?: "cancel-timeout" | "setup-timeout";
  private startPromise?: Promise<void>;
  private readonly webhookOptions: WebhookOptions;
  openapi: Record<string, unknown> = {};
  outputKind: OutputKind = "value";

  constructor(private readonly options: PredictionServiceOptions) {
    this.host = options.host;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.queue = new PredictionQueue(Math.max(0, options.queueMax ?? 64));
    this.store = new PredictionStore(options.store);
    this.webhookOptions = options.webhook ?? {};
    this.restarts = new RestartPolicy({ maxPerMinute: options.maxRestartsPerMinute ?? 3 });
    this.host.onExit = (reason) => this.onHostExit(reason);
  }

  /** Adds an observer of every prediction's lifecycle. */
  observe(observer: PredictionObserver): void {
    this.observers.push(observer);
  }

  /** Loads the predictor and runs `setup()` once; resolves when done either way. */
  start(): Promise<void> {
    this.startPromise ??= this.boot();
    return this.startPromise;
  }

  private async boot(): Promise<void> {
    const restart = this.booted;
    this.booted = true;
    this.state = "STARTING";
    const started = Date.now();
    this.setupState = { started_at: new Date(started).toISOString(), completed_at: null, status: "starting", logs: restart ? this.setupState.logs : "" };
    let timer: NodeJS.Timeout | undefined;
    try {
      const loaded = await this.host.load();
      this.openapi = loaded.openapi;
      this.outputKind = loaded.outputKind;
      const schemas = (loaded.openapi as { components?: { schemas?: Record<string, never> } }).components?.schemas;
      this.validator = schemas?.Input ? createInputValidator(schemas, { files: "remote" }) : undefined;
      this.secretNames = secretInputNames(loaded.openapi);
      const limit = this.options.setupTimeoutMs ?? 600_000;
      const timeout = new Promise<never>((_, reject) => {
        if (limit > 0) timer = setTimeout(() => reject(new Error(`setup() did not finish within ${limit / 1000} s (the setup timeout).`)), limit);
      });
      const onSetupLog = (text: string) => {
        this.setupState.logs += text;
        for (const o of this.observers) o.setupLog?.(text);
      };
      await Promise.race([this.host.setup(onSetupLog), timeout]);
      await this.host.ping();
      this.setupState.status = "succeeded";
      this.state = "READY";
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.setupState.logs += (this.setupState.logs && !this.setupState.logs.endsWith("\n") ? "\n" : "") + message + "\n";
      this.setupState.status = "failed";
      // A model that set up once and cannot come back after a crash needs its container restarted.
      this.state = restart ? "DEFUNCT" : "SETUP_FAILED";
      if (message.includes("(the setup timeout)")) {
        this.killReason = "setup-timeout";
        this.host.terminate?.(message);
      }
    } finally {
      clearTimeout(timer);
    }
    this.setupState.completed_at = new Date().toISOString();
    for (const o of this.observers) o.setupFinished?.(Date.now() - started, this.state === "READY");
    if (this.state === "READY") this.startQueued();
  }

  /**
   * The predictor's thread died. Its predictions have already failed. It is
   * restarted every time (with a back-off after repeated crashes), so no
   * client can lock the server: DEFUNCT only means it could not set up again.
   */
  private onHostExit(reason: string): void {
    const killed = this.killReason;
    this.killReason = undefined;
    // A predictor that failed to load or set up stays failed (its thread ends after reporting it): no restart loop.
    if (!this.accepting || killed === "setup-timeout" || this.state === "SETUP_FAILED" || this.state === "DEFUNCT") return;
    this.setupState.logs += `${reason}\n`;
    for (const o of this.observers) o.restarted?.(reason);
    // Killing a thread that ignored its cancel is the service's own doing: no back-off.
    const wait = killed === "cancel-timeout" ? 0 : this.restarts.crashed();
    this.state = "STARTING";
    this.startPromise = new Promise<void>((resolve) => setTimeout(resolve, wait).unref()).then(() => (this.accepting ? this.boot() : undefined));
  }

  /** The `/health-check` body: Cog's `status` and `setup`, plus how busy the server is. */
  health(): HealthBody {
    let status: HealthStatus = this.state;
    if (status === "READY" && (this.runningNow >= this.concurrency || !this.accepting)) status = "BUSY";
    const predictions = { running: this.runningNow, queued: this.queue.length, concurrency: this.concurrency, queue_max: this.queue.max };
    return { status, setup: { ...this.setupState }, predictions };
  }

  /** Predictions waiting for a free slot (see `concurrency.queue_max`). */
  get queueLength(): number {
    return this.queue.length;
  }

  /** Most predictions that may wait. */
  get queueMax(): number {
    return this.queue.max;
  }

  /** Predictions running now. */
  get runningCount(): number {
    return this.runningNow;
  }

  get(id: string): Prediction | undefined {
    return this.store.get(id);
  }

  page(options: { cursor?: string | null; limit: number; maxBytes: number }): PredictionPage {
    return this.store.page(options);
  }

  /**
   * Admits a prediction and starts it, or queues it when `request.queue` and
   * every slot is busy. Throws `TscogError`s: NOT_READY / SETUP_FAILED (503),
   * CONFLICT (409, at the concurrency limit without `queue`, or the id is
   * taken), QUEUE_FULL (429), INVALID_INPUT (422).
   */
  create(request: CreatePredictionRequest): Prediction {
    if (!this.accepting) throw new TscogError("NOT_READY", "The server is shutting down and takes no new predictions.");
    if (this.state === "STARTING") throw new TscogError("NOT_READY", "The model is starting (setup() is running); retry when /health-check says READY.");
    if (this.state === "SETUP_FAILED") throw new TscogError("SETUP_FAILED", `The model's setup() failed; see /health-check for its logs.`);
    if (this.state === "DEFUNCT") throw new TscogError("NOT_READY", "The model is defunct: its predictor crashed and could not set up again; see /health-check.");
    if (request.id !== undefined && this.store.get(request.id)) {
      throw new TscogError("CONFLICT", `A prediction with id ${request.id} already exists; GET /predictions/${request.id} shows it, PUT re-attaches to it.`);
    }
    const busy = this.runningNow >= this.concurrency;
    if (busy && !request.queue) {
      throw new TscogError("CONFLICT", `Already running ${this.runningNow} prediction(s), the limit (concurrency.max) is ${this.concurrency}; retry later.`);
    }
    if (busy && this.queue.full) {
      throw new TscogError("QUEUE_FULL", `The prediction queue is full: ${this.queue.length} waiting (concurrency.queue_max is ${this.queue.max}) and ${this.runningNow} running; retry later.`);
    }
    const input = request.input;
    if (input === null || typeof input !== "object" || Array.isArray(input)) {
      throw new InputError("The request's input must be a JSON object of named values.", {
        details: [{ loc: ["body", "input"], msg: "must be an object", type: "type_error.dict" }],
      });
    }
    if (this.validator) this.validator.validate(input);
    const prediction = this.store.create({
      id: request.id ?? newPredictionId(),
      input: input as Record<string, unknown>,
      publicInput: redactInput(input as Record<string, unknown>, this.secretNames),
      inputBytes: request.inputBytes,
      outputKind: this.outputKind,
      webhook: request.webhook,
      webhookEventsFilter: request.webhookEventsFilter,
      extra: request.extra,
    });
    if (request.webhook) {
      this.senders.set(prediction, new WebhookSender(prediction, request.webhook, request.serialize ?? ((p) => p.toJSON()), this.webhookOptions));
    }
    for (const o of this.observers) o.created?.(prediction, request);
    if (busy) this.queue.push(prediction);
    else {
      this.runningNow++;
      void Promise.resolve().then(() => this.run(prediction));
    }
    return prediction;
  }

  /** Starts waiting predictions while slots are free. */
  private startQueued(): void {
    while (this.runningNow < this.concurrency && this.state === "READY") {
      const next = this.queue.shift();
      if (!next) return;
      this.runningNow++;
      void this.run(next);
    }
  }

  private async run(prediction: Prediction): Promise<void> {
    const sender = this.senders.get(prediction);
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      if (prediction.abort.aborted) {
        prediction.finish({ status: "canceled" });
        return;
      }
      prediction.markStarted();
      // Cog sends the start webhook when the prediction starts running, with status processing.
      sender?.notify("start");
      for (const o of this.observers) o.started?.(prediction);
      const limit = this.options.predictionTimeoutMs ?? 1_800_000;
      if (limit > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          this.stop(prediction);
        }, limit);
      }
      const onEvents = (batch: EventBatch) => {
        prediction.append(batch);
        for (const o of this.observers) o.events?.(prediction, batch);
        if (!sender) return;
        const kinds = isTextBatch(batch) ? null : batch.kinds;
        if (kinds === null || kinds.includes(EventKind.Output)) sender.notify("output");
        if (kinds?.includes(EventKind.Log)) sender.notify("logs");
      };
      const result = await this.host.predict({ id: prediction.id, input: prediction.input, cancellation: prediction.abort, onEvents });
      if (timedOut) {
        prediction.finish({ status: "failed", error: `The prediction took longer than its time limit of ${limit / 1000} s and was stopped.`, code: "TIMEOUT" });
      } else {
        // A prediction whose thread was killed because it ignored its cancel counts as canceled.
        prediction.finish(result.status === "failed" && prediction.abort.aborted ? { status: "canceled" } : result);
      }
    } finally {
      clearTimeout(timer);
      this.runningNow--;
      for (const o of this.observers) o.finished?.(prediction);
      sender?.notify("completed");
      this.startQueued();
    }
  }

  /** Cancels a prediction (a waiting one leaves the queue at once); returns it, or undefined when unknown. */
  cancel(id: string): Prediction | undefined {
    const prediction = this.store.get(id);
    if (!prediction || prediction.isTerminal()) return prediction;
    if (this.queue.remove(prediction)) this.cancelWaiting(prediction);
    else this.stop(prediction);
    return prediction;
  }

  /** Ends a prediction that never left the queue: canceled, observed, its terminal webhook sent. */
  private cancelWaiting(prediction: Prediction): void {
    prediction.abort.abort();
    prediction.finish({ status: "canceled" });
    for (const o of this.observers) o.finished?.(prediction);
    this.senders.get(prediction)?.notify("completed");
  }

  /** Aborts a running prediction; kills the predictor's thread if it ignores that for `cancelTimeoutMs`. */
  private stop(prediction: Prediction): void {
    if (prediction.abort.aborted) return;
    prediction.abort.abort();
    const wait = this.options.cancelTimeoutMs ?? 10_000;
    const timer = setTimeout(() => {
      if (prediction.isTerminal()) return;
      this.killReason = "cancel-timeout";
      this.host.terminate?.(`prediction ${prediction.id} did not stop within ${wait} ms of being canceled`);
    }, wait);
    timer.unref();
  }

  /**
   * Stops taking predictions, cancels waiting ones, lets running ones finish
   * within `graceMs`, then cancels the rest; predictions that still have not
   * stopped fail, so every stream and webhook gets its terminal event.
   */
  async shutdown(options: { graceMs?: number; cancelWaitMs?: number } = {}): Promise<void> {
    this.accepting = false;
    for (const waiting of this.queue.drain()) this.cancelWaiting(waiting);
    const settle = async (ms: number) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(this.store.active().map((p) => p.done)), new Promise((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
    };
    await settle(options.graceMs ?? 7_000);
    for (const p of this.store.active()) p.abort.abort();
    await settle(options.cancelWaitMs ?? 2_000);
    for (const p of this.store.active()) p.finish({ status: "failed", error: "The server shut down before the prediction finished.", code: "NOT_READY" });
    // Terminal webhooks get a moment to go out; their retries do not hold up the exit.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.store.all().map((p) => this.senders.get(p)?.flushed())), new Promise((r) => (timer = setTimeout(r, 1_000)))]);
    clearTimeout(timer);
    await this.host.close();
  }
}
