/**
 * A fleet worker: takes jobs from the consumer group (as many as it has free
 * slots, so the engine still batches), runs them on the local
 * `PredictionService` (its predictor host, time limits, webhooks), and writes
 * their events to Redis through fenced writers. Heartbeats run on the main
 * thread, which stays free while the predictor's thread computes.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Auth } from "../http/auth.js";
import type { Prediction } from "../predictions/prediction.js";
import type { PredictionService } from "../predictions/prediction-service.js";
import { replicateJson } from "../dialects/replicate/routes.js";
import { CANCEL_CHANNEL, predictionKeys, type FleetSettings } from "./fleet-keys.js";
import { CLAIM_SCRIPT } from "./fleet-scripts.js";
import { deadLettered, RESTART_MARKER, WORKER_LOST, type FleetJob, type FleetResult } from "./prediction-codec.js";
import { PredictionWriter } from "./prediction-writer.js";
import { ensureWorkerGroup, RedisJobQueue, type DeliveredJob } from "./redis-job-queue.js";
import { fieldsOf, RedisConnection } from "./redis-connection.js";
import { sendSettledWebhook } from "./settled-webhook.js";
import type { WebhookOptions } from "../predictions/webhook-sender.js";

interface RunningJob {
  job: DeliveredJob;
  writer: PredictionWriter;
}

/** How long one blocking read waits for a job, ms. */
const READ_BLOCK_MS = 1_000;

/** Takes jobs from Redis and runs them on a local prediction service. */
export class WorkerLoop {
  /** This worker's consumer name in the group. */
  readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  readonly #settings: FleetSettings;
  readonly #service: PredictionService;
  readonly #auth?: Auth;
  readonly #webhook: WebhookOptions;
  readonly #main: RedisConnection;
  readonly #reader: RedisConnection;
  readonly #sub: RedisConnection;
  readonly #queue: RedisJobQueue;
  readonly #running = new Map<string, RunningJob>();
  #stopping = false;
  #loop?: Promise<void>;
  #heartbeat?: NodeJS.Timeout;
  #slotFreed?: () => void;
  #lastReclaim = 0;

