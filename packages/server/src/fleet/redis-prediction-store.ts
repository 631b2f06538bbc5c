/**
 * Predictions in Redis, for a fleet's API replicas: `create` validates the
 * input against the schema, writes the prediction and enqueues its job;
 * `get` returns a local mirror that a `StreamFollower` keeps up to date from
 * the prediction's events stream, so every route (Cog, Replicate, OpenAI, SSE
 * with `Last-Event-ID`) works unchanged on any replica. Implements the same
 * `PredictionBackend` as the in-memory `PredictionService`.
 */
import { createInputValidator, InputError, TscogError, type InputValidator } from "@tscog/sdk";
import type { HealthBody, PredictionBackend } from "../predictions/prediction-backend.js";
import { Prediction, type OutputKind } from "../predictions/prediction.js";
import { newPredictionId } from "../predictions/prediction-id.js";
import type { PredictionPage } from "../predictions/prediction-store.js";
import type { CreatePredictionRequest, PredictionObserver } from "../predictions/prediction-service.js";
import { redactInput, secretInputNames } from "../predictions/redaction.js";
import { CANCEL_CHANNEL, INDEX_KEY, predictionKeys, type FleetSettings } from "./fleet-keys.js";
import { CANCEL_SCRIPT, CREATE_SCRIPT } from "./fleet-scripts.js";
import { mirrorFromMeta, type FleetJob } from "./prediction-codec.js";
import { enqueueJob, ensureWorkerGroup } from "./redis-job-queue.js";
import { fieldsOf, RedisConnection, unreachable } from "./redis-connection.js";
import { StreamFollower } from "./stream-follower.js";

/** What the API needs of the model: its schema, loaded without running `setup()`. */
export type SchemaLoader = () => Promise<{ openapi: Record<string, unknown>; outputKind: OutputKind }>;

export interface RedisPredictionStoreOptions {
  settings: FleetSettings;
  loadSchema: SchemaLoader;
  /** Finished predictions' mirrors kept in memory (the oldest are read from Redis again when asked). Default 1000. */
  maxFinishedMirrors?: number;
  /** Runs after the schema loaded and before `start()` resolves (the `all` role's worker). */
  onStart?: () => Promise<void> | void;
  /** Runs on shutdown (the `all` role's worker). */
  onShutdown?: (options: { graceMs?: number }) => Promise<void>;
}

/** The fleet's API side: predictions in Redis, mirrored locally for the routes. */
export class RedisPredictionStore implements PredictionBackend {
  readonly concurrency = 1;
  readonly queueLength = 0;
  readonly queueMax = 0;
  openapi: Record<string, unknown> = {};
  outputKind: OutputKind = "value";
  readonly #options: RedisPredictionStoreOptions;
  readonly #main: RedisConnection;
  readonly #sub: RedisConnection;
  readonly #follower: StreamFollower;
  readonly #mirrors = new Map<string, Prediction>();
  readonly #loading = new Map<string, Promise<Prediction | undefined>>();
  readonly #finishedOrder: string[] = [];
  readonly #observers: PredictionObserver[] = [];
  #validator?: InputValidator;
  #secretNames: string[] = [];
  #schemaState: "starting" | "succeeded" | "failed" = "starting";
  #schemaError = "";
  #startedAt = new Date().toISOString();
  #completedAt: string | null = null;
  #accepting = true;
  #startPromise?: Promise<void>;
  #indexTrimmedMs = 0;

  constructor(options: RedisPredictionStoreOptions) {
    this.#options = options;
    this.#main = new RedisConnection(options.settings.url, { name: `tscog-api-${process.pid}` });
    this.#sub = new RedisConnection(options.settings.url);
    this.#follower = new StreamFollower({ main: this.#main, sub: this.#sub });
    this.#main.onReady(() => void ensureWorkerGroup(this.#main).catch(() => {}));
  }

