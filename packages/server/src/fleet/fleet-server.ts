/**
 * What `serve()` runs with a queue: the routes' prediction backend for the
 * process's role. `api` serves predictions from Redis and never runs the model
 * (it loads the schema only); `worker` runs the model on jobs from Redis and
 * serves only its probes; `all` does both in one process.
 */
import { Auth } from "../http/auth.js";
import type { HealthBody, PredictionBackend } from "../predictions/prediction-backend.js";
import type { PredictionService } from "../predictions/prediction-service.js";
import type { PredictorHost } from "../predictor/predictor-host.js";
import type { FleetSettings } from "./fleet-keys.js";
import type { WebhookOptions } from "../predictions/webhook-sender.js";
import { RedisPredictionStore } from "./redis-prediction-store.js";
import { WorkerLoop } from "./worker-loop.js";

/** A process's part in a fleet. */
export interface FleetParts {
  /** What the HTTP routes use. */
  backend: PredictionBackend;
  /** A worker's port serves only health probes and `/metrics`. */
  probesOnly: boolean;
}

/** Builds the backend for `settings.role`; `service` and `host` are the process's own model (unused by `api` but for its schema). */
export function createFleet(options: { settings: FleetSettings; service: PredictionService; host: PredictorHost; token?: string; webhook?: WebhookOptions }): FleetParts {
  const { settings, service, host } = options;
  if (settings.role === "api") {
    const loadSchema = async () => {
      // The predictor's module is imported for its schema; setup() never runs here.
      try {
        return await host.load();
      } finally {
        await host.close();
      }
    };
    return { backend: new RedisPredictionStore({ settings, loadSchema }), probesOnly: false };
  }
  const worker = new WorkerLoop({ settings, service, auth: new Auth(options.token), webhook: options.webhook });
  if (settings.role === "worker") return { backend: new WorkerBackend(service, worker), probesOnly: true };
  const backend = new RedisPredictionStore({
    settings,
    loadSchema: async () => {
      await service.start();
      const status = service.health().status;
      if (status !== "READY" && status !== "BUSY") throw new Error(`The model did not set up (${status}):\n${service.health().setup.logs}`);
      return { openapi: service.openapi, outputKind: service.outputKind };
    },
    onStart: () => worker.start(),
    onShutdown: (o) => stopWorker(worker, service, o),
  });
  return { backend, probesOnly: false };
}

async function stopWorker(worker: WorkerLoop, service: PredictionService, options: { graceMs?: number }): Promise<void> {
  await worker.stop();
  await service.shutdown(options);
  await worker.close();
}

/** A worker's own routes: the local service's health, not ready while Redis is away. */
class WorkerBackend implements PredictionBackend {
  constructor(
    private readonly service: PredictionService,
    private readonly worker: WorkerLoop,
  ) {}

  get concurrency() {
    return this.service.concurrency;
  }
  get openapi() {
    return this.service.openapi;
  }
  get outputKind() {
    return this.service.outputKind;
  }
  get queueLength() {
    return this.service.queueLength;
  }
  get queueMax() {
    return this.service.queueMax;
  }
  get runningCount() {
    return this.service.runningCount;
  }

  /** The model's health; a busy worker is ready (it takes jobs, not requests); STARTING while Redis is away. */
  health(): HealthBody & { queue: { reachable: boolean; consumer: string } } {
    const health = this.service.health();
    let status = health.status === "BUSY" ? "READY" : health.status;
    if (status === "READY" && !this.worker.redisUp) status = "STARTING";
    return { ...health, status, queue: { reachable: this.worker.redisUp, consumer: this.worker.consumer } };
  }

  get = (id: string) => this.service.get(id);
  create = (request: Parameters<PredictionService["create"]>[0]) => this.service.create(request);
  cancel = (id: string) => this.service.cancel(id);
  page = (options: Parameters<PredictionService["page"]>[0]) => this.service.page(options);
  observe = (observer: Parameters<PredictionService["observe"]>[0]) => this.service.observe(observer);

  async start(): Promise<void> {
    await this.service.start();
    this.worker.start();
  }

  shutdown(options: { graceMs?: number } = {}): Promise<void> {
    return stopWorker(this.worker, this.service, options);
  }
}