  constructor(options: { settings: FleetSettings; service: PredictionService; auth?: Auth; webhook?: WebhookOptions }) {
    this.#settings = options.settings;
    this.#webhook = options.webhook ?? {};
    this.#service = options.service;
    this.#auth = options.auth;
    this.#main = new RedisConnection(options.settings.url, { name: `tscog-worker-${process.pid}` });
    this.#reader = new RedisConnection(options.settings.url);
    this.#sub = new RedisConnection(options.settings.url);
    this.#queue = new RedisJobQueue({ main: this.#main, reader: this.#reader, consumer: this.consumer });
    this.#service.observe({
      started: (p) => this.#running.get(p.id)?.writer.start(p.startedMs),
      events: (p, batch) => this.#running.get(p.id)?.writer.events(batch),
      finished: (p) => this.#running.get(p.id)?.writer.finish(resultOf(p)),
    });
  }

  /** True while Redis answers. */
  get redisUp(): boolean {
    return this.#main.up;
  }

  /** Connects and starts taking jobs (once the model is set up). */
  start(): void {
    for (const conn of [this.#main, this.#reader, this.#sub]) conn.connect();
    this.#sub.onReady(() => void this.#sub.subscribe(CANCEL_CHANNEL, (id) => void this.#service.cancel(id)).catch(() => {}));
    this.#main.onReady(() => void ensureWorkerGroup(this.#main).catch(() => {}));
    const every = Math.max(50, Math.floor(this.#settings.reclaimMs / 3));
    this.#heartbeat = setInterval(() => void this.#beat(), every);
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      const free = this.#service.concurrency - this.#running.size;
      const health = this.#service.health().status;
      if (free <= 0 || (health !== "READY" && health !== "BUSY")) {
        await new Promise<void>((resolve) => {
          this.#slotFreed = resolve;
          setTimeout(resolve, 250);
        });
        continue;
      }
      let jobs: DeliveredJob[] = [];
      try {
        if (Date.now() - this.#lastReclaim >= this.#settings.reclaimMs / 2) {
          this.#lastReclaim = Date.now();
          jobs = await this.#queue.reclaim(free, this.#settings.reclaimMs);
        }
        if (jobs.length === 0) jobs = await this.#queue.read(free, READ_BLOCK_MS);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      for (const job of jobs) await this.#take(job);
    }
  }

  /** Claims a delivered job and starts it, or settles it (ended, canceled, lost, dead-lettered). */
  async #take(job: DeliveredJob): Promise<void> {
    // Its own job, back from the pending list after a pause or an outage: still running here.
    // A job read while stopping stays pending for another worker.
    if (this.#running.has(job.predictionId) || this.#stopping) return;
    const s = this.#settings;
    const keys = predictionKeys(job.predictionId);
    try {
      const verdict = await this.#main.script<string>(CLAIM_SCRIPT, [keys.meta, keys.events, keys.notify], [
        this.consumer, s.maxDeliveries, s.restartLost ? 1 : 0, Date.now(), s.activeTtlMs, s.finishedTtlMs,
        JSON.stringify(WORKER_LOST), JSON.stringify(deadLettered(s.maxDeliveries)), JSON.stringify(RESTART_MARKER),
      ]);
      if (verdict !== "run") {
        if (verdict === "dead") await this.#queue.deadLetter(job, `delivered more than ${s.maxDeliveries} times`);
        else await this.#queue.done(job.entryId);
        // Ended without running here (canceled while waiting, lost, dead-lettered): its terminal webhook goes now.
        if (verdict !== "gone") void sendSettledWebhook({ conn: this.#main, id: job.predictionId, webhook: this.#webhook, serializer: (j) => this.#serializer(j) }).catch(() => {});
        return;
      }
      const meta = fieldsOf(await this.#main.call(["HGETALL", keys.meta]));
      this.#start(job, JSON.parse(meta.job) as FleetJob, meta.cancel === "1");
    } catch {
      // Unclaimed or unstarted: the job stays pending and is reclaimed after the idle time.
    }
  }

  #start(job: DeliveredJob, fleetJob: FleetJob, canceled: boolean): void {
    const id = job.predictionId;
    const writer = new PredictionWriter({
      conn: this.#main,
      keys: predictionKeys(id),
      owner: this.consumer,
      ttl: { activeMs: this.#settings.activeTtlMs, finishedMs: this.#settings.finishedTtlMs },
      // Another worker owns it now: stop here, leave the job to that worker.
      onFenced: () => {
        this.#release(id);
        void this.#service.cancel(id);
      },
    });
    this.#running.set(id, { job, writer });
    let prediction: Prediction;
    try {
      prediction = this.#service.create({
        id,
        input: fleetJob.input,
        inputBytes: fleetJob.inputBytes,
        queue: true,
        webhook: fleetJob.webhook,
        webhookEventsFilter: fleetJob.webhookEventsFilter,
        extra: fleetJob.extra,
        dialect: fleetJob.dialect,
        serialize: this.#serializer(fleetJob),
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "NOT_READY") {
        // The predictor is restarting (or this worker is stopping): the job stays pending and is reclaimed.
        writer.abandon();
        this.#release(id);
        return;
      }
      writer.finish({ status: "failed", error: err instanceof Error ? err.message : String(err), code });
      void writer.finished.then(() => this.#settle(id, job));
      return;
    }
    if (canceled) this.#service.cancel(id);
    void prediction.done.then(() => writer.finished).then(() => this.#settle(id, job));
  }

  /** The JSON a job's webhooks carry: its dialect's prediction object. */
  #serializer(job: FleetJob): ((p: Prediction) => unknown) | undefined {
    if (job.dialect !== "replicate" || !job.webhookBase) return undefined;
    const base = job.webhookBase;
    return (p) => replicateJson(p, base, this.#auth?.streamToken(p.id) ?? "");
  }

  /** Acknowledges a finished job (unless this worker lost it). */
  async #settle(id: string, job: DeliveredJob): Promise<void> {
    const running = this.#running.get(id);
    if (running?.job !== job) return;
    this.#release(id);
    if (running.writer.fenced) return;
    for (let attempt = 0; attempt < 50 && !this.#stopping; attempt++) {
      try {
        return await this.#queue.done(job.entryId);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  #release(id: string): void {
    this.#running.delete(id);
    this.#slotFreed?.();
  }

  /** Resets the idle time of the jobs this worker still owns (checked first, so a worker back from a pause does not take a job back). */
  async #beat(): Promise<void> {
    if (this.#running.size === 0 || !this.#main.up) return;
    const entries = [...this.#running.values()];
    try {
      const owners = await Promise.all(entries.map((r) => this.#main.call(["HGET", predictionKeys(r.job.predictionId).meta, "owner"])));
      const mine = entries.filter((_, i) => owners[i] === this.consumer).map((r) => r.job.entryId);
      await this.#queue.heartbeat(mine);
    } catch {
      // Redis is away; the next beat tries again.
    }
  }

  /** Stops taking jobs; running ones finish on the service (its shutdown), then the writes drain. */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#heartbeat);
    this.#slotFreed?.();
    await this.#loop;
  }

  /** Waits for pending writes (up to `drainMs`), then closes the connections. */
  async close(options: { drainMs?: number } = {}): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const writes = Promise.all([...this.#running.values()].map((r) => r.writer.finished));
    await Promise.race([writes, new Promise((r) => (timer = setTimeout(r, options.drainMs ?? 2_000)))]);
    clearTimeout(timer);
    for (const r of this.#running.values()) r.writer.abandon();
    await Promise.all([this.#main.close(), this.#reader.close(), this.#sub.close()]);
  }
}

/** How a local prediction ended, for its done entry. */
function resultOf(p: Prediction): FleetResult {
  if (p.status === "succeeded") return { status: "succeeded", value: p.outputKind === "value" ? p.value : undefined };
  if (p.status === "canceled") return { status: "canceled" };
  return { status: "failed", error: p.error ?? "The prediction failed.", ...(p.errorCode ? { code: p.errorCode } : {}), ...(p.errorDetails !== undefined ? { details: p.errorDetails } : {}) };
}