  /** Predictions created here that have not finished. */
  get runningCount(): number {
    return this.#follower.size;
  }

  observe(observer: PredictionObserver): void {
    this.#observers.push(observer);
  }

  start(): Promise<void> {
    this.#startPromise ??= (async () => {
      this.#main.connect();
      this.#sub.connect();
      try {
        const loaded = await this.#options.loadSchema();
        this.openapi = loaded.openapi;
        this.outputKind = loaded.outputKind;
        const schemas = (loaded.openapi as { components?: { schemas?: Record<string, never> } }).components?.schemas;
        this.#validator = schemas?.Input ? createInputValidator(schemas, { files: "remote" }) : undefined;
        this.#secretNames = secretInputNames(loaded.openapi);
        this.#schemaState = "succeeded";
        await this.#options.onStart?.();
      } catch (err) {
        this.#schemaState = "failed";
        this.#schemaError = `${err instanceof Error ? err.message : String(err)}\n`;
      }
      this.#completedAt = new Date().toISOString();
    })();
    return this.#startPromise;
  }

  /** READY once the schema is loaded and Redis answers; STARTING while Redis is away (so `/readyz` fails, `/livez` does not). */
  health(): HealthBody & { queue: { url: string; reachable: boolean } } {
    const failed = this.#schemaState === "failed";
    const status = failed ? "SETUP_FAILED" : this.#schemaState === "succeeded" && this.#main.up && this.#accepting ? "READY" : "STARTING";
    return {
      status,
      setup: { started_at: this.#startedAt, completed_at: this.#completedAt, status: this.#schemaState, logs: this.#schemaError },
      predictions: { running: this.runningCount, queued: 0, concurrency: this.concurrency, queue_max: this.queueMax },
      queue: { url: this.#options.settings.url.replace(/\/\/[^@/]*@/, "//"), reachable: this.#main.up },
    };
  }

  async create(request: CreatePredictionRequest): Promise<Prediction> {
    if (!this.#accepting) throw new TscogError("NOT_READY", "The server is shutting down and takes no new predictions.");
    if (this.#schemaState === "failed") throw new TscogError("SETUP_FAILED", "The model's schema could not be loaded; see /health-check.");
    if (this.#schemaState === "starting") throw new TscogError("NOT_READY", "The model's schema is loading; retry when /health-check says READY.");
    if (!this.#main.up) throw unreachable(this.#options.settings.url);
    const input = request.input;
    if (input === null || typeof input !== "object" || Array.isArray(input)) {
      throw new InputError("The request's input must be a JSON object of named values.", {
        details: [{ loc: ["body", "input"], msg: "must be an object", type: "type_error.dict" }],
      });
    }
    this.#validator?.validate(input);
    const id = request.id ?? newPredictionId();
    const job: FleetJob = {
      input: input as Record<string, unknown>,
      publicInput: redactInput(input as Record<string, unknown>, this.#secretNames),
      inputBytes: request.inputBytes ?? 0,
      outputKind: this.outputKind,
      webhook: request.webhook,
      webhookEventsFilter: request.webhookEventsFilter,
      extra: request.extra,
      dialect: request.dialect,
      webhookBase: request.webhookBase,
    };
    const createdMs = Date.now();
    const keys = predictionKeys(id);
    const created = await this.#main.script<number>(CREATE_SCRIPT, [keys.meta, keys.events, keys.notify], [JSON.stringify(job), createdMs, this.#options.settings.activeTtlMs]);
    if (created === 0) throw new TscogError("CONFLICT", `A prediction with id ${id} already exists; GET /predictions/${id} shows it, PUT re-attaches to it.`);
    const mirror = mirrorFromMeta(id, { job: JSON.stringify(job), created: String(createdMs) }, (p) => this.#retire(p, true));
    this.#mirrors.set(id, mirror);
    await enqueueJob(this.#main, id);
    void this.#index(id, createdMs);
    for (const o of this.#observers) o.created?.(mirror, request);
    void this.#follower.follow(mirror);
    return mirror;
  }

  /** Lists the prediction for `GET /v1/predictions` (by creation time; old entries trimmed). */
  async #index(id: string, createdMs: number): Promise<void> {
    try {
      await this.#main.call(["ZADD", INDEX_KEY, createdMs, id]);
      // Trimmed and its expiry pushed back now and then, not on every create.
      if (createdMs - this.#indexTrimmedMs < 10_000) return;
      this.#indexTrimmedMs = createdMs;
      await this.#main.call(["ZREMRANGEBYSCORE", INDEX_KEY, "-inf", createdMs - this.#options.settings.activeTtlMs]);
      await this.#main.call(["PEXPIRE", INDEX_KEY, this.#options.settings.activeTtlMs]);
    } catch {
      // The listing is best effort; the prediction itself is stored.
    }
  }

  get(id: string): Prediction | undefined | Promise<Prediction | undefined> {
    const mirror = this.#mirrors.get(id);
    if (mirror) return mirror;
    let loading = this.#loading.get(id);
    if (!loading) {
      loading = this.#load(id).finally(() => this.#loading.delete(id));
      this.#loading.set(id, loading);
    }
    return loading;
  }

  /** Reads a prediction created elsewhere (or forgotten here): its meta, then its whole events stream. */
  async #load(id: string): Promise<Prediction | undefined> {
    const meta = fieldsOf(await this.#main.call(["HGETALL", predictionKeys(id).meta]));
    if (meta.job === undefined) return undefined;
    const mirror = this.#mirrors.get(id) ?? mirrorFromMeta(id, meta, (p) => this.#retire(p, false));
    this.#mirrors.set(id, mirror);
    await this.#follower.follow(mirror);
    return mirror;
  }

  async cancel(id: string): Promise<Prediction | undefined> {
    const keys = predictionKeys(id);
    const verdict = await this.#main.script<string>(CANCEL_SCRIPT, [keys.meta, keys.events, keys.notify], [Date.now(), this.#options.settings.finishedTtlMs]);
    if (verdict === "gone") return this.#mirrors.get(id);
    if (verdict === "running") await this.#main.call(["PUBLISH", CANCEL_CHANNEL, id]);
    return this.get(id);
  }

  async page(options: { cursor?: string | null; limit: number; maxBytes: number }): Promise<PredictionPage> {
    const max = options.cursor ? `(${options.cursor}` : "+inf";
    const reply = (await this.#main.call(["ZRANGE", INDEX_KEY, max, "-inf", "BYSCORE", "REV", "LIMIT", 0, options.limit, "WITHSCORES"])) as string[];
    const results: Prediction[] = [];
    let bytes = 0;
    let last: string | null = null;
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const p = await this.get(reply[i]);
      if (!p) continue;
      bytes += p.approxBytes;
      if (results.length > 0 && bytes > options.maxBytes) break;
      results.push(p);
      last = reply[i + 1];
    }
    return { results, next: results.length === options.limit && last !== null ? last : null, previous: null };
  }

  /** A mirror finished: observers see it (when created here), and the oldest finished mirrors are dropped. */
  #retire(prediction: Prediction, createdHere: boolean): void {
    if (createdHere) for (const o of this.#observers) o.finished?.(prediction);
    this.#finishedOrder.push(prediction.id);
    const max = this.#options.maxFinishedMirrors ?? 1000;
    while (this.#finishedOrder.length > max) {
      const old = this.#finishedOrder.shift()!;
      if (this.#mirrors.get(old)?.isTerminal()) this.#mirrors.delete(old);
    }
  }

  async shutdown(options: { graceMs?: number } = {}): Promise<void> {
    this.#accepting = false;
    await this.#options.onShutdown?.(options);
    this.#follower.close();
    await Promise.all([this.#main.close(), this.#sub.close()]);
  }
}
