/**
 * The model's lifecycle behind the HTTP routes: setup in the background,
 * health, admission (readiness, concurrency, input validation), running
 * predictions on a `PredictorHost`, webhooks, crash recovery and shutdown.
 */
import { createInputValidator, InputError, TscogError, type InputValidator } from "@tscog/sdk";
import { Prediction, type OutputKind } from "./prediction.js";
import { PredictionStore, type PredictionStoreOptions } from "./prediction-store.js";
import { EventKind, isTextBatch, type EventBatch } from "./event-batch.js";
import type { PredictorHost } from "../predictor/predictor-host.js";
import { WebhookSender, type WebhookOptions } from "./webhook-sender.js";

/** Cog's health statuses. */
export type HealthStatus = "STARTING" | "READY" | "BUSY" | "SETUP_FAILED" | "DEFUNCT";

export interface PredictionServiceOptions {
  host: PredictorHost;
  /** Predictions at once (`concurrency.max` in cog.yaml). Default 1. */
  concurrency?: number;
  store?: PredictionStoreOptions;
  webhook?: WebhookOptions;
  /** Worker restarts allowed per minute before the server reports DEFUNCT. Default 3. */
  maxRestartsPerMinute?: number;
  /**
   * A canceled prediction still running after this many ms (a predictor stuck
   * in synchronous code never sees its signal) gets the predictor's thread
   * killed and restarted. Default 10 s.
   */
  cancelTimeoutMs?: number;
}

/** What `create` takes. */
export interface CreatePredictionRequest {
  id?: string;
  input: unknown;
  webhook?: string;
  webhookEventsFilter?: string[];
  extra?: Record<string, unknown>;
  /** The JSON webhooks carry; default Cog's prediction object. */
  serialize?: (p: Prediction) => unknown;
}

interface SetupState {
  started_at: string | null;
  completed_at: string | null;
  status: "starting" | "succeeded" | "failed" | null;
  logs: string;
}

const ID_ALPHABET = Buffer.from("abcdefghijklmnopqrstuvwxyz234567", "latin1");
const ID_LENGTH = 26;
// Random bytes are drawn 128 ids at a time (one call to the CSPRNG costs more than an
// id) and mapped to the alphabet in place, so an id is one flat slice.
const idChars = Buffer.alloc(ID_LENGTH * 128);
let idOffset = idChars.length;

/** A 26-character base32 id like Cog's recommended ones. */
export function newPredictionId(): string {
  if (idOffset === idChars.length) {
    crypto.getRandomValues(idChars);
    for (let i = 0; i < idChars.length; i++) idChars[i] = ID_ALPHABET[idChars[i]! & 31]!;
    idOffset = 0;
  }
  idOffset += ID_LENGTH;
  return idChars.toString("latin1", idOffset - ID_LENGTH, idOffset);
}

/** Owns the predictor host and every prediction. */
export class PredictionService {
  readonly store: PredictionStore;
  readonly concurrency: number;
  private readonly host: PredictorHost;
  private state: "STARTING" | "READY" | "SETUP_FAILED" | "DEFUNCT" = "STARTING";
  private setupState: SetupState = { started_at: null, completed_at: null, status: null, logs: "" };
  private validator?: InputValidator;
  private accepting = true;
  private restarts: number[] = [];
  private startPromise?: Promise<void>;
  private readonly webhookOptions: WebhookOptions;
  openapi: Record<string, unknown> = {};
  outputKind: OutputKind = "value";

  constructor(private readonly options: PredictionServiceOptions) {
    this.host = options.host;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.store = new PredictionStore(options.store);
    this.webhookOptions = options.webhook ?? {};
    this.host.onExit = (reason) => this.onHostExit(reason);
  }

  /** Loads the predictor and runs `setup()` once; resolves when done either way. */
  start(): Promise<void> {
    this.startPromise ??= this.boot();
    return this.startPromise;
  }

  private async boot(): Promise<void> {
    this.state = "STARTING";
    this.setupState = { started_at: new Date().toISOString(), completed_at: null, status: "starting", logs: "" };
    try {
      const loaded = await this.host.load();
      this.openapi = loaded.openapi;
      this.outputKind = loaded.outputKind;
      const schemas = (loaded.openapi as { components?: { schemas?: Record<string, never> } }).components?.schemas;
      this.validator = schemas?.Input ? createInputValidator(schemas, { files: "remote" }) : undefined;
      await this.host.setup((text) => (this.setupState.logs += text));
      await this.host.ping();
      this.setupState.status = "succeeded";
      this.state = "READY";
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.setupState.logs += (this.setupState.logs && !this.setupState.logs.endsWith("\n") ? "\n" : "") + message + "\n";
      this.setupState.status = "failed";
      this.state = "SETUP_FAILED";
    }
    this.setupState.completed_at = new Date().toISOString();
  }

  private onHostExit(reason: string): void {
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    if (!this.accepting || this.restarts.length >= (this.options.maxRestartsPerMinute ?? 3)) {
      this.state = "DEFUNCT";
      this.setupState.logs += `${reason}\n`;
      return;
    }
    this.restarts.push(now);
    this.startPromise = this.boot();
  }

  /** The `/health-check` body. */
  health(): { status: HealthStatus; setup: SetupState } {
    let status: HealthStatus = this.state;
    if (status === "READY" && (this.store.running >= this.concurrency || !this.accepting)) status = "BUSY";
    return { status, setup: { ...this.setupState } };
  }

  get(id: string): Prediction | undefined {
    return this.store.get(id);
  }

  /**
   * Admits and starts a prediction. Throws `TscogError`s: NOT_READY / SETUP_FAILED
   * (503), CONFLICT (409, at the concurrency limit), INVALID_INPUT (422).
   */
  create(request: CreatePredictionRequest): Prediction {
    if (!this.accepting) throw new TscogError("NOT_READY", "The server is shutting down and takes no new predictions.");
    if (this.state === "STARTING") throw new TscogError("NOT_READY", "The model is still starting (setup() is running); retry when /health-check says READY.");
    if (this.state === "SETUP_FAILED") throw new TscogError("SETUP_FAILED", `The model's setup() failed; see /health-check for its logs.`);
    if (this.state === "DEFUNCT") throw new TscogError("NOT_READY", "The model is defunct (its predictor crashed repeatedly).");
    if (this.store.running >= this.concurrency) {
      throw new TscogError("CONFLICT", `Already running ${this.store.running} prediction(s), the limit (concurrency.max) is ${this.concurrency}; retry later.`);
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
      outputKind: this.outputKind,
      webhook: request.webhook,
      webhookEventsFilter: request.webhookEventsFilter,
      extra: request.extra,
    });
    const sender = request.webhook
      ? new WebhookSender(prediction, request.webhook, request.serialize ?? ((p) => p.toJSON()), this.webhookOptions)
      : undefined;
    sender?.notify("start");
    void Promise.resolve().then(() => this.run(prediction, sender));
    return prediction;
  }

  private async run(prediction: Prediction, sender?: WebhookSender): Promise<void> {
    prediction.markStarted();
    const onEvents = (batch: EventBatch) => {
      prediction.append(batch);
      if (!sender) return;
      const kinds = isTextBatch(batch) ? null : batch.kinds;
      if (kinds === null || kinds.includes(EventKind.Output)) sender.notify("output");
      if (kinds?.includes(EventKind.Log)) sender.notify("logs");
    };
    const result = await this.host.predict({ id: prediction.id, input: prediction.input, cancellation: prediction.abort, onEvents });
    // A prediction whose thread was killed because it ignored its cancel counts as canceled.
    prediction.finish(result.status === "failed" && prediction.abort.aborted ? { status: "canceled" } : result);
    sender?.notify("completed");
  }

  /** Cancels a running prediction; returns it (or undefined when unknown). */
  cancel(id: string): Prediction | undefined {
    const prediction = this.store.get(id);
    if (prediction && !prediction.isTerminal() && !prediction.abort.aborted) {
      prediction.abort.abort();
      const timer = setTimeout(() => {
        if (!prediction.isTerminal()) {
          this.host.terminate?.(`prediction ${id} did not stop within ${this.options.cancelTimeoutMs ?? 10_000} ms of being canceled`);
        }
      }, this.options.cancelTimeoutMs ?? 10_000);
      timer.unref();
    }
    return prediction;
  }

  /**
   * Stops taking predictions, lets running ones finish within `graceMs`,
   * then cancels the rest and stops the predictor.
   */
  async shutdown(options: { graceMs?: number } = {}): Promise<void> {
    this.accepting = false;
    const active = this.store.active();
    const all = Promise.all(active.map((p) => p.done));
    const grace = options.graceMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, grace)))]);
    clearTimeout(timer);
    for (const p of this.store.active()) p.abort.abort();
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
    await this.host.close();
  }
}
